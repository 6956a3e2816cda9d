"""The sales floor in the fast engine (simpy_engine.SalesFloor): reps, their hours, the queue.

A lead waits with its queue key (alignsim.engines.rules.queue_key) and a ticket; a free rep,
in business hours, takes the waiting lead with the smallest key, ties broken by lead id. Reps
are only handed out by the dispatch, which runs at simpy priority LOW, after every other event
of its instant. So the events of one instant that come before a dispatch commute, and the
engine keeps the one order that matters: NORMAL events, then the dispatch, then the events the
dispatch caused (leads taken), then possibly another dispatch.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from alignsim.compiled.calendar import next_open, open_through
from alignsim.engines.fast.events import resume_now, schedule
from alignsim.engines.fast.heap import holds, pop, push
from alignsim.engines.fast.inputs import Params
from alignsim.engines.fast.state import (
    ASKED,
    ATTEMPT,
    CHECK_AT,
    CLOSED_UNTIL,
    DISPATCH,
    DISPATCH_SEQ,
    FREE,
    INBOX,
    LAST_LOOK,
    LOOK,
    LOW,
    N_DUE,
    NORMAL,
    OPEN_UNTIL,
    OPENS_AT,
    QUEUED,
    SEQ,
    SLOT_BITS,
    SLOT_MASK,
    TICKETS,
    UNSEEN,
    WAITING,
    State,
)


@njit(cache=True, _nrt=False, inline="always")
def wait_for_rep(st: State, lead: int, key: float, key2: float) -> None:
    """SalesFloor.wait_for_rep: join the queue with a key and a fresh ticket (the row's lead
    column: the lead, then its slot, SLOT_BITS)."""
    count = st.count
    st.ticket_of[lead] = count[TICKETS]
    who = float(st.ident[lead] << SLOT_BITS | lead)
    push(st.queue, count[QUEUED], key, key2, who, float(count[TICKETS]))
    count[QUEUED] += 1
    count[TICKETS] += 1
    count[WAITING] += 1
    count[ASKED] = 1


@njit(cache=True, _nrt=False, inline="always")
def withdraw(st: State, lead: int) -> None:
    """SalesFloor.withdraw: leave the queue unserved (its row stays, no longer live)."""
    st.ticket_of[lead] = -1
    st.count[WAITING] -= 1


@njit(cache=True, _nrt=False, inline="always")
def release(st: State) -> None:
    """SalesFloor.release: a rep finishes an activity and is free again."""
    st.count[FREE] += 1
    st.count[ASKED] = 1


@njit(cache=True, _nrt=False, inline="always")
def add_due(st: State, when: float) -> None:
    """Note that a dispatch is scheduled for the instant `when`."""
    if st.count[N_DUE] == len(st.due):
        raise RuntimeError("alignsim fast engine: too many dispatches pending")
    st.due[st.count[N_DUE], 0] = when
    st.count[N_DUE] += 1


@njit(cache=True, _nrt=False, inline="always")
def ask_dispatch(st: State, now: float) -> None:
    """SalesFloor._dispatch_at(now), if a step asked for it and it can act.

    A dispatch acts only if, when it runs, a lead waits and a rep is free; the last change into
    that state is a join or a release that finds it so. So asking only then runs the same
    dispatches, minus the ones that would do nothing. While the floor is closed and the
    dispatch at its opening is already asked for, a dispatch now would find it so and do
    nothing: it is not asked for.
    """
    count, clock = st.count, st.clock
    asked = count[ASKED] > 0
    count[ASKED] = 0
    if (
        asked
        and count[WAITING] > 0
        and count[FREE] > 0
        and not holds(st.due, count[N_DUE], now)
        and not (now <= clock[CLOSED_UNTIL] and holds(st.due, count[N_DUE], clock[OPENS_AT]))
    ):
        add_due(st, now)
        clock[DISPATCH_SEQ] = clock[SEQ]
        clock[SEQ] += 1.0


@njit(cache=True, _nrt=False, inline="always")
def floor_open(st: State, p: Params, now: float) -> bool:
    """SalesFloor._dispatch up to the rep loop: whether reps may take leads now. When a lead
    waits and a rep is free but the floor is closed, a dispatch at the opening is scheduled."""
    count, clock, due = st.count, st.clock, st.due
    keep = np.int64(0)
    for i in range(count[N_DUE]):  # discard now; instants passed can never be asked again
        if due[i, 0] > now:
            due[keep, 0] = due[i, 0]
            keep += 1
    count[N_DUE] = keep
    if count[WAITING] == 0 or count[FREE] == 0:
        return False
    if now > clock[OPEN_UNTIL] and now > clock[CLOSED_UNTIL]:  # ask the calendar
        clock[OPEN_UNTIL] = open_through(now, p.starts, p.ends)
        if now > clock[OPEN_UNTIL]:
            clock[OPENS_AT] = next_open(now, p.starts, p.ends)
            # Closed at every instant before the opening: stepped back an ulp, as the opening
            # was rounded (see open_through).
            clock[CLOSED_UNTIL] = np.nextafter(clock[OPENS_AT], -math.inf)
    if now <= clock[CLOSED_UNTIL]:  # closed
        when = clock[OPENS_AT]
        if not holds(due, count[N_DUE], when):
            add_due(st, when)
            at = now + (when - now)
            if at < p.horizon:
                schedule(st, at, LOW, float(DISPATCH), 0.0)
        return False
    return True


@njit(cache=True, _nrt=False, inline="always")
def take(st: State) -> int:
    """A free rep takes the waiting lead with the smallest key (-1: no rep or no lead left)."""
    count = st.count
    while count[FREE] > 0 and count[QUEUED] > 0:
        _, _, taker, ticket = pop(st.queue, count[QUEUED])
        count[QUEUED] -= 1
        lead = int(taker) & SLOT_MASK
        if st.ticket_of[lead] != ticket:
            continue  # withdrawn earlier
        st.ticket_of[lead] = -1
        count[WAITING] -= 1
        count[FREE] -= 1
        return lead
    return -1


@njit(cache=True, _nrt=False, inline="always")
def look(st: State, now: float) -> None:
    """SalesFloor.look: every lead in the inbound queue is seen and resumes its `work` now."""
    st.clock[LAST_LOOK] = now
    for i in range(st.count[INBOX]):
        lead = st.inbox[i]
        st.pc[lead] = ATTEMPT
        resume_now(st, lead)
    st.count[INBOX] = 0


@njit(cache=True, _nrt=False, inline="always")
def unseen(st: State, p: Params, lead: int, now: float, check: float, due: float) -> None:
    """SalesFloor.unseen, and LeadFlow.wait_for_a_look's looks: the lead waits in the inbound
    queue; a look is scheduled for the inbound check (once per check) and, before it, for the
    SLA's reminder (valid while the lead of this routing is unseen)."""
    st.inbox[st.count[INBOX]] = lead
    st.count[INBOX] += 1
    if st.clock[CHECK_AT] != check:
        st.clock[CHECK_AT] = check
        at = now + (check - now)
        if at < p.horizon:
            schedule(st, at, NORMAL, 4.0 * lead + LOOK, -1.0)
    if due < check:
        at = now + (due - now)
        if at < p.horizon:
            schedule(st, at, NORMAL, 4.0 * lead + LOOK, float(st.routing[lead]))


@njit(cache=True, _nrt=False, inline="always")
def looked(st: State, lead: int, tag: float, now: float) -> None:
    """A LOOK event: an inbound check looks; an SLA reminder looks if its lead's routing is
    still unseen."""
    if tag < 0 or (st.pc[lead] == UNSEEN and st.routing[lead] == tag):
        look(st, now)
