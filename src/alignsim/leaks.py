"""Revenue lost on one stream by leak: where the policy's leads ended (MODEL.md section 4).

A lead the baseline wins and the policy does not is charged its baseline revenue, under the
cause named by the policy's outcome for it; a lead the policy wins and the baseline does not
counts its policy revenue negative, under the cause named by the baseline's outcome. Leads won
under both earn the same (revenue = value) and are not charged. One refinement: a lead the
winner won after recycling it from nurture, and the other policy let go (not an MQL, rejected,
disqualified) without ever nurturing it, is charged to "no nurture". So the causes add up to
the revenue lost, in every replication. It answers "where in the funnel", not "which
misalignment" (that is alignsim.levers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alignsim.ledger import OUTCOMES, Ledger, LedgerBook

__all__ = ["CAUSES", "CAUSE_OF_OUTCOME", "LET_GO", "attribute", "attribution"]

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

    Over the cohort (the leads created in the measurement window, MODEL.md 6.3). `amount` is
    in the scenario's currency and adds up to baseline minus policy revenue (the cohort's);
    `leads` counts the leads charged to each cause, in both directions.
    """
    a, b = baseline.stream, policy.stream
    if len(baseline.outcome) != len(policy.outcome) or (
        a is not b and not np.array_equal(a.created, b.created)
    ):
        raise ValueError("the two ledgers do not hold the same leads (not the same stream)")
    cohort = a.in_window
    won_a, won_b = (baseline.outcome == _WON) & cohort, (policy.outcome == _WON) & cohort
    both = won_a & won_b
    if not np.array_equal(baseline.revenue[both], policy.revenue[both]):
        raise AssertionError("a lead won under both policies earned different revenue")
    amount = np.zeros(len(CAUSES))
    leads = np.zeros(len(CAUSES), dtype=np.int64)
    # Lost: charged under the policy's outcome; gained: negative, under the baseline's.
    for winner, loser, sign in ((baseline, policy, 1.0), (policy, baseline, -1.0)):
        mask = cohort & (winner.outcome == _WON) & (loser.outcome != _WON)
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
