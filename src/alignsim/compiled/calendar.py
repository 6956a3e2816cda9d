"""Business-hours arithmetic compiled: `alignsim.calendar` as numba functions, for the
stream's arrivals, the plans' SLA deadlines and the fast engine.

Each function repeats, operation for operation, the `BusinessCalendar` method it is named
after, so that both engines compute bit-identical instants (a batch export, a rep's next
start, an SLA deadline). They read a calendar as plain arrays (`CalendarArrays`), because
numba cannot take the frozen dataclass. Times are float hours from Monday 00:00 of week 1.

Hand-written because the arithmetic itself is hand-written in `alignsim.calendar` (no library
does business hours on a bare float-hours axis); this module only restates it in a form numba
compiles. tests/test_engine_equality.py checks each function against the calendar, bit for
bit. They allocate nothing, so they are compiled with `_nrt=False` (see
`alignsim.engines.fast`). The fast engine compiles these functions into its own cache entry,
and numba does not notice edits made here alone: after changing this file, touch
engines/fast.py.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from alignsim.calendar import DAY, WEEK, BusinessCalendar

LAST_BEFORE_WEEK = math.nextafter(WEEK, 0.0)
"""The largest offset into a week (h) that is still inside it."""


class CalendarArrays(NamedTuple):
    """A `BusinessCalendar` as arrays: open periods of one week and their bookkeeping."""

    starts: np.ndarray
    """Start of each open period, hours since Monday 00:00 (sorted)."""
    ends: np.ndarray
    """End of each open period (h since Monday 00:00)."""
    cum: np.ndarray
    """Open hours of the week before each period starts."""
    days: np.ndarray
    """Business weekdays, 0 = Monday .. 6 = Sunday (sorted)."""
    length: float
    """Open hours of one business day (close - open)."""
    per_week: float
    """Open hours of one week."""


def calendar_arrays(calendar: BusinessCalendar) -> CalendarArrays:
    """The arrays the numba functions below read for `calendar`."""
    return CalendarArrays(
        starts=np.ascontiguousarray(calendar._starts, dtype=np.float64),
        ends=np.ascontiguousarray(calendar._ends, dtype=np.float64),
        cum=np.ascontiguousarray(calendar._cum, dtype=np.float64),
        days=np.asarray(calendar.days, dtype=np.int64),
        length=float(calendar._length),
        per_week=float(calendar.hours_per_week),
    )


@njit(cache=True, _nrt=False)
def split_week(t: float) -> tuple[float, float]:
    """(w, r) with t = 168 w + r and 0 <= r < 168, for finite t; w is a whole number."""
    w = math.floor(t / WEEK)
    r = t - w * WEEK
    if r < 0.0:
        w, r = w - 1, r + WEEK
    elif r >= WEEK:
        w, r = w + 1, r - WEEK
    return float(w), min(r, LAST_BEFORE_WEEK)


@njit(cache=True, _nrt=False)
def is_open(t: float, starts: np.ndarray, ends: np.ndarray) -> bool:
    """True if instant t (h) lies in an open period: `BusinessCalendar.is_open`."""
    if not math.isfinite(t):
        return False
    _, r = split_week(t)
    i = 0
    while i < len(starts) and not starts[i] <= r < ends[i]:
        i += 1
    return i < len(starts)


@njit(cache=True, _nrt=False)
def open_through(t: float, starts: np.ndarray, ends: np.ndarray) -> float:
    """The last instant (h) of the open period holding t (-inf when t lies in none): `is_open`
    holds at every instant from t to it, so a clock that never goes back can skip the
    calendar until then.

    Within week w, is_open compares r = t - 168 w with the period's bounds, and that
    difference is exact; the period's end 168 w + ends[i], rounded, is stepped back an ulp so
    that every instant up to it lies below the exact end.
    """
    if not math.isfinite(t):
        return -math.inf
    w, r = split_week(t)
    for i in range(len(starts)):
        if starts[i] <= r < ends[i]:
            return np.nextafter(w * WEEK + ends[i], -math.inf)
    return -math.inf


@njit(cache=True, _nrt=False)
def next_open(t: float, starts: np.ndarray, ends: np.ndarray) -> float:
    """t if open at t, else the next opening instant (h): `BusinessCalendar.next_open`."""
    if not math.isfinite(t):
        return t
    w, r = split_week(t)
    for i in range(len(starts)):
        if starts[i] <= r < ends[i]:
            return t
        if r < starts[i]:
            return w * WEEK + starts[i]
    return (w + 1) * WEEK + starts[0]


@njit(cache=True, _nrt=False)
def next_clock_time(t: float, clocks: np.ndarray, days: np.ndarray) -> float:
    """Earliest instant >= t (h) on a business day at one of `clocks` (sorted, unique hours of
    the day): `BusinessCalendar.next_clock_time`, the next batch export."""
    if not math.isfinite(t):
        return t
    day = math.floor(t / DAY)
    for d in range(day - 1, day + 9):
        business = False
        for x in days:
            if d % 7 == x:
                business = True
        if business:
            for clock in clocks:
                instant = d * DAY + clock
                if instant >= t:
                    return instant
    return math.nan  # unreachable: every week has a business day


@njit(cache=True, _nrt=False)
def add_business_hours(
    t: float,
    hours: float,
    starts: np.ndarray,
    ends: np.ndarray,
    cum: np.ndarray,
    length: float,
    per_week: float,
) -> float:
    """The instant `hours` business hours after t, for hours >= 0: one element of
    `BusinessCalendar.add_business_hours_array` (the form the SLA deadlines are computed in)."""
    if math.isnan(t) or math.isnan(hours):
        return math.nan
    if math.isinf(t) or math.isinf(hours):
        return math.inf
    n = len(starts)
    # _week_position(t)
    w = np.floor(t / WEEK)
    r = t - w * WEEK
    low = 1.0 if r < 0.0 else 0.0
    high = 1.0 if r >= WEEK else 0.0
    w = w - low + high
    r = min(r + WEEK * low - WEEK * high, LAST_BEFORE_WEEK)
    i = -1  # np.searchsorted(starts, r, side="right") - 1
    while i + 1 < n and starts[i + 1] <= r:
        i += 1
    k = max(i, 0)
    done = cum[k] + min(r - starts[k], length) if i >= 0 else 0.0
    # _next_open_array(t, w, i)
    r = t - w * WEEK
    if i >= 0 and r < ends[k]:
        first_open = t
    elif i + 1 < n:
        first_open = w * WEEK + starts[min(i + 1, n - 1)]
    else:
        first_open = (w + 1) * WEEK + starts[0]
    if hours == 0.0:
        return first_open
    total = done + hours
    weeks = np.ceil(total / per_week) - 1.0
    q = total - weeks * per_week
    low = 1.0 if q <= 0.0 else 0.0
    high = 1.0 if q > per_week else 0.0
    weeks = weeks - low + high
    q = q + per_week * low - per_week * high
    j = -1  # np.searchsorted(cum, q, side="left") - 1, clipped to [0, n - 1]
    while j + 1 < n and cum[j + 1] < q:
        j += 1
    j = min(max(j, 0), n - 1)
    s = (w + weeks) * WEEK + starts[j] + (q - cum[j])
    return max(s, first_open)


@njit(cache=True)
def add_business_hours_each(
    t: np.ndarray,
    hours: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    cum: np.ndarray,
    length: float,
    per_week: float,
) -> np.ndarray:
    """`add_business_hours` of each pair (t[i], hours[i]): the same values as
    `BusinessCalendar.add_business_hours_array(t, hours)` in one pass instead of numpy's twenty
    (a plan's SLA deadlines, one per lead)."""
    out = np.empty(len(t))
    for i in range(len(t)):
        out[i] = add_business_hours(t[i], hours[i], starts, ends, cum, length, per_week)
    return out
