"""Revenue lost by one policy against a baseline, with a paired interval and its attribution.

MODEL.md section 4. A comparison is a loop over `alignsim.paired.play_pair`: replication r
draws ONE lead stream and plays both policies on it (common random numbers), so the difference
per replication is paired and its interval is a paired t interval over replications. The
attribution by leak is alignsim.leaks's (its names are re-exported here).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alignsim import metrics
from alignsim.leaks import CAUSE_OF_OUTCOME, CAUSES, LET_GO, attribute, attribution
from alignsim.ledger import Ledger
from alignsim.paired import PairedRun, Pairing, play_pair
from alignsim.scenario import Scenario

__all__ = [
    "CAUSES",
    "CAUSE_OF_OUTCOME",
    "LET_GO",
    "Comparison",
    "attribute",
    "attribution",
    "collect",
    "compare",
    "run",
]


def _interval(values: np.ndarray) -> dict[str, float | None]:
    """Mean, standard deviation and the 95% t interval of the mean (None for one value)."""
    n = len(values)
    mean = float(np.mean(values))
    if n < 2:
        return {"mean": mean, "std": None, "ci_low": None, "ci_high": None}
    std = float(np.std(values, ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * std / math.sqrt(n)
    return {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half}


@dataclass
class Comparison:
    """Policy against baseline over replications of common lead streams."""

    scenario: str
    baseline: str
    policy: str
    seed: int
    currency: str
    horizon_h: float
    rows: pd.DataFrame
    """One row per replication: revenue and funnel counts of each, revenue_lost."""
    causes: pd.DataFrame
    """One row per replication and cause: replication, cause, amount, leads."""
    ledgers: dict[str, Ledger] = field(default_factory=dict)
    """The first replication's ledgers by policy name, when asked for (`run(ledgers=True)`)."""

    @property
    def replications(self) -> int:
        return len(self.rows)

    def to_frame(self) -> pd.DataFrame:
        """The per-replication rows: replication, revenue_baseline, revenue_policy,
        revenue_lost, then baseline_<stage> and policy_<stage> for every funnel stage."""
        return self.rows.copy()

    def attribution_by_replication(self) -> pd.DataFrame:
        """Revenue lost by cause in every replication: replication, cause, amount, leads."""
        return self.causes.copy()

    def attribution(self) -> pd.DataFrame:
        """Mean revenue lost per replication by cause: cause, amount, share, leads (mean count)."""
        means = self.causes.groupby("cause", sort=False)[["amount", "leads"]].mean()
        means = means.reindex(list(CAUSES))
        total = float(self.rows["revenue_lost"].mean())
        amount = means["amount"].to_numpy(float)
        share = amount / total if total != 0 else np.full(len(amount), np.nan)
        return pd.DataFrame(
            {
                "cause": list(CAUSES),
                "amount": amount,
                "share": share,
                "leads": means["leads"].to_numpy(float),
            }
        )

    def summary(self) -> dict[str, Any]:
        """The comparison's headline figures as plain JSON-ready data."""
        rows = self.rows
        names = {"baseline": self.baseline, "policy": self.policy}
        revenue = {names[r]: float(rows[f"revenue_{r}"].mean()) for r in ("policy", "baseline")}
        funnels = {
            names[r]: {s: float(rows[f"{r}_{s}"].mean()) for s in metrics.FUNNEL_STAGES}
            for r in ("policy", "baseline")
        }
        attribution = self.attribution()
        return {
            "scenario": self.scenario,
            "baseline": self.baseline,
            "policy": self.policy,
            "replications": self.replications,
            "seed": self.seed,
            "currency": self.currency,
            "horizon_h": self.horizon_h,
            "revenue": revenue,
            "revenue_lost": _interval(rows["revenue_lost"].to_numpy(float)),
            "attribution": dict(zip(attribution["cause"], attribution["amount"], strict=True)),
            "funnels": funnels,
        }


def compare(
    scenario: Scenario,
    baseline: str | None = None,
    policy: str | None = None,
    replications: int = 30,
    seed: int | None = None,
    horizon: float | None = None,
    engine: str | None = None,
) -> Comparison:
    """Compare `policy` with `baseline` over `replications` common lead streams.

    baseline defaults to the scenario's baseline policy; policy to the first other policy (the
    baseline itself when there is no other). horizon is in hours (default: the scenario's).
    """
    return run(Pairing.of(scenario, baseline, policy, replications, seed, horizon, engine))


def run(pairing: Pairing, *, ledgers: bool = False) -> Comparison:
    """The comparison of a pairing: `play_pair` on each replication, collected.

    ledgers: keep the first replication's two ledgers in `Comparison.ledgers`.
    """
    runs = (play_pair(pairing, r, ledgers=ledgers and r == 0) for r in range(pairing.replications))
    return collect(pairing, runs)


def collect(pairing: Pairing, runs: Iterable[PairedRun]) -> Comparison:
    """A Comparison from the paired runs of a pairing (in replication order)."""
    rows: list[dict[str, Any]] = []
    amounts: list[np.ndarray] = []
    leads: list[np.ndarray] = []
    kept: dict[str, Ledger] = {}
    for paired in runs:
        rows.append(paired.row())
        amounts.append(paired.lost_by_cause)
        leads.append(paired.leads_by_cause)
        if paired.ledgers is not None and not kept:
            kept = {pairing.baseline: paired.ledgers[0], pairing.policy: paired.ledgers[1]}
    frame = pd.DataFrame(rows)
    causes = pd.DataFrame(
        {
            "replication": np.repeat(frame["replication"].to_numpy(np.int64), len(CAUSES)),
            "cause": list(CAUSES) * len(rows),
            "amount": np.concatenate(amounts),
            "leads": np.concatenate(leads),
        }
    )
    return Comparison(
        scenario=pairing.scenario.name,
        baseline=pairing.baseline,
        policy=pairing.policy,
        seed=pairing.seed,
        currency=pairing.scenario.currency,
        horizon_h=pairing.horizon_h,
        rows=frame,
        causes=causes,
        ledgers=kept,
    )
