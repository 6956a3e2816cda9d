"""Scenario files: one market, one team and named policies (MODEL.md section 1), from TOML.

A scenario is plain data, validated once here. Everything downstream receives the frozen
`Scenario` and never reads a file or validates again. Bad input raises `ScenarioError`,
whose lines each name the file, the field path and what was expected.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from alignsim.batch.uncertainty import Uncertainty
from alignsim.calendar import BusinessCalendar, parse_clock, parse_days
from alignsim.distributions import DIST_NAMES, AmountDist, Duration, DurationDist, StrictModel
from alignsim.units import parse_rate

TEMPERATURES = ("cold", "warm", "hot")
"""Temperatures in order of readiness; a lead's code is its index (cold 0, warm 1, hot 2)."""

READINESS = np.array([0.0, 0.5, 1.0])
"""Readiness of each temperature, the second half of the true lead score."""

OWNERS = ("marketing", "sales")
DISCIPLINES = ("fifo", "lifo", "value", "sla", "cherry-pick")

MAX_ATTEMPTS = 12
"""Cap on `sla.max_attempts`: the width of the per-attempt block of the lead stream."""

MAX_HORIZON_WEEKS = 520
MAX_EXPECTED_LEADS = 20_000_000

Probability = Annotated[float, Field(ge=0, le=1)]
Rate = Annotated[
    float,
    BeforeValidator(parse_rate),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d+(\.\d+)?\s*/\s*(hour|h|day|d|week|w|month|year)$"}
    ),
]
"""Events per hour, written like "120/week"."""
ClockTime = Annotated[
    float,
    BeforeValidator(parse_clock),
    WithJsonSchema({"type": "string", "pattern": r"^\d\d:\d\d$"}),
]
"""A time of day written like "17:00"; hours after midnight once parsed."""
Days = Annotated[
    tuple[int, ...],
    BeforeValidator(parse_days),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
]


class ScenarioError(ValueError):
    """Bad scenario input: one line per problem, each naming file, field path and expectation."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# --------------------------------------------------------------------------- market


def _same_for_all(value: Any) -> Any:
    if isinstance(value, int | float | str | list) and not isinstance(value, bool):
        return {t: value for t in TEMPERATURES}
    return value


FitLine = Probability | tuple[Probability, Probability]
"""A chance, either the same for every fit or a pair [at fit 0, at fit 1] (linear between)."""


class RateTable(StrictModel):
    """A chance by temperature, optionally rising with fit: `{cold = [0.02, 0.1], warm = 0.3, hot = 0.5}`.

    A single number or pair applies to every temperature.
    """

    cold: FitLine
    warm: FitLine
    hot: FitLine

    def by_temperature(self, fit: np.ndarray) -> np.ndarray:
        """Chance for each lead (rows) at each temperature (columns cold, warm, hot)."""
        out = np.empty((len(fit), 3))
        for k, name in enumerate(TEMPERATURES):
            line = getattr(self, name)
            lo, hi = (line, line) if isinstance(line, float | int) else line
            out[:, k] = lo + (hi - lo) * fit
        return out


ByTemperature = Annotated[RateTable, BeforeValidator(_same_for_all)]


class TemperatureMix(StrictModel):
    """Shares of new leads arriving cold, warm and hot; they add up to 1."""

    cold: Probability = 0.0
    warm: Probability = 0.0
    hot: Probability = 0.0

    @model_validator(mode="after")
    def _adds_up(self) -> TemperatureMix:
        total = self.cold + self.warm + self.hot
        if abs(total - 1) > 1e-9:
            raise ValueError(f"shares of cold, warm and hot must add up to 1 (got {total:.6g})")
        return self

    @property
    def shares(self) -> np.ndarray:
        return np.array([self.cold, self.warm, self.hot])


class Campaign(StrictModel):
    """A dated burst: arrivals multiplied by `multiplier` on [start, start + duration)."""

    start: Duration
    duration: Duration
    multiplier: float = Field(ge=0, le=100)


class Source(StrictModel):
    """Where leads come from and what buyers they bring."""

    rate: Rate = Field(description='Mean arrivals, e.g. "120/week".')
    arrivals: Literal["always", "business_hours"] = Field(
        "always",
        description="Around the clock, or only in the team's base business hours "
        "(the weekly total is the same).",
    )
    owner: Literal["marketing", "sales"] = "marketing"
    fit: AmountDist = Field(description="Fit with the ideal customer profile, in [0, 1].")
    temperature: TemperatureMix
    value: AmountDist = Field(description="Deal value in the scenario's currency.")
    weekly_profile: list[Annotated[float, Field(ge=0)]] | None = Field(
        None, description="Relative arrival weights Monday..Sunday (7 numbers)."
    )
    campaigns: list[Campaign] = []

    @field_validator("fit")
    @classmethod
    def _fit_in_unit_interval(cls, dist: Any) -> Any:
        lo, hi = dist.support()
        if lo < 0 or hi > 1:
            raise ValueError(f"fit must stay within [0, 1] (this law ranges over [{lo}, {hi}])")
        return dist

    @field_validator("value")
    @classmethod
    def _value_positive(cls, dist: Any) -> Any:
        if dist.support()[0] < 0:
            raise ValueError("deal values must not be negative")
        return dist

    @field_validator("weekly_profile")
    @classmethod
    def _seven(cls, w: list[float] | None) -> list[float] | None:
        if w is not None and (len(w) != 7 or sum(w) <= 0):
            raise ValueError("expected 7 weights, Monday to Sunday, not all zero")
        return w


class Patience(StrictModel):
    """How long a buyer's window stays open, by temperature at the time it opens."""

    cold: DurationDist
    warm: DurationDist
    hot: DurationDist


