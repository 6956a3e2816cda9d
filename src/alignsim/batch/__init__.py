"""Monte Carlo batches for finance: uncertain inputs, percentiles, sensitivity, Dask, resume.

`alignsim.monte_carlo` (in `alignsim.batch.api`) is the entry point; `alignsim batch` and
`alignsim sensitivity` (in `alignsim.cli.batch`) are its commands. The `[uncertainty]` table's
schema is part of the scenario (`alignsim.scenario.uncertainty`). This package imports nothing
at module level, so importing one of its modules stays light: the names below load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["MonteCarlo", "Uncertainty", "monte_carlo", "sensitivity"]

_WHERE = {
    "MonteCarlo": "alignsim.batch.api",
    "monte_carlo": "alignsim.batch.api",
    "sensitivity": "alignsim.batch.sensitivity",
    "Uncertainty": "alignsim.scenario.uncertainty",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'alignsim.batch' has no attribute {name!r}")
