"""The distribution vocabulary of scenario files, built on numpy and scipy.special.

Every distribution maps uniforms to draws (`from_uniform`), so a lead stream stores the
uniforms it drew and the same luck can be replayed under other parameters (common random
numbers). A mixture picks its component from where the uniform falls among the cumulative
weights and rescales it inside that segment: one uniform, exactly the mixture's law.

Each family is generic in its quantity: `DurationDist` takes durations ("10m") and returns
hours; `AmountDist` takes plain numbers (money, fit).

No map calls a numpy ufunc of a transcendental function (log, exp, log1p, power, ...): numpy
picks those loops from the processor at run time, and an AVX-512 machine would draw other
bits than an AVX2 one. The logarithms, exponentials and powers are compiled loops over the C
library's functions (`alignsim.compiled.laws`, which says why); quantiles are scipy.special's
or tables of them; the rest is IEEE arithmetic, the same everywhere.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Annotated, Any, Generic, Literal, TypeVar

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from alignsim.tables import cached_table
from alignsim.units import parse_duration

Q = TypeVar("Q")

Z90 = 1.2815515655446004
"""The standard normal 90th percentile, `scipy.special.ndtri(0.9)` to the bit (tested): links a
lognormal's median and P90. Written out so that reading a scenario does not load scipy."""

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema({"type": "string", "pattern": r"^(\d+(\.\d+)?(sec|min|s|m|h|d|w))+$"}),
]
"""A duration written like "5m", "2h", "3d" or "2w"; hours once parsed."""


class StrictModel(BaseModel):
    """A frozen model that refuses unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


LOW_HIGH = "write low/high, not min/max"
"""The hint for a range written in another vocabulary: every law of alignsim (a scenario's and
an uncertain input's) names the ends of a range `low` and `high`."""


def low_high(cls: type[BaseModel], data: Any) -> Any:
    """Refuse `min`/`max` in a law whose range is `low`/`high`, with the hint (a before-check)."""
    if "low" in cls.model_fields and isinstance(data, dict) and ("min" in data or "max" in data):
        raise ValueError(LOW_HIGH)
    return data


def _compiled(loop: str, u: np.ndarray | float, *params: float) -> np.ndarray:
    """`alignsim.compiled.<loop>(u, *params, out)` over u of any shape (a scalar for a scalar,
    as a ufunc gives)."""
    from alignsim import compiled

    u = np.asarray(u, dtype=float)
    flat = np.ascontiguousarray(u).ravel()
    out = np.empty_like(flat)
    getattr(compiled, loop)(flat, *params, out)
    return out.reshape(u.shape) if u.ndim else out[0]


class _Dist(StrictModel):
    weight: float | None = Field(None, gt=0, le=1, description="Share of a mixture component.")

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def mean(self) -> float:
        raise NotImplementedError

    def support(self) -> tuple[float, float]:
        raise NotImplementedError


class Fixed(_Dist, Generic[Q]):
    """Always the same value."""

    dist: Literal["fixed"]
    value: Q

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), float(self.value))  # type: ignore[arg-type]

    def mean(self) -> float:
        return float(self.value)  # type: ignore[arg-type]

    def support(self) -> tuple[float, float]:
        return (self.mean(), self.mean())


class Never(_Dist):
    """A duration that never ends (a buyer who never goes elsewhere): infinite hours."""

    dist: Literal["never"]

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), math.inf)

    def mean(self) -> float:
        return math.inf

    def support(self) -> tuple[float, float]:
        return (math.inf, math.inf)


