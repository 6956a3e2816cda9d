"""Money (MODEL.md 6.5): margins and costs by hand, the revenue cycle's limits, identity, the
direction of the rep cost, the return's month-by-month arithmetic, and the renewal draws'
keying (the stream's other fields keep their bits: tests/test_golden.py pins them)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alignsim
from alignsim import economics
from alignsim.comparison import compare
from alignsim.ledger import OUTCOMES, LedgerBook
from alignsim.stream import retention_draws

YEAR = 52 * 168.0
ECONOMICS: dict[str, Any] = {
    "gross_margin": 0.5,
    "rep_cost": 52_000,
    "lead_cost": {"web": 10},
    "touch_cost": 3,
    "years": 1,
    "discount_rate": 0.1,
}


def _book(stream: alignsim.LeadStream, won: dict[int, float], touches: list[int]) -> LedgerBook:
    """A book in which the leads of `won` were won at those values, with those touches."""
    book = LedgerBook(stream)
    book.outcome[:] = OUTCOMES.index("unreached")
    for lead, value in won.items():
        book.outcome[lead] = OUTCOMES.index("won")
        book.revenue[lead] = value
    book.touches[:] = touches
    return book


def test_margins_and_costs_add_up_by_hand(tiny_scenario, tiny_stream) -> None:
    sc = tiny_scenario(economics=ECONOMICS)
    stream = tiny_stream([1.0, 2.0, 3.0, 4.0])  # two weeks: 336 h
    money = economics.policy_money(sc, "p", _book(stream, {0: 1000, 2: 2000}, [1, 0, 2, 0]), stream)
    assert money.bookings == 3000 and money.lifetime_value == 3000
    assert money.rep_cost == pytest.approx(52_000 * 336 / YEAR)  # 1 rep for two weeks: 2,000
    assert money.lead_cost == 40 and money.touch_cost == 9
    assert money.gross_profit == pytest.approx(0.5 * 3000 - 2000 - 40 - 9)


def test_a_mask_counts_only_its_leads(tiny_scenario, tiny_stream) -> None:
    sc = tiny_scenario(economics=ECONOMICS)
    stream = tiny_stream([1.0, 2.0, 3.0, 4.0])
    book = _book(stream, {0: 1000, 2: 2000}, [1, 0, 2, 0])
    money = economics.policy_money(sc, "p", book, stream, mask=np.array([1, 1, 0, 0], bool))
    assert (money.bookings, money.lead_cost, money.touch_cost) == (1000, 20, 3)


def test_a_policy_with_more_reps_pays_for_them(tiny_scenario, tiny_stream) -> None:
    sc = tiny_scenario(economics=ECONOMICS, **{"policies.p.team": {"reps": 3}})
    one = tiny_scenario(economics=ECONOMICS)
    stream = tiny_stream([1.0, 2.0])
    book = _book(stream, {0: 1000}, [0, 0])
    three = economics.policy_money(sc, "p", book, stream)
    single = economics.policy_money(one, "p", book, stream)
    assert three.rep_cost == pytest.approx(3 * single.rep_cost)
    assert single.gross_profit - three.gross_profit == pytest.approx(2 * single.rep_cost)


@pytest.mark.parametrize("years", [1, 3, 5])
def test_full_retention_without_expansion_is_bookings_times_discounted_years(
    tiny_scenario, tiny_stream, years: int
) -> None:
    eco = ECONOMICS | {"years": years, "retention": 1.0, "expansion": 0.0}
    sc = tiny_scenario(economics=eco)
    stream = tiny_stream([1.0, 2.0, 3.0])
    money = economics.policy_money(sc, "p", _book(stream, {0: 1000, 1: 500}, [0] * 3), stream)
    annuity = sum(1.1**-k for k in range(years))
    assert money.lifetime_value == pytest.approx(1500 * annuity, rel=1e-12)
    assert list(money.by_year) == [1500.0] * years


def test_no_retention_leaves_bookings(tiny_scenario, tiny_stream) -> None:
    sc = tiny_scenario(economics=ECONOMICS | {"years": 4, "retention": 0.0, "expansion": 0.3})
    stream = tiny_stream([1.0, 2.0, 3.0])
    money = economics.policy_money(sc, "p", _book(stream, {0: 1000, 1: 500}, [0] * 3), stream)
    assert money.lifetime_value == money.bookings == 1500


def test_joint_post_sale_work_keeps_more_customers(tiny_scenario, tiny_stream) -> None:
    eco = ECONOMICS | {"years": 5, "retention": 0.6}
    alone = tiny_scenario(economics=eco)
    joint = tiny_scenario(economics=eco, **{"policies.p.post_sale": {"joint": True}})
    assert joint.policies["p"].retention(joint.economics) == pytest.approx(1 - 0.4 * 0.75)
    stream = tiny_stream([float(t) for t in range(1, 200)])
    book = _book(stream, {k: 1000 for k in range(199)}, [0] * 199)
    kept = economics.policy_money(joint, "p", book, stream).by_year
    lost = economics.policy_money(alone, "p", book, stream).by_year
    assert kept[0] == lost[0] and (kept[1:] >= lost[1:]).all() and kept[-1] > lost[-1]


def test_the_return_month_by_month_by_hand(tiny_scenario) -> None:
    eco = {"gross_margin": 1.0, "discount_rate": 0.0, "years": 3}
    sc = tiny_scenario(economics=eco | {"programme": {"one_off": 100, "yearly": 0}})
    back = economics.returns(sc, np.array([1200.0, 0.0, 0.0]), 0.0)
    # every month a twelfth of a year's customers pays its first year: 100 a month
    assert back.start == -100 and back.cumulative[0] == 0 and back.payback_months == 1.0
    assert back.npv == pytest.approx(3500) and back.programme_cost == 100
    assert back.roi == pytest.approx(35)
    renewals = economics.returns(sc, np.array([1200.0, 600.0, 0.0]), 0.0)
    assert renewals.cumulative[12] - renewals.cumulative[11] == pytest.approx(150)
    costly = economics.returns(sc, np.array([1200.0, 0.0, 0.0]), 1200.0)
    assert math.isinf(costly.payback_months) and costly.npv == -100


@pytest.fixture(scope="module")
def default(default_toml) -> alignsim.Scenario:
    return alignsim.load(default_toml)


def test_identity_gives_exactly_zero_on_every_money_figure(default) -> None:
    same = compare(default, "aligned", "aligned", replications=2, horizon=2 * 168.0)
    assert (same.money_rows[list(economics.FIGURES)] == 0.0).all().all()
    assert (same.curves == 0.0).all()
    money = same.summary()["money"]
    assert all(money[name]["mean"] == 0.0 for name in economics.FIGURES)


def _staffed(rep_cost: float) -> alignsim.Scenario:
    """Two policies on one market: `staffed` adds two reps to `lean`'s one."""
    policy = {
        "definition": {
            "marketing_noise": 0,
            "sales_noise": 0,
            "mql_threshold": 0,
            "accept_threshold": 0,
        },
        "sla": {"first_response": "1h", "max_attempts": 2},
    }
    doc = {
        "name": "staffing",
        "horizon": "8w",
        "seed": 3,
        "market": {
            "sources": {"web": {"rate": "40/week", "fit": 0.8, "temperature": {"hot": 1.0},
                                "value": 5000}},
            "patience": {"cold": "2d", "warm": "2d", "hot": "2d"},
            "reach": 0.5,
            "qualify": 0.5,
            "win": 0.4,
            "cycle": "1w",
        },
        "team": {"reps": 1, "attempt_time": "2h", "qualify_time": "2h"},
        "policies": {"lean": policy, "staffed": policy | {"team": {"reps": 3}}},
        "baseline": "staffed",
        "economics": {"rep_cost": rep_cost},
    }  # fmt: skip
    return alignsim.validate(doc, "staffing")


