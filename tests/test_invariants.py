"""Invariants on every shipped scenario: conservation, determinism, common random numbers, order."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

import alignsim
from alignsim import metrics
from alignsim.calendar import BusinessCalendar
from alignsim.ledger import OUTCOMES

OPEN = ("in_queue", "in_nurture", "open_opportunity")
"""Outcomes of leads still open at the horizon: the only ones without an end time."""


def brief(sc: alignsim.Scenario) -> alignsim.Scenario:
    """The scenario with a 2-week warm-up and a 1-week settle time: every phase of a run
    (MODEL.md 6.3) at a fraction of the auto lengths' cost."""
    return sc.model_copy(update={"warmup": 2 * 168.0, "settle": 168.0})


def short(sc: alignsim.Scenario, weeks: float = 4, leads: float = 3000) -> float:
    """A horizon of `weeks`, shorter if the scenario would create more than `leads` in it."""
    return min(weeks * 168.0, leads / alignsim.scenario.expected_leads(sc) * sc.horizon)


def closings(calendar: BusinessCalendar, horizon: float) -> int:
    """How many times the team closes inside [0, horizon) (0 if it never closes)."""
    count, t = 0, calendar.next_open(0.0)
    while (close := calendar.next_close(t)) < horizon:
        count, t = count + 1, calendar.next_open(close)
    return count


def outcome_disagreements(f: pd.DataFrame, horizon: float, skip_lost: bool) -> dict[str, int]:
    """Each rule by which an outcome must agree with the lead's ledger times (README "The
    model" and "Outputs"), and how many leads break it (the rules hold iff all are 0).
    `skip_lost` is the team's `skip_lost_leads`."""
    o = f["outcome"].astype(str)
    has = f.notna()
    sales = f["owner"].astype(str) == "sales"
    recycled = f["recycles"] >= 1
    deal = o.isin(["won", "lost_deal"])
    rules = {
        # An end time iff the lead ended, at or after its creation and before the horizon.
        "ended iff not open": has["ended"] == o.isin(OPEN),
        "created <= ended < horizon": has["ended"]
        & ~((f["ended"] >= f["created"]) & (f["ended"] < horizon)),
        "revenue is the value of a won deal": f["revenue"] != np.where(o == "won", f["value"], 0.0),
        "sales' own: no MQL, routed and accepted at creation, never nurtured": sales
        & ~(
            ~has["mql"]
            & (f["routed"] == f["created"])
            & (f["accepted"] == f["created"])
            & (f["touches"] == 0)
        ),
        "a routed marketing lead was an MQL": ~sales & has["routed"] & ~has["mql"],
        "an acceptance follows a routing": has["accepted"] & ~has["routed"],
        "calls made iff a first call": (f["attempts"] > 0) != has["first_attempt"],
        "a first call follows the acceptance": has["first_attempt"]
        & ~(f["first_attempt"] >= f["accepted"]),
        "a reach follows a call": has["reached"] & (f["attempts"] == 0),
        "SQL and close only for opportunities": ~(deal | (o == "open_opportunity"))
        & (has["sql"] | has["closed"]),
        # won, lost_deal: qualified, closed inside the horizon, ended at the close.
        "won/lost_deal: SQL <= closed == ended < horizon": deal
        & ~(
            has["sql"]
            & has["reached"]
            & (f["sql"] <= f["closed"])
            & (f["closed"] == f["ended"])
            & (f["closed"] < horizon)
        ),
        "open_opportunity: SQL, closes at or after the horizon": (o == "open_opportunity")
        & ~(has["sql"] & (f["closed"] >= horizon)),
        # lost_to_competitor: with sales; called, unless skip_lost_leads dropped it waiting.
        "lost_to_competitor: accepted, called or dropped by skip_lost_leads": (
            o == "lost_to_competitor"
        )
        & ~(has["accepted"] & ((f["attempts"] > 0) | skip_lost)),
        "lost_to_competitor after a call: ended after it": (o == "lost_to_competitor")
        & (f["attempts"] > 0)
        & ~(f["ended"] >= f["first_attempt"]),
        # unreached: called, never reached on this routing (a reach only on an earlier one).
        "unreached: accepted, called, ended after the first call": (o == "unreached")
        & ~(has["accepted"] & (f["attempts"] > 0) & (f["ended"] >= f["first_attempt"])),
        "unreached with a reach: recycled": (o == "unreached") & has["reached"] & ~recycled,
        # rejected: a marketing MQL routed and turned down, at the routing unless recycled.
        "rejected: a routed marketing MQL": (o == "rejected")
        & ~(~sales & has["mql"] & has["routed"] & (f["ended"] >= f["routed"])),
        "rejected first time: never accepted or called, ended when routed": (o == "rejected")
        & ~recycled
        & (has["accepted"] | (f["attempts"] > 0) | (f["ended"] != f["routed"])),
        "disqualified: reached, ended after the reach": (o == "disqualified")
        & ~(has["reached"] & (f["ended"] >= f["reached"])),
        "not_mql: marketing, never an MQL, routed or touched, ended at creation": (o == "not_mql")
        & ~(
            ~sales
            & ~has["mql"]
            & ~has["routed"]
            & (f["attempts"] == 0)
            & (f["touches"] == 0)
            & (f["ended"] == f["created"])
        ),
        "nurture outcomes: marketing leads; expired after touches": (
            o.isin(["in_nurture", "nurture_expired"]) & sales
        )
        | ((o == "nurture_expired") & (f["touches"] == 0)),
        "in_queue: with sales (a marketing lead is an MQL)": (o == "in_queue")
        & ~(has["routed"] | (~sales & has["mql"])),
        "recycled at most once per touch": f["recycles"] > f["touches"],
    }
    return {rule: int(broken.sum()) for rule, broken in rules.items()}


