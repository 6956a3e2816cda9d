"""Business hours on the simulation's time axis.

Time is a float number of HOURS since t = 0 = Monday 00:00 of week 1, so weekday ``d``
(0 = Monday .. 6 = Sunday) of week ``w`` covers ``[168 w + 24 d, 168 w + 24 d + 24)``. A
`BusinessCalendar` is open on ``[open, close)`` of each listed weekday; from it come the questions
the simulation asks: is a rep at work at t, when do they next start, how many business hours lie
between two instants (speed-to-lead in business hours), which instant is h business hours after t,
and when is the next batch export at a given clock time.

Parsing (clock times, weekday names, the calendar's own checks) lives here; the arithmetic is
written once, compiled, in `alignsim.compiled.calendar`, and the methods below call it (importing
it inside each method, so that importing this module or validating a scenario loads no numba).
The ``*_array`` methods take and return numpy arrays, one element per instant.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from alignsim.units import DAY

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
"""Weekday names by index: 0 = Monday .. 6 = Sunday."""

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
        length = self.close - self.open
        object.__setattr__(self, "_length", length)
        object.__setattr__(self, "_starts", np.array([DAY * d + self.open for d in days]))
        object.__setattr__(self, "_ends", np.array([DAY * d + self.close for d in days]))
        object.__setattr__(self, "_cum", np.arange(len(days)) * length)
        object.__setattr__(self, "_day_array", np.array(days, dtype=np.int64))

    # Per-week table, derived in __post_init__ and read by `alignsim.compiled.calendar`: open
    # periods [start, end) as hours since Monday 00:00, each period's length, the open hours of
    # the week before each period starts, and the business weekdays.
    _length: float = field(init=False, repr=False, compare=False)
    _starts: np.ndarray = field(init=False, repr=False, compare=False)
    _ends: np.ndarray = field(init=False, repr=False, compare=False)
    _cum: np.ndarray = field(init=False, repr=False, compare=False)
    _day_array: np.ndarray = field(init=False, repr=False, compare=False)

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

    # ------------------------------------------ arithmetic, by alignsim.compiled.calendar

    def is_open(self, t: float) -> bool:
        """True if instant t (hours) lies in an open period [open, close) of a business day."""
        from alignsim.compiled import calendar as compiled

        return bool(compiled.is_open(float(t), self._starts, self._ends))

    def next_open(self, t: float) -> float:
        """t itself (hours) if open at t, else the next opening instant > t. inf -> inf."""
        from alignsim.compiled import calendar as compiled

        _check_t(t)
        return compiled.next_open(float(t), self._starts, self._ends)

    def next_close(self, t: float) -> float:
        """The instant (hours) the open stretch containing t ends; if closed at t, the end of the
        next open stretch. Stretches that touch (e.g. Sat 00:00-24:00 then Sun 00:00-24:00) count
        as one; math.inf for an always-open calendar."""
        from alignsim.compiled import calendar as compiled

        _check_t(t)
        if math.isnan(t):
            return t
        if self.always_open or math.isinf(t):
            return math.inf
        instant = compiled.next_open(float(t), self._starts, self._ends)
        while compiled.is_open(instant, self._starts, self._ends):
            # open_through is the last instant before the period's end: step up to the end (at
            # least one ulp, should rounding leave the end itself open).
            last = compiled.open_through(instant, self._starts, self._ends)
            instant = math.nextafter(max(last, instant), math.inf)
        return instant

    def business_hours_between(self, a: float, b: float) -> float:
        """Open hours within [a, b) (a, b in hours): 0 if b <= a; math.inf if b is inf."""
        from alignsim.compiled import calendar as compiled

        return compiled.business_hours_between(
            float(a), float(b), self._starts, self._cum, self._length, self.hours_per_week
        )

    def add_business_hours(self, t: float, hours: float) -> float:
        """The instant `hours` business hours after t (all in hours).

        For hours > 0 this is the earliest s >= t with business_hours_between(t, s) == hours, so
        Fri 16:30 + 0.5 is Fri 17:00 and Fri 16:30 + 1 is Mon 09:30. For hours == 0 it is
        next_open(t) (t itself if open). An infinite t or hours gives inf; hours < 0 raises.
        """
        from alignsim.compiled import calendar as compiled

        _check_t(t)
        if hours < 0:
            raise ValueError(f"hours to add must be >= 0 (got {hours!r})")
        return compiled.add_business_hours(
            float(t),
            float(hours),
            self._starts,
            self._ends,
            self._cum,
            self._length,
            self.hours_per_week,
        )

    def next_clock_time(self, t: float, clock_hours: Sequence[float]) -> float:
        """Earliest instant >= t (hours) that is on one of self.days at one of the clock hours.

        E.g. [17.0] for a daily 17:00 export, [12.0, 17.0] for twice a day. A lead ready at
        17:00 exactly goes in the 17:00 export. Clock hours (each in [0, 24)) need not be inside
        open hours (an 18:00 export is fine); only the day must be a business day.
        """
        from alignsim.compiled import calendar as compiled

        clocks = sorted({float(c) for c in clock_hours})
        if not clocks or not all(0.0 <= c < DAY for c in clocks):
            raise ValueError(
                f"clock hours must be a non-empty list of hours in [0, 24) (got {clock_hours!r})"
            )
        _check_t(t)
        return compiled.next_clock_time(float(t), np.array(clocks), self._day_array)

    def business_hours_between_array(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Elementwise business_hours_between(a, b) in hours (broadcast). NaN in either input ->
        NaN; b <= a -> 0; inf b -> inf."""
        from alignsim.compiled import calendar as compiled

        a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
        out = compiled.business_hours_between_each(
            np.ravel(a), np.ravel(b), self._starts, self._cum, self._length, self.hours_per_week
        )
        return out.reshape(a.shape)

    def add_business_hours_array(self, t: float | np.ndarray, hours: np.ndarray) -> np.ndarray:
        """Elementwise add_business_hours(t, hours) in hours (broadcast).

        add_business_hours_array(0.0, x) maps offsets x on the business-hours axis to wall-clock
        time. NaN -> NaN, inf -> inf; a negative `hours` raises ValueError.
        """
        from alignsim.compiled import calendar as compiled

        t, h = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(hours, dtype=float))
        if np.any(h < 0):
            raise ValueError("hours to add must be >= 0")
        if np.any(t == -np.inf):
            raise ValueError("t must be a finite time in hours, +inf or NaN (got -inf)")
        out = compiled.add_business_hours_each(
            np.ravel(t),
            np.ravel(h),
            self._starts,
            self._ends,
            self._cum,
            self._length,
            self.hours_per_week,
        )
        return out.reshape(t.shape)
