"""A lead's life in the fast engine: one compiled function per step of simpy_engine.LeadFlow.

Each step is named after the LeadFlow method it mirrors (`to_sales_routed`: `to_sales` after
`hand_off`). It reads the lead's inputs (`Leads`), the policy (`Params`) and its state, writes
the ledger (`Book`), and returns where the process continues (a step code of
alignsim.engines.fast.state) and when: GO (at once, in this event), a time (the end of a
timeout), or inf (it waits for a rep, or for nothing). `process` runs a lead's steps until it
waits. The formulas are alignsim.engines.rules'; the steps are the dynamics around them.

A lead that starts to wait (joins the queue, starts a call, is handed to sales, starts a
spacing) has the numbers its next step reads prefetched, so that they arrive while it waits.
"""

from __future__ import annotations

import math

from numba import njit

from alignsim.compiled import prefetch
from alignsim.compiled.calendar import next_clock_time
from alignsim.engines import rules
from alignsim.engines.fast.events import in_cohort
from alignsim.engines.fast.floor import look, release, unseen, wait_for_rep
from alignsim.engines.fast.inputs import Book, Leads, Params
from alignsim.engines.fast.marketing import calls_it_mql
from alignsim.engines.fast.nurture import nurture, nurture_touches, touch
from alignsim.engines.fast.state import (
    ATTEMPT,
    CALL,
    CALLED,
    COHORT_ALIVE,
    DONE,
    GO,
    GONE,
    LAST_LOOK,
    LIFE,
    NURTURE,
    QUALIFIED,
    QUALIFY,
    ROUTED,
    SPACED,
    TO_SALES,
    TOUCH,
    TOUCH_WAIT,
    UNSEEN,
    WORK,
    State,
)
from alignsim.ledger import Outcome


@njit(cache=True, _nrt=False, inline="always")
def end(bk: Book, lead: int, outcome: int, at: float) -> tuple[int, float]:
    """LedgerBook.end: the lead's outcome, reached at `at`; its process ends."""
    bk.outcome[lead] = outcome
    bk.ended[lead] = at
    return DONE, math.inf


@njit(cache=True, _nrt=False, inline="always")
def may_nurture(p: Params, bk: Book, lead: int) -> bool:
    """LeadFlow.can_nurture."""
    return rules.can_nurture(
        p.nurtures, bk.touches[lead], p.touches, bk.recycles[lead], p.max_recycles
    )


@njit(cache=True, _nrt=False, inline="always")
def life(
    ld: Leads, p: Params, bk: Book, st: State, lead: int, now: float, week: int
) -> tuple[int, float]:
    """LeadFlow.life: a lead created now. Sales' own go to work; marketing scores the rest."""
    bk.response_due[lead] = ld.response_due[lead]
    if ld.sales_owned[lead]:
        bk.routed[lead] = now
        bk.accepted[lead] = now
        st.routing[lead] = 0
        st.deadline[lead] = ld.response_due[lead]
        return WORK, GO
    if calls_it_mql(ld, p, bk, st, lead, now, week):
        return TO_SALES, GO
    if p.nurture_not_mql and may_nurture(p, bk, lead):
        return NURTURE, GO
    return end(bk, lead, Outcome.NOT_MQL, now)


@njit(cache=True, _nrt=False, inline="always")
def due_from_now(p: Params, st: State, lead: int, now: float) -> float:
    """LeadFlow.due_from_now: when a response owed from now falls due (a recycled lead's
    first response, or a retry whose spacing just ended)."""
    return rules.response_due(
        now,
        st.temperature[lead],
        p.sla_targets,
        p.sla_wall_clock,
        p.starts,
        p.ends,
        p.cum,
        p.day_length,
        p.week_length,
    )


@njit(cache=True, _nrt=False, inline="always")
def to_sales(ld: Leads, p: Params, bk: Book, st: State, lead: int, now: float) -> tuple[int, float]:
    """LeadFlow.to_sales for an MQL made now: its response deadline, then the handoff."""
    route = bk.recycles[lead]
    st.routing[lead] = route
    bk.outcome[lead] = Outcome.IN_QUEUE
    st.deadline[lead] = ld.response_due[lead] if route == 0 else due_from_now(p, st, lead, now)
    wake = hand_off(ld, p, lead, now, route)
    prefetch(ld.eps_s, lead * ld.eps_s.shape[1] + route)  # what sales' review reads
    prefetch(bk.routed, lead)
    prefetch(bk.accepted, lead)
    return ROUTED, wake


