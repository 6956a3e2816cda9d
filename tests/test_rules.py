"""Each model rule (alignsim.engines.rules) against MODEL.md section 3's formula, written out here.

The rules are called as the simpy engine calls them, from Python, which runs the compiled code
the fast engine inlines. Numbers are exact where the formula is (the rule must be the formula,
operation for operation), so comparisons are `==`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignsim.calendar import BusinessCalendar
from alignsim.compiled.calendar import calendar_arrays
from alignsim.engines import rules
from alignsim.ledger import OUTCOMES, Outcome
from alignsim.scenario import DISCIPLINES

unit = st.floats(0.0, 1.0)
normal = st.floats(-5.0, 5.0)
temperature = st.integers(0, 2)
hours = st.floats(0.0, 2000.0)

MODEL_OUTCOMES = [
    "won",
    "lost_deal",
    "open_opportunity",
    "lost_to_competitor",
    "unreached",
    "rejected",
    "disqualified",
    "not_mql",
    "in_nurture",
    "nurture_expired",
    "in_queue",
]


def test_outcomes_and_disciplines_have_one_definition() -> None:
    assert tuple(MODEL_OUTCOMES) == OUTCOMES
    assert [int(o) for o in Outcome] == list(range(len(OUTCOMES)))
    assert [DISCIPLINES[d] for d in rules.Discipline] == [
        "fifo",
        "lifo",
        "value",
        "sla",
        "cherry-pick",
    ]


@settings(deadline=None)  # the first call of a new type compiles
@given(unit, temperature)
def test_true_score_is_half_fit_plus_half_readiness(fit: float, heat: int) -> None:
    readiness = {0: 0.0, 1: 0.5, 2: 1.0}[heat]  # cold 0, warm 0.5, hot 1
    assert rules.readiness(heat) == readiness
    assert rules.true_score(fit, heat) == 0.5 * fit + 0.5 * readiness


@settings(deadline=None)  # the first call of a new type compiles
@given(unit, st.floats(0.0, 1.0), normal, unit)
def test_marketing_calls_it_mql_iff_the_noisy_score_reaches_the_threshold(
    z: float, sigma: float, eps: float, threshold: float
) -> None:
    assert rules.marketing_calls_it_mql(z, sigma, eps, threshold) == (z + sigma * eps >= threshold)
    assert rules.marketing_calls_it_mql(0.5, 0.0, eps, 0.5)  # at the bar is an MQL


@settings(deadline=None)  # the first call of a new type compiles
@given(unit, st.floats(0.0, 1.0), normal, unit)
def test_sales_accepts_iff_its_view_reaches_the_accept_threshold(
    z: float, sigma: float, eps: float, threshold: float
) -> None:
    assert rules.sales_accepts(z, sigma, eps, threshold) == (z + sigma * eps >= threshold)


def test_the_weekly_threshold_moves_a_step_towards_the_target_within_0_and_1() -> None:
    step, target = 0.05, 10.0
    assert rules.next_threshold(0.5, 9, target, step, True) == 0.5 - step  # missed: lower
    assert rules.next_threshold(0.5, 11, target, step, True) == 0.5 + step  # exceeded: raise
    assert rules.next_threshold(0.5, 10, target, step, True) == 0.5  # met: stays
    assert rules.next_threshold(0.02, 0, target, step, True) == 0.0  # never below 0
    assert rules.next_threshold(0.98, 99, target, step, True) == 1.0  # never above 1
    assert rules.next_threshold(0.5, 0, target, step, False) == 0.5  # no volume goal


@settings(deadline=None)  # the first call of a new type compiles
@given(st.floats(0.01, 1.0), st.floats(0.0, 1.0), st.integers(0, 10_000), st.floats(1.0, 500.0))
def test_feedback_shrinks_the_noise_along_a_half_life_towards_its_floor(
    sigma: float, floor: float, heard: int, half_life: float
) -> None:
    assert rules.feedback_learns(True, floor, sigma) == (floor < sigma)
    assert not rules.feedback_learns(False, 0.0, sigma)
    expected = floor + (sigma - floor) * 0.5 ** (heard / half_life)
    assert rules.learned_noise(sigma, floor, heard, half_life, 0.5) == expected
    assert rules.learned_noise(sigma, floor, 0, half_life, 0.5) == pytest.approx(sigma)


@settings(deadline=None)  # the first call of a new type compiles
@given(hours, st.floats(0.0, 1e6), hours, st.booleans())
def test_queue_keys_order_the_waiting_leads_by_the_discipline(
    now: float, value: float, deadline: float, owned: bool
) -> None:
    key = rules.queue_key
    d = rules.Discipline
    assert key(d.FIFO, now, value, deadline, owned) == (now, 0.0)  # oldest wait first
    assert key(d.LIFO, now, value, deadline, owned) == (-now, 0.0)  # freshest first
    assert key(d.VALUE, now, value, deadline, owned) == (-value, 0.0)  # largest deal first
    assert key(d.SLA, now, value, deadline, owned) == (deadline, 0.0)  # earliest deadline
    pick = key(d.CHERRY_PICK, now, value, deadline, owned)
    assert pick == (0.0 if owned else 1.0, -value)  # sales' own first, then by value


def test_cherry_pick_serves_sales_own_leads_before_any_marketing_lead() -> None:
    d = rules.Discipline.CHERRY_PICK
    own_small = rules.queue_key(d, 0.0, 1.0, 0.0, True)
    marketing_large = rules.queue_key(d, 0.0, 1e9, 0.0, False)
    assert own_small < marketing_large


OFFICE = BusinessCalendar()
TARGETS = np.array([48.0, 8.0, 1.0])  # cold, warm, hot (h)


@settings(deadline=None)  # the first call of a new type compiles
@given(hours, temperature)
def test_the_response_is_due_the_temperature_s_target_later(start: float, heat: int) -> None:
    a = calendar_arrays(OFFICE)
    args = (a.starts, a.ends, a.cum, a.length, a.per_week)
    wall = rules.response_due(start, heat, TARGETS, True, *args)
    assert wall == start + TARGETS[heat]
    business = rules.response_due(start, heat, TARGETS, False, *args)
    assert business == OFFICE.add_business_hours_array(start, np.array([TARGETS[heat]]))[0]
    assert business == pytest.approx(OFFICE.add_business_hours(start, TARGETS[heat]), abs=1e-9)
    each = rules.response_due_each(
        np.array([start, start]), np.array([heat, 0]), TARGETS, False, *args
    )
    assert each[0] == business


@settings(deadline=None)  # the first call of a new type compiles
@given(hours, hours, unit, unit)
def test_an_attempt_reaches_the_buyer_iff_the_window_is_open_and_the_uniform_is_below(
    now: float, closes: float, u: float, rate: float
) -> None:
    assert rules.reaches(now, closes, u, rate) == (now < closes and u < rate)


@settings(deadline=None)  # the first call of a new type compiles
@given(hours, hours)
def test_a_lead_out_of_attempts_is_unreached_or_lost_to_a_competitor(
    called_at: float, closes: float
) -> None:
    expected = "unreached" if called_at < closes else "lost_to_competitor"
    assert OUTCOMES[rules.unreached_outcome(called_at, closes)] == expected


@settings(deadline=None)  # the first call of a new type compiles
@given(unit, unit)
def test_a_qualification_call_makes_an_sql_iff_its_uniform_is_below_the_rate(
    u: float, rate: float
) -> None:
    assert rules.qualifies(u, rate) == (u < rate)


@settings(deadline=None)  # the first call of a new type compiles
@given(hours, hours, unit, unit)
def test_an_opportunity_is_won_lost_or_open_at_the_horizon(
    close: float, horizon: float, u: float, rate: float
) -> None:
    expected = "open_opportunity" if close >= horizon else "won" if u < rate else "lost_deal"
    assert OUTCOMES[rules.opportunity_outcome(close, horizon, u, rate)] == expected


@settings(deadline=None)  # the first call of a new type compiles
@given(st.booleans(), st.integers(0, 60), st.integers(0, 60), st.integers(0, 5), st.integers(0, 5))
def test_a_lead_enters_nurture_only_with_touches_and_recycles_left(
    enabled: bool, touches: int, most: int, recycles: int, most_recycles: int
) -> None:
    expected = enabled and touches < most and recycles < most_recycles
    assert rules.can_nurture(enabled, touches, most, recycles, most_recycles) == expected


@pytest.mark.parametrize("switch", [True, False])
@pytest.mark.parametrize("owned", [True, False])
@pytest.mark.parametrize("heat", [0, 1, 2])
def test_only_marketing_leads_not_yet_hot_are_nurtured_after_disqualification(
    switch: bool, owned: bool, heat: int
) -> None:
    expected = switch and heat < 2 and not owned
    assert rules.nurtures_not_ready(switch, heat, owned) == expected


def test_nurture_warms_the_buyer_sooner_and_each_warming_opens_a_new_window() -> None:
    speed = 1.0 - 0.25  # nurture.lift 0.25
    warming = np.array([[100.0, 300.0]])  # the market's spontaneous warming times (h)
    repatience = np.array([[50.0, 70.0]])  # the fresh window of each warming (h)
    assert rules.next_warming(10.0, speed, warming, 0, 0) == 10.0 + speed * 100.0
    assert rules.next_warming(10.0, speed, warming, 0, 2) == math.inf  # hot: no more
    temperature, born_as = np.array([0]), np.array([0])
    warms_at = np.array([10.0 + speed * 100.0])  # entered nurture at 10 h, cold
    closes = np.array([20.0])
    engaged = np.array([0.0])  # created at 0 h
    rules.warm(0, 80.0, temperature, born_as, warms_at, closes, warming, repatience, speed, engaged)
    assert temperature[0] == 0 and closes[0] == 20.0 and engaged[0] == 0.0  # not yet (85 h)
    rules.warm(0, 85.0, temperature, born_as, warms_at, closes, warming, repatience, speed, engaged)
    assert temperature[0] == 1  # warm
    assert closes[0] == 85.0 + 50.0  # a new window from the warming
    assert engaged[0] == 85.0  # the warming re-engages the buyer: the contact decay restarts
    assert warms_at[0] == 85.0 + speed * 300.0
    rules.warm(0, 1e6, temperature, born_as, warms_at, closes, warming, repatience, speed, engaged)
    assert temperature[0] == 2 and closes[0] == 85.0 + speed * 300.0 + 70.0
    assert warms_at[0] == math.inf


@settings(deadline=None)  # the first call of a new type compiles
@given(st.floats(0.0, 1e4), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_the_contact_decay_is_the_survival_curve_of_its_mixture(
    age: float, rate: float, share: float
) -> None:
    weights = np.array([0.875 * share, 1.0 - 0.875 * share - 0.004, 0.004])
    means = np.array([1.0 / 6.0, 1.0, math.inf])  # 10 minutes, an hour, never (the floor)
    expected = sum(w * math.exp(-age / m) for w, m in zip(weights, means, strict=True))
    assert rules.contact_decay(age, weights, means) == pytest.approx(expected, rel=1e-12)
    assert rules.contact_decay(age, weights, means) >= 0.004 * (1 - 1e-12)  # the floor
    assert rules.contact_decay(age + 1.0, weights, means) <= rules.contact_decay(
        age, weights, means
    )  # never rises
    chance = rules.reach_chance(rate, age, weights, means)
    assert chance == rate * rules.contact_decay(age, weights, means)


def test_no_decay_leaves_the_reach_rate_as_it_is_and_d_starts_at_1() -> None:
    none = np.zeros(0)
    assert rules.reach_chance(0.37, 1e6, none, none) == 0.37  # the same bits
    assert rules.contact_decay(0.0, np.array([0.5, 0.5]), np.array([1.0, math.inf])) == 1.0


def test_the_weekly_target_and_the_nurture_speed() -> None:
    assert rules.weekly_mql_target(0.25) == 0.25 * 168.0  # MQLs an hour, over a week's hours
    assert rules.nurture_speed(0.25) == 0.75  # lift 0.25 makes warming a quarter sooner


def test_the_decay_counts_the_buyers_working_hours_or_every_hour() -> None:
    from alignsim.calendar import BusinessCalendar
    from alignsim.compiled.calendar import calendar_arrays

    none = np.zeros(0)
    assert rules.decay_age(5.0, 12.5, none, none, 0.0, 0.0) == 12.5 - 5.0  # the wall clock
    c = calendar_arrays(BusinessCalendar(8.0, 18.0, (0, 1, 2, 3, 4)))
    args = (c.starts, c.cum, c.length, c.per_week)
    monday_22h, tuesday_9h05 = 22.0, 24.0 + 9.0 + 5 / 60
    assert rules.decay_age(monday_22h, tuesday_9h05, *args) == pytest.approx(1.0 + 5 / 60)
    friday_17h, monday_9h = 4 * 24.0 + 17.0, 7 * 24.0 + 9.0
    assert rules.decay_age(friday_17h, monday_9h, *args) == pytest.approx(2.0)  # the weekend sleeps
    assert rules.decay_age(8.0, 8.0 + 24.0 * 7, *args) == pytest.approx(50.0)  # a working week
