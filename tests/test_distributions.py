"""The distribution vocabulary: each family maps uniforms to draws with the law it promises."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from alignsim.distributions import (
    BETA_QUANTILE_ERROR,
    GAMMA_QUANTILE_ERROR,
    Z90,
    AmountDist,
    DurationDist,
    beta_quantile,
    gamma_quantile,
)

AMOUNT = TypeAdapter(AmountDist)
DURATION = TypeAdapter(DurationDist)

N = 200_000
U = np.random.default_rng(20240611).random(N)
"""One fixed-seed sample of uniforms shared by every test."""


def amount(spec: Any) -> Any:
    return AMOUNT.validate_python(spec)


def duration(spec: Any) -> Any:
    return DURATION.validate_python(spec)


FAMILIES = {
    "fixed": amount({"dist": "fixed", "value": 7.5}),
    "plain number": amount(42),
    "uniform": amount({"dist": "uniform", "low": 2, "high": 5}),
    "exponential": amount({"dist": "exponential", "mean": 3.0}),
    "gamma": amount({"dist": "gamma", "mean": 10.0, "cv": 0.5}),
    "gamma cv > 1": amount({"dist": "gamma", "mean": 10.0, "cv": 1.5}),
    "lognormal": amount({"dist": "lognormal", "median": 24000, "p90": 60000}),
    "weibull": amount({"dist": "weibull", "shape": 1.5, "scale": 4.0}),
    "weibull shape < 1": amount({"dist": "weibull", "shape": 0.7, "scale": 4.0}),
    "beta": amount({"dist": "beta", "a": 2.5, "b": 4}),
    "mixture": amount(
        {
            "dist": "mixture",
            "components": [
                {"weight": 0.3, "dist": "uniform", "low": 0, "high": 1},
                {"weight": 0.5, "dist": "exponential", "mean": 5},
                {"weight": 0.2, "value": 100, "dist": "fixed"},
            ],
        }
    ),
    "duration fixed": duration("10m"),
    "duration uniform": duration({"dist": "uniform", "low": "1h", "high": "1d"}),
    "duration exponential": duration({"dist": "exponential", "mean": "6h"}),
    "duration gamma": duration({"dist": "gamma", "mean": "16w", "cv": 0.8}),
    "duration lognormal": duration({"dist": "lognormal", "median": "45d", "p90": "90d"}),
    "duration weibull": duration({"dist": "weibull", "shape": 2, "scale": "3d"}),
    "duration mixture": duration(
        {
            "dist": "mixture",
            "components": [
                {"weight": 0.3, "dist": "exponential", "mean": "20m"},
                {"weight": 0.4, "dist": "exponential", "mean": "6h"},
                {"weight": 0.3, "dist": "exponential", "mean": "2w"},
            ],
        }
    ),
}


@pytest.mark.parametrize("name", list(FAMILIES))
def test_sample_mean_matches_analytic_mean(name: str) -> None:
    law = FAMILIES[name]
    x = law.from_uniform(U)
    assert x.shape == U.shape
    assert np.isfinite(x).all()
    se = x.std(ddof=1) / math.sqrt(N)
    if se <= 1e-12 * abs(law.mean()):  # a fixed value
        assert x.mean() == pytest.approx(law.mean(), rel=1e-12)
    else:
        assert abs(x.mean() - law.mean()) < 4 * se, (x.mean(), law.mean(), se)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_draws_stay_in_the_support(name: str) -> None:
    law = FAMILIES[name]
    lo, hi = law.support()
    edges = np.array([0.0, 1e-12, 0.5, 1 - 1e-12, math.nextafter(1.0, 0.0)])
    for u in (U, edges):
        x = law.from_uniform(u)
        assert not np.isnan(x).any()
        assert (x >= lo).all() and (x <= hi).all(), (x.min(), x.max(), lo, hi)


@pytest.mark.parametrize("name", [name for name in FAMILIES if "mixture" not in name])
def test_draws_rise_with_the_uniform(name: str) -> None:
    """Inverse-CDF maps: a larger uniform never gives a smaller draw (mixtures excepted)."""
    law = FAMILIES[name]
    u = np.linspace(0.0, 0.999, 1001)
    assert (np.diff(law.from_uniform(u)) >= 0).all()


def test_durations_are_in_hours() -> None:
    assert duration("10m").mean() == pytest.approx(1 / 6)
    assert duration({"dist": "exponential", "mean": "2d"}).mean() == pytest.approx(48.0)
    assert duration({"dist": "uniform", "low": "1h", "high": "3h"}).support() == (1.0, 3.0)


def test_a_plain_number_is_refused_for_a_duration_but_fine_for_an_amount() -> None:
    with pytest.raises(ValidationError, match="expected a duration"):
        duration(5)
    assert amount(5).mean() == 5.0


K = 4.0
"""Standard errors allowed between a sample quantile and the law's (fixed seed)."""

