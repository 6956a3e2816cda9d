"""Human units of scenario files: durations ("2h", "1h30m") and rates ("120/week")."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignsim.units import HOURS_PER, RATE_PERIODS, format_duration, parse_duration, parse_rate

# ----------------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("5m", 5 / 60),
        ("2h", 2.0),
        ("3d", 72.0),
        ("2w", 336.0),
        ("1h30m", 1.5),
        ("1d 12h", 36.0),
        ("90s", 90 / 3600),
        ("45sec", 45 / 3600),
        ("10min", 10 / 60),
        ("1.5h", 1.5),
        ("0.25d", 6.0),
        ("  4h  ", 4.0),
        ("0m", 0.0),
        ("52w", 52 * 168.0),
        ("1w2d3h4m", 168 + 48 + 3 + 4 / 60),
    ],
)
def test_parse_duration_good(text: str, hours: float) -> None:
    assert parse_duration(text) == pytest.approx(hours, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    "value",
    [
        "5",  # a bare number: minutes, hours or days?
        5,
        5.0,
        0,
        "",
        "   ",
        "h",
        "4 hours",
        "2x",
        "-1h",
        "+1h",
        "1e3h",
        ".5h",
        "1.h",
        "1h-30m",
        "1ms",
        "2 weeks",
        "forever",
        None,
        True,
        [],
        ["1h"],
        {"h": 1},
    ],
)
def test_parse_duration_bad(value: object) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(value)
    message = str(info.value)
    assert message.startswith('expected a duration like "4h", "30m" or "2d"')
    assert f"(got {value!r})" in message
    assert "\n" not in message


def test_every_duration_unit_is_accepted() -> None:
    for unit, size in HOURS_PER.items():
        assert parse_duration(f"3{unit}") == pytest.approx(3 * size)


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (0.25, "15m"),
        (36.0, "1d12h"),
        (168.0, "1w"),
        (0.0, "0m"),
        (1 / 120, "30s"),
        (math.inf, "never"),
        (8 + 2 / 60, "8h2m"),
    ],
)
def test_format_duration(hours: float, text: str) -> None:
    assert format_duration(hours) == text


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=60 * 24 * 7 * 520))
def test_format_then_parse_round_trips_whole_minutes(minutes: int) -> None:
    hours = minutes / 60
    assert parse_duration(format_duration(hours)) == pytest.approx(hours, abs=1e-9)


# --------------------------------------------------------------------------------------- rates


@pytest.mark.parametrize(
    ("text", "per_hour"),
    [
        ("120/week", 120 / 168),
        ("120/w", 120 / 168),
        ("15/day", 15 / 24),
        ("15/d", 15 / 24),
        ("2.5/hour", 2.5),
        ("2.5/h", 2.5),
        ("10 / day", 10 / 24),
        ("52/year", 52 / (52 * 168)),
        ("4/month", 4 / (52 * 168 / 12)),
        ("120/Week", 120 / 168),
        ("0/week", 0.0),
    ],
)
def test_parse_rate_good(text: str, per_hour: float) -> None:
    assert parse_rate(text) == pytest.approx(per_hour, rel=1e-12)


@pytest.mark.parametrize(
    "value",
    [
        "120",
        120,
        12.5,
        "120 per week",
        "/week",
        "120/",
        "-1/week",
        "1e2/week",
        "120/fortnight",
        "120/week/day",
        "120/2w",
        "",
        None,
        False,
        ["120/week"],
    ],
)
def test_parse_rate_bad(value: object) -> None:
    with pytest.raises(ValueError) as info:
        parse_rate(value)
    message = str(info.value)
    assert message.startswith('expected a rate like "120/week" or "20/day"')
    assert f"(got {value!r})" in message


def test_every_rate_period_is_accepted() -> None:
    for period, hours in RATE_PERIODS.items():
        assert parse_rate(f"6/{period}") == pytest.approx(6 / hours)
