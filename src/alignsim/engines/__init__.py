"""Engines: deterministic functions of (lead stream, team, policy) that return a ledger."""

from __future__ import annotations

from collections.abc import Callable

from alignsim.engines.plan import Plan, make_plan
from alignsim.ledger import LedgerBook

ENGINES = ("simpy",)
"""Engine names accepted by `simulate` and `--engine`."""

DEFAULT_ENGINE = "simpy"
"""The engine used when none is named (run, compare, sweep, batch, the workshop page)."""


def engine(name: str | None = None) -> Callable[[Plan], LedgerBook]:
    """The play function of a named engine (None: DEFAULT_ENGINE)."""
    name = DEFAULT_ENGINE if name is None else name
    if name == "simpy":
        from alignsim.engines.simpy_engine import play

        return play
    raise ValueError(f"unknown engine {name!r}; expected one of {', '.join(ENGINES)}")


__all__ = ["DEFAULT_ENGINE", "ENGINES", "Plan", "engine", "make_plan"]