class Uniform(_Dist, Generic[Q]):
    """Equally likely anywhere in [low, high]."""

    dist: Literal["uniform"]
    low: Q
    high: Q

    _low_high = model_validator(mode="before")(classmethod(low_high))

    @model_validator(mode="after")
    def _ordered(self) -> Uniform[Q]:
        if not self.low < self.high:  # type: ignore[operator]
            raise ValueError(f"low must be below high (got {self.low} and {self.high})")
        return self

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        lo, hi = float(self.low), float(self.high)  # type: ignore[arg-type]
        return lo + (hi - lo) * u

    def mean(self) -> float:
        return (float(self.low) + float(self.high)) / 2  # type: ignore[arg-type]

    def support(self) -> tuple[float, float]:
        return (float(self.low), float(self.high))  # type: ignore[arg-type]


class Exponential(_Dist, Generic[Q]):
    """Memoryless, with the given mean."""

    dist: Literal["exponential"]
    mean_: Q = Field(alias="mean")

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _positive(self) -> Exponential[Q]:
        if not float(self.mean_) > 0:  # type: ignore[arg-type]
            raise ValueError(f"mean must be positive (got {self.mean_})")
        return self

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        return _compiled("exponential", u, -float(self.mean_))  # type: ignore[arg-type]

    def mean(self) -> float:
        return float(self.mean_)  # type: ignore[arg-type]

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)


_KNOTS = 2**16
"""Intervals of the tabulated quantile functions (gamma, beta) on [0, 1]."""

_TAIL = 2.0**-10
"""Below this chance, or above 1 minus it, tabulated quantiles are computed exactly."""

_GRID = np.linspace(0.0, 1.0, _KNOTS + 1)
"""The knots k / 65536, exact in binary: u * _KNOTS lands on them without rounding."""


