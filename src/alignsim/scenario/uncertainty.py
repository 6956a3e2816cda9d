"""What nobody knows precisely: the `[uncertainty]` table of a scenario.

Each key is the dotted path of a numeric value in the scenario file (see `alignsim.scenario.paths`)
and its value the law of that value across Monte Carlo runs; an optional `correlations` list
gives Spearman rank correlations between inputs, as @RISK and Crystal Ball take them:

    [uncertainty]
    "market.win.hot[1]" = { dist = "pert", low = 0.20, mode = 0.28, high = 0.34 }
    "market.sources.content.rate" = { dist = "triangular", low = "60/week", mode = "90/week", high = "130/week" }
    "market.patience.hot.components[2].mean" = { dist = "lognormal", median = "3w", p90 = "6w" }
    "team.reps" = { dist = "discrete", values = [2, 3, 4], weights = [0.2, 0.6, 0.2] }
    correlations = [
      { between = ["market.sources.content.rate", "market.win.hot[1]"], rho = -0.3 },
    ]

Every law takes an optional `label`, the input's name in tables and charts (by default the
path in words: `alignsim.scenario.labels.default_label`).

Laws: `pert` (low, mode, high, optional `lambda` = 4: a beta scaled to [low, high] with that
mode), `triangular` (low, mode, high), `uniform` (low, high), `normal` (mean, sd, optional
low and high: the normal truncated to them), `lognormal` (median, p90), `beta` (a, b, optional
low = 0 and high = 1), `discrete` (values, optional weights adding up to 1, equal by default).
The names are those of the scenario's own laws (`alignsim.distributions`): a range is `low`
to `high` everywhere, and `min`/`max` is refused with that hint.
Parameters are written like the field they change: plain numbers for a number, durations
("3w") for a duration, rates ("90/week") for a rate. Internally they are hours and events per
hour, like the rest of alignsim; run tables show them in the unit of the input's first
parameter (weeks for "3w", per week for "90/week").

Every law maps a uniform u in (0, 1) to a value by its quantile function (scipy.stats), so a
design of uniforms (Latin hypercube, Sobol, plain random) becomes a design of values. The
values have the same bits on every x86-64 processor: scipy's quantiles of the PERT and beta
(Boost's inverse beta), triangular (square roots), uniform and normal (ndtri) call no numpy
transcendental ufunc, whose loops numpy picks from the processor (AVX-512 ones differ in the
last bit); the lognormal's exponential is the C library's (`alignsim.compiled.laws`), and the
truncated normal's quantile is written here with scipy.special's ndtr and ndtri, since
scipy's truncnorm works with np.log and np.exp. The
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

from alignsim.distributions import Z90, StrictModel, low_high
from alignsim.scenario.labels import default_label
from alignsim.scenario.paths import format_path, parse_path
from alignsim.units import HOURS_PER, RATE_PERIODS, parse_duration, parse_rate

__all__ = [
    "EPSILON",
    "Correlation",
    "InputDist",
    "Uncertainty",
    "Unit",
    "read_quantity",
    "score_correlation",
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
    """One uncertain input's law, and the name tables and charts show it by (`label`: by default
    the path in words, `alignsim.scenario.labels.default_label`)."""

    label: str | None = Field(None, min_length=1, max_length=120)
    _low_high = model_validator(mode="before")(classmethod(low_high))

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


def _ordered(low: float, high: float, names: str = "low and high") -> None:
    if not low < high:
        first, second = names.split(" and ")
        raise ValueError(f"expected {first} below {second} (got {low:g} and {high:g})")


class Pert(_Input):
    """PERT: a beta on [low, high] with the given mode, peaked by `lambda` (4: the classic PERT)."""

    dist: Literal["pert"]
    low: Quantity
    mode: Quantity
    high: Quantity
    lambda_: float = Field(4.0, alias="lambda", gt=0, le=1000)

    def _quantities(self) -> dict[str, Any]:
        return {"low": self.low, "mode": self.mode, "high": self.high}

    def _check(self, v: dict[str, float | None]) -> None:
        _ordered(v["low"], v["high"])  # type: ignore[arg-type]
        if not v["low"] <= v["mode"] <= v["high"]:  # type: ignore[operator]
            raise ValueError(
                f"expected mode between low and high (got {v['mode']:g}, "
                f"outside [{v['low']:g}, {v['high']:g}])"
            )

    def law(self) -> Any:
        from scipy import stats

        v = self._values()
        low, mode, high = v["low"], v["mode"], v["high"]
        width = high - low  # type: ignore[operator]
        a = 1 + self.lambda_ * (mode - low) / width  # type: ignore[operator]
        b = 1 + self.lambda_ * (high - mode) / width  # type: ignore[operator]
        return stats.beta(a, b, loc=low, scale=width)


class Triangular(_Input):
    """Triangular on [low, high] with its peak at `mode`."""

    dist: Literal["triangular"]
    low: Quantity
    mode: Quantity
    high: Quantity

    def _quantities(self) -> dict[str, Any]:
        return {"low": self.low, "mode": self.mode, "high": self.high}

    _check = Pert._check

    def law(self) -> Any:
        from scipy import stats

        v = self._values()
        low, mode, high = v["low"], v["mode"], v["high"]
        width = high - low  # type: ignore[operator]
        return stats.triang((mode - low) / width, loc=low, scale=width)  # type: ignore[operator]


class UniformInput(_Input):
    """Equally likely anywhere in [low, high]."""

    dist: Literal["uniform"]
    low: Quantity
    high: Quantity

    def _quantities(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high}

    def _check(self, v: dict[str, float | None]) -> None:
        _ordered(v["low"], v["high"])  # type: ignore[arg-type]

    def law(self) -> Any:
        from scipy import stats

        v = self._values()
        return stats.uniform(loc=v["low"], scale=v["high"] - v["low"])  # type: ignore[operator]


class Normal(_Input):
    """Normal with a mean and a standard deviation, truncated to [low, high] when given."""

    dist: Literal["normal"]
    mean: Quantity
    sd: Quantity
    low: Quantity | None = None
    high: Quantity | None = None

    def _quantities(self) -> dict[str, Any]:
        return {"mean": self.mean, "sd": self.sd, "low": self.low, "high": self.high}

    def _check(self, v: dict[str, float | None]) -> None:
        if not v["sd"] > 0:  # type: ignore[operator]
            raise ValueError(f"expected a positive sd (got {v['sd']:g})")
        if v["low"] is not None and v["high"] is not None:
            _ordered(v["low"], v["high"])

    def law(self) -> Any:
        from scipy import stats

        v = self._values()
        mean, sd = v["mean"], v["sd"]
        if v["low"] is None and v["high"] is None:
            return stats.norm(mean, sd)
        low, high = self._standard_bounds(v)
        return stats.truncnorm(low, high, loc=mean, scale=sd)

    @staticmethod
    def _standard_bounds(v: dict[str, float | None]) -> tuple[float, float]:
        """low and high in standard deviations from the mean (infinite when not given)."""
        mean, sd = v["mean"], v["sd"]
        low = -math.inf if v["low"] is None else (v["low"] - mean) / sd  # type: ignore[operator]
        high = math.inf if v["high"] is None else (v["high"] - mean) / sd  # type: ignore[operator]
        return low, high

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """The (truncated) normal's quantile, with scipy.special's scalar ndtr and ndtri.

        scipy's truncnorm works with np.log and np.exp, whose loops depend on the processor;
        here q maps to Phi^-1(Phi(a) + q (Phi(b) - Phi(a))) for bounds a and b in standard
        deviations, taken from the upper tail by symmetry where that chance is above 1/2 (so
        no precision is lost near 1), then kept within [low, high] against rounding. Without
        bounds: mean + sd Phi^-1(q), as scipy's norm."""
        from scipy import special

        v = self._values()
        if v["low"] is None and v["high"] is None:
            return super().ppf(u)
        q = np.clip(np.asarray(u, dtype=float), EPSILON, 1 - EPSILON)
        a, b = self._standard_bounds(v)
        lower = special.ndtr(a) + q * (special.ndtr(b) - special.ndtr(a))
        upper = special.ndtr(-b) + (1 - q) * (special.ndtr(-a) - special.ndtr(-b))
        z = np.where(lower <= 0.5, special.ndtri(lower), -special.ndtri(upper))
        low = -math.inf if v["low"] is None else v["low"]
        high = math.inf if v["high"] is None else v["high"]
        return np.clip(v["mean"] + v["sd"] * z, low, high)  # type: ignore[operator]


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
        return stats.lognorm(s=self._sigma(v), scale=v["median"])

    @staticmethod
    def _sigma(v: dict[str, float | None]) -> float:
        return math.log(v["p90"] / v["median"]) / Z90  # type: ignore[operator]

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """median exp(sigma z) at the standard normal quantiles z of u: scipy's lognormal
        quantile, with the C library's exp (alignsim.compiled.laws) instead of np.exp."""
        from scipy import special

        from alignsim.compiled.laws import lognormal

        v = self._values()
        z = np.atleast_1d(special.ndtri(np.clip(np.asarray(u, dtype=float), EPSILON, 1 - EPSILON)))
        out = np.empty(z.size)
        lognormal(z.ravel(), float(v["median"]), self._sigma(v), out)  # type: ignore[arg-type]
        return out.reshape(np.shape(u))


