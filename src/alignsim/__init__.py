"""alignsim: the revenue a company loses when marketing and sales are not aligned.

The flow of data: scenario -> lead stream -> engine -> ledger -> metrics.

    import alignsim
    scenario = alignsim.load("scenarios/default.toml")
    ledger = alignsim.simulate(scenario, "current", seed=1)
    alignsim.metrics.funnel(ledger)

Every name below is loaded on first use (PEP 562), so `import alignsim` costs a few
milliseconds and a command loads only what it uses: reading a scenario never loads pandas,
scipy.stats, matplotlib or numba.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alignsim import metrics, plots, report
    from alignsim.batch.api import MonteCarlo, monte_carlo
    from alignsim.comparison import Comparison, compare
    from alignsim.ledger import OUTCOMES, Ledger
    from alignsim.optimiser import Optimisation, optimise
    from alignsim.overrides import apply_overrides
    from alignsim.scenario import Scenario, ScenarioError, load, validate
    from alignsim.simulation import simulate, simulate_all
    from alignsim.stream import LeadStream, sample
    from alignsim.stream_windows import StreamWindows, sample_windows
    from alignsim.sweeps import sweep
    from alignsim.version import __version__

_WHERE = {
    "MonteCarlo": "alignsim.batch.api",
    "monte_carlo": "alignsim.batch.api",
    "Comparison": "alignsim.comparison",
    "compare": "alignsim.comparison",
    "OUTCOMES": "alignsim.ledger",
    "Ledger": "alignsim.ledger",
    "Optimisation": "alignsim.optimiser",
    "optimise": "alignsim.optimiser",
    "apply_overrides": "alignsim.overrides",
    "Scenario": "alignsim.scenario",
    "ScenarioError": "alignsim.scenario",
    "load": "alignsim.scenario",
    "validate": "alignsim.scenario",
    "simulate": "alignsim.simulation",
    "simulate_all": "alignsim.simulation",
    "LeadStream": "alignsim.stream",
    "sample": "alignsim.stream",
    "StreamWindows": "alignsim.stream_windows",
    "sample_windows": "alignsim.stream_windows",
    "sweep": "alignsim.sweeps",
    "__version__": "alignsim.version",
}
"""Where each public name lives: its module is imported when the name is first used."""


def __getattr__(name: str) -> object:
    # A public name, else a submodule (`alignsim.metrics`, `alignsim.scenario`, ...).
    if name in _WHERE:
        value: object = getattr(import_module(_WHERE[name]), name)
    elif name.startswith("__"):
        raise AttributeError(f"module 'alignsim' has no attribute {name!r}")
    else:
        try:
            value = import_module(f"alignsim.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"alignsim.{name}":
                raise
            raise AttributeError(f"module 'alignsim' has no attribute {name!r}") from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "OUTCOMES",
    "Comparison",
    "LeadStream",
    "Ledger",
    "MonteCarlo",
    "Optimisation",
    "Scenario",
    "ScenarioError",
    "StreamWindows",
    "__version__",
    "apply_overrides",
    "compare",
    "fit",
    "load",
    "metrics",
    "monte_carlo",
    "optimise",
    "plots",
    "report",
    "sample",
    "sample_windows",
    "simulate",
    "simulate_all",
    "sweep",
    "validate",
]
