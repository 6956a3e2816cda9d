"""Business-hours arithmetic: hand-checked edges, then properties over random calendars."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from alignsim.calendar import DAY_NAMES, BusinessCalendar, parse_clock, parse_days
from alignsim.units import WEEK

MON, TUE, FRI, SAT, SUN = 0.0, 24.0, 96.0, 120.0, 144.0
"""Midnight starting each weekday of week 1, in hours."""

OFFICE = BusinessCalendar()
"""Mon-Fri 09:00-17:00, 40 hours a week."""

WEEKEND = BusinessCalendar(open=0.0, close=24.0, days=(5, 6))
"""Open all of Saturday and Sunday only."""

ALWAYS = BusinessCalendar.always()


# ------------------------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("text", "hours"),
    [("09:00", 9.0), ("17:30", 17.5), ("00:00", 0.0), ("24:00", 24.0), ("9:15", 9.25)],
)
def test_parse_clock(text: str, hours: float) -> None:
    assert parse_clock(text) == hours


@pytest.mark.parametrize("text", ["9am", "24:30", "25:00", "09:60", "09", "", "9:5", "-1:00"])
def test_parse_clock_errors(text: str) -> None:
    with pytest.raises(ValueError, match=r'expected a clock time like "09:00" \(got "'):
        parse_clock(text)


def test_parse_clock_error_message_quotes_input() -> None:
    with pytest.raises(ValueError) as info:
        parse_clock("9am")
    assert str(info.value) == 'expected a clock time like "09:00" (got "9am")'


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Mon-Fri", (0, 1, 2, 3, 4)),
        ("Mon-Sun", (0, 1, 2, 3, 4, 5, 6)),
        ("Sat,Sun", (5, 6)),
        (["Sat", "Sun"], (5, 6)),
        ("Fri-Mon", (0, 4, 5, 6)),
        ("mon, WED", (0, 2)),
        ("Wed", (2,)),
        (["Sun", "Mon-Tue", "Mon"], (0, 1, 6)),
    ],
)
def test_parse_days(text: str | list[str], days: tuple[int, ...]) -> None:
    assert parse_days(text) == days


@pytest.mark.parametrize("text", ["", "Monday", "Mon-", "Mon-Fri-Sun", "Mon;Tue", [], ["Xyz"], 3])
def test_parse_days_errors(text: object) -> None:
    with pytest.raises(ValueError, match=r'expected days like "Mon-Fri" or \["Mon", "Wed"\]'):
        parse_days(text)  # type: ignore[arg-type]


def test_day_names_match_parse_days() -> None:
    assert [parse_days(name) for name in DAY_NAMES] == [(d,) for d in range(7)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"open": 17.0, "close": 9.0}, "0 <= open < close <= 24"),
        ({"open": 9.0, "close": 9.0}, "0 <= open < close <= 24"),
        ({"open": -1.0}, "0 <= open < close <= 24"),
        ({"close": 25.0}, "0 <= open < close <= 24"),
        ({"open": math.nan}, "0 <= open < close <= 24"),
        ({"open": "09:00"}, "open must be an hour of the day"),
        ({"days": ()}, "days must be a non-empty list"),
        ({"days": (7,)}, "days must be a non-empty list"),
        ({"days": "Mon-Fri"}, "use parse_days"),
    ],
)
def test_calendar_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        BusinessCalendar(**kwargs)  # type: ignore[arg-type]


def test_calendar_normalises_days_and_properties() -> None:
    calendar = BusinessCalendar(open=8, close=12.5, days=[3, 1, 1])  # type: ignore[arg-type]
    assert calendar.days == (1, 3)
    assert calendar == BusinessCalendar(open=8.0, close=12.5, days=(1, 3))
    assert calendar.hours_per_week == 9.0
    assert OFFICE.hours_per_week == 40.0
    assert ALWAYS.hours_per_week == WEEK
    assert ALWAYS.always_open and not OFFICE.always_open and not WEEKEND.always_open


# ------------------------------------------------------------------------- scalar edge cases


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (MON + 9.0, True),  # opening instant is open
        (MON + 17.0, False),  # closing instant is closed
        (MON + 16.999, True),
        (MON + 8.999, False),
        (TUE, False),  # midnight
        (FRI + 16.5, True),
        (SAT + 12.0, False),
        (WEEK, False),  # next Monday 00:00
        (WEEK + 9.0, True),
        (10 * WEEK + 4 * 24 + 12.0, True),  # a Friday noon, ten weeks on
        (-WEEK + 9.0, True),  # the Monday before t = 0
        (math.inf, False),
        (math.nan, False),
    ],
)
def test_is_open(t: float, expected: bool) -> None:
    assert OFFICE.is_open(t) is expected


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (MON + 9.0, MON + 9.0),
        (MON + 10.25, MON + 10.25),
        (MON + 17.0, TUE + 9.0),
        (TUE, TUE + 9.0),
        (FRI + 17.0, WEEK + 9.0),
        (SAT + 3.0, WEEK + 9.0),  # lead created Saturday
        (WEEK, WEEK + 9.0),
        (math.inf, math.inf),
    ],
)
def test_next_open(t: float, expected: float) -> None:
    assert OFFICE.next_open(t) == expected


def test_next_close() -> None:
    assert OFFICE.next_close(MON + 10.0) == MON + 17.0
    assert OFFICE.next_close(MON + 9.0) == MON + 17.0
    assert OFFICE.next_close(MON + 17.0) == TUE + 17.0
    assert OFFICE.next_close(FRI + 18.0) == WEEK + 17.0
    assert OFFICE.next_close(SAT) == WEEK + 17.0
    # Touching days form one stretch, also across the week boundary.
    assert WEEKEND.next_close(MON + 10.0) == WEEK
    assert WEEKEND.next_close(SAT + 5.0) == WEEK
    wrap = BusinessCalendar(open=0.0, close=24.0, days=(0, 6))
    assert wrap.next_close(SUN + 12.0) == WEEK + 24.0
    assert wrap.next_close(TUE) == WEEK + 24.0
    assert ALWAYS.next_close(5.0) == math.inf


@pytest.mark.parametrize(
    ("a", "b", "hours"),
    [
        (MON + 9.0, MON + 17.0, 8.0),
        (MON, TUE, 8.0),
        (MON + 17.0, TUE + 9.0, 0.0),  # overnight gap
        (FRI + 16.5, WEEK + 9.5, 1.0),  # across the weekend
        (SAT + 1.0, SUN + 23.0, 0.0),  # lead created Saturday, still weekend
        (SAT + 1.0, WEEK + 10.0, 1.0),
        (0.0, WEEK, 40.0),
        (MON + 12.0, 3 * WEEK + 12.0, 120.0),  # multi-week span
        (MON + 12.0, 3 * WEEK + TUE + 10.0, 120.0 + 5.0 + 1.0),
        (TUE + 10.0, TUE + 10.0, 0.0),
        (TUE + 12.0, TUE + 10.0, 0.0),  # b < a
        (MON + 10.0, math.inf, math.inf),
    ],
)
def test_business_hours_between(a: float, b: float, hours: float) -> None:
    assert OFFICE.business_hours_between(a, b) == hours
    assert OFFICE.business_hours_between_array(np.array([a]), np.array([b]))[0] == hours


@pytest.mark.parametrize(
    ("t", "hours", "expected"),
    [
        (FRI + 16.5, 1.0, WEEK + 9.5),  # Friday evening: lands Monday 09:30
        (FRI + 16.5, 0.5, FRI + 17.0),  # exactly used up at closing: earliest instant
        (FRI + 16.5, 0.0, FRI + 16.5),
        (FRI + 18.0, 0.0, WEEK + 9.0),  # zero hours from a closed instant: next opening
        (SAT + 10.0, 2.0, WEEK + 11.0),  # lead created Saturday
        (MON + 9.0, 8.0, MON + 17.0),
        (MON + 9.0, 8.25, TUE + 9.25),
        (MON + 17.0, 0.25, TUE + 9.25),
        (TUE, 1.0, TUE + 10.0),  # midnight
        (WEEK, 40.0, WEEK + FRI + 17.0),
        (MON + 9.0, 40.0, FRI + 17.0),
        (MON + 9.0, 120.0, 2 * WEEK + FRI + 17.0),  # multi-week: 3 whole weeks
        (MON + 10.0, 121.0, 3 * WEEK + 11.0),
        (MON + 10.0, math.inf, math.inf),
        (math.inf, 3.0, math.inf),
    ],
)
def test_add_business_hours(t: float, hours: float, expected: float) -> None:
    assert OFFICE.add_business_hours(t, hours) == expected
    assert OFFICE.add_business_hours_array(t, np.array([hours]))[0] == expected


def test_add_business_hours_rejects_negative() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        OFFICE.add_business_hours(10.0, -1.0)
    with pytest.raises(ValueError, match=">= 0"):
        OFFICE.add_business_hours_array(10.0, np.array([1.0, -1.0]))


def test_always_open_is_wall_clock() -> None:
    times = [0.0, 3.25, 24.0, 100.5, WEEK, 1234.75]
    for t in times:
        assert ALWAYS.is_open(t)
        assert ALWAYS.next_open(t) == t
        assert ALWAYS.add_business_hours(t, 17.5) == t + 17.5
        assert ALWAYS.business_hours_between(t, t + 300.25) == 300.25
    offsets = np.array([0.0, 0.5, 167.75, 168.0, 1000.25])
    np.testing.assert_array_equal(ALWAYS.add_business_hours_array(0.0, offsets), offsets)
    np.testing.assert_array_equal(ALWAYS.business_hours_between_array(0.0, offsets), offsets)


def test_weekend_only_calendar() -> None:
    assert not WEEKEND.is_open(FRI + 23.0)
    assert WEEKEND.is_open(SAT)
    assert WEEKEND.is_open(SUN + 23.5)
    assert not WEEKEND.is_open(WEEK)
    assert WEEKEND.next_open(MON + 9.0) == SAT
    assert WEEKEND.business_hours_between(0.0, WEEK) == 48.0
    assert WEEKEND.business_hours_between(FRI + 12.0, WEEK + 12.0) == 48.0
    assert WEEKEND.add_business_hours(MON + 9.0, 30.0) == SUN + 6.0
    assert WEEKEND.add_business_hours(SUN + 20.0, 5.0) == WEEK + SAT + 1.0
    assert WEEKEND.add_business_hours(SAT, 48.0) == WEEK


def test_map_business_axis_to_wall_clock() -> None:
    offsets = np.array([0.0, 0.5, 8.0, 8.5, 40.0, 40.5, 80.0])
    expected = np.array([9.0, 9.5, 17.0, TUE + 9.5, FRI + 17.0, WEEK + 9.5, WEEK + FRI + 17.0])
    np.testing.assert_array_equal(OFFICE.add_business_hours_array(0.0, offsets), expected)


def test_array_non_finite_inputs() -> None:
    a = np.array([np.nan, 10.0, 10.0, 10.0])
    b = np.array([20.0, np.nan, np.inf, 5.0])
    out = OFFICE.business_hours_between_array(a, b)
    assert np.isnan(out[0]) and np.isnan(out[1])
    assert out[2] == np.inf and out[3] == 0.0
    added = OFFICE.add_business_hours_array(np.array([np.nan, 10.0, np.inf]), np.array(1.0))
    assert np.isnan(added[0]) and added[1] == 11.0 and added[2] == np.inf
    added = OFFICE.add_business_hours_array(10.0, np.array([np.nan, np.inf]))
    assert np.isnan(added[0]) and added[1] == np.inf


# ------------------------------------------------------------------------- batch export times


@pytest.mark.parametrize(
    ("t", "clocks", "expected"),
    [
        (MON + 17.0, [17.0], MON + 17.0),  # ready at 17:00 exactly: goes in that export
        (MON + 16.0, [17.0], MON + 17.0),
        (FRI + 17.0 + 1 / 60, [17.0], WEEK + 17.0),  # Fri 17:01 -> next Monday 17:00
        (SAT + 9.0, [17.0], WEEK + 17.0),  # lead created Saturday
        (WEEK, [17.0], WEEK + 17.0),  # midnight Monday
        (MON + 8.0, [12.0, 17.0], MON + 12.0),  # twice a day
        (MON + 12.5, [17.0, 12.0], MON + 17.0),
        (MON + 17.5, [12.0, 17.0], TUE + 12.0),
        (FRI + 17.5, [12.0, 17.0], WEEK + 12.0),
        (FRI + 17.5, [18.0], FRI + 18.0),  # export outside open hours is fine
        (FRI + 23.0, [0.0], WEEK),  # a midnight export: only Mon-Fri midnights count
        (math.inf, [17.0], math.inf),
    ],
)
def test_next_clock_time(t: float, clocks: list[float], expected: float) -> None:
    assert OFFICE.next_clock_time(t, clocks) == expected


def test_next_clock_time_weekend_calendar_and_errors() -> None:
    assert WEEKEND.next_clock_time(MON + 10.0, [17.0]) == SAT + 17.0
    assert WEEKEND.next_clock_time(SUN + 17.5, [17.0]) == WEEK + SAT + 17.0
    for clocks in ([], [24.0], [-1.0]):
        with pytest.raises(ValueError, match=r"clock hours must be"):
            OFFICE.next_clock_time(10.0, clocks)


# --------------------------------------------------------------------------------- properties

QUARTERS = st.integers(0, 95).map(lambda k: k / 4)


@st.composite
def calendars(draw: st.DrawFn, exact: bool = False) -> BusinessCalendar:
    """Random calendars; with exact=True, open and close are on a quarter-hour grid."""
    if exact or draw(st.booleans()):
        open_ = draw(QUARTERS)
        close = draw(st.integers(int(open_ * 4) + 1, 96)) / 4
    else:
        # At a resolution of 1e-9 h: an opening of 1e-172 h makes close - open round to close,
        # a day longer than its float ends, which only the reference's exact arithmetic sees.
        open_ = round(draw(st.floats(0.0, 23.0)), 9)
        close = round(draw(st.floats(open_ + 0.01, 24.0)), 9)
    days = draw(st.sets(st.integers(0, 6), min_size=1))
    return BusinessCalendar(open=open_, close=close, days=tuple(days))


TIMES = st.floats(0.0, 2000.0).map(lambda t: math.floor(t * 2**30) / 2**30)
"""Instants on a grid of 2**-30 h (3.4 microseconds), as clock times are drawn at 1e-9 h: an
instant of 1e-38 h after an opening puts the exact answer (the next opening, plus 1e-38 h)
where float addition cannot see it (t + h rounds onto the closing)."""
HOURS = st.floats(0.0, 500.0)
GRID_TIMES = st.integers(0, 2000 * 16).map(lambda k: k / 16)
GRID_HOURS = st.integers(0, 500 * 16).map(lambda k: k / 16)


# An independent reference, in exact rational arithmetic over the calendar's own floats:
# F(t) = open hours in [0, t), by walking the days of t's week; the earliest instant with a
# given F by walking forward period by period.


def reference_open_hours(calendar: BusinessCalendar, t: float | Fraction) -> Fraction:
    """F(t), exactly: open hours from Monday 00:00 of week 1 to t."""
    t_ = Fraction(t)
    week = math.floor(t_ / 168)
    offset = t_ - 168 * week
    open_, close = Fraction(calendar.open), Fraction(calendar.close)
    total = week * len(calendar.days) * (close - open_)
    for day in calendar.days:
        start = 24 * day + open_
        total += min(max(offset - start, Fraction(0)), close - open_)
    return total


def reference_add(calendar: BusinessCalendar, t: float, hours: float) -> Fraction:
    """The earliest instant s >= t with F(s) - F(t) = hours, exactly (hours > 0)."""
    target = reference_open_hours(calendar, t) + Fraction(hours)
    per_week = len(calendar.days) * (Fraction(calendar.close) - Fraction(calendar.open))
    week = max(math.floor(target / per_week) - 1, math.floor(Fraction(t) / 168) - 1)
    while True:
        for day in calendar.days:
            start = 168 * week + 24 * day + Fraction(calendar.open)
            end = 168 * week + 24 * day + Fraction(calendar.close)
            before = reference_open_hours(calendar, start)  # (a float of start adds its rounding)
            if end > Fraction(t) and before + (end - start) >= target:
                return max(start + (target - before), Fraction(t))
        week += 1


def reference_is_open(calendar: BusinessCalendar, t: float) -> bool:
    t_ = Fraction(t)
    offset = t_ - 168 * math.floor(t_ / 168)
    return any(
        24 * d + Fraction(calendar.open) <= offset < 24 * d + Fraction(calendar.close)
        for d in calendar.days
    )


TOLERANCE = 1e-9
"""Hours: a few ulps of the largest instants drawn (below 2e6 h)."""


@settings(max_examples=60, deadline=None)
@given(calendars(), TIMES, HOURS)
@example(BusinessCalendar(open=0.0, close=0.01, days=(0,)), 0.0, 1.0)
@example(BusinessCalendar(open=4.8, close=4.81, days=(0,)), 0.0, 2.0)
def test_add_is_the_earliest_instant(calendar: BusinessCalendar, t: float, h: float) -> None:
    # The first example: 100 weeks of 0.01 open hours; rounding once put the answer on the
    # opening 168 hours after the closing that already held the 1.0 business hours (16800 for
    # 16632.01). The second: 200 weeks of 4.81 - 4.8 (a hair under 0.01) hours fall short of 2.0,
    # so the answer is week 200's opening; the reference, measuring the hours before week 199's
    # opening at that opening rounded to a float (2.9e-12 h inside it), once said its closing.
    s = calendar.add_business_hours(t, h)
    assert s >= t
    if h > 0:
        assert float(reference_add(calendar, t, h)) == pytest.approx(s, abs=TOLERANCE, rel=1e-12)
    else:
        assert s == calendar.next_open(t)
    assert calendar.business_hours_between(t, s) == pytest.approx(h, abs=TOLERANCE)


@settings(max_examples=60, deadline=None)
@given(calendars(exact=True), GRID_TIMES, GRID_HOURS)
def test_add_is_exact_on_the_grid(calendar: BusinessCalendar, t: float, h: float) -> None:
    s = calendar.add_business_hours(t, h)
    if h > 0:
        assert Fraction(s) == reference_add(calendar, t, h)
    assert calendar.add_business_hours_array(np.array([t]), np.array([h]))[0] == s


@settings(max_examples=60, deadline=None)
@given(calendars(), st.lists(TIMES, min_size=2, max_size=2))
def test_between_is_the_reference(calendar: BusinessCalendar, points: list[float]) -> None:
    a, b = sorted(points)
    exact = reference_open_hours(calendar, b) - reference_open_hours(calendar, a)
    assert calendar.business_hours_between(a, b) == pytest.approx(float(exact), abs=TOLERANCE)
    assert calendar.business_hours_between(b, a) == 0.0 or a == b
    array = calendar.business_hours_between_array(np.array([a, b]), np.array([b, a]))
    assert array[0] == pytest.approx(float(exact), abs=TOLERANCE) and array[1] == 0.0


@settings(max_examples=60, deadline=None)
@given(calendars(exact=True), GRID_TIMES, GRID_TIMES)
def test_between_is_exact_on_the_grid(calendar: BusinessCalendar, a: float, b: float) -> None:
    exact = reference_open_hours(calendar, b) - reference_open_hours(calendar, a)
    assert Fraction(calendar.business_hours_between(a, b)) == max(exact, Fraction(0))


@settings(max_examples=60, deadline=None)
@given(calendars(), st.one_of(TIMES, GRID_TIMES))
def test_open_and_next_open_are_the_reference(calendar: BusinessCalendar, t: float) -> None:
    assert calendar.is_open(t) == reference_is_open(calendar, t)
    opens = calendar.next_open(t)
    assert opens >= t and calendar.is_open(opens)
    # Otherwise the first instant of the next period: closed an ulp before, at its start
    # (up to the rounding of 168 w + start).
    week = math.floor(t / 168)
    starts = [168 * w + 24 * d + calendar.open for w in (week, week + 1) for d in calendar.days]
    if opens != t:
        assert not calendar.is_open(math.nextafter(opens, -math.inf))
        assert opens == pytest.approx(min(s for s in starts if s > t), abs=TOLERANCE)
    if not calendar.always_open:
        close = calendar.next_close(t)
        assert close > opens and not calendar.is_open(close)


@settings(max_examples=60, deadline=None)
@given(calendars(), TIMES, st.sets(QUARTERS, min_size=1, max_size=3))
def test_next_clock_time_is_the_first_export(
    calendar: BusinessCalendar, t: float, clocks: set[float]
) -> None:
    export = calendar.next_clock_time(t, sorted(clocks))
    day = math.floor(t / 24)
    candidates = [24 * d + c for d in range(day, day + 8) if d % 7 in calendar.days for c in clocks]
    assert export == min(c for c in candidates if c >= t)


def test_array_versions_on_a_large_input() -> None:
    rng = np.random.default_rng(7)
    a = rng.uniform(0.0, 5000.0, 50_000)
    b = a + rng.exponential(50.0, a.size)
    h = rng.uniform(0.0, 300.0, a.size)
    between = OFFICE.business_hours_between_array(a, b)
    added = OFFICE.add_business_hours_array(a, h)
    np.testing.assert_allclose(OFFICE.business_hours_between_array(a, added), h, atol=1e-9)
    for k in rng.choice(a.size, 200, replace=False):
        assert added[k] == OFFICE.add_business_hours(a[k], h[k])
        assert between[k] == pytest.approx(
            float(reference_open_hours(OFFICE, b[k]) - reference_open_hours(OFFICE, a[k])),
            abs=TOLERANCE,
        )
