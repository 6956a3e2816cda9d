"""The default scenario lands in the published ranges of ../shared/CALIBRATION.md (grade B).

MQL -> SQL 13-45% and lead -> customer about 1-5%, for both shipped policies, over the
scenario's year, averaged over 3 replications (marketing leads: the benchmarks' funnel).
"""

from __future__ import annotations

import numpy as np
import pytest

import alignsim
from alignsim import metrics


@pytest.fixture(scope="module")
def funnels(default_toml):
    sc = alignsim.load(default_toml)
    out: dict[str, list[dict[str, int]]] = {name: [] for name in sc.policies}
    for replication in range(3):
        ledgers = alignsim.simulate_all(sc, list(sc.policies), replication=replication)
        for name, ledger in ledgers.items():
            out[name].append(metrics.funnel_counts(ledger))
    return out


STEADY_ALIGNED = pytest.mark.xfail(
    strict=True,
    reason="issue 15 item 5: counted on the steady-state cohort, aligned's lead -> customer is "
    "6.0% (3 replications of 52 weeks), above the 5% ceiling, as the issue measured (5.9%); "
    "default.toml's recalibration is item 5's",
)


@pytest.mark.parametrize("policy", ["current", pytest.param("aligned", marks=STEADY_ALIGNED)])
def test_mql_to_sql_and_lead_to_customer_are_in_published_ranges(funnels, policy):
    counts = funnels[policy]
    mql_to_sql = np.mean([c["sql"] / c["mql"] for c in counts])
    lead_to_customer = np.mean([c["won"] / c["leads"] for c in counts])
    assert 0.13 <= mql_to_sql <= 0.45, mql_to_sql
    assert 0.01 <= lead_to_customer <= 0.05, lead_to_customer


def test_aligned_converts_better_than_current(funnels):
    rate = {p: np.mean([c["won"] / c["leads"] for c in funnels[p]]) for p in funnels}
    assert rate["aligned"] > rate["current"]
