"""Exact traces of tiny deterministic runs: each rule of MODEL.md section 3 in isolation."""

from __future__ import annotations

import math

import numpy as np
import pytest


def firsts(frame) -> list[float]:
    return frame["first_attempt"].tolist()


@pytest.mark.parametrize(
    ("discipline", "expected"),
    [
        ("fifo", [0.0, 1.0, 2.0, 3.0]),
        ("lifo", [0.0, 3.0, 2.0, 1.0]),
        ("value", [0.0, 3.0, 1.0, 2.0]),
        ("sla", [0.0, 2.0, 1.0, 3.0]),
        ("cherry-pick", [0.0, 3.0, 1.0, 2.0]),
    ],
)
def test_queue_disciplines_pick_in_their_order(
    play, tiny_scenario, tiny_stream, discipline, expected
):
    # One rep, 1h per call. Lead 0 is taken at once; leads 1-3 wait until t = 1.
    sc = tiny_scenario(
        **{
            "policies.p.queue": discipline,
            "policies.p.sla.first_response": {"cold": "30m", "warm": "10m", "hot": "20m"},
        }
    )
    st = tiny_stream(
        [0.0, 0.1, 0.2, 0.3],
        value=[5, 10, 30, 20],
        temperature=[2, 0, 1, 2],  # SLA deadlines 0.33, 0.6, 0.37, 0.63 h
        owner=[1, 0, 1, 1] if discipline == "cherry-pick" else [1, 1, 1, 1],
    )
    if discipline == "cherry-pick":
        # Sales' own leads first (2 then 3, by value), marketing's lead 1 last.
        expected = [0.0, 3.0, 1.0, 2.0]
    assert firsts(play(sc, st)) == pytest.approx(expected)


def test_ties_break_by_lead_id(play, tiny_scenario, tiny_stream):
    sc = tiny_scenario(**{"policies.p.queue": "value"})
    st = tiny_stream([0.0, 0.5, 0.5, 0.5], value=[1, 7, 7, 7])
    assert firsts(play(sc, st)) == [0.0, 1.0, 2.0, 3.0]


def test_an_arrival_at_the_instant_a_rep_frees_is_seen_before_the_rep_picks(
    play, tiny_scenario, tiny_stream
):
    # The rep frees at t = 1; lead 2 arrives at t = 1 exactly. LIFO must take lead 2 first.
    sc = tiny_scenario(**{"policies.p.queue": "lifo"})
    st = tiny_stream([0.0, 0.5, 1.0])
    assert firsts(play(sc, st)) == [0.0, 2.0, 1.0]


def test_reps_work_only_in_business_hours(play, tiny_scenario, tiny_stream):
    sc = tiny_scenario(**{"team.hours": {"open": "09:00", "close": "17:00", "days": "Mon-Fri"}})
    saturday_noon = 5 * 24 + 12.0
    friday_1630 = 4 * 24 + 16.5
    st = tiny_stream([friday_1630, saturday_noon])
    f = play(sc, st)
    # Friday 16:30 call runs to 17:30 (an activity started in hours is finished).
    assert firsts(f) == [friday_1630, 7 * 24 + 9.0]


def test_batch_handoff_waits_for_the_export_and_the_next_opening(play, tiny_scenario, tiny_stream):
    sc = tiny_scenario(
        **{
            "team.hours": {"open": "09:00", "close": "17:00", "days": "Mon-Fri"},
            "policies.p.handoff": {"mode": "batch", "times": ["17:00"]},
        }
    )
    st = tiny_stream([10.0, 17.0], owner=[0, 0])  # Monday 10:00 and Monday 17:00 exactly
    f = play(sc, st)
    assert f["mql"].tolist() == [10.0, 17.0]
    assert f["routed"].tolist() == [17.0, 17.0]
    assert firsts(f) == [24 + 9.0, 24 + 10.0]


def test_realtime_handoff_adds_the_routing_delay(play, tiny_scenario, tiny_stream):
    sc = tiny_scenario(**{"policies.p.handoff": {"mode": "realtime", "routing_delay": "6m"}})
    f = play(sc, tiny_stream([1.0], owner=[0]))
    assert f["routed"].iloc[0] == pytest.approx(1.1)
    assert f["first_attempt"].iloc[0] == pytest.approx(1.1)


