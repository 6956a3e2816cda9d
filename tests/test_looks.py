"""Reps look at the inbound queue when something makes them (MODEL.md 6.2): exact traces.

Tiny hand-built streams on a floor open around the clock (times in hours from Monday 00:00),
played by both engines: a routed marketing lead is unseen until the next inbound check, an
alert or an SLA falling due; a look sees every lead routed so far; sales' own prospects and
retries never wait for a look; without inbound checks reps see every lead at once.
"""

from __future__ import annotations

import pytest

ENGINES = ["simpy", "fast"]
MARKETING = 0


def checked(tiny_scenario, **changes):
    """The tiny scenario with looks at 09:00 and 13:30 and an SLA of a day (no reminders)."""
    return tiny_scenario(
        **{
            "team.inbound_checks": ["09:00", "13:30"],
            "team.reps": 2,
            "policies.p.sla.first_response": "24h",
            **changes,
        }
    )


def firsts(frame) -> list[float]:
    return frame["first_attempt"].tolist()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_look_at_13_30_sees_a_lead_routed_at_10_00(play, tiny_scenario, tiny_stream, engine):
    st = tiny_stream([10.0, 14.0], owner=[MARKETING, MARKETING])
    frame = play(checked(tiny_scenario), st, engine=engine)
    assert frame["routed"].tolist() == [10.0, 14.0]
    assert firsts(frame) == [13.5, 24.0 + 9.0]  # the second waits for Tuesday's 09:00 look


@pytest.mark.parametrize("engine", ENGINES)
def test_alerts_make_reps_look_when_the_lead_is_routed(play, tiny_scenario, tiny_stream, engine):
    sc = checked(tiny_scenario, **{"policies.p.alerts": True})
    st = tiny_stream([10.0, 14.0], owner=[MARKETING, MARKETING])
    assert firsts(play(sc, st, engine=engine)) == [10.0, 14.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_an_sla_due_at_11_looks_at_11_and_sees_a_lead_routed_at_10_30(
    play, tiny_scenario, tiny_stream, engine
):
    # Lead 0 is hot (due in 1 h: 11:00, before the 13:30 look); lead 1 warm (due 18:30).
    sc = checked(
        tiny_scenario,
        **{"policies.p.sla.first_response": {"cold": "8h", "warm": "8h", "hot": "1h"}},
    )
    st = tiny_stream([10.0, 10.5], owner=[MARKETING, MARKETING], temperature=[2, 1])
    frame = play(sc, st, engine=engine)
    assert frame["response_due"].tolist() == [11.0, 18.5]
    assert firsts(frame) == [11.0, 11.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_lead_routed_at_a_check_is_seen_by_it(play, tiny_scenario, tiny_stream, engine):
    st = tiny_stream([13.5, 13.75], owner=[MARKETING, MARKETING])
    assert firsts(play(checked(tiny_scenario), st, engine=engine)) == [13.5, 33.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_looks_are_on_business_days_only(play, tiny_scenario, tiny_stream, engine):
    # The floor opens at 00:00 on weekdays, the inbound checks are a weekday routine: a lead
    # routed on Saturday 10:00 (due a business day later, Monday 24:00) waits for Monday 09:00.
    sc = checked(
        tiny_scenario,
        **{"team.hours.days": "Mon-Fri", "policies.p.sla.measured_in": "business_hours"},
    )
    saturday = 5 * 24.0
    st = tiny_stream([saturday + 10.0], owner=[MARKETING])
    frame = play(sc, st, engine=engine)
    assert frame["response_due"].tolist() == [8 * 24.0]
    assert firsts(frame) == [7 * 24.0 + 9.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_sales_own_prospects_and_retries_never_wait_for_a_look(
    play, tiny_scenario, tiny_stream, engine
):
    # Lead 0 is sales' own: called at once. Lead 1 is marketing's, seen at 13:30, not reached
    # (reach 0), retried after the 1 h call and 1 h spacing at 15:30, not at the next look.
    sc = checked(
        tiny_scenario,
        **{"policies.p.sla.max_attempts": 2, "policies.p.sla.attempt_spacing": "1h"},
    )
    st = tiny_stream([10.0, 10.0], owner=[1, MARKETING], reach=[[1.0] * 3, [0.0] * 3], attempts=2)
    frame = play(sc, st, engine=engine)
    assert firsts(frame) == [10.0, 13.5]
    assert frame["attempts"].tolist() == [1, 2]
    assert frame["ended"].tolist()[1] == 13.5 + 1.0 + 1.0 + 1.0  # the retry's call ends 16:30


@pytest.mark.parametrize("engine", ENGINES)
def test_without_inbound_checks_reps_see_every_lead_at_once(
    play, tiny_scenario, tiny_stream, engine
):
    st = tiny_stream([10.0, 14.0], owner=[MARKETING, MARKETING])
    assert firsts(play(tiny_scenario(**{"team.reps": 2}), st, engine=engine)) == [10.0, 14.0]
