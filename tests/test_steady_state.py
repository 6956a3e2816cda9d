"""Steady state (MODEL.md 6.3): warm-up, measurement window and settle time; the cohort.

A run is a warm-up, the measurement window (`horizon`) and a settle time; every per-year figure
counts the cohort of leads created in the window, followed to the end of the run. So the
per-year loss of a 13-week window and of a 52-week window estimate the same number: the
stationarity test holds them to each other within the standard error of their difference.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import alignsim
from alignsim import metrics
from alignsim.comparison import HOURS_PER_YEAR
from alignsim.ledger import OUTCOMES
from alignsim.scenario import Campaign, ScenarioError

WEEK = 168.0

WINDOWS = {13: 48, 26: 24, 52: 12}
"""Window (weeks) -> paired replications: about the same simulated leads of the window each
(the warm-up and settle time cost the same per run, so the short windows cost the most)."""

Z = 3.0
"""Standard errors of a difference two estimates of the same number may differ by (a
two-sided 0.27% chance per comparison under normality; fixed seed)."""


def _per_year_loss(sc: alignsim.Scenario, weeks: int, replications: int, seed: int):
    """Mean per-year loss of current against aligned and its standard error."""
    result = alignsim.compare(
        sc,
        baseline="aligned",
        policy="current",
        replications=replications,
        seed=seed,
        horizon=weeks * WEEK,
        engine="fast",
        lever_replications=0,
    )
    lost = result.rows["revenue_lost"].to_numpy(float) * HOURS_PER_YEAR / (weeks * WEEK)
    return float(lost.mean()), float(lost.std(ddof=1) / math.sqrt(len(lost)))


def test_windows_of_13_26_and_52_weeks_give_the_same_loss_a_year(default_toml):
    sc = alignsim.load(default_toml)
    # Separate seeds per window: independent estimates, so their variances add.
    figures = {
        weeks: _per_year_loss(sc, weeks, n, seed=1000 + weeks) for weeks, n in WINDOWS.items()
    }
    for short in (13, 26):
        (m_short, se_short), (m_long, se_long) = figures[short], figures[52]
        tolerance = Z * math.hypot(se_short, se_long)
        assert abs(m_short - m_long) <= tolerance, (short, figures)
    # The test can fail: a cold start (no warm-up, no settle) scaled to a year is far lower.
    cold = sc.model_copy(update={"warmup": 0.0, "settle": 0.0})
    m_cold, se_cold = _per_year_loss(cold, 13, WINDOWS[13], seed=1013)
    m_long, se_long = figures[52]
    assert m_long - m_cold > Z * math.hypot(se_cold, se_long), (m_cold, figures)


def test_auto_warmup_and_settle_cover_nurture_attempts_and_the_sales_cycle(default_toml):
    sc = alignsim.load(default_toml)
    cycle_p95 = float(sc.market.cycle.from_uniform(np.array([0.95]))[0])
    nurture = max(p.nurture.max for p in sc.policies.values() if p.nurtures)
    attempts = max(p.sla.max_attempts * p.sla.attempt_spacing for p in sc.policies.values())
    assert sc.warmup == sc.settle == "auto"
    assert sc.warmup_hours() == math.ceil((nurture + cycle_p95) / WEEK) * WEEK
    assert sc.settle_hours() == math.ceil((nurture + attempts + WEEK + cycle_p95) / WEEK) * WEEK
    assert sc.run_hours(13 * WEEK) == sc.warmup_hours() + 13 * WEEK + sc.settle_hours()
    # Without nurture and with a short cycle, the floors hold.
    quick = sc.model_copy(
        update={
            "policies": {"current": sc.policies["current"]},
            "market": sc.market.model_copy(
                update={"cycle": sc.market.cycle.model_copy(update={"median": 1.0, "p90": 2.0})}
            ),
        }
    )
    assert quick.warmup_hours() == 4 * WEEK
    assert quick.settle_hours() == 2 * WEEK


def test_warmup_and_settle_are_read_in_human_units_and_checked(tiny_document):
    doc = tiny_document(warmup="3d", settle="2w")
    sc = alignsim.validate(doc, "tiny.toml")
    assert sc.warmup_hours() == WEEK  # rounded up to whole weeks: the window starts on a Monday
    assert sc.settle_hours() == 2 * WEEK
    for bad in ("-1w", "soon"):
        with pytest.raises(ScenarioError, match="warmup"):
            alignsim.validate(tiny_document(warmup=bad), "tiny.toml")


def test_the_cohort_column_marks_warmup_window_and_settle_leads(default_toml):
    sc = alignsim.load(default_toml)
    window = 4 * WEEK
    led = alignsim.simulate(sc, "aligned", seed=3, horizon=window, engine="fast")
    f = led.frame
    start = sc.warmup_hours()
    assert led.window == (start, start + window) and start % WEEK == 0
    assert led.horizon == window and led.run_end == start + window + sc.settle_hours()
    expected = np.where(f["created"] < start, -1, np.where(f["created"] < start + window, 0, 1))
    np.testing.assert_array_equal(f["cohort"].to_numpy(), expected)
    assert set(np.unique(expected)) == {-1, 0, 1}
    assert f["created"].max() < led.run_end


def test_every_figure_counts_the_cohort_and_every_lead_is_accounted_for(default_toml):
    sc = alignsim.load(default_toml)
    led = alignsim.simulate(sc, "aligned", seed=4, horizon=4 * WEEK, engine="fast")
    f = led.frame
    cohort = f[f["cohort"] == 0]
    # Conservation over all leads AND over the cohort.
    every, mine = metrics.outcomes(led, cohort=False), metrics.outcomes(led)
    assert sum(every.values()) == len(f) and sum(mine.values()) == len(cohort)
    assert (
        mine
        == cohort["outcome"].astype(str).value_counts().reindex(OUTCOMES, fill_value=0).to_dict()
    )
    # Warm-up and settle leads are never counted, won or not.
    outside = f[(f["cohort"] != 0) & (f["outcome"] == "won")]
    assert len(outside) > 0
    assert metrics.revenue(led) == pytest.approx(cohort["revenue"].sum(), rel=1e-12)
    funnel = metrics.funnel_counts(led, owner=None)
    assert funnel["leads"] == len(cohort) and funnel["won"] == mine["won"]
    summary = metrics.summary(led)
    assert summary["leads"] == len(cohort) and summary["leads_all"] == len(f)
    assert summary["unresolved"] == {k: mine[k] for k in metrics.UNRESOLVED}
    assert summary["warmup_h"] == sc.warmup_hours()


def test_a_policy_against_itself_loses_exactly_nothing(default_toml):
    sc = alignsim.load(default_toml)
    result = alignsim.compare(
        sc, baseline="current", policy="current", replications=2, horizon=2 * WEEK
    )
    assert (result.rows["revenue_lost"] == 0).all()
    assert (result.by_leak()["amount"] == 0).all()


def test_the_by_leak_split_adds_up_to_the_cohorts_loss(default_toml):
    sc = alignsim.load(default_toml)
    result = alignsim.compare(sc, replications=2, horizon=2 * WEEK, lever_replications=0)
    per = result.by_leak_by_replication().groupby("replication")["amount"].sum()
    np.testing.assert_allclose(per.to_numpy(), result.rows["revenue_lost"].to_numpy(), rtol=1e-9)


def test_campaigns_count_from_the_start_of_the_window(tiny_scenario):
    sc = tiny_scenario()
    source = next(iter(sc.market.sources))
    burst = {"start": "2w", "duration": "1w", "multiplier": 20.0}
    src = sc.market.sources[source].model_copy(update={"campaigns": [Campaign(**burst)]})
    sc = sc.model_copy(
        update={
            "warmup": 3 * WEEK,
            "settle": 0.0,
            "market": sc.market.model_copy(update={"sources": {source: src}}),
        }
    )
    leads = alignsim.sample(sc, 1, horizon=8 * WEEK)
    weeks = np.bincount((leads.created // WEEK).astype(int), minlength=11)
    assert weeks.argmax() == 3 + 2  # the window's third week, not the run's


def test_both_engines_agree_with_a_warmup_and_a_settle(default_toml):
    sc = alignsim.load(default_toml)
    shorter = sc.model_copy(update={"warmup": 4 * WEEK, "settle": 3 * WEEK})
    leads = alignsim.sample(shorter, 7, horizon=2 * WEEK)
    assert set(np.unique(leads.cohort)) == {-1, 0, 1}
    for policy in sc.policies:
        simpy = alignsim.simulate(shorter, policy, engine="simpy", stream=leads)
        fast = alignsim.simulate(shorter, policy, engine="fast", stream=leads)
        assert simpy.window == fast.window and simpy.horizon == fast.horizon
        pd.testing.assert_frame_equal(simpy.frame, fast.frame, check_exact=False, rtol=1e-12)
        assert metrics.summary(simpy) | {"engine": ""} == metrics.summary(fast) | {"engine": ""}
