"""What the optimiser maximises: one small function of a replication's paired figures.

Every candidate policy is played on the same replications as the `from` policy (the one
improved) and the baseline (aligned), so each replication r gives paired figures, money a year,
of the objective's `figure` (alignsim.optimiser.evaluate.FIGURES):

    gain[r]  = figure(candidate) - figure(from)     bookings (or gross profit) recovered
    loss[r]  = figure(baseline) - figure(from)      the loss there is to recover

and the candidate has a programme cost a year (`Space.cost`: extra reps and the levers'
costs). An `Objective` turns them into one value per replication (higher is better) and says
how candidates rank by their mean values. A new objective is one function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "OBJECTIVES",
    "Objective",
    "cost_objective",
    "objective",
    "profit_objective",
    "recovered_objective",
]

BIG = 1e15
"""Keeps a candidate that misses the recovery target behind every one that meets it."""


@dataclass(frozen=True)
class Objective:
    """An objective: its per-replication values and the scalar a search maximises."""

    name: str
    meaning: str
    """What a value is, for a reader: "bookings recovered net of programme cost"."""
    values: Callable[[np.ndarray, np.ndarray, float], np.ndarray]
    """(gain, loss, cost) -> one value per replication, money a year, higher is better."""
    score: Callable[[float, float], float]
    """(mean value, cost) -> the scalar ranked on, higher is better."""
    figure: str = "revenue"
    """The figure gain and loss are of: "revenue" (bookings) or "profit" (gross profit before
    the reps' pay, on lifetime value: the extra reps are in the programme cost)."""
    unit: str = "a year, bookings (first-year contracts)"
    """What a value is counted in, after the currency."""

    def order(self, means: np.ndarray, costs: np.ndarray) -> np.ndarray:
        """Candidates best first (stable: a tie keeps the earlier candidate first)."""
        scores = np.array([self.score(m, c) for m, c in zip(means, costs, strict=True)])
        return np.argsort(-scores, kind="stable")

    def near_best(self, means: np.ndarray, costs: np.ndarray, zone: float) -> np.ndarray:
        """Which candidates are the best or within `zone` (money a year) of it."""
        scores = np.array([self.score(m, c) for m, c in zip(means, costs, strict=True)])
        return scores >= scores.max() - zone


def recovered_objective() -> Objective:
    """Bookings recovered against `from`, net of the programme cost (money a year)."""
    return Objective(
        "recovered",
        "bookings recovered net of programme cost",
        lambda gain, loss, cost: gain - cost,
        lambda mean, cost: mean,
    )


def profit_objective() -> Objective:
    """Gross profit recovered against `from` (gross margin x lifetime value, minus the leads'
    and the nurture touches' cost, as alignsim.economics counts it), net of the programme cost
    (which pays the extra reps), money a year. The `from` policy itself scores 0."""
    return Objective(
        "profit",
        "gross profit recovered net of programme cost",
        lambda gain, loss, cost: gain - cost,
        lambda mean, cost: mean,
        figure="profit",
        unit="a year, gross profit on lifetime value",
    )


def cost_objective(share: float) -> Objective:
    """The cheapest programme that recovers at least `share` of the loss.

    A replication's value is the margin gain - share * loss (money a year): a candidate meets
    the target when its mean margin is at least 0. Those that meet it rank by programme cost
    (cheapest first), the others behind them by margin.
    """
    return Objective(
        "cost",
        f"margin over {share:.0%} of the loss recovered",
        lambda gain, loss, cost: gain - share * loss,
        lambda mean, cost: -cost if mean >= 0 else mean - BIG,
    )


OBJECTIVES = ("profit", "recovered", "cost")
"""The objectives `alignsim optimise --objective` knows."""


def objective(name: str, recover: float) -> Objective:
    """The objective called `name` (`recover`: the share the `cost` objective must recover)."""
    if name == "profit":
        return profit_objective()
    if name == "recovered":
        return recovered_objective()
    if name == "cost":
        return cost_objective(recover)
    raise ValueError(f"no objective {name!r}; choose one of {', '.join(OBJECTIVES)}")
