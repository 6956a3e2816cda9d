"""Fit a scenario to a company's own CRM export (issue 17): `alignsim.fit(...)`.

An application layer: it reads exports (pandas, checked by pandera), estimates the market,
team and current policy with their uncertainty (scipy, lifelines), writes a scenario
(tomli-w) and a report. It imports the scenario, stream, simulation and ledger layers;
only the command line and `alignsim.fit` (lazily) import it.

`alignsim.fit` is this package and can be called: `alignsim.fit(...)` is `alignsim.fit.fit(...)`.
Its names load on first use, so that registering the commands keeps `alignsim` quick to start
(pandera and lifelines take a second to import).
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import Any

_HOMES = {
    "fit": "api",
    "FitResult": "api",
    "NOT_IDENTIFIED": "api",
    "PRESETS": "columns",
    "ColumnMap": "columns",
    "FitInputError": "columns",
    "load_map": "columns",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"alignsim.fit.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'alignsim.fit' has no attribute {name!r}")


class _CallableModule(types.ModuleType):
    """This package, callable: `alignsim.fit(...)` fits (whichever way it was imported)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from alignsim.fit.api import fit

        return fit(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = sorted(_HOMES)
