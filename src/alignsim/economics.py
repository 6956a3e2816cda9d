"""Money: margin, costs, the revenue cycle and the return on aligning (MODEL.md section 6.5).

A function of the engines' books, the lead stream and the scenario's `[economics]`; the engines
know nothing of it. For one policy's run over a window:

- bookings: the first-year contracts of the deals won (the revenue `metrics.revenue` counts);
- lifetime value: each won customer renews into contract year k + 1 when its lead's renewal
  uniform of year k (`alignsim.stream.retention_draws`) is under the policy's retention chance,
  and a renewed contract grows by `expansion` a year; year k of a deal is discounted by
  (1 + discount_rate)^k from its close, over `economics.years` contract years;
- gross profit: gross margin times lifetime value, minus the reps' cost (the policy's team,
  fully loaded, for the window), the leads' cost (by source) and the nurture touches' cost.

For a pair (a policy against the baseline, the policy one moves TO) every figure is what the
policy loses a year (the window scaled to 52 weeks, as the rest of compare), and the return on
moving to the baseline adds the programme's cost, which the baseline carries and which counts
only when the two policies differ. Month by month, each month's new customers are a twelfth of
a year's, paying each contract year up front; the cumulative gross profit of aligning minus the
programme's cost gives the payback (months until it turns non-negative, linear within a month),
the NPV (monthly flows discounted at the discount rate) and the ROI (NPV over the present value
of the programme's cost). Written here because the figures are a few array sums over the
books; no finance library models a revenue cycle of simulated deals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alignsim.ledger import OUTCOMES, LedgerBook
from alignsim.scenario import Scenario
from alignsim.stream import LeadStream, retention_draws
from alignsim.units import RATE_PERIODS

__all__ = [
    "FIGURES",
    "LABELS",
    "PER_YEAR",
    "PairMoney",
    "PolicyMoney",
    "ReturnOnAligning",
    "cfo_sentence",
    "pair_money",
    "policy_money",
    "returns",
    "three_figures",
]

HOURS_PER_YEAR = RATE_PERIODS["year"]
_WON = OUTCOMES.index("won")

FIGURES = (
    "bookings_lost",
    "lifetime_value_lost",
    "gross_profit_lost",
    "programme_cost",
    "payback_months",
    "roi",
    "npv",
)
"""The money figures of a pair, in the order outputs list them."""

PER_YEAR = ("bookings_lost", "lifetime_value_lost", "gross_profit_lost")
"""The figures that are per year (the others: programme_cost and npv over economics.years,
payback in months, roi a ratio)."""

LABELS = {
    "bookings_lost": "Bookings lost (first-year contracts)",
    "lifetime_value_lost": "Lifetime value lost (discounted)",
    "gross_profit_lost": "Gross profit lost (net of reps, leads, nurture)",
    "programme_cost": "Programme cost (profit, present value)",
    "payback_months": "Payback of aligning",
    "roi": "ROI of aligning (NPV over programme cost)",
    "npv": "NPV of aligning (profit)",
}
"""How tables name each figure: every money figure says whether it is bookings, lifetime value
or profit."""


@dataclass(frozen=True)
class PolicyMoney:
    """One policy's money over a run's window (currency, not per year)."""

    bookings: float
    """First-year contracts of the deals won in the window."""
    by_year: np.ndarray
    """Contract value of those customers in contract year k (undiscounted), k = 0..years-1."""
    lifetime_value: float
    """Sum of by_year[k] / (1 + discount_rate)^k."""
    rep_cost: float
    lead_cost: float
    touch_cost: float
    gross_profit: float
    """gross_margin * lifetime_value - rep_cost - lead_cost - touch_cost."""

    @property
    def costs(self) -> float:
        return self.rep_cost + self.lead_cost + self.touch_cost


def policy_money(
    scenario: Scenario,
    policy: str,
    book: LedgerBook,
    stream: LeadStream,
    *,
    window_h: float | None = None,
    mask: np.ndarray | None = None,
) -> PolicyMoney:
    """A policy's money on one run: the leads of `mask` (default the cohort of the measurement
    window), reps paid for `window_h` hours (default the window's length)."""
    eco = scenario.economics
    start, end = stream.window
    window = float(min(end, stream.horizon) - start if window_h is None else window_h)
    mine = stream.in_window if mask is None else np.asarray(mask, dtype=bool)
    won = mine & (book.outcome == _WON)
    value = book.revenue[won]
    retention = scenario.policies[policy].retention(eco)
    alive = np.ones(len(value), dtype=bool)
    renew = retention_draws(stream, eco.years - 1)[won] if eco.years > 1 else None
    by_year = np.empty(eco.years)
    for k in range(eco.years):
        if k:
            alive &= renew[:, k - 1] < retention  # type: ignore[index]
        by_year[k] = float(value[alive].sum()) * (1.0 + eco.expansion) ** k
    discount = np.array([(1.0 + eco.discount_rate) ** -k for k in range(eco.years)])
    lifetime = float(by_year @ discount)
    reps = scenario.team_for(policy).reps
    rep_cost = reps * eco.rep_cost * window / HOURS_PER_YEAR
    per_lead = np.array([eco.lead_cost.get(name, 0.0) for name in stream.sources])
    lead_cost = float(per_lead[stream.source[mine]].sum())
    touch_cost = float(book.touches[mine].sum()) * eco.touch_cost
    profit = eco.gross_margin * lifetime - rep_cost - lead_cost - touch_cost
    return PolicyMoney(
        float(value.sum()), by_year, lifetime, rep_cost, lead_cost, touch_cost, profit
    )


@dataclass(frozen=True)
class ReturnOnAligning:
    """What moving from a policy to the baseline returns, month by month over economics.years."""

    cumulative: np.ndarray
    """Cumulative gross profit of aligning minus the programme's cost at the end of each month
    (currency), months 1..12 * years; the value at month 0 is minus the one-off cost."""
    start: float
    """Minus the one-off cost: the curve at month 0."""
    payback_months: float
    """Months until the curve is non-negative (linear within a month); inf: not within years."""
    npv: float
    programme_cost: float
    """Present value of the programme's cost (one-off plus discounted monthly yearly cost)."""

    @property
    def roi(self) -> float:
        """NPV over the programme's cost (0 when both are 0, NaN when only the cost is)."""
        if self.programme_cost > 0:
            return self.npv / self.programme_cost
        return 0.0 if self.npv == 0 else math.nan


def returns(
    scenario: Scenario,
    gains_by_year: np.ndarray,
    cost_gap: float,
    *,
    programme: bool = True,
) -> ReturnOnAligning:
    """The return on aligning from per-year figures: gains_by_year[k], the baseline's minus
    the policy's contract value in contract year k of a year's customers, and cost_gap, the
    baseline's minus the policy's operating costs a year; programme: whether the programme's
    cost applies (the policies differ)."""
    eco = scenario.economics
    one_off = eco.programme.one_off if programme else 0.0
    yearly = eco.programme.yearly if programme else 0.0
    months = 12 * eco.years
    contract_year = np.arange(months) // 12
    inflow = eco.gross_margin * np.cumsum(gains_by_year)[contract_year] / 12.0
    flow = inflow - (cost_gap + yearly) / 12.0
    start = -one_off
    cumulative = start + np.cumsum(flow)
    factor = np.array([(1.0 + eco.discount_rate) ** -((t + 1) / 12.0) for t in range(months)])
    npv = start + float(flow @ factor)
    cost = one_off + yearly / 12.0 * float(factor.sum())
    return ReturnOnAligning(cumulative, start, _payback(start, cumulative), npv, cost)


def _payback(start: float, cumulative: np.ndarray) -> float:
    """First time (months) the curve through (0, start), (t + 1, cumulative[t]) reaches 0."""
    if start >= 0:
        return 0.0
    points = np.concatenate([[start], cumulative])
    up = np.flatnonzero(points >= 0)
    if not len(up):
        return math.inf
    t = int(up[0])
    before, after = points[t - 1], points[t]
    return t - 1 + float(-before / (after - before))


@dataclass(frozen=True)
class PairMoney:
    """One replication's money figures of a pair and its month-by-month return."""

    figures: dict[str, float]
    """FIGURES by name."""
    curve: ReturnOnAligning


def pair_money(
    scenario: Scenario,
    baseline: PolicyMoney,
    policy: PolicyMoney,
    window_h: float,
    *,
    programme: bool = True,
) -> PairMoney:
    """The pair's money figures (FIGURES) from the two policies' money on one run: per year
    (the window of window_h hours scaled to 52 weeks) for PER_YEAR, over economics.years for
    programme_cost and npv, months for payback_months (inf: not within years), a ratio for
    roi (NaN: gains with no programme cost). programme: the policies differ."""
    k = HOURS_PER_YEAR / window_h
    gains = (baseline.by_year - policy.by_year) * k
    back = returns(scenario, gains, (baseline.costs - policy.costs) * k, programme=programme)
    figures = {
        "bookings_lost": (baseline.bookings - policy.bookings) * k,
        "lifetime_value_lost": (baseline.lifetime_value - policy.lifetime_value) * k,
        "gross_profit_lost": (baseline.gross_profit - policy.gross_profit) * k,
        "programme_cost": back.programme_cost,
        "payback_months": back.payback_months,
        "roi": back.roi,
        "npv": back.npv,
    }
    return PairMoney(figures, back)


def three_figures(amount: float, currency: str) -> str:
    """Money to 3 significant figures with its currency: 'EUR 17.8M', 'EUR 26.0M',
    'EUR 150k', 'EUR 950', '-EUR 3.43k'."""
    sign, x = ("-" if amount < 0 else ""), abs(float(amount))
    rounded = float(f"{x:.3g}")  # round first, so 999,999 reads 1.00M, not 1000k
    size, suffix = next(
        ((s, u) for s, u in ((1e9, "bn"), (1e6, "M"), (1e3, "k")) if rounded >= s), (1.0, "")
    )
    digits = f"{rounded / size:#.3g}".rstrip(".") if rounded else "0"
    return f"{sign}{currency} {digits}{suffix}"


def _span(figure: dict[str, float | None], text: object) -> str:
    low, high = figure.get("ci_low"), figure.get("ci_high")
    if low is None or high is None:
        return ""
    return f" (95% interval {text(low)} to {text(high)})"  # type: ignore[operator]


def cfo_sentence(
    figures: dict[str, dict[str, float | None]],
    currency: str,
    years: int,
    moving_to: str,
    not_paid_back: int = 0,
) -> str:
    """One line a CFO reads: what moving to `moving_to` returns a year in gross profit, what
    the programme costs and when it pays back, each with its 95% interval (figures: the
    `money` object of Comparison.summary; not_paid_back: replications whose payback did not
    come within `years`)."""
    gain, cost, back = (
        figures["gross_profit_lost"],
        figures["programme_cost"],
        figures["payback_months"],
    )

    def cash(x: float) -> str:
        return three_figures(x, currency)

    def months(x: float) -> str:
        return f"{x:.3g}"

    line = (
        f"Moving to {moving_to} returns {cash(gain['mean'])} a year in gross profit"  # type: ignore[arg-type]
        f"{_span(gain, cash)}, costs {cash(cost['mean'])} over {years} years"  # type: ignore[arg-type]
        " (programme, present value)"
    )
    if back["mean"] is None:
        return line + (
            f", and does not pay back within {years} years in {not_paid_back} of the replications."
        )
    return line + f", pays back in {months(back['mean'])} months{_span(back, months)}."
