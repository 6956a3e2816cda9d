"""The policy a company actually runs, read from what its reps did.

Business hours: the clock hours and weekdays in which first attempts start (2nd to 98th
percentile of the hour, days with at least a third of an average day's attempts; not read
from a column of dates without times; a span under 4 hours keeps the default close: idle
reps, not a short day). Handoff:
routing times piled at one clock time (at least 60% of routings within 5 minutes of one or
two clock times) are a batch export at those times; otherwise realtime, with the observed
routing delay. Response: the time from MQL to the first attempt, wall clock and business
hours; the SLA written for `current` is the observed P90 in business hours (what reps keep,
not a promise). Attempts: the 90th percentile of attempts among leads never reached that
are two weeks old, as `max_attempts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alignsim.calendar import BusinessCalendar
from alignsim.fit.clean import date_only
from alignsim.fit.estimates import Estimate
from alignsim.scenario import MAX_ATTEMPTS

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
BATCH_SHARE = 0.6
"""Share of routings within 5 minutes of one or two clock times that makes a batch export."""


@dataclass
class ObservedPolicy:
    """What the data says about the team and the current policy (None: not in the data)."""

    hours: dict | None = None
    handoff: dict | None = None
    first_response_h: float | None = None
    max_attempts: int | None = None
    estimates: list[Estimate] = field(default_factory=list)
    response_h: np.ndarray = field(default_factory=lambda: np.zeros(0))
    response_business_h: np.ndarray = field(default_factory=lambda: np.zeros(0))
    routed_clock: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _clock(h: float) -> str:
    h = min(max(h, 0.0), 23.99)
    return f"{int(h):02d}:{round((h % 1) * 60) % 60:02d}"


MIN_DAY_H = 4.0
"""First attempts spread over fewer hours than this show idle reps (a pile of leads cleared
each morning), not a short working day: the close stays at the default's."""


def _length(hours: dict) -> float:
    from alignsim.calendar import parse_clock

    return parse_clock(hours["close"]) - parse_clock(hours["open"])


def business_hours(first_attempt: np.ndarray) -> dict | None:
    """Open, close and days of the week from when first attempts start."""
    t = first_attempt[np.isfinite(first_attempt)]
    if len(t) < 50:
        return None
    hour = t % 24
    day = (t // 24).astype(int) % 7
    counts = np.bincount(day, minlength=7)
    days = [d for d in range(7) if counts[d] >= counts.mean() / 3]
    lo, hi = np.percentile(hour, [2, 98])
    return {
        "open": _clock(np.floor(lo)),
        "close": _clock(min(np.ceil(hi), 23.0) if np.ceil(hi) < 24 else 23.99),
        "days": [DAY_NAMES[d] for d in days],
    }


def handoff(leads: pd.DataFrame) -> tuple[dict | None, np.ndarray, list[Estimate]]:
    """Batch export at clock times, or realtime with its routing delay, from routing times."""
    if "routed" not in leads or "mql" not in leads:
        return None, np.zeros(0), []
    both = leads[leads["routed"].notna() & leads["mql"].notna()]
    if len(both) < 30:
        return None, np.zeros(0), []
    clock = (both["routed"].to_numpy(float) % 24) * 60  # minutes after midnight
    slots = np.bincount((np.round(clock / 5).astype(int)) % 288, minlength=288)
    top = np.argsort(slots)[::-1][:2]
    share = slots[top].sum() / len(clock)
    n = len(both)
    if share >= BATCH_SHARE:
        times = sorted(_clock(s * 5 / 60) for s in top if slots[s] >= 0.2 * len(clock))
        row = Estimate("policies.current.handoff", share, n=n, note=f"batch export at {times}")
        return {"mode": "batch", "times": times}, clock, [row]
    delay = (both["routed"] - both["mql"]).to_numpy(float)
    median, p90 = np.median(delay), np.percentile(delay, 90)
    row = Estimate(
        "policies.current.handoff.routing_delay",
        median,
        n=n,
        unit="h",
        note=f"realtime; P90 {p90:.2f} h",
    )
    if median <= 1 / 60 or p90 <= median * 1.05:
        value: object = f"{max(median, 0) * 60:.1f}m"
    else:
        value = {"dist": "lognormal", "median": f"{median * 60:.2f}m", "p90": f"{p90 * 60:.2f}m"}
    return {"mode": "realtime", "routing_delay": value}, clock, [row]


def observe(leads: pd.DataFrame | None, as_of: float, default_hours: dict) -> ObservedPolicy:
    """Everything the leads say about the team's hours and the current policy."""
    out = ObservedPolicy()
    if leads is None:
        return out
    if "first_attempt" in leads and not date_only(leads["first_attempt"]):
        out.hours = business_hours(leads["first_attempt"].to_numpy(float))
    if out.hours is not None and _length(out.hours) < MIN_DAY_H:
        # Reps who clear a morning pile and are idle after it: the close is not shown.
        out.hours["close"] = default_hours["close"]
        if not _length(out.hours) > 0:
            out.hours = None
    hours = out.hours or default_hours
    from alignsim.calendar import parse_clock, parse_days

    calendar = BusinessCalendar(
        parse_clock(hours["open"]), parse_clock(hours["close"]), parse_days(hours["days"])
    )
    out.handoff, out.routed_clock, rows = handoff(leads)
    out.estimates += rows
    if {"first_attempt", "mql"} <= set(leads):
        both = leads[leads["first_attempt"].notna() & leads["mql"].notna()]
        if len(both) >= 30:
            a, b = both["mql"].to_numpy(float), both["first_attempt"].to_numpy(float)
            out.response_h = b - a
            out.response_business_h = calendar.business_hours_between_array(a, b)
            p90 = float(np.percentile(out.response_business_h, 90))
            out.first_response_h = max(p90, 0.25)
            out.estimates.append(
                Estimate(
                    "policies.current.sla.first_response",
                    out.first_response_h,
                    n=len(both),
                    unit="business h",
                    note=f"observed P90; median {np.median(out.response_h):.1f} h wall clock",
                )
            )
    if "attempts" in leads and "first_attempt" in leads:
        unreached = leads["first_attempt"].notna() & (leads["created"] < as_of - 14 * 24)
        if "reached" in leads:
            unreached &= leads["reached"].isna()
        counts = leads.loc[unreached, "attempts"].dropna().to_numpy(float)
        if len(counts) >= 30:
            out.max_attempts = int(np.clip(np.round(np.percentile(counts, 90)), 1, MAX_ATTEMPTS))
            out.estimates.append(
                Estimate(
                    "policies.current.sla.max_attempts",
                    out.max_attempts,
                    n=len(counts),
                    note=f"P90 of attempts on unreached leads; mean {counts.mean():.2f}",
                )
            )
    return out
