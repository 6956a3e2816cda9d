"""The distributions' maps from chances to draws, compiled: the only place the lead stream and
the plans compute a logarithm, an exponential or a power of an array.

Why compiled, and not numpy: numpy picks the loops of its transcendental ufuncs (log, exp,
log1p, expm1, power, sin, cos, ...) when it is imported, from the processor it finds
(`np.show_runtime()`: its AVX512F / AVX512_SKX variants on a processor with AVX-512, the C
library's functions on one with AVX2 only). The variants differ in the last bit for a few
percent of the values (log1p for 7% of uniform chances on an AVX-512 machine, exp for 5%), so
a stream computed with numpy's ufuncs has other bits on another processor, and "the same seed
gives the same run" would hold only between machines of one kind. The loops below call the C
library's `log1p`, `exp` and `pow` (numba lowers `math.log1p`, `math.exp` and `**` on floats to
them, with neither fastmath nor SVML: tests/test_cpu_independence.py checks
`numba.config.USING_SVML`), and glibc picks the same variant of each (the FMA one) on every
x86-64 processor with AVX2, AVX-512 ones included. Those are the values numpy gave on an AVX2
machine, where its ufuncs call the C library too: a stream drawn there keeps its bits.
Interpolating a table, a product or a square root is exact IEEE arithmetic on every processor.

- `interpolate`: the tabulated quantile functions' body (`distributions._tabulated`). numpy
  spends a dozen passes over the chances on it (scale, truncate, clip, two gathers, the
  arithmetic, the tail test), and a run interpolates one value per possible call of every
  lead: the largest part of making a plan. numpy's `interp` would search the grid and round
  differently.
- `exponential_mixture`: the usual patience law (exponential and never-ending components, as
  `distributions._Mixture`), in one pass instead of a dozen.
- `exponential`, `lognormal`, `weibull`: the laws of `alignsim.distributions`, value by value.

Each loop does the same floating-point operations in the same order as the numpy expression
it replaces (tests/test_distributions.py). Compiled at first use and cached on disk.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from alignsim.compiled.hints import prefetch

_AHEAD = 16
"""Chances ahead whose table rows `interpolate` asks for (a table of 65,537 values does not
fit the first caches, and the chances are random)."""


@njit(cache=True)
def interpolate(
    table: np.ndarray, u: np.ndarray, knots: int, tail: float, out: np.ndarray
) -> np.ndarray:
    """Fill out[i] with table interpolated linearly at u[i] * knots (table has knots + 1 values,
    at 0, 1/knots, ..., 1) for u[i] in [tail, 1 - tail]; return the other indices (the tails,
    NaN and chances outside [0, 1]), where the caller puts exact values. u and out are flat."""
    top = 1.0 - tail
    tails = np.empty(len(u), dtype=np.int64)
    count = 0
    for i in range(len(u)):
        if i + _AHEAD < len(u) and tail <= u[i + _AHEAD] <= top:
            prefetch(table, np.int64(u[i + _AHEAD] * knots))
        if tail <= u[i] <= top:
            x = u[i] * knots
            knot = min(np.int64(x), knots - 1)
            low = table[knot]
            out[i] = low + (x - knot) * (table[knot + 1] - low)
        else:
            tails[count] = i
            count += 1
    return tails[:count]


@njit(cache=True)
def exponential_mixture(
    u: np.ndarray, edges: np.ndarray, scale: np.ndarray, top: float, out: np.ndarray
) -> None:
    """out[i] = the mixture's draw at chance u[i]: the component whose share [edges[k],
    edges[k + 1]) holds u[i], then -mean_k log(1 - inner) for the chance inner rescaled into
    that share (clipped to [0, top]), or inf for a never-ending component (scale[k] = 0)."""
    last = len(edges) - 2
    for i in range(len(u)):
        k = 0
        for edge in range(1, last + 1):
            k += u[i] >= edges[edge]
        if scale[k] == 0.0:
            out[i] = np.inf
            continue
        inner = (u[i] - edges[k]) / (edges[k + 1] - edges[k])
        if inner < 0.0:  # np.clip(inner, 0, top), which keeps a NaN
            inner = 0.0
        elif inner > top:
            inner = top
        out[i] = scale[k] * math.log1p(-inner)


@njit(cache=True)
def exponential(u: np.ndarray, minus_mean: float, out: np.ndarray) -> None:
    """out[i] = -mean log(1 - u[i]): the exponential law's quantile (minus_mean = -mean)."""
    for i in range(len(u)):
        out[i] = minus_mean * math.log1p(-u[i])


@njit(cache=True)
def lognormal(z: np.ndarray, median: float, sigma: float, out: np.ndarray) -> None:
    """out[i] = median exp(sigma z[i]): the lognormal law at standard normal quantiles z."""
    for i in range(len(z)):
        out[i] = median * math.exp(sigma * z[i])


@njit(cache=True)
def weibull(u: np.ndarray, scale: float, power: float, out: np.ndarray) -> None:
    """out[i] = scale (-log(1 - u[i]))^power: the Weibull law's quantile (power = 1 / shape).

    A power of 0.5 is a square root and 2 a square, as numpy's `**` takes them (exact, and
    the bits streams drawn with numpy kept)."""
    for i in range(len(u)):
        x = -math.log1p(-u[i])
        if power == 0.5:
            x = math.sqrt(x)
        elif power == 2.0:
            x = x * x
        else:
            x = x**power
        out[i] = scale * x
