"""Business-hours arithmetic, compiled: the one implementation behind `BusinessCalendar`'s
methods, the stream's arrivals, the plans' SLA deadlines and the fast engine.

Times are float hours from Monday 00:00 of week 1; a calendar is read as plain arrays
(`CalendarArrays`), because numba cannot take the frozen dataclass. `alignsim.calendar` parses
calendars and calls these functions from its methods (importing this module inside them, so that
loading a scenario loads no numba); both engines therefore compute bit-identical instants (a
batch export, a rep's next start, an SLA deadline).

Method: let F(t) be the open hours in [0, t) (extended to negative t so that F(0) = 0). With
w = floor(t / 168) and r = t - 168 w, F(t) = w * per_week + (open hours of one week before
offset r), the latter read from the per-week table of open periods. Business hours between a and
b are F(b) - F(a); adding h business hours to t is the earliest s with F(s) = F(t) + h. Exact at
whole, half and quarter hours.

Hand-written because no well-kept library does business-hours arithmetic on a bare float-hours
axis (pandas' ``BusinessHour`` and numpy's ``busday`` functions need calendar dates). The scalar
functions allocate nothing, so they are compiled with `_nrt=False` (see `alignsim.engines.fast`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from alignsim.units import DAY, WEEK

if TYPE_CHECKING:
    from alignsim.calendar import BusinessCalendar

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
    """t if open at t, else the next opening instant (h): the first instant at which `is_open`
    holds (168 w + start, rounded, may fall an ulp short of the opening; then the next float)."""
    if not math.isfinite(t):
        return t
    w, r = split_week(t)
    opening = (w + 1) * WEEK + starts[0]
    for i in range(len(starts)):
        if starts[i] <= r < ends[i]:
            return t
        if r < starts[i]:
            opening = w * WEEK + starts[i]
            break
    while not is_open(opening, starts, ends):
        opening = np.nextafter(opening, math.inf)
    return opening


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
def week_position(
    t: float, starts: np.ndarray, cum: np.ndarray, length: float
) -> tuple[float, int, float]:
    """For finite t (h): its week w (a whole number), the index i of the last open period of
    the week starting at or before t (-1 before the first) and the open hours of week w
    before t."""
    n = len(starts)
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
    return w, i, done


@njit(cache=True, _nrt=False)
def business_hours_between(
    a: float, b: float, starts: np.ndarray, cum: np.ndarray, length: float, per_week: float
) -> float:
    """Open hours within [a, b) (h): 0 if b <= a, inf if b is inf, NaN if either is NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if b <= a:
        return 0.0
    if math.isinf(a) or math.isinf(b):
        return math.inf
    wa, _, da = week_position(a, starts, cum, length)
    wb, _, db = week_position(b, starts, cum, length)
    return (wb - wa) * per_week + (db - da)


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
    """The instant `hours` business hours after t (h), for hours >= 0: the earliest s >= t with
    business_hours_between(t, s) == hours, so Fri 16:30 + 0.5 is Fri 17:00 and Fri 16:30 + 1
    is Mon 09:30; hours == 0 gives next_open(t). NaN in -> NaN; inf t or hours -> inf.

    The open hours from the start of t's week, done + hours, are written as whole weeks plus
    q in (0, per_week]; q picks the period. When rounding puts q a hair past a period's end,
    s lands on the next opening although the open hours up to the previous closing already
    reach done + hours; then that closing is the answer (the earliest instant)."""
    if math.isnan(t) or math.isnan(hours):
        return math.nan
    if math.isinf(t) or math.isinf(hours):
        return math.inf
    n = len(starts)
    w, _, done = week_position(t, starts, cum, length)
    first_open = next_open(t, starts, ends)
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
    s = max(s, first_open)
    # The closing before the period s lies in, and the open hours from the start of week w
    # to it: when they already reach total, s went a hair past it by rounding.
    if j > 0:
        closing = (w + weeks) * WEEK + ends[j - 1]
        reached = weeks * per_week + cum[j - 1] + length
    else:
        closing = (w + weeks - 1.0) * WEEK + ends[n - 1]
        reached = (weeks - 1.0) * per_week + cum[n - 1] + length
    if t < closing < s and reached >= total:
        return closing
    return s


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
    """`add_business_hours` of each pair (t[i], hours[i]) (a stream's business-hours arrivals,
    `BusinessCalendar.add_business_hours_array`)."""
    out = np.empty(len(t))
    for i in range(len(t)):
        out[i] = add_business_hours(t[i], hours[i], starts, ends, cum, length, per_week)
    return out


@njit(cache=True)
def business_hours_between_each(
    a: np.ndarray,
    b: np.ndarray,
    starts: np.ndarray,
    cum: np.ndarray,
    length: float,
    per_week: float,
) -> np.ndarray:
    """`business_hours_between` of each pair (a[i], b[i]), in hours (speed-to-lead in
    business hours, one per lead)."""
    out = np.empty(len(a))
    for i in range(len(a)):
        out[i] = business_hours_between(a[i], b[i], starts, cum, length, per_week)
    return out