def _tabulated(
    table: np.ndarray, u: np.ndarray, exact: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Linear interpolation of a quantile table on _GRID at chances u; `exact(u)` in the tails.

    The grid is even, so no search is needed: the knot below u is the integer part of
    u * _KNOTS (alignsim.compiled does it in one pass).
    """
    from alignsim.compiled import interpolate

    flat = np.ascontiguousarray(u, dtype=float).ravel()
    out = np.empty_like(flat)
    tails = interpolate(table, flat, _KNOTS, _TAIL, out)
    if len(tails):
        out[tails] = exact(flat[tails])
    return out.reshape(np.shape(u))


@functools.lru_cache(maxsize=64)
def _gamma_table(shape: float) -> np.ndarray:
    from scipy import special

    return cached_table(
        "gammaincinv", (shape,), len(_GRID), lambda: special.gammaincinv(shape, _GRID)
    )


GAMMA_QUANTILE_ERROR = 2e-5
"""Bound on |gamma_quantile - q| / max(1, q), q = scipy's `special.gammaincinv` (equal to
`stats.gamma.ppf`), for shapes in [0.01, 10,000] (measured; see `gamma_quantile`)."""


def gamma_quantile(shape: float, u: np.ndarray) -> np.ndarray:
    """Quantiles of the standard gamma law (scale 1) at chances u, within
    GAMMA_QUANTILE_ERROR * max(1, q) of scipy's q.

    Inverting the incomplete gamma function costs about half a microsecond a value, and a
    run needs one per possible call of every lead: most of a fast run. So the body of the
    quantile function is tabulated once per shape at 65,537 evenly spaced chances and
    interpolated linearly; the tails (u below 2**-10 or above 1 - 2**-10), where it bends
    hard, take scipy's exact values. A value depends only on its own u, never on how many
    are drawn together.

    Error against scipy, measured at the midpoint and quarter points of every knot interval
    for 49 shapes spaced evenly in log from 0.01 to 10,000 (a gamma law's cv from 10 down to
    0.01): |error| <= 1.5e-5 * max(1, q), the worst at shape 0.01; for shapes >= 1 (cv <= 1)
    the relative error is at most 7.4e-6. So a `Gamma(mean, cv)` draw, q * mean * cv**2, is
    off by at most 2e-5 * max(mean * cv**2, the draw). Below shape 0.01 the body's values
    fall under 1e-300 and only the absolute error (under 3e-5) means anything.
    """
    from scipy import special

    u = np.asarray(u, dtype=float)
    shape = float(shape)
    return _tabulated(_gamma_table(shape), u, lambda t: special.gammaincinv(shape, t))


@functools.lru_cache(maxsize=64)
def _beta_table(a: float, b: float) -> np.ndarray:
    from scipy import special

    return cached_table("betaincinv", (a, b), len(_GRID), lambda: special.betaincinv(a, b, _GRID))


BETA_QUANTILE_ERROR = 4e-6
"""Bound on |beta_quantile - scipy.stats.beta.ppf| for a and b in [0.01, 1000] (measured)."""


def beta_quantile(a: float, b: float, u: np.ndarray) -> np.ndarray:
    """Quantiles of the Beta(a, b) law at chances u, within BETA_QUANTILE_ERROR of scipy's.

    scipy's `stats.beta.ppf` costs one to two microseconds a value, and every lead draws a
    fit: the largest part of drawing a stream. So, as for `gamma_quantile`, the body is
    tabulated once per (a, b) at 65,537 evenly spaced chances (about 0.1 s; kept on disk by alignsim.tables) and
    interpolated linearly, and the tails (u below 2**-10 or above 1 - 2**-10) take scipy's
    exact values (`special.betaincinv`, equal to `stats.beta.ppf`): that is where the
    quantile bends hardest, with an infinite slope at 0 when a > 1 (at 1 when b > 1) and a
    flat start that turns steeply when a < 1 (b < 1 at the other end). Measured against
    scipy at every knot interval's midpoint, the absolute error is at most 1.4e-6 for a, b
    >= 1, 2.2e-6 for a, b >= 0.1, 3.7e-6 for a, b >= 0.01 (up to 1000), and 1.2e-5 when a
    or b is as small as 0.001. Interpolating a rising table keeps the quantile rising, and
    a value depends only on its own u, never on how many are drawn together.
    """
    from scipy import special

    u = np.asarray(u, dtype=float)
    a, b = float(a), float(b)
    return _tabulated(_beta_table(a, b), u, lambda t: special.betaincinv(a, b, t))


class Gamma(_Dist, Generic[Q]):
    """Gamma with a mean and a coefficient of variation (std / mean); cv = 1 is exponential."""

    dist: Literal["gamma"]
    mean_: Q = Field(alias="mean")
    cv: float = Field(gt=0, le=10)

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _positive(self) -> Gamma[Q]:
        if not float(self.mean_) > 0:  # type: ignore[arg-type]
            raise ValueError(f"mean must be positive (got {self.mean_})")
        return self

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        shape = 1 / self.cv**2
        return gamma_quantile(shape, u) * (float(self.mean_) / shape)  # type: ignore[arg-type]

    def mean(self) -> float:
        return float(self.mean_)  # type: ignore[arg-type]

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)


class Lognormal(_Dist, Generic[Q]):
    """Lognormal given by its median and 90th percentile: half the draws below `median`, 90% below `p90`."""

    dist: Literal["lognormal"]
    median: Q
    p90: Q

    @model_validator(mode="after")
    def _ordered(self) -> Lognormal[Q]:
        if not 0 < self.median < self.p90:  # type: ignore[operator]
            raise ValueError(f"need 0 < median < p90 (got median {self.median} and p90 {self.p90})")
        return self

    @property
    def sigma(self) -> float:
        return math.log(float(self.p90) / float(self.median)) / Z90  # type: ignore[arg-type]

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        from scipy import special

        z = special.ndtri(np.asarray(u, dtype=float))
        return _compiled("lognormal", z, float(self.median), self.sigma)  # type: ignore[arg-type]

    def mean(self) -> float:
        return float(self.median) * math.exp(self.sigma**2 / 2)  # type: ignore[arg-type]

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)


class Weibull(_Dist, Generic[Q]):
    """Weibull with a shape (k < 1: most end early, a long tail) and a scale."""

    dist: Literal["weibull"]
    shape: float = Field(gt=0, le=50)
    scale: Q

    @model_validator(mode="after")
    def _positive(self) -> Weibull[Q]:
        if not float(self.scale) > 0:  # type: ignore[arg-type]
            raise ValueError(f"scale must be positive (got {self.scale})")
        return self

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        return _compiled("weibull", u, float(self.scale), 1 / self.shape)  # type: ignore[arg-type]

    def mean(self) -> float:
        return float(self.scale) * math.gamma(1 + 1 / self.shape)  # type: ignore[arg-type]

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)


class Beta(_Dist):
    """Beta(a, b) on [0, 1]: the natural law of a fit score."""

    dist: Literal["beta"]
    a: float = Field(gt=0, le=1000)
    b: float = Field(gt=0, le=1000)

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        return beta_quantile(self.a, self.b, u)

    def mean(self) -> float:
        return self.a / (self.a + self.b)

    def support(self) -> tuple[float, float]:
        return (0.0, 1.0)


def _scalar_is_fixed(value: Any) -> Any:
    """`attempt_time = "10m"` is shorthand for a fixed distribution."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


