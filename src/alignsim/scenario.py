"""Scenario files: one market, one team and named policies (MODEL.md section 1), from TOML.

A scenario is plain data, validated once here. Everything downstream receives the frozen
`Scenario` and never reads a file or validates again. Bad input raises `ScenarioError`,
whose lines each name the file, the field path and what was expected.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema
from pydantic import field_validator, model_validator

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
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?\s*/\s*(hour|h|day|d|week|w|month|year)$"}),
]
"""Events per hour, written like "120/week"."""
ClockTime = Annotated[
    float, BeforeValidator(parse_clock), WithJsonSchema({"type": "string", "pattern": r"^\d\d:\d\d$"})
]
"""A time of day written like "17:00"; hours after midnight once parsed."""
Days = Annotated[
    tuple[int, ...],
    BeforeValidator(parse_days),
    WithJsonSchema(
        {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    ),
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
    reach: ByTemperature = Field(description="Chance one attempt reaches a buyer whose window is open.")
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

    reps: int = Field(ge=1, le=10_000)
    hours: Hours = Hours()
    attempt_time: DurationDist = Field(
        "10m", description="Rep time for one contact attempt."  # type: ignore[arg-type]
    )
    qualify_time: DurationDist = Field(
        "30m", description="Rep time for the qualification call after a buyer is reached."  # type: ignore[arg-type]
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

    marketing_noise: float = Field(ge=0, le=5, description="sigma_m: objective ~0.05, subjective ~0.25.")
    sales_noise: float = Field(ge=0, le=5, description="sigma_s, sales' view from the record.")
    mql_threshold: float = Field(ge=-2, le=3, description="Marketing's bar on its view of the score.")
    accept_threshold: float = Field(ge=-2, le=3, description="Sales' bar to accept (SAL).")


class Handoff(StrictModel):
    """How MQLs reach sales: in real time after a routing delay, or in batches at clock times."""

    mode: Literal["realtime", "batch"] = "realtime"
    routing_delay: Duration = Field(0.0, description="Realtime: systems delay before the lead is routed.")
    times: list[ClockTime] = Field(
        [17.0], min_length=1, description='Batch: export clock times on business days, e.g. ["17:00"].'
    )


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


class Policy(StrictModel):
    """What a company chooses: definitions, handoff, SLA, queue discipline, what happens to rejects."""

    description: str = ""
    definition: Definition
    handoff: Handoff = Handoff()
    sla: SLA
    queue: Literal["fifo", "lifo", "value", "sla", "cherry-pick"] = "fifo"
    rejected: Literal["discard"] = Field(
        "discard", description='"discard": a rejected lead ends as rejected.'
    )
    team: TeamOverride | None = None


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
        return self.team.model_copy(update=override.model_dump(exclude_none=True, by_alias=False))

    def digest(self) -> str:
        """A short hash of the validated content, to tie outputs to their scenario."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


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


def _path(loc: tuple[Any, ...], data: Any) -> str:
    """Dotted field path of a pydantic location, without the union tags pydantic inserts."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(node, Mapping) and item not in node and node.get("dist") == item:
            continue  # a discriminator tag, not a key
        if isinstance(node, Mapping) and item not in node and isinstance(item, str) and (
            item.startswith(("function-", "tuple[", "float", "int", "list[")) or "[" in item
        ):
            continue  # a union member's name
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
        if isinstance(node, Mapping):
            node = node.get(item)
        elif isinstance(node, list) and isinstance(item, int) and item < len(node):
            node = node[item]
        else:
            node = None
    return "".join(parts)


def _message(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    msg = str(err["msg"])
    if kind == "extra_forbidden":
        key = str(err["loc"][-1])
        close = difflib.get_close_matches(key, _KNOWN - {key}, n=1, cutoff=0.6)
        if key in _KNOWN:
            return f'unknown field here ("{key}" belongs in another table)'
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        return f"unknown field{hint}"
    if kind == "missing":
        return "missing required field"
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        return f"unknown distribution {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return 'expected a value or a table with a "dist" key, e.g. { dist = "exponential", mean = "1h" }'
    if msg.startswith("Value error, "):
        return msg.removeprefix("Value error, ")
    got = err.get("input")
    if isinstance(got, dict | list):
        return f"{msg[0].lower()}{msg[1:]}"
    return f"{msg[0].lower()}{msg[1:]} (got {got!r})"


def _problems(label: str, error: ValidationError, data: Any) -> list[str]:
    lines = []
    for err in error.errors():
        path = _path(tuple(err["loc"]), data)
        where = f"{label}: {path}" if path else label
        lines.append(f"{where}: {_message(err)}")
    return list(dict.fromkeys(lines))


def validate(data: Mapping[str, Any], label: str = "<scenario>") -> Scenario:
    """A validated `Scenario` from plain data (a parsed TOML or JSON document)."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(_problems(label, error, data)) from None
    return scenario


def read_document(path: str | Path) -> dict[str, Any]:
    """The raw TOML (or JSON) document of a scenario file."""
    path = Path(path)
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
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = tomllib.loads(text)
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
