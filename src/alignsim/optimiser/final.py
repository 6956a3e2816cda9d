"""The final paired comparison of the best few candidates, on fresh replications.

Each finalist's per-replication objective values are paired (all played on the same fresh
streams, with the `from` policy and the baseline). Reported per finalist: the mean and 95%
t interval of its objective, of the bookings it recovers, and of the share of the loss it
recovers (a ratio of means, its interval by the delta method on the paired residuals).

`prob_best` is a paired bootstrap: the replications are resampled with replacement (B times,
seeded) and in each resample the finalists are ranked by their resampled means; a finalist's
probability is the share of resamples in which it is the best or within the indifference zone
of the best. Resampling whole replications keeps the correlation that common random numbers
give, which a normal approximation on independent means would throw away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from alignsim.optimiser.objectives import Objective

__all__ = ["BOOTSTRAP", "Finals", "interval", "ratio_interval"]

BOOTSTRAP = 4000
"""Bootstrap resamples of the final comparison."""


def interval(values: np.ndarray) -> dict[str, float]:
    """Mean and 95% t interval of per-replication values."""
    n = len(values)
    mean = float(np.mean(values))
    if n < 2:
        return {"mean": mean, "ci_low": mean, "ci_high": mean}
    half = float(stats.t.ppf(0.975, n - 1) * np.std(values, ddof=1) / np.sqrt(n))
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half}


def ratio_interval(gain: np.ndarray, loss: np.ndarray) -> dict[str, float]:
    """The share mean(gain) / mean(loss) and its 95% interval (delta method)."""
    total = float(np.mean(loss))
    share = float(np.mean(gain)) / total if total != 0 else float("nan")
    n = len(gain)
    if n < 2 or total == 0:
        return {"mean": share, "ci_low": share, "ci_high": share}
    residual = gain - share * loss
    half = float(stats.t.ppf(0.975, n - 1) * np.std(residual, ddof=1) / np.sqrt(n) / abs(total))
    return {"mean": share, "ci_low": share - half, "ci_high": share + half}


@dataclass(frozen=True)
class Finals:
    """The finalists, best first, with what the bootstrap says about them."""

    order: np.ndarray
    """Finalist indexes, best first (by mean objective on the fresh replications)."""
    prob_best: np.ndarray
    """In the order of `order`: the probability each is the best (within the zone)."""
    next_worse: float
    """The probability that the runner-up is worse than the best (nan with one finalist)."""

    @classmethod
    def of(
        cls, values: np.ndarray, costs: np.ndarray, objective: Objective, zone: float, seed: int
    ) -> Finals:
        """values: one row per finalist, one column per fresh replication."""
        k, n = values.shape
        order = objective.order(values.mean(axis=1), costs)
        rng = np.random.default_rng([seed, 18])
        best = np.zeros(k)
        beats = 0
        for _ in range(BOOTSTRAP):
            means = values[:, rng.integers(0, n, n)].mean(axis=1)
            best += objective.near_best(means, costs, zone)
            if k > 1:
                pair = order[:2]
                beats += int(objective.order(means[pair], costs[pair])[0] == 0)
        prob = best[order] / BOOTSTRAP
        return cls(order, prob, beats / BOOTSTRAP if k > 1 else float("nan"))
