"""The optimiser: the cheapest alignment that recovers most of the loss (issue 18).

`alignsim.optimise(...)` is `alignsim.optimiser.api.optimise`. The package is not called
`optimise` because `alignsim.optimise` is the function (a submodule of that name would
shadow it once imported).
"""

from __future__ import annotations

from alignsim.optimiser.api import FRESH, Plan, optimise
from alignsim.optimiser.objectives import OBJECTIVES, Objective, objective
from alignsim.optimiser.result import Optimisation, read_optimisation

__all__ = [
    "FRESH",
    "OBJECTIVES",
    "Objective",
    "Optimisation",
    "Plan",
    "objective",
    "optimise",
    "read_optimisation",
]
