"""Shaping of arrivals (weekly profile, campaigns) and the SLA clock: knobs that must bite."""

from __future__ import annotations

import numpy as np
import pytest

import alignsim
from alignsim.engines import make_plan
from alignsim.engines.plan import response_due
from tests.helpers import scenario


def _sample(weeks: int = 40, **changes):
    sc = scenario(**{"market.sources.web.rate": "100/week", "horizon": f"{weeks}w", **changes})
    return sc, alignsim.sample(sc, seed=3)


def test_weekly_profile_shapes_arrivals_and_keeps_the_weekly_total():
    profile = [1, 1, 1, 1, 1, 0, 0]  # weekdays only
    _, st = _sample(**{"market.sources.web.weekly_profile": profile})
    days = (st.created // 24 % 7).astype(int)
    assert not np.any(days >= 5)
    expected = 100 * 40
    assert abs(len(st) - expected) <= 4 * np.sqrt(expected)


def test_a_campaign_multiplies_arrivals_inside_its_window_only():
    campaign = [{"start": "10w", "duration": "2w", "multiplier": 3}]
    _, st = _sample(**{"market.sources.web.campaigns": campaign})
    inside = np.sum((st.created >= 10 * 168) & (st.created < 12 * 168))
    before = np.sum(st.created < 10 * 168)
    assert abs(inside - 600) <= 4 * np.sqrt(600)  # 3 x 100/week x 2 weeks
    assert abs(before - 1000) <= 4 * np.sqrt(1000)


@pytest.mark.parametrize(
    ("measured_in", "due"),
    [("wall_clock", 4 * 24 + 20.0), ("business_hours", 7 * 24 + 12.0)],
)
def test_the_sla_clock_counts_business_or_wall_hours(measured_in, due):
    sc = scenario(
        **{
            "team.hours": {"open": "09:00", "close": "17:00", "days": "Mon-Fri"},
            "policies.p.sla.first_response": "4h",
            "policies.p.sla.measured_in": measured_in,
        }
    )
    st = alignsim.sample(sc, seed=1, horizon=2 * 168.0)
    friday_4pm = np.array([4 * 24 + 16.0])
    plan = make_plan(st, sc.team, sc.policies["p"])
    got = response_due(plan.policy, plan.calendar, friday_4pm, np.array([2]))
    assert got[0] == pytest.approx(due)  # Friday 16:00 + 4h: Friday 20:00, or Monday 12:00


def test_sample_refuses_a_horizon_beyond_the_cap():
    sc = scenario()
    with pytest.raises(ValueError, match="at most 520 weeks"):
        alignsim.sample(sc, horizon=521 * 168.0)
