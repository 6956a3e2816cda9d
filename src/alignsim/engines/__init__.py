"""Engines: deterministic functions of (lead stream, team, policy) that return a ledger."""

from __future__ import annotations

from collections.abc import Callable

from alignsim.engines.plan import Plan, make_plan
from alignsim.ledger import LedgerBook

ENGINES = ("simpy",)
"""Engine names accepted by `simulate` and `--engine`."""


def engine(name: str) -> Callable[[Plan], LedgerBook]:
    """The play function of a named engine."""
    if name == "simpy":
        from alignsim.engines.simpy_engine import play

        return play
    raise ValueError(f"unknown engine {name!r}; expected one of {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Plan", "engine", "make_plan"]
