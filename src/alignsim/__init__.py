"""alignsim: the revenue a company loses when marketing and sales are not aligned.

The flow of data: scenario -> lead stream -> engine -> ledger -> metrics.

    import alignsim
    scenario = alignsim.load("scenarios/default.toml")
    ledger = alignsim.simulate(scenario, "current", seed=1)
    alignsim.metrics.funnel(ledger)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from alignsim import metrics
from alignsim.batch.api import MonteCarlo, monte_carlo
from alignsim.comparison import Comparison, compare
from alignsim.ledger import OUTCOMES, Ledger
from alignsim.overrides import apply_overrides
from alignsim.scenario import Scenario, ScenarioError, load, validate
from alignsim.simulation import simulate, simulate_all
from alignsim.stream import LeadStream, sample
from alignsim.sweeps import sweep

try:
    __version__ = version("alignsim")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0+unknown"


def __getattr__(name: str) -> object:
    # `alignsim.plots` and `alignsim.report` load matplotlib: only on first use, so that
    # `import alignsim` stays light.
    if name in ("plots", "report"):
        from importlib import import_module

        return import_module(f"alignsim.{name}")
    if name == "fit":  # pandera and lifelines load on first use; the module is callable
        from importlib import import_module

        return import_module("alignsim.fit")
    raise AttributeError(f"module 'alignsim' has no attribute {name!r}")


__all__ = [
    "OUTCOMES",
    "Comparison",
    "LeadStream",
    "Ledger",
    "MonteCarlo",
    "Scenario",
    "ScenarioError",
    "__version__",
    "apply_overrides",
    "compare",
    "fit",
    "load",
    "metrics",
    "monte_carlo",
    "plots",
    "sample",
    "simulate",
    "simulate_all",
    "sweep",
    "validate",
]
