"""Fit a scenario to a company's own CRM export (issue 17): `alignsim.fit(...)`.

An application layer: it reads exports (pandas, checked by pandera), estimates the market,
team and current policy with their uncertainty (scipy, lifelines), writes a scenario
(tomli-w) and a report. It imports the scenario, stream, simulation and ledger layers;
only the command line and `alignsim.fit` (lazily) import it.

`alignsim.fit` is this package and can be called: `alignsim.fit(...)` is `alignsim.fit.fit(...)`.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from alignsim.fit.api import NOT_IDENTIFIED, NOT_YET_USED, FitResult, fit
from alignsim.fit.columns import PRESETS, ColumnMap, FitInputError, load_map

__all__ = [
    "NOT_IDENTIFIED",
    "NOT_YET_USED",
    "PRESETS",
    "ColumnMap",
    "FitInputError",
    "FitResult",
    "fit",
    "load_map",
]


class _CallableModule(types.ModuleType):
    """This package, callable: `alignsim.fit(...)` fits (whichever way it was imported)."""

    def __call__(self, *args: Any, **kwargs: Any) -> FitResult:
        return fit(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
