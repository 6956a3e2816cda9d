"""What a team and a policy make of a lead stream: the numbers every engine reads.

The stream stores uniforms and standard normals; the team's and policy's laws turn them into
hours and scores here, vectorised, once. Both engines read the same plan, so they cannot
disagree about a draw, only about the dynamics, which the equality tests check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alignsim.calendar import BusinessCalendar
from alignsim.scenario import DISCIPLINES, READINESS, Policy, Team
from alignsim.stream import LeadStream


@dataclass(frozen=True, eq=False)
class Plan:
    """One policy's view of one stream (times in hours)."""

    stream: LeadStream
    team: Team
    policy: Policy
    horizon: float
    calendar: BusinessCalendar
    true_score: np.ndarray
    """z = 0.5 fit + 0.5 readiness at creation, per lead."""
    attempt_time: np.ndarray
    """Rep hours of each attempt (leads x attempts)."""
    qualify_time: np.ndarray
    """Rep hours of each qualification call (leads x routings)."""
    response_due: np.ndarray
    """When the SLA's first response falls due for a lead scored or routed at creation (h)."""
    discipline: int
    """Index of the queue discipline in DISCIPLINES."""

    @property
    def reps(self) -> int:
        return self.team.reps


def make_plan(stream: LeadStream, team: Team, policy: Policy, horizon: float | None = None) -> Plan:
    """Turn a stream's draws into this team's and policy's hours and scores."""
    if policy.sla.max_attempts > stream.max_attempts:
        raise ValueError(
            f"the stream has draws for {stream.max_attempts} attempts, the policy asks for "
            f"{policy.sla.max_attempts}: sample the stream from the same scenario"
        )
    return Plan(
        stream=stream,
        team=team,
        policy=policy,
        horizon=stream.horizon if horizon is None else float(horizon),
        calendar=team.hours.calendar,
        true_score=0.5 * stream.fit + 0.5 * READINESS[stream.temperature],
        attempt_time=team.attempt_time.from_uniform(stream.u_attempt_time),
        qualify_time=team.qualify_time.from_uniform(stream.u_qualify_time),
        response_due=response_due(policy, team.hours.calendar, stream.created, stream.temperature),
        discipline=DISCIPLINES.index(policy.queue),
    )


def response_due(
    policy: Policy, calendar: BusinessCalendar, start: np.ndarray, temperature: np.ndarray
) -> np.ndarray:
    """When a first response falls due for leads that became MQLs (or sales' own) at `start`."""
    target = policy.sla.target_hours()[temperature]
    if policy.sla.measured_in == "wall_clock":
        return start + target
    return calendar.add_business_hours_array(start, target)
