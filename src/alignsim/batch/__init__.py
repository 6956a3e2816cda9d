"""Monte Carlo batches for finance: uncertain inputs, percentiles, sensitivity, Dask, resume.

`alignsim.monte_carlo` (in `alignsim.batch.api`) is the entry point; `alignsim batch` and
`alignsim sensitivity` (in `alignsim.batch.cli`) are its commands. The scenario schema imports
`alignsim.batch.uncertainty` for its `[uncertainty]` table, so this package imports nothing at
module level: the names below load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["MonteCarlo", "Uncertainty", "monte_carlo", "sensitivity"]

_WHERE = {
    "MonteCarlo": "alignsim.batch.api",
    "monte_carlo": "alignsim.batch.api",
    "sensitivity": "alignsim.batch.sensitivity",
    "Uncertainty": "alignsim.batch.uncertainty",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'alignsim.batch' has no attribute {name!r}")
