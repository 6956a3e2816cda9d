"""The fast engine's event loop: take the next event, run what it wakes, schedule what follows.

simpy's environment, for this model: an event resumes a lead's process (alignsim.engines.fast
.steps), runs the floor's dispatch, or closes a waiting buyer's window (skip_lost).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from alignsim.engines.fast.events import after_step, in_cohort, next_event, resume_at
from alignsim.engines.fast.floor import ask_dispatch, floor_open, looked, take, withdraw
from alignsim.engines.fast.inputs import Book, Leads, Params
from alignsim.engines.fast.state import (
    COHORT_ALIVE,
    DISPATCH,
    DONE,
    LOOK,
    LOST,
    MORE,
    NONE,
    NOW,
    WEEK_END,
    WEEK_NOW,
    WEEK_START,
    State,
)
from alignsim.engines.fast.steps import attempt, process
from alignsim.ledger import Outcome
from alignsim.units import WEEK


@njit(cache=True, _nrt=False, inline="always")
def dispatch(ld: Leads, p: Params, bk: Book, st: State, now: float) -> None:
    """SalesFloor._dispatch: free reps take waiting leads, each lead's call starts at once.

    taken.succeed() resumes the lead's `work` in this instant, after the dispatch, and it
    starts its call (`attempt`). That touches only the lead's own state, so it commutes with
    the other events of the instant and is done here.
    """
    if not floor_open(st, p, now):
        return
    while True:
        taker = take(st)
        if taker < 0:
            return
        lead = np.uint32(taker)
        resume_at(st, lead, attempt(ld, p, bk, st, lead, now), now, p.horizon)


@njit(cache=True, _nrt=False, inline="always")
def lost(ld: Leads, p: Params, bk: Book, st: State, lead: int, ticket: float, now: float) -> None:
    """work, skip_lost: the buyer's window closes while the lead waits for a rep."""
    if st.ticket_of[lead] != ticket:
        return  # taken before its window closed: the timeout no longer matters
    withdraw(st, lead)
    bk.outcome[lead] = Outcome.LOST_TO_COMPETITOR
    bk.ended[lead] = now
    st.pc[lead] = DONE
    if p.stops_early and in_cohort(ld, p, lead):
        st.count[COHORT_ALIVE] -= 1


@njit(cache=True, _nrt=False, nogil=True)
def run(ld: Leads, p: Params, bk: Book, st: State) -> bool:
    """Play every event before the horizon (without the GIL: other threads of the process, such
    as the workshop page's other sessions, run meanwhile). Returns False when done, True when
    it stopped before the arrival of a lead not loaded yet (a stream played in windows: load
    more and call again, it resumes where it stopped)."""
    count, clock = st.count, st.clock
    now = clock[NOW]
    while True:
        if p.stops_early and count[COHORT_ALIVE] == 0 and now >= p.cohort_end:
            clock[NOW] = now  # the cohort is done: nothing later changes its rows
            return False
        now, lead, kind, tag = next_event(ld, p, st, now)
        if kind in (NONE, MORE):
            clock[NOW] = now
            return kind == MORE
        if not clock[WEEK_START] <= now < clock[WEEK_END]:
            count[WEEK_NOW] = int(now // WEEK)
            clock[WEEK_START] = count[WEEK_NOW] * WEEK
            clock[WEEK_END] = clock[WEEK_START] + WEEK
        if kind == DISPATCH:
            dispatch(ld, p, bk, st, now)
        elif kind == LOST:
            lost(ld, p, bk, st, lead, tag, now)
        elif kind == LOOK:
            looked(st, lead, tag, now)
        else:
            step, wake = process(ld, p, bk, st, lead, now, count[WEEK_NOW], clock[WEEK_END])
            after_step(st, p, lead, step, wake, now)
            ask_dispatch(st, now)
