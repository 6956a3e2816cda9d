"""Revenue lost by one policy against a baseline, with a paired interval and its attribution.

MODEL.md section 4. Replication r draws ONE lead stream and plays both policies on it (common
random numbers), so the difference per replication is paired and its interval is a paired t
interval over replications.

Attribution, per replication: a lead the baseline wins and the policy does not is charged its
baseline revenue, under the cause named by the policy's outcome for it; a lead the policy wins
and the baseline does not counts its policy revenue negative, under the cause named by the
baseline's outcome. Leads won under both earn the same (revenue = value) and are not charged. One refinement: a
lead the winner won after recycling it from nurture, and the other policy let go (not an MQL,
rejected, disqualified) without ever nurturing it, is charged to "no nurture".
So the causes add up to the revenue lost, in every replication.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from alignsim import metrics
from alignsim.ledger import OUTCOMES, Ledger, LedgerBook
from alignsim.scenario import Scenario
from alignsim.simulation import simulate
from alignsim.stream import sample

__all__ = ["CAUSES", "CAUSE_OF_OUTCOME", "Comparison", "attribute", "attribution", "compare"]

CAUSES = (
    "response delay",
    "too few contact attempts",
    "definition mismatch",
    "no nurture",
    "capacity / goal conflict",
    "deal luck and timing",
)
"""The causes of revenue lost, in a stable order."""

CAUSE_OF_OUTCOME = {
    "lost_to_competitor": "response delay",
    "unreached": "too few contact attempts",
    "not_mql": "definition mismatch",
    "rejected": "definition mismatch",
    "disqualified": "no nurture",
    "nurture_expired": "no nurture",
    "in_nurture": "no nurture",
    "in_queue": "capacity / goal conflict",
    "lost_deal": "deal luck and timing",
    "open_opportunity": "deal luck and timing",
}
"""The cause named by the outcome of the policy that did not win a lead."""

LET_GO = frozenset({"not_mql", "rejected", "disqualified"})
"""Outcomes that end a lead nurture could have brought back: charged to "no nurture" when the
winning policy won the lead after recycling it and the other never nurtured it."""

assert set(CAUSE_OF_OUTCOME) == set(OUTCOMES) - {"won"}
assert set(CAUSE_OF_OUTCOME.values()) == set(CAUSES)


_CAUSE_INDEX = np.array(
    [CAUSES.index(CAUSE_OF_OUTCOME[o]) if o != "won" else -1 for o in OUTCOMES], dtype=np.int64
)
"""Cause index (into CAUSES) named by each outcome code; -1 for won."""
_LET_GO = np.array([o in LET_GO for o in OUTCOMES])
_NO_NURTURE = CAUSES.index("no nurture")
_WON = OUTCOMES.index("won")


def attribution(baseline: LedgerBook, policy: LedgerBook) -> tuple[np.ndarray, np.ndarray]:
    """Revenue lost on one stream by cause, as arrays in the order of CAUSES: (amount, leads).

    `amount` is in the scenario's currency and adds up to baseline minus policy revenue;
    `leads` counts the leads charged to each cause, in both directions.
    """
    a, b = baseline.stream, policy.stream
    if len(baseline.outcome) != len(policy.outcome) or (
        a is not b and not np.array_equal(a.created, b.created)
    ):
        raise ValueError("the two ledgers do not hold the same leads (not the same stream)")
    won_a, won_b = baseline.outcome == _WON, policy.outcome == _WON
    both = won_a & won_b
    if not np.array_equal(baseline.revenue[both], policy.revenue[both]):
        raise AssertionError("a lead won under both policies earned different revenue")
    amount = np.zeros(len(CAUSES))
    leads = np.zeros(len(CAUSES), dtype=np.int64)
    # Lost: charged under the policy's outcome; gained: negative, under the baseline's.
    for winner, loser, sign in ((baseline, policy, 1.0), (policy, baseline, -1.0)):
        mask = (winner.outcome == _WON) & (loser.outcome != _WON)
        ended = loser.outcome[mask]
        cause = _CAUSE_INDEX[ended]
        # A lead the winner brought back from nurture and the other policy let go without ever
        # nurturing it (not an MQL, rejected, disqualified): nurture made the difference.
        again = (winner.recycles[mask] > 0) & (loser.touches[mask] == 0) & _LET_GO[ended]
        cause[again] = _NO_NURTURE
        amount += sign * np.bincount(cause, weights=winner.revenue[mask], minlength=len(CAUSES))
        leads += np.bincount(cause, minlength=len(CAUSES))
    return amount, leads


def attribute(baseline: Ledger, policy: Ledger) -> pd.DataFrame:
    """Revenue lost on one stream by cause: columns cause, amount, leads (one row per cause).

    `leads` counts the leads charged to the cause, in both directions.
    """
    amount, leads = attribution(baseline.book, policy.book)
    return pd.DataFrame({"cause": list(CAUSES), "amount": amount, "leads": leads})


def _interval(values: np.ndarray) -> dict[str, float | None]:
    """Mean, standard deviation and the 95% t interval of the mean (None for one value)."""
    n = len(values)
    mean = float(np.mean(values))
    if n < 2:
        return {"mean": mean, "std": None, "ci_low": None, "ci_high": None}
    std = float(np.std(values, ddof=1))
    # Student's t quantile: what scipy.stats.t.ppf(0.975, n - 1) returns, to the bit (tested),
    # without loading scipy.stats (about a second of start-up).
    half = float(special.stdtrit(n - 1, 0.975)) * std / math.sqrt(n)
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
    base = scenario.baseline_policy if baseline is None else baseline
    if policy is None:
        others = [name for name in scenario.policies if name != base]
        policy = others[0] if others else base
    for name in (base, policy):
        if name not in scenario.policies:
            raise KeyError(
                f"no policy {name!r} in scenario {scenario.name!r}; "
                f"it has {', '.join(scenario.policies)}"
            )
    if replications < 1:
        raise ValueError(f"replications must be at least 1 (got {replications})")
    root = scenario.seed if seed is None else int(seed)
    rows: list[dict[str, Any]] = []
    causes: list[pd.DataFrame] = []
    horizon_h = float(scenario.horizon if horizon is None else horizon)
    for r in range(replications):
        stream = sample(scenario, root, r, horizon=horizon)
        led_a = simulate(scenario, base, horizon=horizon, engine=engine, stream=stream)
        led_b = simulate(scenario, policy, horizon=horizon, engine=engine, stream=stream)
        horizon_h = float(led_a.horizon)
        rev_a, rev_b = metrics.revenue(led_a), metrics.revenue(led_b)
        row: dict[str, Any] = {
            "replication": r,
            "revenue_baseline": rev_a,
            "revenue_policy": rev_b,
            "revenue_lost": rev_a - rev_b,
        }
        for role, led in (("baseline", led_a), ("policy", led_b)):
            for stage, count in metrics.funnel_counts(led).items():
                row[f"{role}_{stage}"] = count
        rows.append(row)
        by_cause = attribute(led_a, led_b)
        by_cause.insert(0, "replication", r)
        causes.append(by_cause)
    return Comparison(
        scenario=scenario.name,
        baseline=base,
        policy=policy,
        seed=root,
        currency=scenario.currency,
        horizon_h=horizon_h,
        rows=pd.DataFrame(rows),
        causes=pd.concat(causes, ignore_index=True),
    )
