"""Engines: deterministic functions of (lead stream, team, policy) that return a ledger.

`fast` (numba, compiled at first use and cached on disk) is the default; `simpy` is the
readable reference it is held to, lead by lead (tests/test_engine_equality.py). Engines are
imported only when asked for, so `import alignsim` never loads numba or compiles anything; the
plan (and with it the stream, the ledger and pandas) is loaded on first use of `Plan` or
`make_plan`, so a command that only needs the engine names stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alignsim.engines.plan import Plan, make_plan
    from alignsim.ledger import LedgerBook

ENGINES = ("fast", "simpy")
"""Engine names accepted by `simulate` and `--engine`."""

DEFAULT_ENGINE = "fast"
"""The engine used when none is named (run, compare, sweep, batch, the workshop page)."""


def engine(name: str | None = None) -> Callable[[Plan], LedgerBook]:
    """The play function of a named engine (None: DEFAULT_ENGINE)."""
    name = DEFAULT_ENGINE if name is None else name
    if name == "simpy":
        from alignsim.engines.simpy_engine import play

        return play
    if name == "fast":
        from alignsim.engines.fast import play

        return play
    raise ValueError(f"unknown engine {name!r}; expected one of {', '.join(ENGINES)}")


def __getattr__(name: str) -> object:
    if name in ("Plan", "make_plan"):
        from alignsim.engines import plan

        return getattr(plan, name)
    raise AttributeError(f"module 'alignsim.engines' has no attribute {name!r}")


__all__ = ["DEFAULT_ENGINE", "ENGINES", "Plan", "engine", "make_plan"]
