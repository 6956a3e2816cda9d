"""The fast engine's inputs: a plan as typed arrays and scalars numba compiles, and the ledger.

`Leads` (per-lead draws and hours), `Params` (the team's and policy's scalars and tables) and
`Book` (the LedgerBook's arrays, filled in place) are named tuples: numba passes them to the
compiled steps as they are.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from alignsim.compiled.calendar import calendar_arrays
from alignsim.engines.plan import Plan
from alignsim.engines.rules import feedback_learns, nurture_speed, weekly_mql_target
from alignsim.ledger import LedgerBook
from alignsim.scenario import OWNERS
from alignsim.units import WEEK


class Leads(NamedTuple):
    """Per-lead inputs: the stream's draws and the plan's hours (one row per lead)."""

    created: np.ndarray
    sales_owned: np.ndarray
    fit: np.ndarray
    temperature: np.ndarray
    value: np.ndarray
    closes: np.ndarray
    warming: np.ndarray
    repatience: np.ndarray
    reach: np.ndarray
    qualify: np.ndarray
    win: np.ndarray
    cycle: np.ndarray
    eps_m: np.ndarray
    eps_s: np.ndarray
    u_reach: np.ndarray
    u_qualify: np.ndarray
    u_win: np.ndarray
    attempt_time: np.ndarray
    qualify_time: np.ndarray
    routing_delay: np.ndarray
    response_due: np.ndarray
    attempts_allowed: np.ndarray


class Params(NamedTuple):
    """The team's and policy's scalars and small tables (hours, thresholds, switches)."""

    horizon: float
    reps: int
    discipline: int
    skip_lost: bool
    batch: bool
    clocks: np.ndarray
    spacing: float
    sla_wall_clock: bool
    sla_targets: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    cum: np.ndarray
    days: np.ndarray
    day_length: float
    week_length: float
    mql_threshold: float
    marketing_noise: float
    sales_noise: float
    accept_threshold: float
    learns: bool
    half_life: float
    noise_floor: float
    half: float
    mql_volume: bool
    weekly_target: float
    goal_step: float
    nurtures: bool
    touches: int
    max_recycles: int
    every: float
    speed: float
    nurture_not_mql: bool
    nurture_not_ready: bool
    rejected_nurture: bool
    weeks: int
    decay_weights: np.ndarray
    decay_means: np.ndarray
    buyer_starts: np.ndarray
    buyer_cum: np.ndarray
    buyer_day: float
    buyer_week: float
    checks: np.ndarray
    stops_early: bool
    cohort_start: float
    cohort_end: float


class Book(NamedTuple):
    """The LedgerBook's arrays, filled in place."""

    mql: np.ndarray
    routed: np.ndarray
    accepted: np.ndarray
    response_due: np.ndarray
    first_attempt: np.ndarray
    attempts: np.ndarray
    reached: np.ndarray
    sql: np.ndarray
    closed: np.ndarray
    ended: np.ndarray
    outcome: np.ndarray
    revenue: np.ndarray
    rep_hours: np.ndarray
    recycles: np.ndarray
    touches: np.ndarray


def _frozen(a: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    """A read-only, contiguous view (or copy) of `a` as `dtype`.

    Every input reaches numba read-only, so its type, hence the compiled code, never depends
    on whether a caller's array happened to be writeable (plans share read-only columns).
    """
    view = np.ascontiguousarray(a, dtype=dtype).view()
    view.flags.writeable = False
    return view


def leads(plan: Plan) -> Leads:
    """The stream's and plan's per-lead arrays, read-only."""
    s = plan.stream
    return Leads(
        created=_frozen(s.created),
        sales_owned=_frozen(s.owner == OWNERS.index("sales"), np.bool_),
        fit=_frozen(s.fit),
        temperature=_frozen(s.temperature, np.int8),
        value=_frozen(s.value),
        closes=_frozen(s.created + s.patience),
        warming=_frozen(s.warming),
        repatience=_frozen(s.repatience),
        reach=_frozen(s.reach),
        qualify=_frozen(s.qualify),
        win=_frozen(s.win),
        cycle=_frozen(s.cycle),
        eps_m=_frozen(s.eps_m),
        eps_s=_frozen(s.eps_s),
        u_reach=_frozen(s.u_reach),
        u_qualify=_frozen(s.u_qualify),
        u_win=_frozen(s.u_win),
        attempt_time=_frozen(plan.attempt_time),
        qualify_time=_frozen(plan.qualify_time),
        routing_delay=_frozen(plan.routing_delay),
        response_due=_frozen(plan.response_due),
        attempts_allowed=_frozen(plan.attempts_allowed, np.int32),
    )


def params(plan: Plan) -> Params:
    """The team's and policy's scalars and tables for the compiled steps."""
    policy, team = plan.policy, plan.team
    d, goals, feedback, nurture = policy.definition, policy.goals, policy.feedback, policy.nurture
    cal = calendar_arrays(plan.calendar)
    buyers = plan.buyer_clock()
    learns = feedback is not None and feedback_learns(
        feedback.enabled, feedback.floor, d.marketing_noise
    )
    return Params(
        horizon=float(plan.horizon),
        reps=int(team.reps),
        discipline=int(plan.discipline),
        skip_lost=bool(team.skip_lost_leads),
        batch=policy.handoff.mode == "batch",
        clocks=np.array(sorted({float(c) for c in policy.handoff.times})),
        spacing=float(policy.sla.attempt_spacing),
        sla_wall_clock=policy.sla.measured_in == "wall_clock",
        sla_targets=_frozen(policy.sla.target_hours()),
        starts=cal.starts,
        ends=cal.ends,
        cum=cal.cum,
        days=cal.days,
        day_length=cal.length,
        week_length=cal.per_week,
        mql_threshold=float(d.mql_threshold),
        marketing_noise=float(d.marketing_noise),
        sales_noise=float(d.sales_noise),
        accept_threshold=float(d.accept_threshold),
        learns=bool(learns),
        half_life=float(feedback.half_life) if feedback is not None else 1.0,
        noise_floor=float(feedback.floor) if feedback is not None else 0.0,
        half=0.5,
        mql_volume=goals.marketing == "mql_volume",
        weekly_target=weekly_mql_target(goals.mql_target) if goals.mql_target else 0.0,
        goal_step=float(goals.step),
        nurtures=bool(policy.nurtures),
        touches=int(nurture.touches) if nurture is not None else 0,
        max_recycles=int(nurture.max_recycles) if nurture is not None else 0,
        every=float(nurture.every) if nurture is not None else 1.0,
        speed=nurture_speed(nurture.lift) if nurture is not None else 1.0,
        nurture_not_mql=bool(nurture is not None and nurture.not_mql),
        nurture_not_ready=bool(nurture is not None and nurture.not_ready),
        rejected_nurture=policy.rejected == "nurture",
        weeks=int(plan.horizon // WEEK) + 2,
        decay_weights=_frozen(plan.decay_weights),
        decay_means=_frozen(plan.decay_means),
        buyer_starts=_frozen(buyers.starts),
        buyer_cum=_frozen(buyers.cum),
        buyer_day=buyers.length,
        buyer_week=buyers.per_week,
        checks=_frozen(plan.checks),
        stops_early=bool(plan.until_cohort_resolved),
        cohort_start=float(plan.stream.window[0]),
        cohort_end=float(plan.stream.window[1]),
    )


def book(ledger: LedgerBook) -> Book:
    """The ledger's arrays, which the steps fill in place."""
    return Book(**{name: getattr(ledger, name) for name in Book._fields})


# ---------------------------------------------------------------------------- binary heaps
