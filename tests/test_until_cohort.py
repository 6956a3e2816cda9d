"""A run played until its cohort is done gives the cohort's rows of the run played to the end.

Every per-year figure counts the cohort (the leads created in the measurement window); once
each of them is done, nothing later changes their rows (an opportunity's outcome is decided
when it opens), so the figures' runs stop there (`Plan.until_cohort_resolved`, the paired
loop's and the split by lever's plays). These tests hold the cohort's rows to the whole run's,
bit for bit, and the paired figures to the ones the whole runs give.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings

import alignsim
from alignsim.engines import engine, make_plan
from alignsim.engines.fast.inputs import Book
from alignsim.ledger import LedgerBook
from alignsim.paired import Pairing, play_pair
from alignsim.simulation import play

from .test_engine_equality import lever_case, small_cases  # noqa: F401  (a fixture)


def cohort_differences(whole: LedgerBook, early: LedgerBook, cohort: np.ndarray) -> list[str]:
    """The ledger columns whose cohort rows differ in any bit."""
    return [
        name
        for name in Book._fields
        if getattr(whole, name)[cohort].tobytes() != getattr(early, name)[cohort].tobytes()
    ]


def test_every_shipped_scenario_gives_its_cohorts_rows_when_stopped_early(shipped_scenario):
    sc = alignsim.load(shipped_scenario)
    stream = alignsim.sample(sc, replication=2, horizon=min(sc.horizon, 13 * 168.0))
    for policy in sc.policies:
        whole = play(sc, policy, stream, engine="fast")
        early = play(sc, policy, stream, engine="fast", cohort_only=True)
        assert cohort_differences(whole, early, stream.in_window) == [], policy


def test_the_default_run_stops_once_its_cohort_is_done(default_toml):
    """On default.toml every `current` lead of the cohort is done within days of the window's
    end; the settle time's later leads are then never played."""
    sc = alignsim.load(default_toml)
    stream = alignsim.sample(sc)
    whole = play(sc, "current", stream, engine="fast")
    early = play(sc, "current", stream, engine="fast", cohort_only=True)
    late = stream.created >= stream.window[1] + 2 * 168.0
    assert np.isnan(early.routed[late]).all() and not np.isnan(whole.routed[late]).all()
    assert cohort_differences(whole, early, stream.in_window) == []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases())
def test_random_small_cases_give_their_cohorts_rows_when_stopped_early(lever_case, case):  # noqa: F811
    seed, options, share = case
    sc, stream = lever_case(seed, **options)
    start = (seed % 5) * sc.horizon / 10
    stream = dataclasses.replace(stream, window=(start, start + share * sc.horizon / 2), cache={})
    team, policy = sc.team_for("p"), sc.policies["p"]
    whole = engine("fast")(make_plan(stream, team, policy, market=sc.market))
    early = engine("fast")(
        make_plan(stream, team, policy, market=sc.market, until_cohort_resolved=True)
    )
    assert cohort_differences(whole, early, stream.in_window) == []


def test_paired_figures_are_the_whole_runs(default_toml):
    sc = alignsim.load(default_toml)
    pairing = Pairing.of(sc, replications=2)
    for r in range(2):
        early = play_pair(pairing, r)
        whole = play_pair(pairing, r, ledgers=True)
        assert early.row() == whole.row()
        assert early.lost_by_cause.tobytes() == whole.lost_by_cause.tobytes()
        assert early.leads_by_cause.tobytes() == whole.leads_by_cause.tobytes()


def test_money_of_a_run_stopped_early_is_the_whole_runs(default_toml):
    """The optimiser's figures (revenue, and profit before reps) and a side's money come from
    the cohort's rows: the same whether the run stopped early or not."""
    from alignsim import economics, metrics

    sc = alignsim.load(default_toml)
    stream = alignsim.sample(sc, replication=4)
    for policy in sc.policies:
        whole = play(sc, policy, stream, engine="fast")
        early = play(sc, policy, stream, engine="fast", cohort_only=True)
        assert metrics.revenue(early) == metrics.revenue(whole)
        money_early = economics.policy_money(sc, policy, early, stream)
        money_whole = economics.policy_money(sc, policy, whole, stream)
        for field in dataclasses.fields(money_whole):
            a, b = getattr(money_early, field.name), getattr(money_whole, field.name)
            assert np.array_equal(a, b, equal_nan=True), (policy, field.name)
