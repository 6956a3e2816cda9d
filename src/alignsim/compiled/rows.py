"""`uniform_rows`: a source's block of uniforms, made from its bit generator's words and
written straight to the stream's rows, in one pass per source.

numpy's `Generator.random` draws one column of a block per call, and the block must then be
put in stream order (a transposed gather): a Python loop over the columns and two passes over
the block. A uniform is a function of one 64-bit word (its top 53 bits times 2**-53, numpy's
`next_double` for PCG64), so the words (`BitGenerator.random_raw`) are turned into uniforms
where they belong. Hand-written because no library scatters a generator's draws into rows.
"""

from __future__ import annotations

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