def test_marketing_and_sales_bars(play, tiny_scenario, tiny_stream):
    sc = tiny_scenario(
        **{
            "policies.p.definition": {
                "marketing_noise": 1.0,
                "sales_noise": 1.0,
                "mql_threshold": 0.5,
                "accept_threshold": 0.5,
            }
        }
    )
    # true score 0.5 * 0.5 + 0.5 * 1 = 0.75; noise moves it by eps.
    st = tiny_stream(
        [1.0, 2.0, 3.0], owner=[0, 0, 0], eps_m=[-0.3, 0.0, 0.0], eps_s=[0.0, -0.3, 0.0]
    )
    f = play(sc, st)
    assert f["outcome"].tolist() == ["not_mql", "rejected", "disqualified"]
    assert math.isnan(f["routed"].iloc[0]) and f["routed"].iloc[1] == 2.0
    assert math.isnan(f["accepted"].iloc[1]) and f["accepted"].iloc[2] == 3.0


def test_skip_lost_leads_drops_a_lead_when_its_window_closes(play, tiny_scenario, tiny_stream):
    sc = tiny_scenario(**{"team.skip_lost_leads": True})
    st = tiny_stream([0.0, 0.1], patience=[np.inf, 0.5])
    f = play(sc, st)
    assert f["outcome"].tolist() == ["disqualified", "lost_to_competitor"]
    assert f["ended"].iloc[1] == pytest.approx(0.6)
    assert f["attempts"].iloc[1] == 0 and f["rep_hours"].iloc[1] == 0


def test_without_skip_lost_reps_still_call_buyers_who_have_gone(play, tiny_scenario, tiny_stream):
    sc = tiny_scenario()
    st = tiny_stream([0.0, 0.1], patience=[np.inf, 0.5])
    f = play(sc, st)
    assert f["outcome"].tolist() == ["disqualified", "lost_to_competitor"]
    assert f["first_attempt"].iloc[1] == 1.0 and f["rep_hours"].iloc[1] == 1.0


def test_failed_attempts_are_retried_after_the_spacing_then_end_unreached(
    play, tiny_scenario, tiny_stream
):
    sc = tiny_scenario(**{"policies.p.sla.max_attempts": 3, "policies.p.sla.attempt_spacing": "2h"})
    st = tiny_stream([0.0], attempts=3, u_reach=[[0.9, 0.9, 0.9]], reach=[[0.5, 0.5, 0.5]])
    f = play(sc, st)
    assert f["attempts"].iloc[0] == 3
    assert f["outcome"].iloc[0] == "unreached"
    assert f["ended"].iloc[0] == pytest.approx(7.0)  # calls at 0, 3, 6, each 1 h
    assert f["rep_hours"].iloc[0] == pytest.approx(3.0)


def test_the_window_decides_between_unreached_and_lost(play, tiny_scenario, tiny_stream):
    sc = tiny_scenario(**{"policies.p.sla.max_attempts": 2, "policies.p.sla.attempt_spacing": "2h"})
    st = tiny_stream([0.0], attempts=2, patience=[2.0], u_reach=[[0.9, 0.1]], reach=[[0.5] * 3])
    f = play(sc, st)
    # The second call (t = 3) would reach the buyer, but the window closed at t = 2.
    assert f["outcome"].iloc[0] == "lost_to_competitor"


def test_reached_and_qualified_leads_become_opportunities(play, tiny_scenario, tiny_stream):
    sc = tiny_scenario()
    st = tiny_stream(
        [0.0, 1.0, 2.0, 300.0],
        qualify=np.ones((4, 3)),
        win=[[1.0] * 3, [0.0] * 3, [1.0] * 3, [1.0] * 3],
        cycle=[24.0, 24.0, 24.0, 48.0],
        value=[100, 200, 300, 400],
        horizon=336.0,
    )
    sc2 = tiny_scenario(**{"team.qualify_time": "30m"})
    f = play(sc2, st)
    assert f["outcome"].tolist() == ["won", "lost_deal", "won", "open_opportunity"]
    assert f["sql"].tolist() == pytest.approx([1.5, 3.0, 4.5, 301.5])
    assert f["closed"].tolist() == pytest.approx([25.5, 27.0, 28.5, 349.5])
    assert f["revenue"].tolist() == [100, 0, 300, 0]
    assert f["rep_hours"].tolist() == pytest.approx([1.5, 1.5, 1.5, 1.5])
    assert sc is not None


def test_leads_still_with_sales_at_the_horizon_are_in_queue(play, tiny_scenario, tiny_stream):
    sc = tiny_scenario()
    st = tiny_stream([0.0, 0.0, 0.0], horizon=1.5)
    f = play(sc, st)
    assert f["outcome"].tolist() == ["disqualified", "in_queue", "in_queue"]
    assert f["rep_hours"].sum() == pytest.approx(1.5)  # the second call is cut at the horizon