N_QUANTILES = 800_000
U_QUANTILES = np.random.default_rng(20240612).random(N_QUANTILES)
"""A larger fixed-seed sample for quantiles: K standard errors stay under 1% of the value."""


def assert_sample_quantile(x: np.ndarray, p: float, want: float, density: float) -> None:
    """The sample p-quantile of x within K standard errors of `want`, the SE from the
    asymptotic variance of a sample quantile, p (1 - p) / (n f(want)^2), f the density."""
    se = math.sqrt(p * (1 - p) / len(x)) / density
    got = float(np.quantile(x, p))
    assert abs(got - want) <= K * se, (p, got, want, se)
    assert K * se <= 0.01 * want  # as tight as the 1% this test allowed before


def test_lognormal_reproduces_median_and_p90() -> None:
    law = amount({"dist": "lognormal", "median": 24000, "p90": 60000})
    assert law.from_uniform(np.array([0.5]))[0] == pytest.approx(24000, rel=1e-12)
    assert law.from_uniform(np.array([0.9]))[0] == pytest.approx(60000, rel=1e-12)
    x = law.from_uniform(U_QUANTILES)
    exact = stats.lognorm(s=math.log(60000 / 24000) / Z90, scale=24000)
    for p, want in ((0.5, 24000), (0.9, 60000)):
        assert_sample_quantile(x, p, want, exact.pdf(want))
    assert law.sigma == pytest.approx(math.log(60000 / 24000) / Z90)
    assert pytest.approx(1.2815515655446004) == Z90


def test_duration_lognormal_reproduces_median_and_p90_in_hours() -> None:
    law = duration({"dist": "lognormal", "median": "45d", "p90": "90d"})
    x = law.from_uniform(U_QUANTILES)
    exact = stats.lognorm(s=math.log(2) / Z90, scale=45 * 24)
    for p, want in ((0.5, 45 * 24), (0.9, 90 * 24)):
        assert_sample_quantile(x, p, want, exact.pdf(want))


def test_never_is_infinite() -> None:
    law = duration({"dist": "never"})
    x = law.from_uniform(U[:100])
    assert np.isinf(x).all() and (x > 0).all()
    assert law.mean() == math.inf
    assert law.support() == (math.inf, math.inf)


def test_never_is_not_an_amount() -> None:
    with pytest.raises(ValidationError):
        amount({"dist": "never"})


def test_mixture_picks_components_by_weight() -> None:
    law = amount(
        {
            "dist": "mixture",
            "components": [
                {"weight": 0.2, "dist": "fixed", "value": 1},
                {"weight": 0.5, "dist": "fixed", "value": 2},
                {"weight": 0.3, "dist": "fixed", "value": 3},
            ],
        }
    )
    x = law.from_uniform(U)
    for value, weight in ((1, 0.2), (2, 0.5), (3, 0.3)):
        share = np.mean(x == value)
        se = math.sqrt(weight * (1 - weight) / N)
        assert abs(share - weight) < 4 * se, (value, share, weight)
    # exactly by where the uniform falls among the cumulative weights
    u = np.array([0.0, 0.19, 0.2, 0.69, 0.7, 0.999])
    assert law.from_uniform(u).tolist() == [1, 1, 2, 2, 3, 3]
    assert law.mean() == pytest.approx(0.2 * 1 + 0.5 * 2 + 0.3 * 3)


