"""What a scenario assumes, as rows a CFO can read: volumes, deal sizes, rates, reps and what
each policy does, each with the scenario field it comes from.

Taken from the validated scenario (nothing is parsed from the file's comments): the figure's
source and grade stay in the scenario file's comments and, for the shipped default,
docs/calibration.md; the report says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alignsim.scenario import Policy, Scenario
from alignsim.units import format_duration

__all__ = ["Assumption", "assumptions", "policy_summary"]

HOURS_PER_WEEK = 168.0


@dataclass(frozen=True)
class Assumption:
    """One assumption: what it is, its value in words, and the scenario field that sets it."""

    topic: str
    value: str
    field: str


def _number(x: float) -> str:
    """3 significant figures, thousands separated."""
    rounded = float(f"{x:.3g}")
    return f"{rounded:,.0f}" if abs(rounded) >= 100 else f"{rounded:g}"


def _clock(hour: float) -> str:
    """09:00 for 9.0."""
    minutes = round(hour * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _law(dist: Any, unit: str = "") -> str:
    """A distribution in words: 'lognormal, median 24,000, p90 60,000'."""
    data: Mapping[str, Any] = dist.model_dump() if hasattr(dist, "model_dump") else dict(dist)
    name = str(data.get("dist", ""))
    parts = []
    for key, value in data.items():
        if key in ("dist", "weight") or value is None:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            shown = format_duration(float(value)) if unit == "h" else _number(float(value))
        else:
            shown = str(value)
        parts.append(f"{key} {shown}")
    return f"{name}, {', '.join(parts)}" if parts else name


def _by_temperature(table: Any, percent: bool = True) -> str:
    """'hot 45-60%, warm 35-50%, cold 15-35%' (from fit 0 to fit 1); 'hot 50%' for a
    temperature whose chance does not depend on fit (a number instead of [low, high])."""
    out = []
    for temp in ("hot", "warm", "cold"):
        value = getattr(table, temp)
        low, high = value if isinstance(value, tuple | list) else (value, value)
        shown = [
            f"{x:.0%}" if percent else f"{x:g}" for x in ((low,) if low == high else (low, high))
        ]
        out.append(f"{temp} {'-'.join(shown)}")
    return ", ".join(out)


def policy_summary(policy: Policy) -> str:
    """What a policy does, in one line of plain words."""
    sla = policy.sla
    targets = sla.target_hours()
    if policy.queue == "sla":
        cold, warm, hot = (format_duration(float(h)) for h in targets)
        response = f"first call due within {hot} (hot), {warm} (warm), {cold} (cold)"
    else:
        response = f"no response target (reps take leads {policy.queue})"
    parts = [
        "leads handed over " + ("at once" if policy.handoff.mode == "realtime" else "in batches"),
        response,
        f"{sla.max_attempts} call attempts",
        "nurture" if policy.nurtures else "no nurture",
        f"MQL bar {policy.definition.mql_threshold:g}, sales' bar "
        f"{policy.definition.accept_threshold:g}",
    ]
    if policy.goals.sales == "quota":
        parts.append("sales on a revenue quota")
    if policy.goals.marketing == "mql_volume":
        parts.append("marketing on an MQL-volume goal")
    return "; ".join(parts)


def assumptions(scenario: Scenario) -> list[Assumption]:
    """The scenario's assumptions, market first, then the team, then each policy."""
    m = scenario.market
    rows = []
    for name, source in m.sources.items():
        at = f"market.sources.{name}"
        rows.append(
            Assumption(
                f"Leads from {name.replace('_', ' ')} ({source.owner})",
                f"{_number(source.rate * HOURS_PER_WEEK)} a week",
                f"{at}.rate",
            )
        )
        rows.append(
            Assumption(
                f"Deal size, {name.replace('_', ' ')}",
                f"{_law(source.value)} ({scenario.currency})",
                f"{at}.value",
            )
        )
    rows += [
        Assumption(
            "Buyers reached per call (fit 0 to fit 1)", _by_temperature(m.reach), "market.reach"
        ),
        Assumption("Reached buyers who qualify", _by_temperature(m.qualify), "market.qualify"),
        Assumption("Opportunities won", _by_temperature(m.win), "market.win"),
        Assumption("Sales cycle", _law(m.cycle, "h"), "market.cycle"),
        Assumption("Sales reps", f"{scenario.team.reps}", "team.reps"),
        Assumption(
            "Working hours",
            f"{_clock(scenario.team.hours.open)}-{_clock(scenario.team.hours.close)} on "
            f"{len(scenario.team.hours.days)} days a week",
            "team.hours",
        ),
    ]
    for name, policy in scenario.policies.items():
        text = policy.description or policy_summary(policy)
        rows.append(Assumption(f"Policy {name}", text, f"policies.{name}"))
        rows.append(
            Assumption(f"Policy {name}: settings", policy_summary(policy), f"policies.{name}")
        )
    return rows