class Warming(StrictModel):
    """Spontaneous warming: how long a buyer stays cold before turning warm, and warm before hot."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    cold_to_warm: DurationDist = {"dist": "never"}  # type: ignore[assignment]
    warm_to_hot: DurationDist = {"dist": "never"}  # type: ignore[assignment]


class Market(StrictModel):
    """What no policy changes: sources, buyers and the chances to reach, qualify and win."""

    sources: dict[str, Source] = Field(min_length=1)
    patience: Patience
    reach: ByTemperature = Field(
        description="Chance one attempt reaches a buyer whose window is open."
    )
    qualify: ByTemperature = Field(description="Chance a reached buyer qualifies (SQL).")
    win: ByTemperature = Field(description="Chance an opportunity is won.")
    cycle: DurationDist = Field(description="Sales-cycle length, from SQL to close.")
    warming: Warming = Warming()


# --------------------------------------------------------------------------- team


class Hours(StrictModel):
    """Business hours: open to close on the listed days."""

    open: ClockTime = 9.0
    close: ClockTime = 17.0
    days: Days = (0, 1, 2, 3, 4)

    @model_validator(mode="after")
    def _ordered(self) -> Hours:
        if not self.open < self.close:
            raise ValueError("open must be before close")
        return self

    @property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(self.open, self.close, self.days)


class Team(StrictModel):
    """The sales reps who answer leads."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    reps: int = Field(ge=1, le=10_000)
    hours: Hours = Hours()
    attempt_time: DurationDist = Field(
        "10m",
        description="Rep time for one contact attempt.",  # type: ignore[arg-type]
    )
    qualify_time: DurationDist = Field(
        "30m",
        description="Rep time for the qualification call after a buyer is reached.",  # type: ignore[arg-type]
    )
    skip_lost_leads: bool = Field(
        False, description="Drop a lead from the queue when its buyer's window closes."
    )


class TeamOverride(StrictModel):
    """A policy's changes to the team (hiring is a lever); unset fields keep the scenario's."""

    reps: int | None = Field(None, ge=1, le=10_000)
    hours: Hours | None = None
    attempt_time: DurationDist | None = None
    qualify_time: DurationDist | None = None
    skip_lost_leads: bool | None = None


# --------------------------------------------------------------------------- policy


class Definition(StrictModel):
    """The lead definitions: how noisily each side sees the true lead score, and its bar."""

    marketing_noise: float = Field(
        ge=0, le=5, description="sigma_m: objective ~0.05, subjective ~0.25."
    )
    sales_noise: float = Field(ge=0, le=5, description="sigma_s, sales' view from the record.")
    mql_threshold: float = Field(
        ge=-2, le=3, description="Marketing's bar on its view of the score."
    )
    accept_threshold: float = Field(ge=-2, le=3, description="Sales' bar to accept (SAL).")


