"""`uniform_rows`: a source's block of uniforms, made from its bit generator's words and
written straight to the stream's rows, in one pass per source. `move_rows`: rows of one
array copied to rows of another (a window's leads into the engine's slots, resolved slots
out to the run's ledger).

numpy's `Generator.random` draws one column of a block per call, and the block must then be
put in stream order (a transposed gather): a Python loop over the columns and two passes over
the block. A uniform is a function of one 64-bit word (its top 53 bits times 2**-53, numpy's
`next_double` for PCG64), so the words (`BitGenerator.random_raw`) are turned into uniforms
where they belong. Hand-written because no library scatters a generator's draws into rows.

`move_rows` is `dst[to] = src[at]` for whole rows, which numpy does as a fancy-index gather and
scatter: about three times the time of this loop on the engine's slot arrays (a window of
65,536 leads into 262,144 slots, 22 fields: 5.8 ms against 1.9 ms), which a ten-million-lead
run does 154 times each way (issue 20's cost per lead).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

DOUBLE = 1.0 / 9007199254740992.0
"""2**-53: a 64-bit word's top 53 bits as a double in [0, 1), as numpy's `next_double`."""


@njit(cache=True)
def uniform_rows(raw: np.ndarray, rows: np.ndarray, out: np.ndarray) -> None:
    """out[rows[j], c] = the uniform `Generator.random((width, m))[c, j]` would give, for the
    generator whose next 64-bit words are raw (width * m of them, m = len(rows)): column c
    of the block, drawn column after column, lands in the stream rows of the source's leads."""
    m = len(rows)
    for j in range(m):
        row = rows[j]
        for c in range(out.shape[1]):
            out[row, c] = (raw[c * m + j] >> 11) * DOUBLE


@njit(cache=True)
def _move(dst: np.ndarray, to: np.ndarray, src: np.ndarray, at: np.ndarray) -> None:
    for i in range(len(to)):
        a, b = at[i], to[i]
        for c in range(src.shape[1]):
            dst[b, c] = src[a, c]


def move_rows(
    dst: np.ndarray, to: np.ndarray, src: np.ndarray, at: np.ndarray | None = None
) -> None:
    """dst[to[i]] = src[at[i]] (at: default every row of src in order), for arrays of the same
    dtype and row shape, `dst` C-contiguous; the same values as numpy's `dst[to] = src[at]`
    for indices that do not repeat (`to`) and are in range (unchecked: the caller's slots)."""
    if at is None:
        at = np.arange(len(src))
    if len(to) != len(at) or dst.dtype != src.dtype or dst.shape[1:] != src.shape[1:]:
        raise ValueError("move_rows: rows of different lengths, dtypes or shapes")
    width = math.prod(dst.shape[1:])
    if not dst.flags.c_contiguous or len(to) == 0 or width == 0:
        dst[to] = src[at]  # (nothing to move, or no view of dst as rows: numpy's way)
        return
    _move(dst.reshape(len(dst), width), to, src.reshape(len(src), width), at)