def test_mixture_rescales_the_uniform_inside_a_component() -> None:
    law = amount(
        {
            "dist": "mixture",
            "components": [
                {"weight": 0.5, "dist": "uniform", "low": 0, "high": 1},
                {"weight": 0.5, "dist": "uniform", "low": 10, "high": 11},
            ],
        }
    )
    assert law.from_uniform(np.array([0.25, 0.75])) == pytest.approx([0.5, 10.5])
    x = law.from_uniform(U)
    # each half is uniform inside its component
    low = x[x < 5]
    assert np.mean(low < 0.5) == pytest.approx(0.5, abs=4 * math.sqrt(0.25 / len(low)))
    assert law.support() == (0.0, 11.0)


def test_mixture_with_a_never_component() -> None:
    law = duration(
        {
            "dist": "mixture",
            "components": [
                {"weight": 0.6, "dist": "exponential", "mean": "1h"},
                {"weight": 0.4, "dist": "never"},
            ],
        }
    )
    x = law.from_uniform(U)
    share = np.mean(np.isinf(x))
    assert abs(share - 0.4) < 4 * math.sqrt(0.24 / N)
    assert law.mean() == math.inf
    assert law.support() == (0.0, math.inf)
    finite = x[np.isfinite(x)]
    assert abs(finite.mean() - 1.0) < 4 * finite.std() / math.sqrt(len(finite))