class Handoff(StrictModel):
    """How MQLs reach sales: in real time after a routing delay, or in batches at clock times."""

    mode: Literal["realtime", "batch"] = "realtime"
    routing_delay: DurationDist = Field(
        "0s",
        validate_default=True,
        description='Realtime: delay before the lead reaches sales, e.g. "10m" or a '
        "distribution (an inbox nobody watches).",
    )
    times: list[ClockTime] = Field(
        [17.0],
        min_length=1,
        description='Batch: export clock times on business days, e.g. ["17:00"].',
    )

    @field_validator("times")
    @classmethod
    def _within_the_day(cls, times: list[float]) -> list[float]:
        if any(t >= 24 for t in times):
            raise ValueError('an export time must be before midnight (use "00:00" for midnight)')
        return times


class FirstResponse(StrictModel):
    """Response target by temperature."""

    cold: Duration
    warm: Duration
    hot: Duration


class SLA(StrictModel):
    """The service-level agreement: first-response target, attempts required and their spacing."""

    first_response: Annotated[FirstResponse, BeforeValidator(_same_for_all)] = Field(
        description='Target from MQL to first attempt: "4h", or by temperature.'
    )
    measured_in: Literal["business_hours", "wall_clock"] = Field(
        "business_hours",
        description="Count the first-response target in the team's business hours (the usual "
        "SLA) or around the clock.",
    )
    max_attempts: int = Field(1, ge=1, le=MAX_ATTEMPTS)
    attempt_spacing: Duration = Field(24.0, description="Wait after a failed attempt.")

    def target_hours(self) -> np.ndarray:
        """First-response target (hours) for cold, warm, hot."""
        f = self.first_response
        return np.array([f.cold, f.warm, f.hot])


MAX_NURTURE_TOUCHES = 52
"""Most nurture touches a lead can get over its life (the stream holds one score per touch)."""

MAX_RECYCLES = 4
"""Most times one lead can be handed back to sales from nurture."""


class Nurture(StrictModel):
    """Marketing's nurture track for leads that are not ready yet (MODEL.md step 9).

    A nurtured lead is touched every `every`; at each touch marketing re-scores it and an MQL
    goes back to sales (a recycle). While nurtured the buyer warms up `lift` sooner than on
    their own (a warming time w becomes (1 - lift) w). A lead gets at most `max` of nurture
    over its life, in touches of `every`, and at most `max_recycles` recycles.
    """

    enabled: bool = True
    every: Duration = Field(336.0, description='Time between touches, e.g. "2w".')
    max: Duration = Field(
        26 * 168.0, description='Most nurture a lead gets over its life, e.g. "26w".'
    )
    lift: float = Field(
        0.3, ge=0, lt=1, description="Share by which nurture shortens each warming time."
    )
    max_recycles: int = Field(2, ge=0, le=MAX_RECYCLES)
    not_mql: bool = Field(True, description="Leads that are not MQLs at creation are nurtured.")
    not_ready: bool = Field(
        True, description="Cold and warm leads that fail qualification are nurtured."
    )

    @model_validator(mode="after")
    def _touches(self) -> Nurture:
        if self.every <= 0:
            raise ValueError("every must be longer than zero")
        if self.touches > MAX_NURTURE_TOUCHES:
            raise ValueError(
                f"max allows {self.touches} touches of every; at most {MAX_NURTURE_TOUCHES}"
            )
        return self

    @property
    def touches(self) -> int:
        """Most touches a lead gets over its life."""
        return math.floor(self.max / self.every + 1e-9)


class Feedback(StrictModel):
    """Sales' verdicts fed back to marketing (MODEL.md step 10).

    Every Monday marketing's definition noise becomes
    floor + (sigma_m - floor) * 0.5 ** (verdicts / half_life), counting the sales reviews of
    marketing leads made before that Monday.
    """

    enabled: bool = True
    half_life: float = Field(
        200.0, gt=0, description="Sales verdicts that halve the distance to the floor."
    )
    floor: float = Field(0.05, ge=0, le=5, description="The noise a shared definition keeps.")


