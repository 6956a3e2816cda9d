"""Invariants on every shipped scenario: conservation, determinism, common random numbers, order."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import alignsim
from alignsim import metrics
from alignsim.ledger import OUTCOMES

SCENARIOS = sorted(Path("scenarios").rglob("*.toml"))
CASES = [(path, policy) for path in SCENARIOS for policy in alignsim.load(path).policies]


def short(sc: alignsim.Scenario, weeks: float = 4, leads: float = 3000) -> float:
    """A horizon of `weeks`, shorter if the scenario would create more than `leads` in it."""
    return min(weeks * 168.0, leads / alignsim.scenario.expected_leads(sc) * sc.horizon)


@pytest.mark.parametrize(("path", "policy"), CASES, ids=lambda x: getattr(x, "stem", x))
def test_every_lead_ends_in_exactly_one_outcome(path, policy):
    sc = alignsim.load(path)
    for seed in range(6):
        led = alignsim.simulate(sc, policy, seed=seed, horizon=short(sc))
        f = led.frame
        counts = metrics.outcomes(led)
        assert set(counts) == set(OUTCOMES)
        assert sum(counts.values()) == len(f) > 0
        assert f["outcome"].notna().all()
        assert f["lead"].tolist() == list(range(len(f)))


@pytest.mark.parametrize(("path", "policy"), CASES, ids=lambda x: getattr(x, "stem", x))
def test_stages_happen_in_order_and_inside_the_horizon(path, policy):
    sc = alignsim.load(path)
    h = short(sc)
    f = alignsim.simulate(sc, policy, seed=3, horizon=h).frame
    order = ["created", "mql", "routed", "first_attempt", "reached", "sql", "closed"]
    for earlier, later in itertools.pairwise(order):
        both = f[earlier].notna() & f[later].notna()
        assert (f.loc[both, earlier] <= f.loc[both, later] + 1e-9).all(), (earlier, later)
    assert (f["created"] < h).all()
    for stage in ("mql", "routed", "accepted", "first_attempt"):
        assert (f[stage].dropna() < h).all(), stage
    won = f["outcome"] == "won"
    assert (f.loc[won, "revenue"] == f.loc[won, "value"]).all()
    assert (f.loc[~won, "revenue"] == 0).all()
    assert (f.loc[won, "closed"] < h).all()
    assert (f.loc[f["outcome"] == "open_opportunity", "closed"] >= h).all()
    assert (f["rep_hours"] >= 0).all()
    assert (f.loc[f["attempts"] == 0, "first_attempt"].isna()).all()
    # Stage flags are nested: no SQL without a reach, no reach without an attempt.
    assert (f["sql"].isna() | f["reached"].notna()).all()
    assert (f["reached"].isna() | f["first_attempt"].notna()).all()
    # Reps are never busier than they are on duty (activities may overrun closing by one call).
    led = alignsim.simulate(sc, policy, seed=3, horizon=h)
    assert 0 <= metrics.utilisation(led) <= 1.05


def test_same_seed_same_ledger_different_seed_different_leads():
    sc = alignsim.load("scenarios/default.toml")
    a = alignsim.simulate(sc, "current", seed=7, horizon=2 * 168.0).frame
    b = alignsim.simulate(sc, "current", seed=7, horizon=2 * 168.0).frame
    pd.testing.assert_frame_equal(a, b)
    c = alignsim.simulate(sc, "current", seed=8, horizon=2 * 168.0).frame
    assert len(a) != len(c) or not np.allclose(a["created"], c["created"])


def test_replications_are_independent_streams_of_one_seed():
    sc = alignsim.load("scenarios/default.toml")
    s0 = alignsim.sample(sc, seed=5, replication=0, horizon=168.0)
    s1 = alignsim.sample(sc, seed=5, replication=1, horizon=168.0)
    assert not np.array_equal(s0.created[:20], s1.created[:20])


def test_policies_play_the_same_leads():
    sc = alignsim.load("scenarios/default.toml")
    runs = alignsim.simulate_all(sc, seed=2, horizon=4 * 168.0)
    frames = [led.frame for led in runs.values()]
    for column in ("created", "source", "fit", "temperature", "value"):
        for other in frames[1:]:
            pd.testing.assert_series_equal(frames[0][column], other[column])


def test_the_stream_does_not_depend_on_the_policy():
    doc = alignsim.scenario.read_document("scenarios/default.toml")
    base = alignsim.sample(alignsim.validate(doc), seed=4, horizon=2 * 168.0)
    doc["policies"]["aligned"]["sla"]["max_attempts"] = 9
    doc["policies"]["aligned"]["nurture"]["max_recycles"] = 3
    doc["policies"]["aligned"]["nurture"]["max"] = "52w"
    doc["policies"]["current"]["definition"]["marketing_noise"] = 1.0
    wider = alignsim.sample(alignsim.validate(doc), seed=4, horizon=2 * 168.0)
    # Attempts over a life: 9 per routing, 1 + 3 routings; one score per touch (52w / 11d).
    assert (wider.max_attempts, wider.max_routings, wider.max_scorings) == (36, 4, 34)
    assert base.max_attempts < 36 and base.max_routings < 4 and base.max_scorings < 34
    # Wider blocks keep every earlier draw.
    for name in ("u_reach", "u_attempt_time", "eps_m", "eps_s", "u_qualify", "u_routing"):
        narrow = getattr(base, name)
        np.testing.assert_array_equal(getattr(wider, name)[:, : narrow.shape[1]], narrow)
    for name in ("created", "fit", "value", "patience", "warming", "u_win", "cycle"):
        np.testing.assert_array_equal(getattr(wider, name), getattr(base, name))


def test_changing_one_source_leaves_the_other_sources_leads_alone():
    doc = alignsim.scenario.read_document("scenarios/default.toml")
    base = alignsim.sample(alignsim.validate(doc), seed=4, horizon=2 * 168.0)
    doc["market"]["sources"]["content"]["rate"] = "200/week"
    more = alignsim.sample(alignsim.validate(doc), seed=4, horizon=2 * 168.0)
    k = base.sources.index("webinar")
    np.testing.assert_array_equal(base.created[base.source == k], more.created[more.source == k])
    np.testing.assert_array_equal(base.value[base.source == k], more.value[more.source == k])


def test_arrival_rates_match_the_sources():
    sc = alignsim.load("scenarios/default.toml")
    weeks = 26
    st = alignsim.sample(sc, seed=11, horizon=weeks * 168.0)
    for k, (name, src) in enumerate(sc.market.sources.items()):
        expected = src.rate * weeks * 168.0
        observed = int(np.sum(st.source == k))
        assert abs(observed - expected) <= 4 * np.sqrt(expected), name  # Poisson: sd = sqrt(mean)
    # Business-hours sources only create leads while the team is open.
    cal = sc.team.hours.calendar
    k = st.sources.index("webinar")
    assert all(cal.is_open(t) for t in st.created[st.source == k])


def test_temperature_mix_matches_its_shares():
    sc = alignsim.load("scenarios/default.toml")
    st = alignsim.sample(sc, seed=12, horizon=26 * 168.0)
    k = st.sources.index("content")
    temps = st.temperature[st.source == k]
    n = len(temps)
    for code, share in enumerate(sc.market.sources["content"].temperature.shares):
        assert abs(np.mean(temps == code) - share) <= 4 * np.sqrt(share * (1 - share) / n)


def test_funnel_and_weekly_series_agree_with_the_ledger():
    sc = alignsim.load("scenarios/default.toml")
    led = alignsim.simulate(sc, "aligned", seed=1, horizon=8 * 168.0)
    f = led.frame
    fun = metrics.funnel(led)
    marketing = f[f["owner"] == "marketing"]
    assert fun.loc["leads", "count"] == len(marketing)
    assert fun.loc["won", "count"] == int((marketing["outcome"] == "won").sum())
    counts = fun["count"].to_numpy()
    assert (np.diff(counts) <= 0).all()  # a funnel only narrows
    w = metrics.weekly(led)
    assert len(w) == 8
    assert w["leads"].sum() == len(f)
    assert w["revenue"].sum() == pytest.approx(metrics.revenue(led))
    assert w["won"].sum() == metrics.outcomes(led)["won"]
    s = metrics.summary(led)
    assert s["leads"] == len(f) and s["revenue"] == pytest.approx(f["revenue"].sum())
    stl = s["speed_to_lead"]
    assert 0 <= stl["within_sla"] <= 1 and stl["median_h"] <= stl["p90_h"]
    assert stl["median_business_h"] <= stl["median_h"] + 1e-9


def test_funnel_counts_from_the_engine_arrays_match_the_table():
    sc = alignsim.load("scenarios/default.toml")
    led = alignsim.simulate(sc, "aligned", seed=2, horizon=6 * 168.0)
    f = led.frame
    columns = {"mql": "mql", "routed": "routed", "sal": "accepted", "reached": "reached"}
    for owner in ("marketing", "sales", None):
        rows = f if owner is None else f[f["owner"] == owner]
        expected = {
            "leads": len(rows),
            **{k: int(rows[c].notna().sum()) for k, c in columns.items()},
        }
        expected |= {
            "sql": int(rows["sql"].notna().sum()),
            "won": int((rows["outcome"] == "won").sum()),
        }
        assert metrics.funnel_counts(led, owner) == expected
        assert metrics.funnel_counts(led.book, owner) == expected
    assert metrics.outcomes(led) == {o: int((f["outcome"] == o).sum()) for o in OUTCOMES}
    with pytest.raises(ValueError, match="owner must be one of marketing, sales or None"):
        metrics.funnel_counts(led, "partners")


def test_ledger_round_trips_through_parquet(tmp_path):
    import pyarrow.parquet as pq

    sc = alignsim.load("scenarios/default.toml")
    led = alignsim.simulate(sc, "current", seed=1, horizon=168.0)
    path = led.to_parquet(tmp_path / "ledger.parquet")
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, led.frame, check_categorical=False)
    meta = pq.read_schema(path).metadata
    assert meta[b"alignsim.policy"] == b"current"
    assert meta[b"alignsim.seed"] == b"1"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