def test_every_lead_of_the_stream_ends_in_one_outcome_that_agrees_with_its_times(
    shipped_policy,
):
    path, policy = shipped_policy
    sc = brief(alignsim.load(path))
    h = short(sc)
    skip_lost = sc.team_for(policy).skip_lost_leads
    for seed in range(6):
        leads = alignsim.sample(sc, seed, horizon=h)
        led = alignsim.simulate(sc, policy, seed=seed, horizon=h, stream=leads)
        f = led.frame
        # Conservation: one row per lead of the stream, in its order, each with an outcome.
        assert len(f) == len(leads) > 0
        np.testing.assert_array_equal(f["created"].to_numpy(), leads.created)
        assert f["lead"].tolist() == list(range(len(f)))
        assert f["outcome"].notna().all() and set(f["outcome"].astype(str)) <= set(OUTCOMES)
        assert set(metrics.outcomes(led)) == set(OUTCOMES)
        assert sum(metrics.outcomes(led, cohort=False).values()) == len(f)
        assert sum(metrics.outcomes(led).values()) == int((f["cohort"] == 0).sum())
        assert led.run_end == h + 3 * 168.0
        broken = outcome_disagreements(f, led.run_end, skip_lost)
        assert not any(broken.values()), {rule: n for rule, n in broken.items() if n}


def test_the_outcome_checks_catch_a_ledger_that_disagrees(default_toml):
    # The rules above must be able to fail: break one fact of each kind and see them fire.
    sc = alignsim.load(default_toml).model_copy(update={"warmup": 0.0, "settle": 0.0})
    f = alignsim.simulate(sc, "current", seed=1, horizon=8 * 168.0).frame
    assert not any(outcome_disagreements(f, 8 * 168.0, False).values())
    won = f.index[f["outcome"] == "won"][0]
    rejected = f.index[(f["outcome"] == "rejected") & (f["recycles"] == 0)][0]
    waiting = f.index[f["outcome"] == "in_queue"][0]
    bad = f.copy()
    bad.loc[won, "closed"] = 9 * 168.0
    bad.loc[rejected, "accepted"] = bad.loc[rejected, "routed"]
    bad.loc[waiting, "ended"] = bad.loc[waiting, "created"]
    broken = outcome_disagreements(bad, 8 * 168.0, False)
    assert broken["won/lost_deal: SQL <= closed == ended < horizon"] == 1
    assert broken["rejected first time: never accepted or called, ended when routed"] == 1
    assert broken["ended iff not open"] == 1


def test_stages_happen_in_order_and_inside_the_horizon(shipped_policy):
    path, policy = shipped_policy
    sc = brief(alignsim.load(path))
    led = alignsim.simulate(sc, policy, seed=3, horizon=short(sc))
    h = led.run_end
    f = led.frame
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
    # Reps are never busier than they are on duty, but for activities that overrun a closing:
    # at most one per rep and closing, no longer than the rep hours of the lead it serves
    # (a call and the qualification call that follows it at once).
    if led.rep_open_hours == 0:  # a window of a few night hours (the study's 130,000 a week)
        assert math.isnan(metrics.utilisation(led))
        return
    overrun = led.reps * closings(led.calendar, h) * f["rep_hours"].max()
    assert 0 <= metrics.utilisation(led) <= min(1.05, 1 + overrun / led.rep_open_hours)


def test_same_seed_same_ledger_different_seed_different_leads(default_toml):
    sc = alignsim.load(default_toml)
    a = alignsim.simulate(sc, "current", seed=7, horizon=2 * 168.0).frame
    b = alignsim.simulate(sc, "current", seed=7, horizon=2 * 168.0).frame
    pd.testing.assert_frame_equal(a, b)
    c = alignsim.simulate(sc, "current", seed=8, horizon=2 * 168.0).frame
    assert len(a) != len(c) or not np.allclose(a["created"], c["created"])


def test_replications_are_independent_streams_of_one_seed(default_toml):
    sc = alignsim.load(default_toml)
    s0 = alignsim.sample(sc, seed=5, replication=0, horizon=168.0)
    s1 = alignsim.sample(sc, seed=5, replication=1, horizon=168.0)
    assert not np.array_equal(s0.created[:20], s1.created[:20])