@njit(cache=True, _nrt=False, inline="always")
def hand_off(ld: Leads, p: Params, lead: int, now: float, route: int) -> float:
    """LeadFlow.hand_off: when the lead reaches sales. Realtime: after the routing delay;
    batch: at the next export on a business day."""
    if p.batch:
        return now + (next_clock_time(now, p.clocks, p.days) - now)
    return now + ld.routing_delay[lead, route]


@njit(cache=True, _nrt=False, inline="always")
def to_sales_routed(
    ld: Leads, p: Params, bk: Book, st: State, lead: int, now: float, week: int
) -> tuple[int, float]:
    """LeadFlow.to_sales after hand_off: sales reviews the lead (LeadFlow.sales_accepts)."""
    if math.isnan(bk.routed[lead]):
        bk.routed[lead] = now
    st.verdicts[week] += 1
    z = rules.true_score(ld.fit[lead], st.temperature[lead])
    if not rules.sales_accepts(
        z, p.sales_noise, ld.eps_s[lead, st.routing[lead]], p.accept_threshold
    ):
        if p.rejected_nurture and may_nurture(p, bk, lead):
            return NURTURE, GO
        return end(bk, lead, Outcome.REJECTED, now)
    if math.isnan(bk.accepted[lead]):
        bk.accepted[lead] = now
    return WORK, GO


@njit(cache=True, _nrt=False, inline="always")
def wait_for_a_look(p: Params, st: State, lead: int, now: float) -> tuple[int, float]:
    """LeadFlow.wait_for_a_look: a routed marketing lead is unseen until a rep looks (at the
    next inbound check, or its SLA's due time before that); a look now sees it at once."""
    check, due = rules.looks(now, st.deadline[lead], p.checks, p.days)
    if min(check, due) <= now or st.clock[LAST_LOOK] == now:
        look(st, now)
        return ATTEMPT, GO
    unseen(st, p, lead, now, check, due)
    return UNSEEN, math.inf


@njit(cache=True, _nrt=False, inline="always")
def work(ld: Leads, p: Params, bk: Book, st: State, lead: int, now: float) -> tuple[int, float]:
    """LeadFlow.work, top of the attempt loop: join the queue (with queue_key) and wait."""
    window = st.closes[lead]
    if p.skip_lost and now >= window:
        return end(bk, lead, Outcome.LOST_TO_COMPETITOR, now)
    key, key2 = rules.queue_key(
        p.discipline, now, ld.value[lead], st.deadline[lead], ld.sales_owned[lead]
    )
    # What the dispatch that hands it a rep will read, fetched while it waits.
    k = bk.attempts[lead]
    prefetch(ld.u_reach, lead * ld.u_reach.shape[1] + k)
    prefetch(ld.attempt_time, lead * ld.attempt_time.shape[1] + k)
    prefetch(ld.reach, lead * 3 + st.temperature[lead])
    prefetch(bk.rep_hours, lead)
    prefetch(st.called_at, lead)
    wait_for_rep(st, lead, key, key2)
    return CALL, math.inf


@njit(cache=True, _nrt=False, inline="always")
def attempt(ld: Leads, p: Params, bk: Book, st: State, lead: int, now: float) -> float:
    """LeadFlow.attempt, started by the dispatch that hands the lead a rep: the call, its
    reach decided now; returns when it ends (the lead continues at CALLED)."""
    st.called_at[lead] = now
    k = bk.attempts[lead]
    if k == 0:
        bk.first_attempt[lead] = now
    bk.attempts[lead] += 1
    age = rules.decay_age(
        st.engaged[lead], now, p.buyer_starts, p.buyer_cum, p.buyer_day, p.buyer_week
    )
    chance = rules.reach_chance(
        ld.reach[lead, st.temperature[lead]], age, p.decay_weights, p.decay_means
    )
    st.reaching[lead] = rules.reaches(now, st.closes[lead], ld.u_reach[lead, k], chance)
    hours = ld.attempt_time[lead, k]  # spend_rep_time
    bk.rep_hours[lead] += max(0.0, min(now + hours, p.horizon) - now)
    st.pc[lead] = CALLED
    if st.reaching[lead]:  # what the qualification will read, fetched during the call
        route, heat = st.routing[lead], st.temperature[lead]
        prefetch(ld.qualify_time, lead * ld.qualify_time.shape[1] + route)
        prefetch(ld.u_qualify, lead * ld.u_qualify.shape[1] + route)
        prefetch(ld.qualify, lead * 3 + heat)
        prefetch(bk.reached, lead)
        prefetch(ld.win, lead * 3 + heat)
        prefetch(ld.u_win, lead)
        prefetch(ld.cycle, lead)
    return now + hours


