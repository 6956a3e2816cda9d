"""Figures of money (MODEL.md 6.5): the payback curve of aligning and the waterfall from
bookings lost to gross profit lost. Both read a Comparison's money figures; neither simulates."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from scipy import stats

from alignsim.comparison import Comparison

from .style import (
    BASELINE_COLOUR,
    OKABE_ITO,
    POLICY_COLOUR,
    money,
    money_axis,
    new_axes,
    tidy,
    titled,
)

__all__ = ["lifetime_value", "payback"]


def _check(result: object, name: str) -> Comparison:
    if not isinstance(result, Comparison):
        raise TypeError(
            f"{name}: expected a Comparison (alignsim.compare), got {type(result).__name__}"
        )
    return result


def payback(result: Comparison, *, ax: Axes | None = None) -> Axes:
    """The cumulative gross profit of moving to the baseline minus the programme's cost, month
    by month over economics.years (mean over replications, with the 95% t interval of the mean
    as a band), and the mean payback month when there is one."""
    result = _check(result, "payback")
    curves = result.curves
    months = np.arange(curves.shape[1])
    mean = curves.mean(axis=0)
    ax = new_axes(ax, (9.0, 4.8))
    if len(curves) > 1:
        half = stats.t.ppf(0.975, len(curves) - 1) * curves.std(axis=0, ddof=1)
        half /= math.sqrt(len(curves))
        ax.fill_between(
            months, mean - half, mean + half, color=BASELINE_COLOUR, alpha=0.25, lw=0,
            label="95% interval of the mean",
        )  # fmt: skip
    ax.plot(months, mean, color=BASELINE_COLOUR, lw=2, label="cumulative gross profit - cost")
    ax.axhline(0.0, color=OKABE_ITO["grey"], lw=0.8)
    figures = result.money().set_index("figure")
    back = figures.loc["payback_months", "mean"]
    subtitle = "never within the horizon in some replications"
    if back is not None and math.isfinite(back):
        ax.axvline(back, color=POLICY_COLOUR, lw=1, ls="--", label="mean payback")
        subtitle = f"pays back in {back:.3g} months on average"
    npv = figures.loc["npv", "mean"]
    ax.set_xlabel("months after the programme starts")
    ax.set_ylabel(f"profit ({result.currency})")
    money_axis(ax.yaxis, result.currency)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    tidy(ax)
    titled(
        ax,
        f"Return on moving from {result.policy} to {result.baseline}: gross profit minus the "
        "programme's cost",
        f"{subtitle}; NPV {money(npv, result.currency) if npv is not None else '-'} over "
        f"{result.economics_years} years; {result.replications} replications, seed {result.seed}",
    )
    return ax


def lifetime_value(result: Comparison, *, ax: Axes | None = None) -> Axes:
    """Waterfall of what the policy loses a year: bookings (first-year contracts), plus
    renewals and expansion net of discounting, = lifetime value; minus the cost of revenue
    (1 - gross margin), minus the operating-cost gap (reps, leads, nurture), = gross profit."""
    result = _check(result, "lifetime_value")
    figures = result.money().set_index("figure")["mean"]
    bookings, lifetime = figures["bookings_lost"], figures["lifetime_value_lost"]
    profit = figures["gross_profit_lost"]
    margin = result.gross_margin
    steps = [
        ("bookings\nlost", bookings, True),
        ("renewals,\nexpansion,\ndiscounting", lifetime - bookings, False),
        ("lifetime value\nlost", lifetime, True),
        ("cost of\nrevenue", -(1 - margin) * lifetime, False),
        ("reps, leads,\nnurture", profit - margin * lifetime, False),
        ("gross profit\nlost", profit, True),
    ]
    ax = new_axes(ax, (9.0, 4.8))
    level = 0.0
    for k, (_label, amount, total) in enumerate(steps):
        if total:
            bottom, height, colour, level = 0.0, amount, BASELINE_COLOUR, amount
        else:
            bottom, height = min(level, level + amount), abs(amount)
            colour = OKABE_ITO["bluish green"] if amount >= 0 else OKABE_ITO["vermillion"]
            level += amount
        ax.bar(k, height, 0.7, bottom=bottom, color=colour)
        top = max(bottom, bottom + height) if not total else max(0.0, amount)
        ax.annotate(money(amount, result.currency), (k, top), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(steps)), [label for label, _, _ in steps], fontsize=8)
    money_axis(ax.yaxis, result.currency)
    ax.axhline(0.0, color=OKABE_ITO["grey"], lw=0.8)
    tidy(ax)
    titled(
        ax,
        f"What {result.policy} loses a year against {result.baseline}: bookings to gross profit",
        f"gross margin {margin:.0%}; lifetime value over {result.economics_years} contract "
        f"years, discounted; mean of {result.replications} replications",
    )
    return ax
