"""Human units in scenario files: durations ("5m", "2h", "3d", "2w", "1h30m") and rates ("120/week").

Internally every duration is a float number of hours and every rate is per hour. A bare number is
refused for a duration: "5" could be minutes, hours or days, and a wrong guess is silent.
"""

from __future__ import annotations

import math
import re

WEEK = 168.0
"""Hours in a week."""

DAY = 24.0
"""Hours in a day."""

HOURS_PER = {
    "s": 1 / 3600,
    "sec": 1 / 3600,
    "m": 1 / 60,
    "min": 1 / 60,
    "h": 1.0,
    "d": 24.0,
    "w": 168.0,
}
"""Hours in one of each duration unit."""

RATE_PERIODS = {
    "hour": 1.0,
    "h": 1.0,
    "day": 24.0,
    "d": 24.0,
    "week": 168.0,
    "w": 168.0,
    "month": 52 * 168.0 / 12,
    "year": 52 * 168.0,
}
"""Hours in each period a rate may be written per. A year is 52 weeks, a month a twelfth of it."""

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(sec|min|s|m|h|d|w)")
_DURATION = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*(?:sec|min|s|m|h|d|w)\s*)+$")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*([a-z]+)\s*$")


def parse_duration(value: object) -> float:
    """Hours in a duration written like "5m", "2h", "3d", "2w" or "1h30m"."""
    if isinstance(value, str) and _DURATION.match(value):
        return sum(float(n) * HOURS_PER[u] for n, u in _PART.findall(value))
    raise ValueError(f'expected a duration like "4h", "30m" or "2d" (got {value!r})')


def format_duration(hours: float) -> str:
    """The shortest readable form of a duration in hours: 0.25 -> "15m", 36 -> "1d12h"."""
    if math.isinf(hours):
        return "never"
    minutes = round(hours * 60)
    if minutes == 0 and hours > 0:
        return f"{round(hours * 3600)}s"
    parts = []
    for unit, size in (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60), ("m", 1)):
        count, minutes = divmod(minutes, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0m"


def parse_rate(value: object) -> float:
    """Events per hour in a rate written like "120/week", "15/day" or "2.5/hour"."""
    if isinstance(value, str):
        match = _RATE.match(value.lower())
        if match and match.group(2) in RATE_PERIODS:
            return float(match.group(1)) / RATE_PERIODS[match.group(2)]
    raise ValueError(f'expected a rate like "120/week" or "20/day" (got {value!r})')


def format_money(amount: float, currency: str) -> str:
    """A sum of money as a person reads it, to 3 significant figures: 'EUR 2.95 M',
    'EUR 840 k', 'EUR 9,510', '-EUR 12.0 k'; '-' when not finite. Amounts from 10,000 on carry
    a unit (k, M, bn); below, whole units with thousands separated."""
    if not math.isfinite(amount):
        return "-"
    x = float(f"{abs(amount):.3g}")  # round first, so 999,999 reads "1.00 M", not "1000 k"
    sign = "-" if amount < 0 and x != 0 else ""
    if x < 1e4:
        return f"{sign}{currency} {x:,.0f}"
    for size, unit in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if x >= size:
            value = x / size
            decimals = max(0, 2 - math.floor(math.log10(value)))
            return f"{sign}{currency} {value:.{decimals}f} {unit}"
    raise AssertionError("unreachable: x >= 1e4")  # pragma: no cover
