"""One run of a batch, and a chunk of runs: the unit of work a worker does.

Run i plays the values of row i of the design (drawn once, before any run), on the lead stream
of replication i of the run's scenario (`alignsim.sample(scenario, root, replication=i)`): the
baseline and the policy on the same leads (common random numbers). So a run's result depends on
the root seed, i and the design only, never on which worker plays it or when. A run is one
`alignsim.paired.play_pair`, as a replication of `compare` is. A run keeps
figures, never the per-lead ledgers, so memory stays flat however many runs a worker plays.

A run's figures (money in the scenario's currency per year: the run's horizon scaled to 52
weeks, exactly the run's own figures for a 52-week horizon; counts of leads per run):

| column | meaning |
|---|---|
| `revenue_baseline`, `revenue_policy` | revenue the cohort (the window's leads) won under each policy, per year |
| `revenue_lost` | baseline minus policy |
| `leads` | leads created in the run (both policies see the same) |
| `baseline_<stage>`, `policy_<stage>` | marketing's funnel: leads, mql, routed, sal, reached, sql, won |
| `lost_<cause>` | revenue lost by cause (alignsim.leaks's attribution; they add up to `revenue_lost`) |
| `bookings_lost` ... `npv` | the money figures of alignsim.economics.FIGURES (per year for bookings, lifetime value and gross profit; programme cost and NPV over economics.years; payback in months, inf when not within them; ROI a ratio) |
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from alignsim import economics, metrics
from alignsim.batch.setup import Setup
from alignsim.leaks import CAUSES
from alignsim.paired import Pairing, money, play_pair
from alignsim.units import RATE_PERIODS

__all__ = ["FIGURES", "HOURS_PER_YEAR", "Chunk", "cause_column", "play", "play_chunk"]

HOURS_PER_YEAR = RATE_PERIODS["year"]
"""A year of 52 weeks: money figures are scaled from a run's horizon to it."""


def cause_column(cause: str) -> str:
    """The run-table column of a cause: "response delay" -> "lost_response_delay"."""
    return "lost_" + re.sub(r"\W+", "_", cause).strip("_")


FIGURES: tuple[str, ...] = (
    "revenue_baseline",
    "revenue_policy",
    "revenue_lost",
    "leads",
    *(f"{role}_{stage}" for role in ("baseline", "policy") for stage in metrics.FUNNEL_STAGES),
    *(cause_column(c) for c in CAUSES),
    *economics.FIGURES,
)
"""The figures of a run, in column order."""


@dataclass(frozen=True)
class Chunk:
    """Consecutive runs submitted as one task.

    `values` has one row per run: the played values of the uncertain inputs (internal units).
    """

    index: int
    runs: np.ndarray
    replications: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.runs)


def play(setup: Setup, replication: int, values: np.ndarray, run: int | None = None) -> list[float]:
    """One run's figures, in the order of FIGURES."""
    scenario = setup.scenario_for(values, run)
    pairing = Pairing(
        scenario, setup.baseline, setup.policy, 1, setup.seed, setup.horizon, setup.engine
    )
    paired = play_pair(pairing, replication)
    base, other = paired.baseline, paired.policy
    k = HOURS_PER_YEAR / pairing.horizon_h
    row = [base.revenue * k, other.revenue * k, paired.revenue_lost * k, float(len(paired.stream))]
    for side in (base, other):
        row.extend(float(side.funnel[s]) for s in metrics.FUNNEL_STAGES)
    row.extend(float(x) * k for x in paired.lost_by_cause)
    figures = money(pairing, paired).figures
    row.extend(figures[name] for name in economics.FIGURES)
    return row


def play_chunk(setup: Setup, chunk: Chunk) -> np.ndarray:
    """The figures of every run of a chunk: one row per run, columns as FIGURES."""
    out = np.empty((len(chunk), len(FIGURES)))
    for k in range(len(chunk)):
        out[k] = play(setup, int(chunk.replications[k]), chunk.values[k], int(chunk.runs[k]))
    return out