_INNER_TOP = 1 - 1e-16
"""The largest chance a mixture hands a component (1 - 2**-53): an exponential stays finite."""


class _Mixture(_Dist):
    components: list[Any]

    @model_validator(mode="before")
    @classmethod
    def _last_takes_the_rest(cls, data: Any) -> Any:
        """The last component may leave its weight out: it takes the rest, 1 minus the others'
        (so an `[uncertainty]` input can vary one share of a two-part mixture)."""
        parts = data.get("components") if isinstance(data, dict) else None
        if not isinstance(parts, list) or len(parts) < 2:
            return data
        last = _scalar_is_fixed(parts[-1])
        others = [c.get("weight") if isinstance(c, dict) else None for c in parts[:-1]]
        if (
            not isinstance(last, dict)
            or "weight" in last
            or any(isinstance(w, bool) or not isinstance(w, int | float) for w in others)
        ):
            return data
        rest = 1.0 - float(sum(others))
        if not rest > 0:
            raise ValueError(
                f"the last component's weight is the rest of the others' ({sum(others):.6g}), "
                "which leaves nothing"
            )
        return {**data, "components": [*parts[:-1], {**last, "weight": rest}]}

    @model_validator(mode="after")
    def _weights(self) -> _Mixture:
        weights = [c.weight for c in self.components]
        if not self.components:
            raise ValueError("a mixture needs at least one component")
        if any(w is None for w in weights):
            raise ValueError("every mixture component needs a weight")
        if abs(sum(weights) - 1) > 1e-9:
            raise ValueError(f"mixture weights must add up to 1 (got {sum(weights):.6g})")
        return self

    @property
    def _edges(self) -> np.ndarray:
        return np.concatenate([[0.0], np.cumsum([c.weight for c in self.components])])

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        edges = self._edges
        if all(isinstance(c, Exponential | Never) for c in self.components):
            # The usual patience law, compiled in one pass with each component's own
            # arithmetic (the same bits as below); it skips log1p for the never-ending buyers.
            from alignsim.compiled import exponential_mixture

            scale = np.array(
                [-c.mean() if isinstance(c, Exponential) else 0.0 for c in self.components]
            )
            flat = np.ascontiguousarray(u, dtype=float).ravel()
            out = np.empty_like(flat)
            exponential_mixture(flat, edges, scale, _INNER_TOP, out)
            return out.reshape(u.shape) if u.ndim else out[0]
        which = np.zeros(u.shape, dtype=np.intp)  # the component of each u: edges passed
        for edge in edges[1:-1]:
            which += u >= edge
        inner = np.clip((u - edges[:-1][which]) / np.diff(edges)[which], 0.0, _INNER_TOP)
        out = np.empty(u.shape)
        for k, comp in enumerate(self.components):
            mask = which == k
            if mask.any():
                out[mask] = comp.from_uniform(inner[mask])
        return out

    def mean(self) -> float:
        return float(sum(c.weight * c.mean() for c in self.components))

    def support(self) -> tuple[float, float]:
        ranges = [c.support() for c in self.components]
        return (min(r[0] for r in ranges), max(r[1] for r in ranges))