def test_a_higher_rep_cost_lowers_the_return_of_a_policy_that_adds_reps() -> None:
    cheap = compare(_staffed(50_000), replications=3, lever_replications=0).money_rows
    dear = compare(_staffed(150_000), replications=3, lever_replications=0).money_rows
    assert (cheap["bookings_lost"] == dear["bookings_lost"]).all()  # the same runs
    # the extra reps win deals (over the three replications; the cohort of one may not need them)
    assert (cheap["bookings_lost"] >= 0).all() and cheap["bookings_lost"].sum() > 0
    # moving to `staffed` costs two more reps a year: 2 x 100,000 more at the dearer rate
    gap = cheap["gross_profit_lost"] - dear["gross_profit_lost"]
    assert np.allclose(gap, 200_000, rtol=1e-9)
    assert (dear["npv"] < cheap["npv"]).all()


def test_money_by_lever_adds_up_to_each_figure(default) -> None:
    churny = default.model_copy(
        update={"economics": default.economics.model_copy(update={"retention": 0.5})}
    )
    result = compare(churny, replications=1, horizon=8 * 168.0, lever_replications=1)
    split = result.money_by_lever()
    rows = result.money_rows.set_index("replication")
    for name in ("bookings_lost", "lifetime_value_lost", "gross_profit_lost"):
        total = split.loc[split["figure"] == name, "amount"].sum()
        assert total == pytest.approx(rows[name].mean(), rel=1e-9)
    post_sale = split[(split["lever"] == "post_sale")].set_index("figure")["amount"]
    # the baseline's joint post-sale work keeps customers: no bookings, but lifetime value
    assert post_sale["bookings_lost"] == 0.0 and post_sale["lifetime_value_lost"] > 0


def test_renewal_draws_are_keyed_apart_from_the_stream(default) -> None:
    stream = alignsim.sample(default, replication=1, horizon=4 * 168.0)
    two, five = retention_draws(stream, 2), retention_draws(stream, 5)
    assert two.shape == (len(stream), 2) and ((five >= 0) & (five < 1)).all()
    assert (five[:, :2] == two).all()  # more years keep the first columns
    # another source's volume leaves a source's renewal draws alone (common random numbers)
    doubled = default.model_copy(deep=True)
    source = doubled.market.sources["content"].model_copy(update={"rate": 2 * 90 / 168.0})
    doubled.market.sources["content"] = source
    other = alignsim.sample(doubled, replication=1, horizon=4 * 168.0)
    code = stream.sources.index("demo_request")
    assert (retention_draws(other, 2)[other.source == code] == two[stream.source == code]).all()