def test_a_mixture_s_last_component_without_a_weight_takes_the_rest() -> None:
    spec = [{"weight": 0.3, "dist": "exponential", "mean": "4h"}, {"dist": "never"}]
    law = duration({"dist": "mixture", "components": spec})
    written = duration({"dist": "mixture", "components": [spec[0], {**spec[1], "weight": 0.7}]})
    assert law.components[1].weight == 1 - 0.3
    assert law.from_uniform(U).tolist() == written.from_uniform(U).tolist()
    three = amount(
        {
            "dist": "mixture",
            "components": [
                {"weight": 0.2, "dist": "fixed", "value": 1},
                {"weight": 0.5, "dist": "fixed", "value": 2},
                3,
            ],
        }
    )
    assert three.from_uniform(np.array([0.1, 0.5, 0.8])).tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("components", "message"),
    [
        (
            [{"weight": 1.0, "dist": "fixed", "value": 1}, {"dist": "fixed", "value": 2}],
            "the last component's weight is the rest of the others' (1), which leaves nothing",
        ),
        (
            [{"dist": "fixed", "value": 1}, {"dist": "fixed", "value": 2}],
            "every mixture component needs a weight",
        ),
    ],
)
def test_a_mixture_without_room_for_the_rest_or_with_two_blanks_is_refused(
    components: list, message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        amount({"dist": "mixture", "components": components})


def test_the_compiled_patience_mixture_is_each_components_formula() -> None:
    """A mixture of exponential and never-ending buyers (the patience laws) is computed in one
    compiled pass: per chance, the component its share holds, the chance rescaled into that
    share, and -mean * log1p(-inner) (Python's math.log1p, the C library's, as numpy's)."""
    law = duration(
        {
            "dist": "mixture",
            "components": [
                {"weight": 0.05, "dist": "exponential", "mean": "15m"},
                {"weight": 0.15, "dist": "never"},
                {"weight": 0.8, "dist": "exponential", "mean": "6w"},
            ],
        }
    )
    edges = [0.0, 0.05, 0.05 + 0.15, 0.05 + 0.15 + 0.8]
    u = np.concatenate([U[:20_000], edges[:-1], [np.nextafter(e, 0) for e in edges[1:]], [1.0]])
    means = [0.25, math.inf, 1008.0]
    want = []
    for x in u:
        k = sum(x >= e for e in edges[1:-1])
        inner = min(max((x - edges[k]) / (edges[k + 1] - edges[k]), 0.0), 1 - 1e-16)
        want.append(math.inf if means[k] == math.inf else -means[k] * math.log1p(-inner))
    got = law.from_uniform(u)
    assert np.array_equal(got, want)
    assert np.array_equal(law.from_uniform(u[:15].reshape(5, 3)), got[:15].reshape(5, 3))
    assert law.from_uniform(u[3]) == want[3]  # a scalar chance gives a scalar
    assert np.isnan(law.from_uniform(np.array([np.nan]))).all()  # as numpy's clip and log1p


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ({"dist": "uniform", "low": 5, "high": 5}, "low must be below high"),
        ({"dist": "uniform", "min": 1, "max": 5}, "write low/high, not min/max"),
        ({"dist": "exponential", "mean": 0}, "mean must be positive"),
        ({"dist": "exponential", "mean": -1}, "mean must be positive"),
        ({"dist": "gamma", "mean": 1, "cv": 0}, "greater than 0"),
        ({"dist": "gamma", "mean": -1, "cv": 1}, "mean must be positive"),
        ({"dist": "lognormal", "median": 10, "p90": 5}, "median < p90"),
        ({"dist": "lognormal", "median": 0, "p90": 5}, "median < p90"),
        ({"dist": "weibull", "shape": 1, "scale": 0}, "scale must be positive"),
        ({"dist": "weibull", "shape": 0, "scale": 1}, "greater than 0"),
        ({"dist": "beta", "a": 0, "b": 1}, "greater than 0"),
        ({"dist": "normal", "mean": 1}, "does not match any of the expected tags"),
        ({"mean": 1}, "Unable to extract tag"),
        ({"dist": "exponential", "mean": 1, "sd": 2}, "Extra inputs are not permitted"),
        (
            {
                "dist": "mixture",
                "components": [
                    {"weight": 0.5, "dist": "fixed", "value": 1},
                    {"weight": 0.6, "dist": "fixed", "value": 2},
                ],
            },
            "mixture weights must add up to 1",
        ),
        (
            {
                "dist": "mixture",
                "components": [
                    {"dist": "fixed", "value": 1},
                    {"weight": 1.0, "dist": "fixed", "value": 2},
                ],
            },
            "every mixture component needs a weight",
        ),
        ({"dist": "mixture", "components": []}, "at least one component"),
        (
            {
                "dist": "mixture",
                "components": [{"weight": 1, "dist": "mixture", "components": []}],
            },
            "does not match any of the expected tags",
        ),
    ],
)
def test_bad_laws_are_refused(spec: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValidationError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        amount(spec)


def test_weights_within_rounding_of_one_are_accepted() -> None:
    law = amount(
        {
            "dist": "mixture",
            "components": [{"weight": 0.1, "dist": "fixed", "value": k} for k in range(10)],
        }
    )
    assert law.mean() == pytest.approx(4.5)


BETA_SHAPES = [
    (0.01, 3.0),  # a < 1: flat at 0, then steep
    (0.05, 0.5),
    (0.3, 0.7),
    (0.5, 0.5),
    (0.9, 1.1),
    (1.0, 1.0),
    (1.5, 0.3),  # b < 1 at the top
    (2.0, 3.0),  # a > 1: infinite slope at 0
    (2.5, 4.0),
    (4.0, 3.0),
    (5.0, 2.0),
    (1.0, 20.0),
    (20.0, 1.0),
    (100.0, 100.0),
    (1000.0, 1000.0),
    (1000.0, 0.01),
]


@pytest.mark.parametrize(("a", "b"), BETA_SHAPES)
def test_beta_quantile_is_within_its_stated_bound_of_scipy(a: float, b: float) -> None:
    """At the midpoint of every knot interval (where linear interpolation errs most), on an
    even grid and on random chances; exactly scipy's in the tails."""
    knots = 2**16
    mid = (np.arange(knots) + 0.5) / knots
    u = np.concatenate([mid, np.linspace(0.0, 1.0, 10_001), U[:20_000]])
    got = beta_quantile(a, b, u)
    want = stats.beta.ppf(u, a, b)
    assert np.abs(got - want).max() <= BETA_QUANTILE_ERROR
    tails = (u < 2**-10) | (u > 1 - 2**-10)
    assert np.array_equal(got[tails], want[tails])


@pytest.mark.parametrize("shape", [0.01, 0.03, 0.1, 0.5, 1.0, 2.0, 5.6, 25.0, 400.0, 1e4])
def test_gamma_quantile_is_within_its_stated_bound_of_scipy(shape: float) -> None:
    """At the midpoint and quarter points of every knot interval (where linear interpolation
    errs most), on an even grid and on random chances; exactly scipy's in the tails."""
    from scipy import special

    knots = 2**16
    inside = [(np.arange(knots) + offset) / knots for offset in (0.25, 0.5, 0.75)]
    u = np.concatenate([*inside, np.linspace(0.0, 1.0, 10_001), U[:20_000]])
    got = gamma_quantile(shape, u)
    want = special.gammaincinv(shape, u)
    assert np.array_equal(want, stats.gamma.ppf(u, shape))  # scipy's two names agree
    finite = np.isfinite(want)
    assert np.array_equal(got[~finite], want[~finite])  # u = 1: infinite, as scipy's
    error = np.abs(got[finite] - want[finite])
    assert (error <= GAMMA_QUANTILE_ERROR * np.maximum(1.0, want[finite])).all()
    if shape >= 1:
        assert (error <= 1e-5 * want[finite]).all()  # relative, as the docstring states
    tails = (u < 2**-10) | (u > 1 - 2**-10)
    assert np.array_equal(got[tails], want[tails])


def test_a_beta_draw_depends_only_on_its_own_uniform() -> None:
    u = np.concatenate([[0.0, 2**-11, 2**-10, 0.5, 1 - 2**-10, 1 - 2**-11], U[:500]])
    together = beta_quantile(2.0, 3.0, u)
    alone = np.array([beta_quantile(2.0, 3.0, u[i : i + 1])[0] for i in range(len(u))])
    assert np.array_equal(together, alone)
    assert np.array_equal(beta_quantile(2.0, 3.0, u[7:300]), together[7:300])


def _tabulated_with_numpy(table: np.ndarray, u: np.ndarray, exact: Any) -> np.ndarray:
    """The tabulated quantile written with numpy, as it was before it was compiled."""
    x = u * 2**16
    knot = np.minimum(x.astype(np.int64), 2**16 - 1)
    low = table[knot]
    out = low + (x - knot) * (table[1:][knot] - low)
    tails = (u < 2**-10) | (u > 1.0 - 2**-10)
    out[tails] = exact(u[tails])
    return out


@pytest.mark.parametrize("shape", [0.3, 1.0, 4.0, 25.0])
def test_the_compiled_interpolation_is_numpys_bit_for_bit(shape: float) -> None:
    """The gamma quantile (a plan's call durations) and the beta quantile (a lead's fit) are
    interpolated by one compiled loop: the same values as numpy's formula, tails included,
    in any array shape."""
    from scipy import special

    from alignsim.distributions import _GRID, gamma_quantile

    edges = [0.0, 2**-11, 2**-10, 0.5, 1 - 2**-10, 1 - 2**-11, 1 - 2**-53, 1.0]
    u = np.concatenate([edges, U[:50_000]])
    want = _tabulated_with_numpy(
        special.gammaincinv(shape, _GRID), u, lambda t: special.gammaincinv(shape, t)
    )
    assert np.array_equal(gamma_quantile(shape, u), want)
    block = U[:12_000].reshape(1_000, 12)
    assert np.array_equal(
        gamma_quantile(shape, block), gamma_quantile(shape, block.ravel()).reshape(1_000, 12)
    )
    odd = np.array([np.nan, -0.5, 1.5])  # exact values (NaN), never a lookup out of the table
    assert np.array_equal(
        gamma_quantile(shape, odd), special.gammaincinv(shape, odd), equal_nan=True
    )
    table = special.betaincinv(shape, 2.0, _GRID)
    want = _tabulated_with_numpy(table, u, lambda t: special.betaincinv(shape, 2.0, t))
    assert np.array_equal(beta_quantile(shape, 2.0, u), want)


def _mixture_one_component_at_a_time(law: Any, u: np.ndarray) -> np.ndarray:
    """The mixture rule written plainly: each component maps its own uniforms."""
    edges = np.concatenate([[0.0], np.cumsum([c.weight for c in law.components])])
    which = np.clip(np.searchsorted(edges, u, side="right") - 1, 0, len(law.components) - 1)
    out = np.empty(u.shape)
    for k, comp in enumerate(law.components):
        mask = which == k
        inner = np.clip((u[mask] - edges[k]) / (edges[k + 1] - edges[k]), 0.0, 1 - 1e-16)
        out[mask] = comp.from_uniform(inner)
    return out


@pytest.mark.parametrize(
    "components",
    [
        [("exponential", "10m", 0.08), ("exponential", "2h", 0.12), ("exponential", "3w", 0.8)],
        [("exponential", "1h", 0.06), ("exponential", "1d", 0.14), ("never", None, 0.8)],
        [("never", None, 0.5), ("exponential", "6h", 0.5)],
        [("exponential", "10m", 0.875), ("exponential", "1h", 0.121), ("never", None, 0.004)],
        [("exponential", "2h", 1.0)],
        [("gamma", "1h", 0.3), ("exponential", "1d", 0.7)],
    ],
)
def test_mixtures_draw_the_same_bits_as_their_components(components: list[Any]) -> None:
    """Exponential and never-ending components are drawn in one pass: the same numbers."""
    law = duration(
        {
            "dist": "mixture",
            "components": [
                {"weight": weight, "dist": dist}
                | ({} if mean is None else {"mean": mean})
                | ({"cv": 0.5} if dist == "gamma" else {})
                for dist, mean, weight in components
            ],
        }
    )
    edges = np.cumsum([weight for *_, weight in components])
    u = np.concatenate([U, [0.0, 1e-300, 0.5, math.nextafter(1.0, 0.0)], edges[:-1]])
    assert law.from_uniform(u).tobytes() == _mixture_one_component_at_a_time(law, u).tobytes()


def test_the_one_in_a_million_bound_holds_for_every_law() -> None:
    """rare_upper_bound(d) (plain Python, for validation) is at least d's quantile at 1 - 1e-6,
    and equal to it where the quantile has a closed form."""
    from scipy import special

    from alignsim.distributions import Z_ONE_IN_A_MILLION, rare_upper_bound

    assert special.ndtri(1 - 1e-6) == Z_ONE_IN_A_MILLION
    u = np.array([1 - 1e-6])
    exact = [
        {"dist": "fixed", "value": 5000},
        {"dist": "exponential", "mean": 1000},
        {"dist": "lognormal", "median": 20000, "p90": 50000},
        {"dist": "weibull", "shape": 1.5, "scale": 3000},
    ]
    bounded = [
        {"dist": "uniform", "low": 10, "high": 20},
        {"dist": "gamma", "mean": 1000, "cv": 2.0},
        {"dist": "beta", "a": 2, "b": 3},
        {
            "dist": "mixture",
            "components": [
                {"weight": 0.9, "dist": "lognormal", "median": 1000, "p90": 3000},
                {"weight": 0.1, "dist": "exponential", "mean": 50000},
            ],
        },
    ]
    for doc in exact:
        law = TypeAdapter(AmountDist).validate_python(doc)
        # rel 1e-9: 1 - 1e-6 is not exact in binary, the closed forms use 1e-6 itself
        assert rare_upper_bound(law) == pytest.approx(law.from_uniform(u)[0], rel=1e-9)
    for doc in bounded:
        law = TypeAdapter(AmountDist).validate_python(doc)
        assert rare_upper_bound(law) >= law.from_uniform(u)[0]