def test_policies_play_the_same_leads(default_toml):
    sc = alignsim.load(default_toml)
    runs = alignsim.simulate_all(sc, seed=2, horizon=4 * 168.0)
    frames = [led.frame for led in runs.values()]
    for column in ("created", "source", "fit", "temperature", "value"):
        for other in frames[1:]:
            pd.testing.assert_series_equal(frames[0][column], other[column])


def test_the_stream_does_not_depend_on_the_policy(default_toml):
    doc = alignsim.scenario.read_document(default_toml)
    # The same run: an auto warm-up and settle time follow the longest nurture (MODEL.md 6.3).
    doc["warmup"], doc["settle"] = "4w", "2w"
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


def test_changing_one_source_leaves_the_other_sources_leads_alone(default_toml):
    doc = alignsim.scenario.read_document(default_toml)
    base = alignsim.sample(alignsim.validate(doc), seed=4, horizon=2 * 168.0)
    doc["market"]["sources"]["content"]["rate"] = "200/week"
    more = alignsim.sample(alignsim.validate(doc), seed=4, horizon=2 * 168.0)
    k = base.sources.index("webinar")
    np.testing.assert_array_equal(base.created[base.source == k], more.created[more.source == k])
    np.testing.assert_array_equal(base.value[base.source == k], more.value[more.source == k])


def test_arrival_rates_match_the_sources(default_toml):
    sc = alignsim.load(default_toml)
    weeks = 26
    st = alignsim.sample(sc, seed=11, horizon=weeks * 168.0)
    for k, (name, src) in enumerate(sc.market.sources.items()):
        expected = src.rate * st.horizon  # the whole run: warm-up, window and settle time
        observed = int(np.sum(st.source == k))
        assert abs(observed - expected) <= 4 * np.sqrt(expected), name  # Poisson: sd = sqrt(mean)
    # Business-hours sources only create leads while the team is open.
    cal = sc.team.hours.calendar
    k = st.sources.index("webinar")
    assert all(cal.is_open(t) for t in st.created[st.source == k])


def test_temperature_mix_matches_its_shares(default_toml):
    sc = alignsim.load(default_toml)
    st = alignsim.sample(sc, seed=12, horizon=26 * 168.0)
    k = st.sources.index("content")
    temps = st.temperature[st.source == k]
    n = len(temps)
    for code, share in enumerate(sc.market.sources["content"].temperature.shares):
        assert abs(np.mean(temps == code) - share) <= 4 * np.sqrt(share * (1 - share) / n)


def test_funnel_and_weekly_series_agree_with_the_ledger(default_toml):
    sc = alignsim.load(default_toml)
    led = alignsim.simulate(sc, "aligned", seed=1, horizon=8 * 168.0)
    every = led.frame
    f = every[every["cohort"] == 0]  # the figures count the window's leads
    fun = metrics.funnel(led)
    marketing = f[f["owner"] == "marketing"]
    assert fun.loc["leads", "count"] == len(marketing)
    assert fun.loc["won", "count"] == int((marketing["outcome"] == "won").sum())
    counts = fun["count"].to_numpy()
    assert (np.diff(counts) <= 0).all()  # a funnel only narrows
    # The weeks are the window's: what happened in them, to any lead.
    w = metrics.weekly(led)
    assert len(w) == 8
    assert w["leads"].sum() == len(f)
    start, end = led.window
    closed_in = (every["outcome"] == "won") & (every["ended"] >= start) & (every["ended"] < end)
    assert w["revenue"].sum() == pytest.approx(every.loc[closed_in, "revenue"].sum())
    assert w["won"].sum() == int(closed_in.sum())
    s = metrics.summary(led)
    assert s["leads"] == len(f) and s["revenue"] == pytest.approx(f["revenue"].sum())
    stl = s["speed_to_lead"]
    assert 0 <= stl["within_sla"] <= 1 and stl["median_h"] <= stl["p90_h"]
    assert stl["median_business_h"] <= stl["median_h"] + 1e-9


def test_funnel_counts_from_the_engine_arrays_match_the_table(default_toml):
    sc = alignsim.load(default_toml)
    led = alignsim.simulate(sc, "aligned", seed=2, horizon=6 * 168.0)
    f = led.frame
    f = f[f["cohort"] == 0]  # the funnel counts the window's leads
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


def test_ledger_round_trips_through_parquet(default_toml, tmp_path):
    import pyarrow.parquet as pq

    sc = alignsim.load(default_toml)
    led = alignsim.simulate(sc, "current", seed=1, horizon=168.0)
    path = led.to_parquet(tmp_path / "ledger.parquet")
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, led.frame, check_categorical=False)
    meta = pq.read_schema(path).metadata
    assert meta[b"alignsim.policy"] == b"current"
    assert meta[b"alignsim.seed"] == b"1"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
