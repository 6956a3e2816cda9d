"""Business hours on the simulation's time axis.

Time is a float number of HOURS since t = 0 = Monday 00:00 of week 1, so weekday ``d``
(0 = Monday .. 6 = Sunday) of week ``w`` covers ``[168 w + 24 d, 168 w + 24 d + 24)``. A
`BusinessCalendar` is open on ``[open, close)`` of each listed weekday; from it come the questions
the simulation asks: is a rep at work at t, when do they next start, how many business hours lie
between two instants (speed-to-lead in business hours), which instant is h business hours after t,
and when is the next batch export at a given clock time.

This is small hand-written arithmetic on purpose: no well-kept library does business-hours
arithmetic on a float-hours axis without dates (pandas' ``BusinessHour`` offset and numpy's
``busday`` functions both need calendar dates and timestamps, not bare hours).

Method: let F(t) be the open hours in [0, t) (extended to negative t so that F(0) = 0). With
``w = floor(t / 168)`` and ``r = t - 168 w``, F(t) = w * hours_per_week + (open hours of one week
before offset r), the latter read from a per-week table of open periods. Business hours between a
and b are F(b) - F(a); adding h business hours to t is the earliest s with F(s) = F(t) + h. The
scalar methods walk the open periods directly; the ``*_array`` methods use the table with
``np.searchsorted`` and no Python loop over elements. Both are exact at whole, half and quarter
hours.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

WEEK = 168.0
"""Hours in a week."""

DAY = 24.0
"""Hours in a day."""

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
"""Weekday names by index: 0 = Monday .. 6 = Sunday."""

_LAST_BEFORE_WEEK = math.nextafter(WEEK, 0.0)
_CLOCK = re.compile(r"\s*(\d{1,2}):(\d{2})\s*")
_DAY_INDEX = {name.lower(): index for index, name in enumerate(DAY_NAMES)}


def parse_clock(text: str) -> float:
    """Hours since midnight in a clock time "HH:MM": "09:00" -> 9.0, "17:30" -> 17.5.

    "24:00" -> 24.0 is allowed (as a closing time). Minutes must be 00-59 and hours 0-24 (24 only
    as "24:00"). Raises ValueError on anything else.
    """
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match:
        hours, minutes = int(match.group(1)), int(match.group(2))
        if minutes < 60 and (hours < 24 or (hours == 24 and minutes == 0)):
            return hours + minutes / 60
    shown = f'"{text}"' if isinstance(text, str) else repr(text)
    raise ValueError(f'expected a clock time like "09:00" (got {shown})')


def parse_days(text: str | list[str]) -> tuple[int, ...]:
    """Sorted unique weekday indices (0 = Monday .. 6 = Sunday) named by `text`.

    "Mon-Fri" -> (0, 1, 2, 3, 4); "Mon-Sun" -> all seven; "Sat,Sun" or ["Sat", "Sun"] -> (5, 6);
    a range may wrap: "Fri-Mon" -> (0, 4, 5, 6). Names are 3-letter, case-insensitive; a list
    item may itself be a range. Raises ValueError on anything else, including an empty list.
    """
    error = ValueError(f'expected days like "Mon-Fri" or ["Mon", "Wed"] (got {text!r})')
    if isinstance(text, str):
        items: list[object] = text.split(",")
    elif isinstance(text, list | tuple) and text:
        items = list(text)
    else:
        raise error
    days: set[int] = set()
    for item in items:
        if not isinstance(item, str):
            raise error
        ends = [part.strip().lower() for part in item.split("-")]
        if len(ends) > 2 or any(end not in _DAY_INDEX for end in ends):
            raise error
        first, last = _DAY_INDEX[ends[0]], _DAY_INDEX[ends[-1]]
        days.update((first + k) % 7 for k in range((last - first) % 7 + 1))
    return tuple(sorted(days))


def _split_week(t: float) -> tuple[int, float]:
    """(w, r) with t = 168 w + r and 0 <= r < 168, for finite t in hours."""
    w = math.floor(t / WEEK)
    r = t - w * WEEK
    if r < 0.0:
        w, r = w - 1, r + WEEK
    elif r >= WEEK:
        w, r = w + 1, r - WEEK
    return w, min(r, _LAST_BEFORE_WEEK)


def _check_t(t: float) -> None:
    if t == -math.inf:
        raise ValueError("t must be a finite time in hours, +inf or NaN (got -inf)")


@dataclass(frozen=True)
class BusinessCalendar:
    """Open on [open, close) hours of each listed weekday.

    `open` and `close` are hours of the day (0 <= open < close <= 24, e.g. 9.0 and 17.5); `days`
    are weekday indices 0 = Monday .. 6 = Sunday, non-empty (stored sorted and unique). The
    default is Monday-Friday 09:00-17:00. All times are hours on the simulation's axis.
    """

    open: float = 9.0
    close: float = 17.0
    days: tuple[int, ...] = (0, 1, 2, 3, 4)

    def __post_init__(self) -> None:
        for name in ("open", "close"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be an hour of the day as a number (got {value!r})")
            object.__setattr__(self, name, float(value))
        if not 0.0 <= self.open < self.close <= DAY:
            raise ValueError(
                "business hours need 0 <= open < close <= 24 "
                f"(got open={self.open!r}, close={self.close!r})"
            )
        days = self.days
        if (
            isinstance(days, str)
            or not isinstance(days, Sequence)
            or not days
            or any(isinstance(d, bool) or not isinstance(d, int | np.integer) for d in days)
            or any(not 0 <= d <= 6 for d in days)
        ):
            raise ValueError(
                "days must be a non-empty list of weekday indices 0 (Mon) .. 6 (Sun) "
                f"(got {days!r}); use parse_days for names"
            )
        days = tuple(sorted({int(d) for d in days}))
        object.__setattr__(self, "days", days)
        periods = tuple((DAY * d + self.open, DAY * d + self.close) for d in days)
        length = self.close - self.open
        object.__setattr__(self, "_periods", periods)
        object.__setattr__(self, "_length", length)
        object.__setattr__(self, "_starts", np.array([s for s, _ in periods]))
        object.__setattr__(self, "_ends", np.array([e for _, e in periods]))
        object.__setattr__(self, "_cum", np.arange(len(days)) * length)

    # Per-week table, derived in __post_init__: open periods [start, end) as hours since Monday
    # 00:00, each period's length, and the open hours of the week before each period starts.
    _periods: tuple[tuple[float, float], ...] = field(init=False, repr=False, compare=False)
    _length: float = field(init=False, repr=False, compare=False)
    _starts: np.ndarray = field(init=False, repr=False, compare=False)
    _ends: np.ndarray = field(init=False, repr=False, compare=False)
    _cum: np.ndarray = field(init=False, repr=False, compare=False)

    @classmethod
    def always(cls) -> BusinessCalendar:
        """A calendar open round the clock, every day (business hours == wall-clock hours)."""
        return cls(open=0.0, close=DAY, days=tuple(range(7)))

    @property
    def always_open(self) -> bool:
        """True if open every hour of every day."""
        return self.open == 0.0 and self.close == DAY and len(self.days) == 7

    @property
    def hours_per_week(self) -> float:
        """Open hours in one week: (close - open) * number of days."""
        return self._length * len(self.days)

    # ----------------------------------------------------------------- scalar, walking periods

    def is_open(self, t: float) -> bool:
        """True if instant t (hours) lies in an open period [open, close) of a business day."""
        if not math.isfinite(t):
            return False
        _, r = _split_week(t)
        return any(start <= r < end for start, end in self._periods)

    def next_open(self, t: float) -> float:
        """t itself (hours) if open at t, else the next opening instant > t. inf -> inf."""
        _check_t(t)
        if not math.isfinite(t):
            return t
        w, r = _split_week(t)
        for start, end in self._periods:
            if start <= r < end:
                return t
            if r < start:
                return w * WEEK + start
        return (w + 1) * WEEK + self._periods[0][0]

    def next_close(self, t: float) -> float:
        """The instant (hours) the open stretch containing t ends; if closed at t, the end of the
        next open stretch. Stretches that touch (e.g. Sat 00:00-24:00 then Sun 00:00-24:00) count
        as one; math.inf for an always-open calendar."""
        _check_t(t)
        if math.isnan(t):
            return t
        if self.always_open or math.isinf(t):
            return math.inf
        instant = self.next_open(t)
        while self.is_open(instant):
            w, r = _split_week(instant)
            instant = w * WEEK + next(end for start, end in self._periods if start <= r < end)
        return instant

    def business_hours_between(self, a: float, b: float) -> float:
        """Open hours within [a, b) (a, b in hours): 0 if b <= a; math.inf if b is inf."""
        if math.isnan(a) or math.isnan(b):
            return math.nan
        if b <= a:
            return 0.0
        if math.isinf(a) or math.isinf(b):
            return math.inf
        wa, _ = _split_week(a)
        wb, _ = _split_week(b)
        if wa == wb:
            return self._overlap(wa, a, b)
        middle = (wb - wa - 1) * self.hours_per_week
        return self._overlap(wa, a, (wa + 1) * WEEK) + middle + self._overlap(wb, wb * WEEK, b)

    def _overlap(self, week: int, a: float, b: float) -> float:
        """Open hours of week `week` within [a, b)."""
        base = week * WEEK
        total = 0.0
        for start, end in self._periods:
            lo, hi = max(a, base + start), min(b, base + end)
            if lo == base + start and hi == base + end:
                total += self._length  # exact, unlike (base + end) - (base + start)
            elif hi > lo:
                total += hi - lo
        return total

    def add_business_hours(self, t: float, hours: float) -> float:
        """The instant `hours` business hours after t (all in hours).

        For hours > 0 this is the earliest s >= t with business_hours_between(t, s) == hours, so
        Fri 16:30 + 0.5 is Fri 17:00 and Fri 16:30 + 1 is Mon 09:30. For hours == 0 it is
        next_open(t) (t itself if open). An infinite t or hours gives inf; hours < 0 raises.
        """
        _check_t(t)
        if math.isnan(t) or math.isnan(hours):
            return math.nan
        if hours < 0:
            raise ValueError(f"hours to add must be >= 0 (got {hours!r})")
        if math.isinf(t) or math.isinf(hours):
            return math.inf
        if hours == 0:
            return self.next_open(t)
        week, _ = _split_week(t)
        remaining = float(hours)
        per_week = self.hours_per_week
        while True:
            base = week * WEEK
            for start, end in self._periods:
                lo, hi = max(t, base + start), base + end
                if hi <= lo:
                    continue
                available = self._length if lo == base + start else hi - lo
                if remaining <= available:
                    return lo + remaining
                remaining -= available
            week += 1
            if remaining > per_week:
                skip = math.ceil(remaining / per_week) - 1
                week += skip
                remaining = max(remaining - skip * per_week, 0.0)

    def next_clock_time(self, t: float, clock_hours: Sequence[float]) -> float:
        """Earliest instant >= t (hours) that is on one of self.days at one of the clock hours.

        E.g. [17.0] for a daily 17:00 export, [12.0, 17.0] for twice a day. A lead ready at
        17:00 exactly goes in the 17:00 export. Clock hours (each in [0, 24)) need not be inside
        open hours (an 18:00 export is fine); only the day must be a business day.
        """
        clocks = sorted({float(c) for c in clock_hours})
        if not clocks or not all(0.0 <= c < DAY for c in clocks):
            raise ValueError(
                f"clock hours must be a non-empty list of hours in [0, 24) (got {clock_hours!r})"
            )
        _check_t(t)
        if not math.isfinite(t):
            return t
        day = math.floor(t / DAY)
        for d in range(day - 1, day + 9):
            if d % 7 in self.days:
                for clock in clocks:
                    instant = d * DAY + clock
                    if instant >= t:
                        return instant
        raise AssertionError("unreachable: every week has a business day")  # pragma: no cover

    # ----------------------------------------------------------- vectorised, via the week table

    def _week_position(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For finite t (hours): week w, period index i (-1 before the first) and the open hours
        of week w before t."""
        w = np.floor(t / WEEK)
        r = t - w * WEEK
        low, high = r < 0.0, r >= WEEK
        w = w - low + high
        r = np.minimum(r + WEEK * low - WEEK * high, _LAST_BEFORE_WEEK)
        i = np.searchsorted(self._starts, r, side="right") - 1
        k = np.maximum(i, 0)
        done = self._cum[k] + np.minimum(r - self._starts[k], self._length)
        return w, i, np.where(i >= 0, done, 0.0)

    def _next_open_array(self, t: np.ndarray, w: np.ndarray, i: np.ndarray) -> np.ndarray:
        """next_open for finite t, given _week_position(t)."""
        n = len(self.days)
        k = np.maximum(i, 0)
        r = t - w * WEEK
        is_open = (i >= 0) & (r < self._ends[k])
        following = np.where(
            i + 1 < n,
            w * WEEK + self._starts[np.minimum(i + 1, n - 1)],
            (w + 1) * WEEK + self._starts[0],
        )
        return np.where(is_open, t, following)

    def business_hours_between_array(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Elementwise business_hours_between(a, b) in hours (broadcast). NaN in either input ->
        NaN; b <= a -> 0; inf b -> inf."""
        a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
        finite = np.isfinite(a) & np.isfinite(b)
        wa, _, da = self._week_position(np.where(finite, a, 0.0))
        wb, _, db = self._week_position(np.where(finite, b, 0.0))
        out = (wb - wa) * self.hours_per_week + (db - da)
        forward = b > a
        out = np.where(forward, out, 0.0)
        out = np.where(finite, out, np.where(forward, np.inf, 0.0))
        return np.where(np.isnan(a) | np.isnan(b), np.nan, out)

    def add_business_hours_array(self, t: float | np.ndarray, hours: np.ndarray) -> np.ndarray:
        """Elementwise add_business_hours(t, hours) in hours (broadcast).

        add_business_hours_array(0.0, x) maps offsets x on the business-hours axis to wall-clock
        time. NaN -> NaN, inf -> inf; a negative `hours` raises ValueError.
        """
        t, h = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(hours, dtype=float))
        if np.any(h < 0):
            raise ValueError("hours to add must be >= 0")
        if np.any(t == -np.inf):
            raise ValueError("t must be a finite time in hours, +inf or NaN (got -inf)")
        finite = np.isfinite(t) & np.isfinite(h)
        t0, h0 = np.where(finite, t, 0.0), np.where(finite, h, 0.0)
        w, i, done = self._week_position(t0)
        first_open = self._next_open_array(t0, w, i)
        per_week = self.hours_per_week
        # Open hours from the start of week w, written as `weeks` whole weeks plus `q` in
        # (0, per_week]: the upper end is included so that a total landing exactly on a closing
        # time maps to that closing time (the earliest instant), not to the next opening.
        total = done + h0
        weeks = np.ceil(total / per_week) - 1.0
        q = total - weeks * per_week
        low, high = q <= 0.0, q > per_week
        weeks = weeks - low + high
        q = q + per_week * low - per_week * high
        j = np.clip(np.searchsorted(self._cum, q, side="left") - 1, 0, len(self.days) - 1)
        s = (w + weeks) * WEEK + self._starts[j] + (q - self._cum[j])
        s = np.where(h0 == 0.0, first_open, np.maximum(s, first_open))
        return np.where(finite, s, np.where(np.isnan(t) | np.isnan(h), np.nan, np.inf))
