"""Compiled loops (numba) for the steps numpy would take many passes over, or would compute
with other bits on another processor.

- `calendar`: business-hours arithmetic, written once (`alignsim.calendar`'s methods call
  it), for the calendar, the stream's arrivals, the plans' SLA deadlines and the fast engine;
- `laws`: the distributions' maps from chances to draws, with the one logarithm, exponential
  and power every machine computes alike (why: its docstring);
- `ziggurat` (with `ziggurat_tables`) and `rows`: numpy's standard normals and uniforms
  made from a bit generator's words, written straight to a stream's rows; `move_rows`,
  whole rows copied between the fast engine's slots and a run's arrays;
- `hints`: `prefetch`, a cache hint for numba code;
- `correlation`: Iman-Conover's correlation, Cholesky factors and correlated scores for a
  batch's design, in a fixed order of operations instead of OpenBLAS's processor-picked
  kernels.

Each loop does the same floating-point operations in the same order as the numpy it replaces,
so every value is bit for bit the same as numpy's where numpy calls the C library
(tests/test_distributions.py, tests/test_stream.py, tests/test_cpu_independence.py).
Compiled at first use and cached on disk; imported only then, so `import alignsim` still loads
no numba.
"""

from __future__ import annotations

from alignsim.compiled.hints import prefetch
from alignsim.compiled.laws import (
    exponential,
    exponential_mixture,
    interpolate,
    lognormal,
    weibull,
)
from alignsim.compiled.rows import move_rows, uniform_rows
from alignsim.compiled.ziggurat import normal_rows, skip_normals, standard_normals

__all__ = [
    "exponential",
    "exponential_mixture",
    "interpolate",
    "lognormal",
    "move_rows",
    "normal_rows",
    "prefetch",
    "skip_normals",
    "standard_normals",
    "uniform_rows",
    "weibull",
]
