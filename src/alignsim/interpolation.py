"""The tabulated quantile functions' interpolation (`distributions._tabulated`) as one loop.

numpy spends a dozen passes over the chances on it (scale, truncate, clip, two gathers, the
arithmetic, the tail test), and a run interpolates one value per possible call of every lead:
the largest part of making a plan. This loop does the same floating-point operations in the
same order, so each value is bit for bit numpy's (tests/test_distributions.py), in one pass.
Compiled by numba at first use and cached on disk; imported only then, so `import alignsim`
still loads no numba.

Hand-written because it is the body of `_tabulated` itself: numpy's `interp` would search the
grid and round differently, and scipy has no evenly spaced table lookup.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def interpolate(
    table: np.ndarray, u: np.ndarray, knots: int, tail: float, out: np.ndarray
) -> np.ndarray:
    """Fill out[i] with table interpolated linearly at u[i] * knots (table has knots + 1 values,
    at 0, 1/knots, ..., 1); return the indices i with u[i] < tail or u[i] > 1 - tail, where
    the caller puts exact values instead. u and out are flat."""
    top = 1.0 - tail
    tails = np.empty(len(u), dtype=np.int64)
    count = 0
    for i in range(len(u)):
        x = u[i] * knots
        knot = min(np.int64(x), knots - 1)
        low = table[knot]
        out[i] = low + (x - knot) * (table[knot + 1] - low)
        if u[i] < tail or u[i] > top:
            tails[count] = i
            count += 1
    return tails[:count]
