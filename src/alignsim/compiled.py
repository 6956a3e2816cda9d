"""Compiled loops (numba) for the few vectorised steps numpy takes many passes over.

- `interpolate`: the tabulated quantile functions' body (`distributions._tabulated`). numpy
  spends a dozen passes over the chances on it (scale, truncate, clip, two gathers, the
  arithmetic, the tail test), and a run interpolates one value per possible call of every
  lead: the largest part of making a plan.
- `gather_rows`: a stream's per-lead blocks, drawn column by column per source, put in stream
  order as rows (one pass instead of a transposed copy and a gather).

Each loop does the same floating-point operations in the same order as the numpy it replaces,
so every value is bit for bit the same (tests/test_distributions.py, tests/test_stream.py).
Compiled at first use and cached on disk; imported only then, so `import alignsim` still loads
no numba.

Hand-written because they are these steps themselves: numpy's `interp` would search the grid
and round differently, and no library gathers columns into rows in one pass.
"""

from __future__ import annotations

import numpy as np
from numba import njit


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
def gather_rows(columns: np.ndarray, order: np.ndarray, out: np.ndarray) -> None:
    """out[i, c] = columns[c, order[i]]: columns of draws (one row per column, leads in source
    order) put in stream order, one lead per row."""
    for i in range(out.shape[0]):
        j = order[i]
        for c in range(out.shape[1]):
            out[i, c] = columns[c, j]
