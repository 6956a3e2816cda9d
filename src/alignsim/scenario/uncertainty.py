"""What nobody knows precisely: the `[uncertainty]` table of a scenario.

Each key is the dotted path of a numeric value in the scenario file (see `alignsim.scenario.paths`)
and its value the law of that value across Monte Carlo runs; an optional `correlations` list
gives Spearman rank correlations between inputs, as @RISK and Crystal Ball take them:

    [uncertainty]
    "market.win.hot[1]" = { dist = "pert", min = 0.20, mode = 0.28, max = 0.34 }
    "market.sources.content.rate" = { dist = "triangular", min = "60/week", mode = "90/week", max = "130/week" }
    "market.patience.hot.components[2].mean" = { dist = "lognormal", median = "3w", p90 = "6w" }
    "team.reps" = { dist = "discrete", values = [2, 3, 4], weights = [0.2, 0.6, 0.2] }
    correlations = [
      { between = ["market.sources.content.rate", "market.win.hot[1]"], rho = -0.3 },
    ]

Laws: `pert` (min, mode, max, optional `lambda` = 4: a beta scaled to [min, max] with that
mode), `triangular` (min, mode, max), `uniform` (min, max), `normal` (mean, sd, optional
min and max: the normal truncated to them), `lognormal` (median, p90), `beta` (a, b, optional
min = 0 and max = 1), `discrete` (values, optional weights adding up to 1, equal by default).
Parameters are written like the field they change: plain numbers for a number, durations
("3w") for a duration, rates ("90/week") for a rate. Internally they are hours and events per
hour, like the rest of alignsim; run tables show them in the unit of the input's first
parameter (weeks for "3w", per week for "90/week").

Every law maps a uniform u in (0, 1) to a value by its quantile function (scipy.stats), so a
design of uniforms (Latin hypercube, Sobol, plain random) becomes a design of values. The
uniforms are kept within [1e-9, 1 - 1e-9], so every draw lies in `bounds()`, the range that is
checked against the scenario before any run.

The scenario schema (`alignsim.scenario.models`) imports this module for its `uncertainty`
field; the batch runner (`alignsim.batch`) draws from these laws.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BeforeValidator, Field, model_validator

from alignsim.distributions import Z90, StrictModel
from alignsim.scenario.paths import format_path, parse_path
from alignsim.units import HOURS_PER, RATE_PERIODS, parse_duration, parse_rate

__all__ = [
    "EPSILON",
    "Correlation",
    "InputDist",
    "Uncertainty",
    "Unit",
    "read_quantity",
]

EPSILON = 1e-9
"""Uniforms are kept within [EPSILON, 1 - EPSILON]: no infinite draw, and a checkable range."""


@dataclass(frozen=True)
class Unit:
    """How an input's values are written: a plain number, a duration or a rate.

    `scale` turns an internal value (hours, events per hour) into the written unit:
    shown = internal * scale.
    """

    kind: Literal["number", "duration", "rate"]
    name: str
    scale: float

    @property
    def label(self) -> str:
        """The unit for people: "", "weeks", "per week"."""
        words = {"s": "seconds", "sec": "seconds", "m": "minutes", "min": "minutes"}
        words |= {"h": "hours", "d": "days", "w": "weeks"}
        if self.kind == "duration":
            return words[self.name]
        if self.kind == "rate":
            return f"per {self.name}"
        return ""


NUMBER = Unit("number", "", 1.0)
_DURATION_UNIT = re.compile(r"(sec|min|s|m|h|d|w)")
_RATE_PERIOD = re.compile(r"/\s*([a-z]+)\s*$")


def read_quantity(value: Any) -> tuple[float, Unit]:
    """A parameter as (internal value, unit): 0.3 -> number; "3w" -> 504 hours; "90/week" -> per hour."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value), NUMBER
    if isinstance(value, str):
        try:
            return _read_text(value)
        except ValueError:
            pass
    raise ValueError(
        f'expected a number, a duration like "3d" or a rate like "90/week" (got {value!r})'
    )


def _read_text(value: str) -> tuple[float, Unit]:
    """A rate ("90/week") or a duration ("3d") and its unit; ValueError if neither."""
    if "/" in value:
        rate = parse_rate(value)
        period = _RATE_PERIOD.search(value.lower())
        name = period.group(1) if period else "hour"
        name = {"h": "hour", "d": "day", "w": "week"}.get(name, name)
        return rate, Unit("rate", name, RATE_PERIODS[name])
    hours = parse_duration(value)
    largest = max(_DURATION_UNIT.findall(value), key=lambda u: HOURS_PER[u])
    return hours, Unit("duration", largest, 1.0 / HOURS_PER[largest])


