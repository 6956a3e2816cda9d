"""Exact traces of the alignment levers (MODEL.md steps 9-11) on tiny hand-built streams."""

from __future__ import annotations

import math

import pytest

import alignsim

INF = math.inf

MARKETING = {
    "policies.p.definition.mql_threshold": 0.5,
    "policies.p.nurture": {"every": "1w", "max": "4w", "lift": 0.5, "max_recycles": 2},
}


@pytest.fixture(scope="module")
def nurtured(tiny_scenario):
    """nurtured(**changes): the tiny scenario with marketing's bar at 0.5 and nurture, 6 weeks."""

    def make(**changes):
        return tiny_scenario(**{**MARKETING, "horizon": "6w", **changes})

    return make


@pytest.fixture(scope="module")
def lead(tiny_stream):
    """lead(created=(0.0,), horizon=6 weeks, **fields): one marketing lead, cold, fit 0.5
    (true score 0.25), with room for nurture's draws."""

    def make(created=(0.0,), horizon=6 * 168.0, **fields):
        base = {"owner": [0], "temperature": [0], "fit": [0.5]}
        return tiny_stream(
            list(created), horizon=horizon, attempts=3, routings=3, scorings=5, **base | fields
        )

    return make


def test_a_not_mql_lead_is_nurtured_warms_up_sooner_and_is_recycled(lead, nurtured, play):
    # Cold, z = 0.25 < 0.5: not an MQL. Nurtured, it warms after (1 - 0.5) * 300 h = 150 h
    # (z = 0.5, a new window [150, 350)), so the first touch (168 h) makes it an MQL and sales
    # reaches it; the first window closed long before (10 h).
    st = lead(
        warming=[[300.0, 400.0]],
        patience=[10.0],
        repatience=[[200.0, INF]],
        qualify=[[0.0, 1.0, 1.0]],
        win=[[1.0, 1.0, 1.0]],
    )
    row = play(nurtured(), st).iloc[0]
    assert (row.mql, row.routed, row.first_attempt) == (168.0, 168.0, 168.0)
    assert (row.touches, row.recycles) == (1, 1)
    assert row.outcome == "won" and row.ended == 168.0 + 1.0 + 24.0
    # Without the lift it warms at 300 h: still cold at the first touch, an MQL at the second.
    row = play(nurtured(**{"policies.p.nurture.lift": 0.0}), st).iloc[0]
    assert (row.mql, row.touches, row.outcome) == (336.0, 2, "won")


def test_without_nurture_the_same_buyer_ends_not_mql(lead, play, tiny_scenario):
    sc = tiny_scenario(**{"policies.p.definition.mql_threshold": 0.5, "horizon": "6w"})
    st = lead(warming=[[100.0, 400.0]])
    row = play(sc, st).iloc[0]
    assert row.outcome == "not_mql" and row.ended == 0.0 and row.touches == 0


def test_the_window_a_warming_opens_closes_with_its_own_patience(lead, nurtured, play):
    # No lift: warm at 100 h, window [100, 110): closed at the 168 h touch, so the recycled
    # lead's call finds the buyer gone.
    sc = nurtured(**{"policies.p.nurture.lift": 0.0})
    st = lead(warming=[[100.0, INF]], repatience=[[10.0, INF]], qualify=[[1.0, 1.0, 1.0]])
    row = play(sc, st).iloc[0]
    assert (row.recycles, row.attempts, row.outcome) == (1, 1, "lost_to_competitor")


@pytest.mark.parametrize(
    ("horizon", "outcome", "touches"), [("4w", "in_nurture", 3), ("5w", "nurture_expired", 4)]
)
def test_nurture_ends_after_its_touches(lead, nurtured, play, horizon, outcome, touches):
    # Never warms, never an MQL: touched at 1w, 2w, 3w, 4w, then it expires.
    row = play(nurtured(), lead(horizon=alignsim.units.parse_duration(horizon))).iloc[0]
    assert (row.outcome, row.touches, row.recycles) == (outcome, touches, 0)
    assert math.isnan(row.mql)


def test_rejects_go_back_to_nurture_and_come_back_until_the_recycles_run_out(lead, nurtured, play):
    # Hot, fit 0.5: z = 0.75, an MQL (threshold 0.5); sales' bar is 0.8. Its view eps_s per
    # routing: 0 (rejected), 0 (rejected), 0 (rejected): after two recycles it ends rejected.
    sc = nurtured(
        **{
            "policies.p.rejected": "nurture",
            "policies.p.definition.accept_threshold": 0.8,
            "policies.p.definition.sales_noise": 0.1,
        }
    )
    st = lead(temperature=[2])
    row = play(sc, st).iloc[0]
    assert (row.outcome, row.ended, row.recycles, row.touches) == ("rejected", 336.0, 2, 2)
    assert (row.mql, row.routed) == (0.0, 0.0) and math.isnan(row.accepted)
    # The second routing's view is kinder (eps_s = +1: 0.85 >= 0.8): accepted at the first touch.
    row = play(sc, lead(temperature=[2], eps_s=[[0.0, 1.0, 0.0]])).iloc[0]
    assert (row.accepted, row.first_attempt, row.recycles, row.outcome) == (
        168.0,
        168.0,
        1,
        "disqualified",  # hot and not qualified: not "not ready", so not nurtured
    )


def test_discarded_rejects_end_rejected(lead, nurtured, play):
    sc = nurtured(**{"policies.p.definition.accept_threshold": 0.8})
    row = play(sc, lead(temperature=[2])).iloc[0]
    assert (row.outcome, row.ended, row.touches) == ("rejected", 0.0, 0)


