"""Which candidates are played, on how many replications: screening, then successive halving.

Screening: every candidate of the space when it has at most `trials` candidates (an
exhaustive grid), else `trials` candidates proposed by Optuna's TPE sampler (seeded; asked in
batches, told each candidate's mean objective on the screening replications; it stops early
when ten batches in a row propose no candidate it has not played). Candidates that
break a constraint (reps above `max_reps`, programme cost above `budget`) or that the policy
schema refuses are never played. Successive halving: the screened candidates are ranked on the
first rung's replications (0 .. 3), the best quarter played on 16, the best quarter of those on
64 (the same streams again: replication r is one stream for all), leaving the finalists.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alignsim.optimiser.evaluate import Evaluator
from alignsim.optimiser.objectives import Objective
from alignsim.scenario.search import IntRange
from alignsim.scenario.space import Space

__all__ = ["Plan", "Search"]

Key = tuple[int, ...]

IDLE_BATCHES = 10
"""TPE stops early after this many batches in a row without a new allowed candidate."""


@dataclass(frozen=True)
class Plan:
    """How a search spends replications."""

    trials: int = 4000
    """Most candidates screened; a space this small or smaller is searched exhaustively."""
    rungs: tuple[int, ...] = (4, 16, 64)
    """Replications of each rung of successive halving (the first is the screening)."""
    eta: int = 4
    """Each rung keeps the best 1/eta of the candidates (at least `finalists`)."""
    finalists: int = 5
    final: int = 64
    """Fresh replications of the final comparison."""
    batch: int = 32
    """Candidates Optuna proposes between two updates of its model."""


class Search:
    """A search over a space for an objective, playing through an Evaluator."""

    def __init__(
        self,
        space: Space,
        evaluator: Evaluator,
        objective: Objective,
        plan: Plan,
        max_reps: int | None,
        budget: float | None,
    ) -> None:
        self.space, self.evaluator, self.objective, self.plan = space, evaluator, objective, plan
        self.max_reps, self.budget = max_reps, budget
        self.refused: dict[Key, str] = {}
        self.screened: list[Key] = []

    def allowed(self, key: Key) -> bool:
        """Whether the candidate keeps the constraints and the policy schema accepts it."""
        if key in self.refused:
            return False
        try:
            reps, cost = self.space.reps(key), self.space.cost(key)
        except ValueError as error:
            self.refused[key] = str(error)
            return False
        if self.max_reps is not None and reps > self.max_reps:
            self.refused[key] = "max_reps"
        elif self.budget is not None and cost > self.budget:
            self.refused[key] = "budget"
        return key not in self.refused

    def values(self, keys: Sequence[Key], replications: Sequence[int]) -> np.ndarray:
        """Objective values: one row per candidate, one column per replication."""
        rows = self.evaluator.figures(
            [*keys, "from", "baseline"], replications, self.objective.figure
        )
        start, base = rows[-2], rows[-1]
        loss = base - start
        out = np.empty((len(keys), len(replications)))
        for i, key in enumerate(keys):
            out[i] = self.objective.values(rows[i] - start, loss, self.space.cost(key))
        return out

    def means(self, keys: Sequence[Key], replications: Sequence[int]) -> np.ndarray:
        return self.values(keys, replications).mean(axis=1)

    @property
    def method(self) -> str:
        return "grid" if self.space.size <= self.plan.trials else "tpe"

    def screen(self, seed: int) -> list[Key]:
        """The candidates screened, in the order they were proposed."""
        if self.method == "grid":
            self.screened = [k for k in self.space.candidates() if self.allowed(k)]
        else:
            self.screened = self._tpe(seed)
        return self.screened

    def _tpe(self, seed: int) -> list[Key]:
        import optuna
        from optuna.distributions import CategoricalDistribution, IntDistribution
        from optuna.trial import TrialState

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = optuna.samplers.TPESampler(seed=seed)
        study = optuna.create_study(direction="maximize", sampler=sampler)
        levers = self.space.table.levers
        kinds = {
            name: IntDistribution(0, len(c) - 1)
            if isinstance(levers[name].values, IntRange)
            else CategoricalDistribution(list(range(len(c))))
            for name, c in zip(self.space.names, self.space.choices, strict=True)
        }
        screening = range(self.plan.rungs[0])
        found: dict[Key, float] = {}
        idle = 0  # batches in a row that proposed nothing new: the sampler has converged
        while len(found) < self.plan.trials and idle < IDLE_BATCHES:
            trials = [study.ask(kinds) for _ in range(self.plan.batch)]
            keys = [tuple(int(t.params[n]) for n in self.space.names) for t in trials]
            new = [k for k in dict.fromkeys(keys) if k not in found and self.allowed(k)]
            new = new[: self.plan.trials - len(found)]
            idle = 0 if new else idle + 1
            for key, mean in zip(new, self.means(new, screening), strict=True):
                found[key] = self.objective.score(float(mean), self.space.cost(key))
            for trial, key in zip(trials, keys, strict=True):
                if key in found:
                    study.tell(trial, found[key])
                else:
                    study.tell(trial, state=TrialState.FAIL)
        return list(found)

    def halve(self, keys: Sequence[Key]) -> list[Key]:
        """The finalists of successive halving over the rungs, best first."""
        survivors = list(keys)
        for i, count in enumerate(self.plan.rungs):
            means = self.means(survivors, range(count))
            costs = np.array([self.space.cost(k) for k in survivors])
            survivors = [survivors[j] for j in self.objective.order(means, costs)]
            if i < len(self.plan.rungs) - 1:
                keep = max(self.plan.finalists, math.ceil(len(survivors) / self.plan.eta))
                survivors = survivors[:keep]
        return survivors[: self.plan.finalists]