def _quantity(value: Any) -> Any:
    read_quantity(value)  # refuses what is neither a number, a duration nor a rate
    return value


Quantity = Annotated[float | str, BeforeValidator(_quantity)]
"""A parameter written like the field it changes: 0.3, "3w" or "90/week"."""


class _Input(StrictModel):
    """One uncertain input's law."""

    def _quantities(self) -> dict[str, Any]:
        """The parameters written in the field's unit, by name (None: not given)."""
        raise NotImplementedError

    def _values(self) -> dict[str, float | None]:
        return {
            name: None if raw is None else read_quantity(raw)[0]
            for name, raw in self._quantities().items()
        }

    @property
    def unit(self) -> Unit:
        """The unit of the first parameter written with one (plain numbers otherwise)."""
        for raw in self._quantities().values():
            if raw is not None:
                unit = read_quantity(raw)[1]
                if unit.kind != "number":
                    return unit
        return NUMBER

    @model_validator(mode="after")
    def _one_kind(self) -> _Input:
        kinds = {
            read_quantity(raw)[1].kind for raw in self._quantities().values() if raw is not None
        }
        if len(kinds) > 1:
            raise ValueError(
                "write every parameter the same way: all plain numbers, all durations "
                '(like "3d") or all rates (like "90/week")'
            )
        self._check(self._values())
        return self

    def _check(self, v: dict[str, float | None]) -> None:
        """Raise ValueError when the parameters make no law."""

    def law(self) -> Any:
        """The frozen scipy.stats distribution, in internal units."""
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values (internal units) at the uniforms u (each kept within [EPSILON, 1 - EPSILON])."""
        return np.asarray(self.law().ppf(np.clip(u, EPSILON, 1 - EPSILON)), dtype=float)

    def bounds(self) -> tuple[float, float]:
        """The smallest and largest value a run can draw (internal units)."""
        low, high = self.ppf(np.array([0.0, 1.0]))
        return float(low), float(high)


def _ordered(low: float, high: float, names: str = "min and max") -> None:
    if not low < high:
        first, second = names.split(" and ")
        raise ValueError(f"expected {first} below {second} (got {low:g} and {high:g})")


class Pert(_Input):
    """PERT: a beta on [min, max] with the given mode, peaked by `lambda` (4: the classic PERT)."""

    dist: Literal["pert"]
    min: Quantity
    mode: Quantity
    max: Quantity
    lambda_: float = Field(4.0, alias="lambda", gt=0, le=1000)

    def _quantities(self) -> dict[str, Any]:
        return {"min": self.min, "mode": self.mode, "max": self.max}

    def _check(self, v: dict[str, float | None]) -> None:
        _ordered(v["min"], v["max"])  # type: ignore[arg-type]
        if not v["min"] <= v["mode"] <= v["max"]:  # type: ignore[operator]
            raise ValueError(
                f"expected mode between min and max (got {v['mode']:g}, "
                f"outside [{v['min']:g}, {v['max']:g}])"
            )

    def law(self) -> Any:
        from scipy import stats

        v = self._values()
        low, mode, high = v["min"], v["mode"], v["max"]
        width = high - low  # type: ignore[operator]
        a = 1 + self.lambda_ * (mode - low) / width  # type: ignore[operator]
        b = 1 + self.lambda_ * (high - mode) / width  # type: ignore[operator]
        return stats.beta(a, b, loc=low, scale=width)


class Triangular(_Input):
    """Triangular on [min, max] with its peak at `mode`."""

    dist: Literal["triangular"]
    min: Quantity
    mode: Quantity
    max: Quantity

    def _quantities(self) -> dict[str, Any]:
        return {"min": self.min, "mode": self.mode, "max": self.max}

    _check = Pert._check

    def law(self) -> Any:
        from scipy import stats

        v = self._values()
        low, mode, high = v["min"], v["mode"], v["max"]
        width = high - low  # type: ignore[operator]
        return stats.triang((mode - low) / width, loc=low, scale=width)  # type: ignore[operator]


class UniformInput(_Input):
    """Equally likely anywhere in [min, max]."""

    dist: Literal["uniform"]
    min: Quantity
    max: Quantity

    def _quantities(self) -> dict[str, Any]:
        return {"min": self.min, "max": self.max}

    def _check(self, v: dict[str, float | None]) -> None:
        _ordered(v["min"], v["max"])  # type: ignore[arg-type]

    def law(self) -> Any:
        from scipy import stats

        v = self._values()
        return stats.uniform(loc=v["min"], scale=v["max"] - v["min"])  # type: ignore[operator]


class Normal(_Input):
    """Normal with a mean and a standard deviation, truncated to [min, max] when given."""

    dist: Literal["normal"]
    mean: Quantity
    sd: Quantity
    min: Quantity | None = None
    max: Quantity | None = None

    def _quantities(self) -> dict[str, Any]:
        return {"mean": self.mean, "sd": self.sd, "min": self.min, "max": self.max}

    def _check(self, v: dict[str, float | None]) -> None:
        if not v["sd"] > 0:  # type: ignore[operator]
            raise ValueError(f"expected a positive sd (got {v['sd']:g})")
        if v["min"] is not None and v["max"] is not None:
            _ordered(v["min"], v["max"])

    def law(self) -> Any:
        from scipy import stats

        v = self._values()
        mean, sd = v["mean"], v["sd"]
        if v["min"] is None and v["max"] is None:
            return stats.norm(mean, sd)
        low = -math.inf if v["min"] is None else (v["min"] - mean) / sd  # type: ignore[operator]
        high = math.inf if v["max"] is None else (v["max"] - mean) / sd  # type: ignore[operator]
        return stats.truncnorm(low, high, loc=mean, scale=sd)


class LognormalInput(_Input):
    """Lognormal given by its median and 90th percentile (as the scenario's own lognormals)."""

    dist: Literal["lognormal"]
    median: Quantity
    p90: Quantity

    def _quantities(self) -> dict[str, Any]:
        return {"median": self.median, "p90": self.p90}

    def _check(self, v: dict[str, float | None]) -> None:
        if not 0 < v["median"] < v["p90"]:  # type: ignore[operator]
            raise ValueError(
                f"expected 0 < median < p90 (got median {v['median']:g} and p90 {v['p90']:g})"
            )

    def law(self) -> Any:
        from scipy import stats

        v = self._values()
        sigma = math.log(v["p90"] / v["median"]) / Z90  # type: ignore[operator]
        return stats.lognorm(s=sigma, scale=v["median"])


class BetaInput(_Input):
    """Beta(a, b) scaled to [min, max] (default [0, 1]): a natural law for a chance."""

    dist: Literal["beta"]
    a: float = Field(gt=0, le=1000)
    b: float = Field(gt=0, le=1000)
    min: Quantity = 0.0
    max: Quantity = 1.0

    def _quantities(self) -> dict[str, Any]:
        return {"min": self.min, "max": self.max}

    def _check(self, v: dict[str, float | None]) -> None:
        _ordered(v["min"], v["max"])  # type: ignore[arg-type]

    def law(self) -> Any:
        from scipy import stats

        v = self._values()
        return stats.beta(self.a, self.b, loc=v["min"], scale=v["max"] - v["min"])  # type: ignore[operator]


class Discrete(_Input):
    """A few possible values with their weights (equal when not given)."""

    dist: Literal["discrete"]
    values: list[Quantity] = Field(min_length=1, max_length=1000)
    weights: list[Annotated[float, Field(gt=0)]] | None = None

    def _quantities(self) -> dict[str, Any]:
        return {f"values[{k}]": value for k, value in enumerate(self.values)}

    def _check(self, v: dict[str, float | None]) -> None:
        if self.weights is None:
            return
        if len(self.weights) != len(self.values):
            raise ValueError(
                f"expected one weight per value ({len(self.values)}, got {len(self.weights)})"
            )
        if abs(sum(self.weights) - 1) > 1e-9:
            raise ValueError(f"expected weights adding up to 1 (got {sum(self.weights):.6g})")

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        values = np.array([read_quantity(v)[0] for v in self.values])
        weights = np.full(len(values), 1 / len(values)) if self.weights is None else self.weights
        return values, np.cumsum(weights)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        values, edges = self._table()
        u = np.clip(np.asarray(u, dtype=float), EPSILON, 1 - EPSILON)
        return values[np.minimum(np.searchsorted(edges, u, side="right"), len(values) - 1)]

    def bounds(self) -> tuple[float, float]:
        values, _ = self._table()
        return float(values.min()), float(values.max())


InputDist = Annotated[
    Pert | Triangular | UniformInput | Normal | LognormalInput | BetaInput | Discrete,
    Field(discriminator="dist"),
]
"""The law of one uncertain input."""


class Correlation(StrictModel):
    """A Spearman rank correlation between two uncertain inputs."""

    between: tuple[str, str]
    rho: float = Field(ge=-1, le=1)


def _flatten(node: Any, prefix: str, out: dict[str, Any]) -> None:
    """Inputs written as nested tables (`team.reps = {...}` unquoted) become dotted keys."""
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and "dist" not in value and value:
            _flatten(value, path, out)
        else:
            out[path] = value


def _normal_path(text: str) -> str:
    return format_path(parse_path(text))


class Uncertainty(StrictModel):
    """The uncertain inputs of a scenario (by dotted path) and their rank correlations."""

    inputs: dict[str, InputDist] = Field(min_length=1)
    correlations: list[Correlation] = []

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, data: Any) -> Any:
        """The file writes the inputs straight under [uncertainty], next to `correlations`."""
        if not isinstance(data, dict):
            return data
        inputs: dict[str, Any] = {}
        _flatten({k: v for k, v in data.items() if k != "correlations"}, "", inputs)
        out: dict[str, Any] = {"inputs": inputs}
        if "correlations" in data:
            out["correlations"] = data["correlations"]
        return out

    @model_validator(mode="after")
    def _consistent(self) -> Uncertainty:
        names: dict[str, str] = {}
        for key in self.inputs:
            try:
                normal = _normal_path(key)
            except ValueError as error:
                raise ValueError(f'"{key}": {error}') from None
            if normal in names:
                raise ValueError(f'"{key}" and "{names[normal]}" name the same value')
            names[normal] = key
        pairs: set[frozenset[str]] = set()
        for k, c in enumerate(self.correlations):
            ends = []
            for name in c.between:
                try:
                    ends.append(_normal_path(name))
                except ValueError as error:
                    raise ValueError(f"correlations[{k}].between: {error}") from None
                if ends[-1] not in names:
                    raise ValueError(
                        f'correlations[{k}].between names "{name}", which is not one of the '
                        "uncertain inputs"
                    )
            if ends[0] == ends[1]:
                raise ValueError(f'correlations[{k}] correlates "{ends[0]}" with itself')
            if frozenset(ends) in pairs:
                raise ValueError(f"correlations[{k}] repeats a pair already given")
            pairs.add(frozenset(ends))
        if self.correlations:
            for matrix in (self.spearman(), self.score_correlation()):
                eigen = float(np.linalg.eigvalsh(matrix).min())
                if eigen <= 1e-10:
                    raise ValueError(
                        "correlations cannot hold together: the rank correlation matrix is not "
                        f"positive definite (smallest eigenvalue {eigen:.3g}); loosen some of them"
                    )
        return self

    @property
    def names(self) -> list[str]:
        """The inputs' paths, as written in normal form, in the file's order."""
        return [_normal_path(key) for key in self.inputs]

    @property
    def laws(self) -> list[Any]:
        """The inputs' laws, in the order of `names`."""
        return list(self.inputs.values())

    def spearman(self) -> np.ndarray:
        """The target Spearman rank correlation matrix (identity where none is given)."""
        index = {name: k for k, name in enumerate(self.names)}
        matrix = np.eye(len(index))
        for c in self.correlations:
            i, j = (index[_normal_path(name)] for name in c.between)
            matrix[i, j] = matrix[j, i] = c.rho
        return matrix

    def score_correlation(self) -> np.ndarray:
        """The Pearson correlation of normal scores with that rank correlation: 2 sin(pi rho / 6)."""
        return 2 * np.sin(np.pi * self.spearman() / 6)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        # The file writes inputs straight under [uncertainty] (see `_as_written`).
        schema = handler.resolve_ref_schema(handler(core_schema))
        inputs = schema["properties"]["inputs"]["additionalProperties"]
        schema["properties"] = {"correlations": schema["properties"]["correlations"]}
        schema["additionalProperties"] = inputs
        schema.pop("required", None)
        schema["description"] = (
            "Uncertain inputs for Monte Carlo batches: dotted path of a value -> its law; "
            "`correlations` gives Spearman rank correlations between them."
        )
        return schema