def test_not_ready_leads_that_fail_qualification_are_nurtured(lead, nurtured, play):
    # Warm, fit 1: z = 0.75, MQL; reached at 0, not qualified (qualify 0), nurtured; warms to
    # hot after 0.5 * 200 h; at the 168 h touch an MQL again, reached at 169 h and qualified.
    sc = nurtured()
    st = lead(
        temperature=[1],
        fit=[1.0],
        warming=[[200.0, INF]],
        qualify=[[0.0, 0.0, 1.0]],
        win=[[0.0, 0.0, 1.0]],
    )
    row = play(sc, st).iloc[0]
    assert (row.touches, row.recycles, row.attempts) == (1, 1, 2)
    assert (row.reached, row.sql, row.outcome) == (1.0, 170.0, "won")
    # Without nurture for the not-ready, it ends disqualified after the first call.
    row = play(nurtured(**{"policies.p.nurture.not_ready": False}), st).iloc[0]
    assert (row.outcome, row.ended, row.touches) == ("disqualified", 1.0, 0)


def test_feedback_shrinks_marketing_noise_from_the_verdicts_of_finished_weeks(
    play, tiny_scenario, tiny_stream
):
    # Three leads reviewed in week 0 (z = 0.75, eps_m = 0). Lead 3 in week 1 has eps_m = -1:
    # with sigma_m = 1 it scores -0.25 (not an MQL); after 3 verdicts with a half-life of 1,
    # sigma_m = 0.125 and it scores 0.625 >= 0.5.
    created = [1.0, 2.0, 3.0, 170.0]
    st = tiny_stream(
        created,
        horizon=2 * 168,
        owner=[0] * 4,
        temperature=[2] * 4,
        eps_m=[0.0, 0.0, 0.0, -1.0],
    )
    changes = {
        "policies.p.definition.mql_threshold": 0.5,
        "policies.p.definition.marketing_noise": 1.0,
    }
    without = play(tiny_scenario(**changes), st)
    assert without.outcome.tolist()[3] == "not_mql"
    learning = tiny_scenario(**changes, **{"policies.p.feedback": {"half_life": 1, "floor": 0}})
    assert play(learning, st).mql.tolist()[3] == 170.0
    # A verdict in the same week does not count yet: lead 3 in week 0 stays not an MQL.
    early = tiny_stream(
        [1.0, 2.0, 3.0, 4.0], owner=[0] * 4, temperature=[2] * 4, eps_m=[0.0, 0.0, 0.0, -1.0]
    )
    assert play(learning, early).outcome.tolist()[3] == "not_mql"


def test_an_mql_volume_goal_lowers_the_bar_each_monday_the_target_is_missed(
    play, tiny_scenario, tiny_stream
):
    # Target 10 MQLs a week; week 0 delivers 1, so on Monday of week 1 the threshold drops
    # 0.5 -> 0.4 and a cold lead with fit 0.9 (z = 0.45) becomes an MQL.
    sc = tiny_scenario(
        **{
            "policies.p.definition.mql_threshold": 0.5,
            "policies.p.goals": {"marketing": "mql_volume", "mql_target": "10/week", "step": 0.1},
        }
    )
    st = tiny_stream(
        [1.0, 2.0, 170.0],
        owner=[0, 0, 0],
        temperature=[2, 0, 0],
        fit=[1.0, 0.9, 0.9],
    )
    frame = play(sc, st)
    assert frame.outcome.tolist()[1] == "not_mql"
    assert frame.mql.tolist()[2] == 170.0
    plain = play(tiny_scenario(**{"policies.p.definition.mql_threshold": 0.5}), st)
    assert plain.outcome.tolist()[2] == "not_mql"


def test_a_quota_gives_small_marketing_leads_one_attempt_and_picks_sales_leads_first(
    play, tiny_scenario, tiny_stream
):
    sc = tiny_scenario(
        **{
            "policies.p.sla.max_attempts": 3,
            "policies.p.sla.attempt_spacing": "1h",
            "policies.p.goals": {"sales": "quota", "min_value": 500},
        }
    )
    st = tiny_stream(
        [0.0, 0.0, 0.0],
        attempts=3,
        owner=[0, 0, 1],
        value=[100.0, 1000.0, 50.0],
        u_reach=[[0.9] * 3] * 3,
        reach=[[0.5] * 3] * 3,
    )
    frame = play(sc, st)
    assert frame.attempts.tolist() == [1, 3, 3]
    assert frame.outcome.tolist() == ["unreached"] * 3
    assert frame.first_attempt.tolist()[2] == 0.0  # sales' own prospect first (cherry-pick)


def test_a_routing_delay_may_be_a_distribution_drawn_from_the_stream(
    play, tiny_scenario, tiny_stream
):
    sc = tiny_scenario(
        **{"policies.p.handoff.routing_delay": {"dist": "uniform", "low": "1h", "high": "3h"}}
    )
    st = tiny_stream([0.0, 10.0], owner=[0, 0], u_routing=[0.5, 0.25])
    assert play(sc, st).routed.tolist() == [2.0, 11.5]


def test_validation_of_the_levers(tiny_scenario):
    with pytest.raises(alignsim.scenario.ScenarioError) as caught:
        tiny_scenario(**{"policies.p.rejected": "nurture"})
    assert "nurture" in caught.value.problems[0]
    with pytest.raises(alignsim.scenario.ScenarioError) as caught:
        tiny_scenario(**{"policies.p.goals": {"marketing": "mql_volume"}})
    assert "mql_target" in caught.value.problems[0]
    with pytest.raises(alignsim.scenario.ScenarioError):
        tiny_scenario(**{"policies.p.nurture": {"every": "1d", "max": "52w"}})