class Goals(StrictModel):
    """What each team is paid for (MODEL.md step 11)."""

    marketing: Literal["none", "mql_volume"] = "none"
    mql_target: Rate | None = Field(
        None, description='MQLs a week marketing must deliver, e.g. "60/week".'
    )
    step: float = Field(
        0.05, gt=0, le=1, description="How far the MQL threshold moves each Monday."
    )
    sales: Literal["none", "quota"] = "none"
    min_value: float = Field(
        0.0, ge=0, description="Quota: marketing leads under this value get one attempt."
    )

    @model_validator(mode="after")
    def _target(self) -> Goals:
        if self.marketing == "mql_volume" and self.mql_target is None:
            raise ValueError('mql_target is required with marketing = "mql_volume"')
        return self


class Policy(StrictModel):
    """What a company chooses: definitions, handoff, SLA, queue discipline, what happens to rejects."""

    description: str = ""
    definition: Definition
    handoff: Handoff = Handoff()
    sla: SLA
    queue: Literal["fifo", "lifo", "value", "sla", "cherry-pick"] = "fifo"
    rejected: Literal["discard", "nurture"] = Field(
        "discard",
        description='"discard": a rejected lead ends as rejected; "nurture": back to marketing.',
    )
    nurture: Nurture | None = None
    feedback: Feedback | None = None
    goals: Goals = Goals()
    team: TeamOverride | None = None

    @model_validator(mode="after")
    def _nurture_needed(self) -> Policy:
        if self.rejected == "nurture" and not self.nurtures:
            raise ValueError('rejected = "nurture" needs a [nurture] table with enabled = true')
        return self

    @property
    def nurtures(self) -> bool:
        return self.nurture is not None and self.nurture.enabled

    @property
    def learns(self) -> bool:
        return self.feedback is not None and self.feedback.enabled

    @property
    def discipline(self) -> str:
        """The queue discipline in effect: a sales quota means cherry-picking."""
        return "cherry-pick" if self.goals.sales == "quota" else self.queue


# --------------------------------------------------------------------------- scenario