_DurationComponent = Annotated[
    Fixed[Duration]
    | Never
    | Uniform[Duration]
    | Exponential[Duration]
    | Gamma[Duration]
    | Lognormal[Duration]
    | Weibull[Duration],
    Field(discriminator="dist"),
    BeforeValidator(_scalar_is_fixed),
]
_AmountComponent = Annotated[
    Fixed[float]
    | Uniform[float]
    | Exponential[float]
    | Gamma[float]
    | Lognormal[float]
    | Weibull[float]
    | Beta,
    Field(discriminator="dist"),
    BeforeValidator(_scalar_is_fixed),
]


class DurationMixture(_Mixture):
    """Several duration laws with weights adding up to 1, e.g. fast / slow / never buyers."""

    dist: Literal["mixture"]
    components: list[_DurationComponent]  # type: ignore[assignment]


class AmountMixture(_Mixture):
    """Several amount laws with weights adding up to 1."""

    dist: Literal["mixture"]
    components: list[_AmountComponent]  # type: ignore[assignment]


DurationDist = Annotated[
    Fixed[Duration]
    | Never
    | Uniform[Duration]
    | Exponential[Duration]
    | Gamma[Duration]
    | Lognormal[Duration]
    | Weibull[Duration]
    | DurationMixture,
    Field(discriminator="dist"),
    BeforeValidator(_scalar_is_fixed),
]
"""A law of durations, in hours: a plain duration ("10m") means always that long."""

AmountDist = Annotated[
    Fixed[float]
    | Uniform[float]
    | Exponential[float]
    | Gamma[float]
    | Lognormal[float]
    | Weibull[float]
    | Beta
    | AmountMixture,
    Field(discriminator="dist"),
    BeforeValidator(_scalar_is_fixed),
]
"""A law of plain numbers (money, a fit score): a plain number means always that value."""

DIST_NAMES = frozenset(
    {"fixed", "never", "uniform", "exponential", "gamma", "lognormal", "weibull", "beta", "mixture"}
)


Z_ONE_IN_A_MILLION = 4.753424308817087
"""The standard normal's quantile at 1 - 1e-6 (scipy.special.ndtri(1 - 1e-6), tested)."""


def rare_upper_bound(dist: Any) -> float:
    """A value the law exceeds at most once in a million draws (exact where the quantile has a
    closed form, else Cantelli's bound mean + 1000 sd), in plain Python: validation uses it to
    keep deal values inside what outputs can print, without loading scipy or numba."""
    if isinstance(dist, Fixed):
        return float(dist.value)  # type: ignore[arg-type]
    if isinstance(dist, Uniform):
        return float(max(dist.low, dist.high))  # type: ignore[type-var]
    if isinstance(dist, Exponential):
        return dist.mean() * math.log(1e6)
    if isinstance(dist, Lognormal):
        return float(dist.median) * math.exp(dist.sigma * Z_ONE_IN_A_MILLION)  # type: ignore[arg-type]
    if isinstance(dist, Weibull):
        return float(dist.scale) * math.pow(math.log(1e6), 1 / dist.shape)  # type: ignore[arg-type]
    if isinstance(dist, Gamma):
        return dist.mean() * (1 + 1000 * dist.cv)
    if isinstance(dist, _Mixture):
        # P(X > t) = sum w_i P(X_i > t) <= max_i P(X_i > t): the largest component bound holds.
        return max(rare_upper_bound(c) for c in dist.components)
    if isinstance(dist, Beta):
        return 1.0
    return math.inf