class BetaInput(_Input):
    """Beta(a, b) scaled to [low, high] (default [0, 1]): a natural law for a chance."""

    dist: Literal["beta"]
    a: float = Field(gt=0, le=1000)
    b: float = Field(gt=0, le=1000)
    low: Quantity = 0.0
    high: Quantity = 1.0

    def _quantities(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high}

    def _check(self, v: dict[str, float | None]) -> None:
        _ordered(v["low"], v["high"])  # type: ignore[arg-type]

    def law(self) -> Any:
        from scipy import stats

        v = self._values()
        return stats.beta(self.a, self.b, loc=v["low"], scale=v["high"] - v["low"])  # type: ignore[operator]


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
    def labels(self) -> list[str]:
        """The inputs' names for people, in the order of `names`: each input's `label`, or its
        path in words (`alignsim.scenario.labels.default_label`)."""
        return [
            law.label or default_label(name)
            for name, law in zip(self.names, self.inputs.values(), strict=True)
        ]

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
        return score_correlation(self.spearman())

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


def score_correlation(spearman: np.ndarray) -> np.ndarray:
    """2 sin(pi rho / 6) for each Spearman rho: the Pearson correlation of normal scores with
    that rank correlation. The C library's sine (math.sin), not np.sin, whose loop depends on
    the processor."""
    return np.array([[2 * math.sin(math.pi * rho / 6) for rho in row] for row in spearman])