def test_compare_json_has_the_money_object(run_cli, default_toml) -> None:
    code, out, _ = run_cli(
        ["compare", default_toml, "--json", "--replications", "2", "--horizon", "2w"]
    )
    assert code == 0
    money = json.loads(out)["money"]
    for name in economics.FIGURES:
        assert {"mean", "ci_low", "ci_high", "unit"} <= set(money[name]), name
    assert money["gross_profit_lost"]["unit"] == "per_year"
    assert money["payback_months"]["unit"] == "months"


def test_the_demo_ends_with_the_cfo_line(run_cli, default_toml) -> None:
    code, out, _ = run_cli(["compare", default_toml, "--replications", "2", "--horizon", "2w"])
    assert code == 0
    last = out.strip().splitlines()[-1]
    assert last.startswith("Moving to aligned returns ") and "a year in gross profit" in last
    assert "pays back in" in last or "does not pay back" in last


def test_a_lead_cost_of_an_unknown_source_is_one_clear_line(tiny_document) -> None:
    doc = tiny_document(economics={"lead_cost": {"nowhere": 5}})
    with pytest.raises(alignsim.ScenarioError) as caught:
        alignsim.validate(doc, "tiny.toml")
    assert caught.value.problems == [
        "tiny.toml: economics.lead_cost.nowhere: not a source of the market (web)"
    ]


@pytest.fixture(scope="module")
def played(default) -> Any:
    return compare(default, replications=3, horizon=6 * 168.0, lever_replications=0)


def test_the_payback_curve_draws_the_mean_and_its_band(played) -> None:
    ax = alignsim.plots.payback(played)
    mean = played.curves.mean(axis=0)
    line = ax.get_lines()[0]
    assert np.allclose(line.get_ydata(), mean)
    assert len(line.get_xdata()) == 12 * played.economics_years + 1
    assert len(ax.collections) == 1  # the interval band


def test_the_lifetime_value_waterfall_closes_on_gross_profit(played) -> None:
    ax = alignsim.plots.lifetime_value(played)
    figures = played.money().set_index("figure")["mean"]
    bars = ax.patches
    assert len(bars) == 6
    assert bars[0].get_height() == pytest.approx(abs(figures["bookings_lost"]))
    assert bars[2].get_height() == pytest.approx(abs(figures["lifetime_value_lost"]))
    assert bars[5].get_height() == pytest.approx(abs(figures["gross_profit_lost"]))


def test_the_report_has_a_money_section(played) -> None:
    from alignsim.report import comparison_report

    text = comparison_report(played)
    assert "Money: bookings, lifetime value, profit and the return on aligning" in text
    assert "Moving to aligned returns" in text and "Payback of aligning" in text


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (17_849_000, "EUR 17.8M"),
        (26_000_000, "EUR 26.0M"),
        (999_999, "EUR 1.00M"),
        (150_000, "EUR 150k"),
        (950, "EUR 950"),
        (-3_434, "-EUR 3.43k"),
        (0.0, "EUR 0"),
        (2.5e9, "EUR 2.50bn"),
    ],
)
def test_money_reads_to_three_significant_figures(amount: float, text: str) -> None:
    assert economics.three_figures(amount, "EUR") == text


@settings(max_examples=40, deadline=None)
@given(
    low=st.floats(0.0, 1.0),
    high=st.floats(0.0, 1.0),
    years=st.integers(1, 6),
    values=st.lists(st.floats(0.0, 1e6), min_size=1, max_size=30),
)
def test_lifetime_value_rises_with_retention_between_its_bounds(
    tiny_scenario, tiny_stream, low: float, high: float, years: int, values: list[float]
) -> None:
    """On the same renewal draws a higher retention keeps every customer a lower one keeps;
    without expansion the lifetime value lies between bookings and bookings x the annuity."""
    low, high = sorted((low, high))
    stream = tiny_stream([float(t + 1) for t in range(len(values))])
    book = _book(stream, dict(enumerate(values)), [0] * len(values))
    eco = ECONOMICS | {"years": years, "expansion": 0.0}
    worse, better = (
        economics.policy_money(tiny_scenario(economics=eco | {"retention": r}), "p", book, stream)
        for r in (low, high)
    )
    assert (worse.by_year <= better.by_year).all()
    bookings = sum(values)
    annuity = sum(1.1**-k for k in range(years))
    assert bookings * (1 - 1e-12) <= worse.lifetime_value
    assert better.lifetime_value <= bookings * annuity * (1 + 1e-12)


def test_the_workshop_shows_the_cfo_line(played) -> None:
    from alignsim.workshop import figures

    line = figures.money_line(played)
    assert line.startswith("Moving to aligned returns ") and "gross profit" in line
