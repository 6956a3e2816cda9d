"""What a team and a policy make of a lead stream: the numbers every engine reads.

The stream stores uniforms and standard normals; the team's and policy's laws turn them into
hours and scores here, vectorised, once. Both engines read the same plan, so they cannot
disagree about a draw, only about the dynamics, which the equality tests check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alignsim.calendar import BusinessCalendar
from alignsim.compiled.calendar import CalendarArrays, calendar_arrays
from alignsim.distributions import DurationDist
from alignsim.scenario import DISCIPLINES, OWNERS, Market, Policy, Team
from alignsim.stream import LeadStream, block_widths


@dataclass(frozen=True, eq=False)
class Plan:
    """One policy's view of one stream (times in hours)."""

    stream: LeadStream
    team: Team
    policy: Policy
    horizon: float
    calendar: BusinessCalendar
    attempt_time: np.ndarray
    """Rep hours of each attempt (leads x attempts the stream holds, at least the policy's)."""
    qualify_time: np.ndarray
    """Rep hours of each qualification call (leads x routings the stream holds)."""
    routing_delay: np.ndarray
    """Realtime handoff: hours from MQL to sales, per routing (leads x routings)."""
    response_due: np.ndarray
    """When the SLA's first response falls due for a lead scored or routed at creation (h)."""
    discipline: int
    """Index of the queue discipline in DISCIPLINES (a sales quota makes it cherry-pick)."""
    attempts_allowed: np.ndarray
    """Contact attempts each routing of a lead gets (a quota gives small marketing leads one)."""
    decay_weights: np.ndarray
    """The market's contact decay D(t) = sum weights exp(-t / means) (MODEL.md 6.1): its
    weights (empty: no decay) ..."""
    decay_means: np.ndarray
    """... and its means (hours; inf for the floor)."""
    buyer_calendar: BusinessCalendar | None
    """When buyers are at work (`market.buyer_hours`): the contact decay's clock; None: the
    wall clock (every hour counts)."""
    checks: np.ndarray
    """Clock hours (sorted) at which reps look at the inbound queue on business days; empty
    when they see every lead at once (no `team.inbound_checks`, or the policy's alerts)."""
    until_cohort_resolved: bool = False
    """Stop once every lead of the cohort (the stream's window) is done: the cohort's ledger
    rows are then final (an opportunity's outcome is decided when it opens), the other leads'
    rows are left where they stand. For figures of the cohort only (every per-year figure);
    the simpy engine plays on to the end, which changes none of the cohort's rows."""

    @property
    def reps(self) -> int:
        return self.team.reps

    def buyer_clock(self) -> CalendarArrays:
        """The contact decay's clock as the compiled calendar's arrays (rules.decay_age):
        the buyers' working hours, or empty arrays for the wall clock."""
        if self.buyer_calendar is None:
            empty = np.zeros(0)
            return CalendarArrays(empty, empty, empty, np.zeros(0, dtype=np.int64), 0.0, 0.0)
        return calendar_arrays(self.buyer_calendar)


def make_plan(
    stream: LeadStream,
    team: Team,
    policy: Policy,
    horizon: float | None = None,
    *,
    market: Market | None = None,
    until_cohort_resolved: bool = False,
) -> Plan:
    """Turn a stream's draws into this team's and policy's hours and scores; the market's
    contact decay (none without a market) goes along as arrays for the compiled rule.
    until_cohort_resolved: see `Plan.until_cohort_resolved`."""
    needs = block_widths(policy)
    has = (stream.max_attempts, stream.max_routings, stream.max_scorings)
    if any(n > h for n, h in zip(needs, has, strict=True)):
        raise ValueError(
            f"the stream has draws for {has} (attempts, routings, scorings), the policy needs "
            f"{needs}: sample the stream from the same scenario"
        )
    allowed = np.full(len(stream), policy.sla.max_attempts, dtype=np.int64)
    if policy.goals.sales == "quota":
        small = (stream.owner == OWNERS.index("marketing")) & (
            stream.value < policy.goals.min_value
        )
        allowed[small] = 1
    weights, means = (np.zeros(0), np.zeros(0)) if market is None else market.decay_terms()
    return Plan(
        stream=stream,
        team=team,
        policy=policy,
        horizon=stream.horizon if horizon is None else float(horizon),
        calendar=team.hours.calendar,
        attempt_time=_hours(stream, "u_attempt_time", team.attempt_time),
        qualify_time=_hours(stream, "u_qualify_time", team.qualify_time),
        routing_delay=policy.handoff.routing_delay.from_uniform(stream.u_routing),
        response_due=response_due(policy, team.hours.calendar, stream.created, stream.temperature),
        discipline=DISCIPLINES.index(policy.discipline),
        attempts_allowed=allowed,
        decay_weights=weights,
        decay_means=means,
        buyer_calendar=None
        if market is None or market.buyer_hours is None
        else market.buyer_hours.calendar,
        checks=inbound_checks(team, policy),
        until_cohort_resolved=until_cohort_resolved,
    )


def inbound_checks(team: Team, policy: Policy) -> np.ndarray:
    """The clock hours reps look at the inbound queue (MODEL.md 6.2), sorted and unique; none
    when looks are continuous (no checks) or alerts make every routing a look."""
    if team.inbound_checks is None or policy.alerts:
        return np.zeros(0)
    return np.array(sorted({float(c) for c in team.inbound_checks}))


def _hours(stream: LeadStream, field: str, law: DurationDist) -> np.ndarray:
    """A team's durations for every column of a stream's uniforms (leads x the stream's width).

    Inverting a distribution is most of the cost of a plan, and every policy of a run plays the
    same stream, so the result is kept on the stream, keyed by the law. A policy that needs
    fewer columns than the stream holds reads only its first ones.
    """
    key = (field, law.model_dump_json())
    cached = stream.cache.get(key)
    if cached is None:
        cached = law.from_uniform(getattr(stream, field))
        cached.flags.writeable = False
        stream.cache[key] = cached
    return cached


def response_due(
    policy: Policy, calendar: BusinessCalendar, start: np.ndarray, temperature: np.ndarray
) -> np.ndarray:
    """When a first response falls due for leads that became MQLs (or sales' own) at `start`:
    `alignsim.engines.rules.response_due` of each lead."""
    from alignsim.compiled.calendar import calendar_arrays
    from alignsim.engines.rules import response_due_each

    cal = calendar_arrays(calendar)
    return response_due_each(
        np.ascontiguousarray(start, dtype=float),
        np.ascontiguousarray(temperature, dtype=np.int64),
        np.ascontiguousarray(policy.sla.target_hours(), dtype=float),
        policy.sla.measured_in == "wall_clock",
        cal.starts,
        cal.ends,
        cal.cum,
        cal.length,
        cal.per_week,
    )
