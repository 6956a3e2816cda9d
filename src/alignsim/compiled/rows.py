"""`gather_rows`: a stream's per-lead blocks, drawn column by column per source, put in
stream order as rows, in one pass instead of a transposed copy and a gather (no library
gathers columns into rows in one pass)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def gather_rows(columns: np.ndarray, order: np.ndarray, out: np.ndarray) -> None:
    """out[i, c] = columns[c, order[i]]: columns of draws (one row per column, leads in source
    order) put in stream order, one lead per row."""
    for i in range(out.shape[0]):
        j = order[i]
        for c in range(out.shape[1]):
            out[i, c] = columns[c, j]