@njit(cache=True, _nrt=False, inline="always")
def attempt_ended(
    ld: Leads, p: Params, bk: Book, st: State, lead: int, now: float
) -> tuple[int, float]:
    """LeadFlow.attempt after the call, and work after it: reached, qualify; else the rep is
    free and the lead ends out of attempts, or waits the attempt spacing."""
    if st.reaching[lead]:
        if math.isnan(bk.reached[lead]):
            bk.reached[lead] = now
        return QUALIFY, GO
    release(st)
    window = st.closes[lead]
    if st.attempt[lead] == ld.attempts_allowed[lead] - 1:
        return end(bk, lead, rules.unreached_outcome(st.called_at[lead], window), now)
    if p.skip_lost and window < now + p.spacing:
        return GONE, now + max(0.0, window - now)
    return SPACED, now + p.spacing


@njit(cache=True, _nrt=False, inline="always")
def qualify(ld: Leads, p: Params, bk: Book, st: State, lead: int, now: float) -> tuple[int, float]:
    """LeadFlow.qualify: the same rep's qualification call."""
    hours = ld.qualify_time[lead, st.routing[lead]]  # spend_rep_time
    bk.rep_hours[lead] += max(0.0, min(now + hours, p.horizon) - now)
    return QUALIFIED, now + hours


@njit(cache=True, _nrt=False, inline="always")
def qualified(
    ld: Leads, p: Params, bk: Book, st: State, lead: int, now: float
) -> tuple[int, float]:
    """LeadFlow.qualify after the call: the rep is free; an SQL's opportunity, or not ready."""
    release(st)
    heat = st.temperature[lead]
    if not rules.qualifies(ld.u_qualify[lead, st.routing[lead]], ld.qualify[lead, heat]):
        if rules.nurtures_not_ready(
            p.nurture_not_ready, heat, ld.sales_owned[lead]
        ) and may_nurture(p, bk, lead):
            return NURTURE, GO
        return end(bk, lead, Outcome.DISQUALIFIED, now)
    bk.sql[lead] = now
    close = now + ld.cycle[lead]
    bk.closed[lead] = close
    result = rules.opportunity_outcome(close, p.horizon, ld.u_win[lead], ld.win[lead, heat])
    bk.outcome[lead] = result
    if result != Outcome.OPEN_OPPORTUNITY:  # else decided after the horizon
        bk.ended[lead] = close
    if result == Outcome.WON:
        bk.revenue[lead] = ld.value[lead]
    return DONE, math.inf


# One branch per step code: compiled code cannot dispatch through a table of functions.
@njit(cache=True, _nrt=False, inline="always")
def process(  # noqa: C901, PLR0912
    ld: Leads, p: Params, bk: Book, st: State, lead: int, now: float, week: int, week_end: float
) -> tuple[int, float]:
    """Run a lead's process from where it stands (`pc`) until it waits: (its step, wake)."""
    start = step = st.pc[lead]
    wake = GO
    while wake == GO:
        if step == LIFE:
            step, wake = life(ld, p, bk, st, lead, now, week)
        elif step == TO_SALES:
            step, wake = to_sales(ld, p, bk, st, lead, now)
        elif step == ROUTED:
            step, wake = to_sales_routed(ld, p, bk, st, lead, now, week)
        elif step == WORK:
            st.attempt[lead] = 0
            step = ATTEMPT
            if rules.waits_for_a_look(p.checks, ld.sales_owned[lead]):
                step, wake = wait_for_a_look(p, st, lead, now)
        elif step == ATTEMPT:
            step, wake = work(ld, p, bk, st, lead, now)
        elif step == CALLED:
            step, wake = attempt_ended(ld, p, bk, st, lead, now)
        elif step == SPACED:  # work after the spacing: a retry is owed like a first response
            st.deadline[lead] = due_from_now(p, st, lead, now)
            st.attempt[lead] += 1
            step = ATTEMPT
        elif step == GONE:  # work, skip_lost: the window closed during the spacing
            step, wake = end(bk, lead, Outcome.LOST_TO_COMPETITOR, now)
        elif step == QUALIFY:
            step, wake = qualify(ld, p, bk, st, lead, now)
        elif step == QUALIFIED:
            step, wake = qualified(ld, p, bk, st, lead, now)
        elif step == NURTURE:
            step, wake = nurture(ld, p, bk, st, lead, now)
        elif step == TOUCH_WAIT:
            step, wake = nurture_touches(ld, p, bk, st, lead, now, week, week_end)
        elif step == TOUCH:
            step, wake = touch(ld, p, bk, st, lead, now, week)
        else:  # DONE (or CALL, UNSEEN: only a dispatch, a look resumes it)
            wake = math.inf
    if step == DONE and start != DONE and p.stops_early and in_cohort(ld, p, lead):
        st.count[COHORT_ALIVE] -= 1
    st.pc[lead] = step
    return step, wake