class Scenario(StrictModel):
    """One company: a market, a team and the named policies it may run."""

    name: str
    description: str = ""
    currency: str = "EUR"
    horizon: Duration = Field(52 * 168.0, description='How long a run lasts, e.g. "52w".')
    seed: int = Field(0, ge=0, lt=2**63)
    market: Market
    team: Team
    policies: dict[str, Policy] = Field(min_length=1)
    baseline: str | None = Field(
        None,
        description='The policy others are compared against; default "aligned" if there is '
        "one, else the first policy.",
    )
    uncertainty: Uncertainty | None = None

    @property
    def baseline_policy(self) -> str:
        """Name of the policy that revenue lost is measured against."""
        if self.baseline is not None:
            return self.baseline
        return "aligned" if "aligned" in self.policies else next(iter(self.policies))

    @model_validator(mode="after")
    def _sizes(self) -> Scenario:
        if self.baseline is not None and self.baseline not in self.policies:
            raise ValueError(
                f"baseline {self.baseline!r} is not one of the policies "
                f"({', '.join(self.policies)})"
            )
        if not 0 < self.horizon <= MAX_HORIZON_WEEKS * 168:
            raise ValueError(f"horizon must be positive and at most {MAX_HORIZON_WEEKS}w")
        expected = sum(s.rate for s in self.market.sources.values()) * self.horizon
        if expected > MAX_EXPECTED_LEADS:
            raise ValueError(
                f"the sources would create about {expected:,.0f} leads over the horizon "
                f"(at most {MAX_EXPECTED_LEADS:,} per run)"
            )
        return self

    def team_for(self, policy: str) -> Team:
        """The team a policy plays with: the scenario's, with the policy's overrides."""
        override = self.policies[policy].team
        if override is None:
            return self.team
        changes = {
            name: getattr(override, name)
            for name in override.model_fields_set
            if getattr(override, name) is not None
        }
        return self.team.model_copy(update=changes)

    def digest(self) -> str:
        """A short hash of the validated content, to tie outputs to their scenario."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    _source: tuple[dict[str, Any], str] | None = PrivateAttr(None)
    """With uncertain inputs: the document this was validated from, and its digest then."""

    def document(self) -> dict[str, Any] | None:
        """A copy of the document (a file's, extends resolved) this scenario was validated from.

        Kept for scenarios with an [uncertainty] table, whose drawn values a batch writes into
        the document. None for other scenarios, and for a copy changed since (`model_copy`).
        """
        if self._source is None or self._source[1] != self.digest():
            return None
        return copy.deepcopy(self._source[0])


# --------------------------------------------------------------------------- loading


def _known_fields() -> set[str]:
    names: set[str] = set()
    seen: set[type] = set()

    def walk(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp in seen:
                return
            seen.add(tp)
            for name, field in tp.model_fields.items():
                names.add(field.alias or name)
                walk(field.annotation)
                for meta in field.metadata:
                    walk(meta)
        for arg in getattr(tp, "__args__", ()) or ():
            walk(arg)
        origin = getattr(tp, "__origin__", None)
        if origin is not None:
            walk(origin)

    walk(Scenario)
    names.update(DIST_NAMES)
    return names


_KNOWN = _known_fields()


_TYPE_ERRORS = {
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "dict_type": "a table",
    "float_parsing": "a number",
    "float_type": "a number",
    "int_from_float": "a whole number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "list_type": "a list",
    "model_attributes_type": "a table",
    "model_type": "a table",
    "string_type": "a text string",
    "tuple_type": "a list",
}
"""Errors that only say the input has the wrong type, and the type each one expected."""

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")

_DIST_HINT = 'a value or a table with a "dist" key, e.g. { dist = "exponential", mean = "1h" }'


def _key(item: Any) -> str:
    """A key as TOML writes it in a dotted key: bare if it can be, else quoted."""
    text = str(item)
    return text if _BARE_KEY.fullmatch(text) else json.dumps(text)


def _walk(loc: tuple[Any, ...], data: Any, kind: str = "") -> tuple[str, int | None, Any]:
    """Follow a pydantic location through the document.

    Returns the dotted field path as the user wrote it (without the union tags pydantic inserts
    and without the keys a before-validator added when it expanded a plain value), the index in
    `loc` of the first such tag (None if there is none), and the document's node at the path
    (None when the path ends at a missing key or inside an expanded value).
    """
    parts: list[str] = []
    node = data
    tag: int | None = None
    for index, item in enumerate(loc):
        is_index = isinstance(item, int) and not isinstance(item, bool)
        if isinstance(node, Mapping):
            if not is_index and item in node:
                parts.append(("." if parts else "") + _key(item))
                node = node[item]
                continue
            if node.get("dist") == item:
                continue  # a discriminator tag, not a key
            if index == len(loc) - 1 and kind == "missing":
                parts.append(("." if parts else "") + _key(item))
                return "".join(parts), tag, None
            tag = index if tag is None else tag  # a union member's name
            continue
        if isinstance(node, list | tuple):
            if is_index:
                parts.append(f"[{item}]")
                node = node[item] if 0 <= item < len(node) else None
                continue
            tag = index if tag is None else tag  # a union member's name
            continue
        # A plain value: the rest of the location is inside what a before-validator made of it
        # (`first_response = "4h"` checked for each temperature) or names a union member.
        tag = index if tag is None else tag
        return "".join(parts), tag, None
    return "".join(parts), tag, node


def _path(loc: tuple[Any, ...], data: Any, kind: str = "") -> str:
    """Dotted field path of a pydantic location, without the union tags pydantic inserts."""
    return _walk(loc, data, kind)[0]


def _shown(value: Any) -> str:
    """The input as the message quotes it, cut short if long."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _clipped(message: str, got: Any) -> str:
    """A validator's message on one line, with a long quoted input cut short."""
    for quoted in (repr(got), f'"{got}"'):
        if (len(quoted) > 80 or not quoted.isprintable()) and quoted in message:
            message = message.replace(quoted, _shown(got))
            break
    return message.replace("\r", "\\r").replace("\n", "\\n")


def _message(err: Mapping[str, Any]) -> str:
    """What was expected, as one sentence without the file and path."""
    kind = err["type"]
    msg = str(err["msg"])
    ctx = err.get("ctx") or {}
    got = err.get("input")
    if kind == "extra_forbidden":
        key = str(err["loc"][-1])
        if key in _KNOWN:
            return f'unknown field here ("{key}" belongs in another table)'
        close = difflib.get_close_matches(key, _KNOWN, n=1, cutoff=0.6)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        return f"unknown field{hint}"
    if kind == "missing":
        return "missing required field"
    if kind == "union_tag_invalid":
        dist = got.get("dist") if isinstance(got, Mapping) else ctx.get("tag")
        expected = ctx.get("expected_tags")
        if not isinstance(dist, str):
            return f'expected "dist" to be one of {expected} (got {_shown(dist)})'
        return f"unknown distribution {_shown(dist)}; expected one of {expected}"
    if kind == "union_tag_not_found":
        return f"expected {_DIST_HINT}"
    if kind == "model_attributes_type":
        return f"expected {_DIST_HINT} (got {_shown(got)})"
    if msg.startswith("Value error, "):
        return _clipped(msg.removeprefix("Value error, "), got)
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "greater_than": ("more than", "gt"),
        "less_than_equal": ("at most", "le"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds and bounds[kind][1] in ctx:
        words, key = bounds[kind]
        text = f"expected a number {words} {ctx[key]}"
    elif kind in ("too_short", "too_long") and "actual_length" in ctx:
        words, key = ("at least", "min_length")
        if kind == "too_long":
            words, key = ("at most", "max_length")
        count = ctx.get(key)
        text = f"expected {words} {count} {'entry' if count == 1 else 'entries'}"
        return f"{text} (got {ctx['actual_length']})"
    elif kind in _TYPE_ERRORS:
        text = f"expected {_TYPE_ERRORS[kind]}"
    elif msg.startswith("Input should be "):
        text = "expected " + msg.removeprefix("Input should be ")
    else:
        text = f"{msg[:1].lower()}{msg[1:]}" or "invalid value"
    if isinstance(got, dict | list):
        return text
    return f"{text} (got {_shown(got)})"


def _problems(label: str, error: ValidationError, data: Any) -> list[str]:
    """One line per problem, in the order of the fields: `label: dotted.path: what was expected`."""
    entries: list[str | tuple[Any, ...]] = []  # a line, or the key of a union's errors
    unions: dict[tuple[Any, ...], list[tuple[str, Mapping[str, Any]]]] = {}
    for err in error.errors():
        loc = tuple(err["loc"])
        path, tag, node = _walk(loc, data, err["type"])
        message = _message(err)
        if err["type"] == "value_error" and isinstance(node, Mapping):
            # A check on a whole table whose sentence starts with one of its keys ("open must be
            # before close"): name that key in the path.
            first, _, rest = message.partition(" ")
            if rest and first in node and first in _KNOWN:
                path, message = f"{path}.{first}" if path else first, rest
        where = f"{label}: {path}" if path else label
        if tag is None:
            entries.append(f"{where}: {message}")
        else:
            if loc[:tag] not in unions:
                entries.append(loc[:tag])
            unions.setdefault(loc[:tag], []).append((where, err))
    lines: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            lines.append(entry)
            continue
        # Several ways to write one value (a number or a pair): report what went wrong in the
        # ways whose type matched; if none matched, say which types would do.
        members = unions[entry]
        deeper = [(where, err) for where, err in members if err["type"] not in _TYPE_ERRORS]
        if deeper:
            lines.extend(f"{where}: {_message(err)}" for where, err in deeper)
            continue
        where, err = members[0]
        wanted = list(dict.fromkeys(_TYPE_ERRORS[e["type"]] for _, e in members))
        got = err.get("input")
        shown = "" if isinstance(got, dict | list) else f" (got {_shown(got)})"
        lines.append(f"{where}: expected {' or '.join(wanted)}{shown}")
    return list(dict.fromkeys(lines))


def _non_finite(node: Any, path: str = "") -> list[tuple[str, float]]:
    """Paths of the NaN and infinite numbers in a document (TOML writes them `nan`, `inf`)."""
    if isinstance(node, float) and not math.isfinite(node):
        return [(path, node)]
    out: list[tuple[str, float]] = []
    if isinstance(node, Mapping):
        for key, value in node.items():
            out += _non_finite(value, f"{path}.{_key(key)}" if path else _key(key))
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            out += _non_finite(value, f"{path}[{index}]")
    return out


def validate(data: Mapping[str, Any], label: str = "<scenario>") -> Scenario:
    """A validated `Scenario` from plain data (a parsed TOML or JSON document)."""
    # No field takes NaN or infinity (a duration that never ends is `{ dist = "never" }`), and
    # some checks cannot see them (NaN compares false), so they are refused up front.
    odd = _non_finite(data)
    problems = [f"{label}: {path}: expected a finite number (got {value})" for path, value in odd]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        told = tuple(f"{label}: {path}: " for path, _ in odd)
        problems += [line for line in _problems(label, error, data) if not line.startswith(told)]
    if problems:
        raise ScenarioError(problems)
    if scenario.uncertainty is not None:
        scenario._source = (copy.deepcopy(dict(data)), scenario.digest())
    return scenario


MAX_EXTENDS = 8
"""Longest chain of scenario files extending one another."""


def read_document(path: str | Path) -> dict[str, Any]:
    """The raw TOML (or JSON) document of a scenario file, with its `extends` resolved.

    `extends = "default.toml"` (a path relative to the file) starts from that scenario: the
    file's tables are merged into it key by key, except that each policy the file defines
    replaces the one of the same name whole (a policy is read as one decision).
    """
    return _read_extended(Path(path), ())


def _merged(base: dict[str, Any], top: Mapping[str, Any], at: str = "") -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        whole_policy = at == "policies"
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and not whole_policy:
            out[key] = _merged(out[key], value, f"{at}.{key}" if at else key)
        else:
            out[key] = value
    return out


def _read_extended(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    data = _read_one(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    label = path.name
    if not isinstance(parent, str) or not parent:
        raise ScenarioError([f"{label}: extends: expected a scenario file name (got {parent!r})"])
    base_path = (path.parent / parent).resolve()
    if base_path in chain or base_path == path.resolve():
        raise ScenarioError([f"{label}: extends: {parent} extends {label} in a loop"])
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError([f"{label}: extends: more than {MAX_EXTENDS} files deep"])
    try:
        base = _read_extended(base_path, (*chain, path.resolve()))
    except ScenarioError as error:
        raise ScenarioError(
            [f"{label}: extends {parent}: {problem}" for problem in error.problems]
        ) from None
    return _merged(base, data)


def _read_one(path: Path) -> dict[str, Any]:
    """One file's TOML (or JSON) document, as written."""
    label = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise ScenarioError([f"{path}: is a folder, expected a scenario file (.toml)"]) from None
    except UnicodeDecodeError:
        raise ScenarioError([f"{label}: not a text file (expected UTF-8 TOML)"]) from None
    except OSError as error:
        raise ScenarioError([f"{path}: cannot be read ({error.strerror})"]) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError([f"{label}: not valid TOML: {error}"]) from None
    except json.JSONDecodeError as error:
        raise ScenarioError([f"{label}: not valid JSON: {error}"]) from None
    if not isinstance(data, dict):
        raise ScenarioError([f"{label}: expected a table at the top level"])
    return data


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file (TOML, or JSON with the same schema)."""
    return validate(read_document(path), Path(path).name)


def schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format, for editors."""
    out = Scenario.model_json_schema(mode="validation")
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = "alignsim scenario"
    return out


def expected_leads(scenario: Scenario) -> float:
    """Mean number of leads a run creates (ignores weekly profiles and campaigns)."""
    return sum(s.rate for s in scenario.market.sources.values()) * scenario.horizon


__all__ = [
    "DISCIPLINES",
    "MAX_ATTEMPTS",
    "OWNERS",
    "READINESS",
    "TEMPERATURES",
    "Policy",
    "Scenario",
    "ScenarioError",
    "Team",
    "expected_leads",
    "load",
    "schema",
    "validate",
]
