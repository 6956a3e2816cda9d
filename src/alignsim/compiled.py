"""Compiled loops (numba) for the few vectorised steps numpy takes many passes over.

- `prefetch`: a hint to the processor's caches (llvm.prefetch), for numba code.
- `interpolate`: the tabulated quantile functions' body (`distributions._tabulated`). numpy
  spends a dozen passes over the chances on it (scale, truncate, clip, two gathers, the
  arithmetic, the tail test), and a run interpolates one value per possible call of every
  lead: the largest part of making a plan.
- `exponential_mixture`: the usual patience law (exponential and never-ending components, as
  `distributions._Mixture`), in one pass instead of a dozen; log1p is glibc's, as numpy's.
- `gather_rows`: a stream's per-lead blocks, drawn column by column per source, put in stream
  order as rows (one pass instead of a transposed copy and a gather).
- `standard_normals`: numpy's `Generator.standard_normal` (its 256-layer ziggurat) run over the
  64-bit words its bit generator hands out (`BitGenerator.random_raw`). numpy spends about
  11 ns a normal on this machine, 2.5 of them in PCG64; the rest is the loop's branches (the
  sign's among them, a coin toss the processor cannot predict). A stream draws about 200,000
  normals (the noise of every scoring and routing a lead may have), so this was the largest
  part of drawing it. The ziggurat's tables are numba's copy of numpy's
  (`numba.np.random._constants`, the tables numba's own `Generator` support uses).

Each loop does the same floating-point operations in the same order as the numpy it replaces,
so every value is bit for bit the same (tests/test_distributions.py, tests/test_stream.py).
Compiled at first use and cached on disk; imported only then, so `import alignsim` still loads
no numba.

Hand-written because they are these steps themselves: numpy's `interp` would search the grid
and round differently, no library gathers columns into rows in one pass, and numpy's and
numba's normals are drawn one call of the bit generator at a time.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.np.random._constants import (
    fi_double,
    ki_double,
    wi_double,
    ziggurat_nor_inv_r,
    ziggurat_nor_r,
)

_KI = ki_double.astype(np.int64)
"""The layers' thresholds as signed integers (they are below 2**52): numba compares a signed
with an unsigned integer through floats."""
_DOUBLE = 1.0 / 9007199254740992.0
"""2**-53: a 64-bit word's top 53 bits as a double in [0, 1), as numpy's `next_double`."""


@intrinsic
def prefetch(typingctx, array, index):  # type: ignore[no-untyped-def]
    """Ask the processor to bring `array.flat[index]` (C order) into its caches: a hint that
    changes no value (and never faults, even out of bounds). For numbers read soon at an
    address known now: a lead's next step (alignsim.engines.fast), a table row (below)."""
    if not isinstance(array, types.Array) or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        data = context.make_array(signature.args[0])(context, builder, value=args[0]).data
        at = builder.gep(data, [context.cast(builder, args[1], signature.args[1], types.intp)])
        byte, word = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), (byte, word, word, word)),
            "llvm.prefetch",
        )
        # read (0), keep in all cache levels (3), data (1)
        builder.call(fn, (builder.bitcast(at, byte), word(0), word(3), word(1)))
        return context.get_dummy_value()

    return types.void(array, index), codegen


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
        out[i] = scale[k] * np.log1p(-inner)


@njit(cache=True)
def gather_rows(columns: np.ndarray, order: np.ndarray, out: np.ndarray) -> None:
    """out[i, c] = columns[c, order[i]]: columns of draws (one row per column, leads in source
    order) put in stream order, one lead per row."""
    for i in range(out.shape[0]):
        j = order[i]
        for c in range(out.shape[1]):
            out[i, c] = columns[c, j]


@njit(cache=True)
def standard_normals(raw: np.ndarray, out: np.ndarray) -> int:
    """Fill out (2-D, row after row) with the standard normals numpy's Generator would draw
    from a bit generator whose next 64-bit words are raw; return the words used, or -1 when
    raw runs out first (the caller then passes more words: the result depends on raw only).

    numpy's ziggurat (random_standard_normal in its distributions.c), step for step: a word
    picks a layer (low 8 bits), a sign and a 52-bit abscissa; 99% of draws end there. The
    rest take one more word (a wedge) or two a try (the tail beyond the last layer).
    """
    k = 0
    words = len(raw)
    for row in range(out.shape[0]):
        for col in range(out.shape[1]):
            while True:
                if k == words:
                    return -1
                r = raw[k]
                k += 1
                idx = np.int64(r & 0xFF)
                rabs = np.int64((r >> 9) & 0x000FFFFFFFFFFFFF)
                # x, negated when the sign bit is set: a product by -1.0 is a negation, and
                # without a branch the processor has no coin toss to mispredict.
                x = rabs * wi_double[idx] * (1.0 - 2.0 * np.float64((r >> 8) & 0x1))
                if rabs < _KI[idx]:
                    break
                if idx == 0:  # the tail
                    done = False
                    while k + 2 <= words:
                        xx = -ziggurat_nor_inv_r * np.log1p(-((raw[k] >> 11) * _DOUBLE))
                        yy = -np.log1p(-((raw[k + 1] >> 11) * _DOUBLE))
                        k += 2
                        if yy + yy > xx * xx:
                            x = -(ziggurat_nor_r + xx) if (rabs >> 8) & 0x1 else ziggurat_nor_r + xx
                            done = True
                            break
                    if not done:
                        return -1
                    break
                if k == words:
                    return -1
                u = (raw[k] >> 11) * _DOUBLE
                k += 1
                height = (fi_double[idx - 1] - fi_double[idx]) * u + fi_double[idx]
                if height < np.exp(-0.5 * x * x):  # under the density, in the wedge
                    break
            out[row, col] = x
    return k
