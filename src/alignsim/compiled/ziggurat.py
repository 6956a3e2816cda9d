"""`standard_normals` and `normal_rows`: numpy's `Generator.standard_normal` (its 256-layer
ziggurat) run over the 64-bit words its bit generator hands out (`BitGenerator.random_raw`),
into an array or straight into a stream's rows.

numpy spends about 11 ns a normal on this machine, 2.5 of them in PCG64; the rest is the
loop's branches (the sign's among them, a coin toss the processor cannot predict). A stream
draws about 200,000 normals (the noise of every scoring and routing a lead may have), so this
was the largest part of drawing it. Hand-written because numpy's and numba's normals are drawn
one call of the bit generator at a time. The tables are the project's copy of numpy's
(`alignsim.compiled.ziggurat_tables`); the tail and the wedges call the C library's log1p and
exp, as numpy's C code does (the same on every x86-64 processor, see `alignsim.compiled.laws`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from alignsim.compiled.rows import DOUBLE as _DOUBLE
from alignsim.compiled.ziggurat_tables import FI, INV_R, KI, WI, R

_KI = KI.astype(np.int64)
"""The layers' thresholds as signed integers (they are below 2**52): numba compares a signed
with an unsigned integer through floats."""


@njit(cache=True, inline="always")
def _normal(raw: np.ndarray, k: int) -> tuple[float, int]:
    """The standard normal numpy's Generator draws from the words raw[k:], and the index of
    the first word it left; (0.0, -1) when raw runs out first.

    numpy's ziggurat (random_standard_normal in its distributions.c), step for step: a word
    picks a layer (low 8 bits), a sign and a 52-bit abscissa; 99% of draws end there. The
    rest take one more word (a wedge) or two a try (the tail beyond the last layer).
    """
    words = len(raw)
    while True:
        if k == words:
            return 0.0, -1
        r = raw[k]
        k += 1
        idx = np.int64(r & 0xFF)
        rabs = np.int64((r >> 9) & 0x000FFFFFFFFFFFFF)
        # x, negated when the sign bit is set: a product by -1.0 is a negation, and
        # without a branch the processor has no coin toss to mispredict.
        x = rabs * WI[idx] * (1.0 - 2.0 * np.float64((r >> 8) & 0x1))
        if rabs < _KI[idx]:
            return x, k
        if idx == 0:  # the tail
            while k + 2 <= words:
                xx = -INV_R * math.log1p(-((raw[k] >> 11) * _DOUBLE))
                yy = -math.log1p(-((raw[k + 1] >> 11) * _DOUBLE))
                k += 2
                if yy + yy > xx * xx:
                    return (-(R + xx) if (rabs >> 8) & 0x1 else R + xx), k
            return 0.0, -1
        if k == words:
            return 0.0, -1
        u = (raw[k] >> 11) * _DOUBLE
        k += 1
        height = (FI[idx - 1] - FI[idx]) * u + FI[idx]
        if height < math.exp(-0.5 * x * x):  # under the density, in the wedge
            return x, k


@njit(cache=True)
def standard_normals(raw: np.ndarray, out: np.ndarray) -> int:
    """Fill out (2-D, row after row) with the standard normals numpy's Generator would draw
    from a bit generator whose next 64-bit words are raw; return the words used, or -1 when
    raw runs out first (the caller then passes more words: the result depends on raw only)."""
    k = 0
    for row in range(out.shape[0]):
        for col in range(out.shape[1]):
            x, k = _normal(raw, k)
            if k < 0:
                return -1
            out[row, col] = x
    return k


@njit(cache=True)
def normal_rows(raw: np.ndarray, rows: np.ndarray, out: np.ndarray) -> int:
    """out[rows[j], c] = `Generator.standard_normal((width, m))[c, j]` for the generator whose
    next words are raw (m = len(rows)): a source's block of normals, drawn column after
    column, written straight to its leads' stream rows. Returns the words used, or -1 when raw
    runs out first (then call again with more words: the result depends on raw only)."""
    k = 0
    m = len(rows)
    for c in range(out.shape[1]):
        for j in range(m):
            x, k = _normal(raw, k)
            if k < 0:
                return -1
            out[rows[j], c] = x
    return k


@njit(cache=True)
def skip_normals(raw: np.ndarray, n: int) -> tuple[int, int]:
    """How many of the next n standard normals numpy's Generator would draw from a bit
    generator whose next 64-bit words are raw can be drawn from raw alone, and the words those
    use: (normals, words). The normals are not kept: this finds where a later column of a
    block of normals starts (`alignsim.stream_windows`). (0, 0) when raw is too short for one."""
    k = 0
    done = 0
    while done < n:
        _, after = _normal(raw, k)
        if after < 0:
            break
        k = after
        done += 1
    return done, k
