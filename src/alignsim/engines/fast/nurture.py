"""Nurture in the fast engine (simpy_engine.LeadFlow.nurture): touches, warming, recycles.

A touch that fails changes nothing another lead sees, so the touches that must fail are
counted without an event (`nurture_touches`); the lead wakes only for a touch that passes or
may pass. On the default scenario's aligned policy, a year of leads: 32k touches take 5k events.
"""

from __future__ import annotations

import math

from numba import njit

from alignsim.engines import rules
from alignsim.engines.fast.inputs import Book, Leads, Params
from alignsim.engines.fast.marketing import calls_it_mql, in_force
from alignsim.engines.fast.state import DONE, GO, TO_SALES, TOUCH, TOUCH_WAIT, State
from alignsim.ledger import Outcome
from alignsim.units import WEEK

MARGIN = 1e-9
"""A nurture touch that falls short of the most lenient threshold by less is woken for, not
skipped: room for the rounding of a threshold moved week by week."""


@njit(cache=True, _nrt=False, inline="always")
def nurture(ld: Leads, p: Params, bk: Book, st: State, lead: int, now: float) -> tuple[int, float]:
    """LeadFlow.nurture: the lead enters nurture; its buyer's next warming is set."""
    bk.outcome[lead] = Outcome.IN_NURTURE
    warmed = st.temperature[lead] - ld.temperature[lead]
    st.warms_at[lead] = rules.next_warming(now, p.speed, ld.warming, lead, warmed)
    return TOUCH_WAIT, GO


@njit(cache=True, _nrt=False, inline="always")
def warm_to(ld: Leads, p: Params, st: State, lead: int, t: float) -> None:
    """The buyer's warmings due by time t (rules.warm)."""
    rules.warm(
        lead,
        t,
        st.temperature,
        ld.temperature,
        st.warms_at,
        st.closes,
        ld.warming,
        ld.repatience,
        p.speed,
        st.engaged,
    )


@njit(cache=True, _nrt=False, inline="always")
def nurture_touches(
    ld: Leads, p: Params, bk: Book, st: State, lead: int, now: float, week: int, week_end: float
) -> tuple[int, float]:
    """LeadFlow.nurture, top of the touch loop: the touches to come, looked at now.

    This week's touches are scored as they will be (its threshold and noise are set by the
    weeks before); a later week's against the most lenient threshold and noise the weeks in
    between can bring (the threshold falls at most a step a week once within [0, 1], where a
    bar outside it is brought at once; the noise never rises). The lead wakes (TOUCH) at the
    first touch that passes or may pass; the ones before are counted here.
    """
    sigma, bar = in_force(p, st, week)
    quietest = p.noise_floor if p.learns else p.marketing_noise
    t = now  # when the last touch counted happened
    ahead, next_week = 0, week_end  # weeks from this one to the touch's, and the start of the
    # week after the touch's (week starts are exact: whole hours)
    while bk.touches[lead] < p.touches:
        at_touch = t + p.every
        if at_touch >= p.horizon:
            return DONE, math.inf  # still in nurture at the horizon
        warm_to(ld, p, st, lead, at_touch)
        z = rules.true_score(ld.fit[lead], st.temperature[lead])
        eps = ld.eps_m[lead, bk.touches[lead] + 1]
        while at_touch >= next_week:  # int(at_touch // WEEK) - week, without fmod
            ahead += 1
            next_week += WEEK
        lowest = bar
        if p.mql_volume and ahead > 0:  # a step a week, but kept within [0, 1]
            lowest = min(bar, max(0.0, min(bar, 1.0) - p.goal_step * ahead))
        loudest = sigma if eps > 0 or ahead == 0 else quietest
        if rules.marketing_calls_it_mql(z, loudest, eps, lowest - MARGIN):
            return TOUCH, at_touch
        bk.touches[lead] += 1
        t = at_touch
    bk.outcome[lead] = Outcome.NURTURE_EXPIRED
    bk.ended[lead] = t
    return DONE, math.inf


@njit(cache=True, _nrt=False, inline="always")
def touch(
    ld: Leads, p: Params, bk: Book, st: State, lead: int, now: float, week: int
) -> tuple[int, float]:
    """LeadFlow.nurture at a touch: the buyer warms, marketing re-scores; an MQL is recycled."""
    warm_to(ld, p, st, lead, now)
    bk.touches[lead] += 1
    if calls_it_mql(ld, p, bk, st, lead, now, week):
        bk.recycles[lead] += 1
        st.engaged[lead] = now  # the buyer responded: re-engaged
        return TO_SALES, GO
    return TOUCH_WAIT, GO
