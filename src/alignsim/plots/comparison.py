"""Figures of comparisons: the two funnels, the waterfalls of revenue lost by lever and by
leak, a sweep."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from alignsim import metrics
from alignsim.comparison import Comparison
from alignsim.ledger import Ledger
from alignsim.units import format_duration, parse_duration

from .style import (
    BASELINE_COLOUR,
    CAUSE_COLOURS,
    LEVER_COLOURS,
    OKABE_ITO,
    POLICY_COLOUR,
    STAGE_LABELS,
    money,
    money_axis,
    new_axes,
    per_year,
    policy_colours,
    tidy,
    titled,
)

if TYPE_CHECKING:
    from alignsim.batch.api import MonteCarlo

__all__ = ["attribution", "by_leak", "by_lever", "funnel_comparison", "sweep"]


def _runs(count: int, horizon_h: float) -> str:
    return f"{count} run{'s' if count != 1 else ''} of {format_duration(horizon_h)}"


def _comparison(result: Any) -> Any:
    """A Monte Carlo batch (or its folder) as a Comparison of its runs; anything else as is."""
    from .monte_carlo import MonteCarlo, as_comparison

    if isinstance(result, MonteCarlo | str | os.PathLike):
        return as_comparison(result)
    return result


def funnel_comparison(
    result: Comparison | Mapping[str, Ledger] | Ledger | MonteCarlo | str | os.PathLike[str],
    *,
    ax: Axes | None = None,
) -> Axes:
    """Marketing's funnel stage by stage, one bar per policy (log scale), counts on the bars.

    result: a Comparison (mean counts per run, baseline first), the {policy: Ledger} of
    `alignsim.simulate_all`, one Ledger, or a Monte Carlo batch or its folder (mean per run).
    """
    result = _comparison(result)
    if isinstance(result, Comparison):
        funnels = result.summary()["funnels"]
        order = [result.baseline, result.policy] if result.policy != result.baseline else []
        counts = {name: funnels[name] for name in order or [result.baseline]}
        context = f"mean of {_runs(result.replications, result.horizon_h)}, the same leads"
        title = f"Funnel of marketing's leads: {result.policy} against {result.baseline}"
    else:
        ledgers = {result.policy: result} if isinstance(result, Ledger) else dict(result)
        if not ledgers:
            raise ValueError("funnel_comparison: no ledgers to plot")
        counts = {name: metrics.funnel_counts(led) for name, led in ledgers.items()}
        first = next(iter(ledgers.values()))
        context = f"one run of {format_duration(first.horizon)}, seed {first.seed}"
        title = f"Funnel of marketing's leads: {', '.join(ledgers)}"
    ax = new_axes(ax)
    stages = list(metrics.FUNNEL_STAGES)
    x = np.arange(len(stages))
    width = 0.8 / len(counts)
    colours = policy_colours(
        list(counts), result.baseline if isinstance(result, Comparison) else None
    )
    top = 1.0
    for k, (name, by_stage) in enumerate(counts.items()):
        heights = np.array([by_stage[s] for s in stages], dtype=float)
        top = max(top, float(heights.max()))
        offset = (k - (len(counts) - 1) / 2) * width
        bars = ax.bar(x + offset, heights, width * 0.95, label=name, color=colours[name])
        labels = [f"{h:,.0f}" if h >= 10 or h == 0 else f"{h:.1f}" for h in heights]
        ax.bar_label(bars, labels=labels, padding=2, fontsize=7)
    ax.set_ylim(0.8, top * 3)  # before the log scale: no autoscaling over empty stages
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(lambda value, _pos: f"{value:,.0f}")
    ax.set_xticks(x, [STAGE_LABELS[s] for s in stages])
    ax.set_ylabel("leads reaching the stage (log scale)")
    ax.legend(frameon=False)
    tidy(ax)
    titled(ax, title, context)
    return ax


def by_leak(
    result: Comparison | MonteCarlo | str | os.PathLike[str], *, ax: Axes | None = None
) -> Axes:
    """Waterfall from the baseline's revenue to the policy's, one step per leak, per year.

    The first bar is the baseline's revenue, each leak (where the policy's leads ended) takes
    its share of the loss away (a negative one, revenue the policy wins and the baseline does
    not, adds back), and the last bar is the policy's revenue. The leaks add up exactly to the
    revenue lost. result: a Comparison, or a Monte Carlo batch or its folder (means over its
    runs).
    """
    result = _comparison(result)
    if not isinstance(result, Comparison):
        raise TypeError(
            f"by_leak: expected a Comparison (alignsim.compare), got {type(result).__name__}"
        )
    summary = result.summary(unit="per_run")
    causes = result.by_leak()
    steps = [
        (str(row.cause), float(row.amount), float(row.share), CAUSE_COLOURS[str(row.cause)])
        for row in causes.itertuples()
    ]
    revenue = summary["revenue"]
    axes = _waterfall(ax, result, revenue[result.baseline], revenue[result.policy], steps)
    return _titled(axes, result, summary["revenue_lost"], result.replications, "by leak")


def by_lever(result: Comparison, *, ax: Axes | None = None) -> Axes:
    """Waterfall from the baseline's revenue to the policy's, one step per lever group that
    differs (exact Shapley values, `Comparison.by_lever`), per year, over the replications
    of the split."""
    if not isinstance(result, Comparison):
        raise TypeError(
            f"by_lever: expected a Comparison (alignsim.compare), got {type(result).__name__}"
        )
    levers = result.by_lever()
    split = result.rows[result.rows["replication"].isin(result.levers["replication"])]
    steps = [
        (str(row.lever), float(row.amount), float(row.share), LEVER_COLOURS[str(row.lever)])
        for row in levers.itertuples()
        if row.amount != 0
    ]
    start = float(split["revenue_baseline"].mean())
    end = float(split["revenue_policy"].mean())
    axes = _waterfall(ax, result, start, end, steps)
    count = levers.attrs["replications"]
    return _titled(axes, result, levers.attrs["revenue_lost"], count, "by lever (Shapley)")


def attribution(
    result: Comparison | MonteCarlo | str | os.PathLike[str], *, ax: Axes | None = None
) -> Axes:
    """Deprecated name of `by_leak` (removed in the next release)."""
    warnings.warn(
        "alignsim.plots.attribution is renamed by_leak; the old name goes in the next release",
        DeprecationWarning,
        stacklevel=2,
    )
    return by_leak(result, ax=ax)


def _waterfall(
    ax: Axes | None,
    result: Comparison,
    start: float,
    end: float,
    steps: list[tuple[str, float, float, str]],
) -> Axes:
    """Draw the bars: start (baseline revenue per run), one step (label, amount per run,
    share, colour) each, end (policy revenue per run); all scaled to a year."""
    scale = per_year(result.horizon_h)
    cur = result.currency
    start, end = start * scale, end * scale
    ax = new_axes(ax, (9.0, 4.8))
    labels = [f"{result.baseline}\nrevenue"]
    ax.bar(0, start, 0.7, color=BASELINE_COLOUR)
    ax.annotate(money(start, cur), (0, start), ha="center", va="bottom", fontsize=8)
    level = start
    for k, (label, amount_per_run, share_of, colour) in enumerate(steps, start=1):
        amount = amount_per_run * scale
        bottom = level - amount if amount >= 0 else level
        ax.bar(k, abs(amount), 0.7, bottom=bottom, color=colour)
        ax.plot([k - 1.35, k + 0.35], [level, level], color=OKABE_ITO["grey"], lw=0.8)
        share = "" if not math.isfinite(share_of) else f"\n{share_of:.0%}"
        ax.annotate(
            f"{money(-amount, cur)}{share}",
            (k, max(level, level - amount)),
            ha="center",
            va="bottom",
            fontsize=8,
        )
        level -= amount
        labels.append(label.replace(" ", "\n", 1))
    last = len(labels)
    ax.plot([last - 1.35, last + 0.35], [level, level], color=OKABE_ITO["grey"], lw=0.8)
    ax.bar(last, end, 0.7, color=POLICY_COLOUR)
    ax.annotate(money(end, cur), (last, end), ha="center", va="bottom", fontsize=8)
    labels.append(f"{result.policy}\nrevenue")
    ax.set_xticks(np.arange(len(labels)), labels, fontsize=8)
    ax.set_ylabel(f"revenue a year ({cur})")
    money_axis(ax.yaxis, cur)
    ax.set_ylim(min(0.0, level, end) * 1.1, max(start, end, level) * 1.12 or 1.0)
    ax.axhline(0, color=OKABE_ITO["black"], lw=0.8)
    tidy(ax)
    return ax


def _titled(ax: Axes, result: Comparison, lost: dict[str, Any], count: int, view: str) -> Axes:
    scale = per_year(result.horizon_h)
    cur = result.currency
    interval = (
        f"95% interval {money(lost['ci_low'] * scale, cur)} to {money(lost['ci_high'] * scale, cur)}, "
        if lost["ci_low"] is not None
        else ""
    )
    titled(
        ax,
        f"Where {result.policy} loses {money(lost['mean'] * scale, cur)} a year against "
        f"{result.baseline}, {view}",
        f"{interval}{_runs(count, result.horizon_h)} scaled to a year, seed {result.seed}",
    )
    return ax


def _positions(values: list[Any]) -> tuple[np.ndarray, list[str] | None, str]:
    """x positions of sweep values: the numbers themselves, durations in hours, or 0, 1, 2..."""
    texts = [v if isinstance(v, str) else repr(v) for v in values]
    try:
        return np.array([float(t) for t in texts]), None, ""
    except ValueError:
        pass
    try:
        return np.array([parse_duration(t.strip()) for t in texts]), texts, " (hours)"
    except ValueError:
        return np.arange(len(values), dtype=float), texts, ""


def sweep(result: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Revenue lost a year against the swept setting, with its 95% interval as a band.

    result: the frame of `alignsim.sweep` (columns value, revenue_lost, ci_low, ci_high and the
    context in `attrs`).
    """
    missing = {"value", "revenue_lost", "ci_low", "ci_high"} - set(result.columns)
    if missing or "horizon_h" not in result.attrs:
        raise ValueError(
            "sweep: expected the frame of alignsim.sweep (columns value, revenue_lost, "
            "ci_low, ci_high and attrs with the horizon)"
        )
    attrs = result.attrs
    cur = attrs.get("currency", "")
    per_run = attrs.get("unit") != "per_year"  # a frame of an older alignsim: per run
    scale = per_year(float(attrs["horizon_h"])) if per_run else 1.0
    x, ticks, unit = _positions(list(result["value"]))
    ax = new_axes(ax)
    mean = result["revenue_lost"].to_numpy(float) * scale
    low = result["ci_low"].to_numpy(float) * scale
    high = result["ci_high"].to_numpy(float) * scale
    band = np.isfinite(low) & np.isfinite(high)
    if band.any():
        ax.fill_between(
            x[band],
            low[band],
            high[band],
            color=POLICY_COLOUR,
            alpha=0.2,
            linewidth=0,
            label="95% interval",
        )
    ax.plot(x, mean, marker="o", color=POLICY_COLOUR, label="revenue lost (mean)")
    ax.axhline(0, color=OKABE_ITO["black"], lw=0.8)
    if ticks is not None:
        ax.set_xticks(x, ticks)
    setting = attrs.get("set", "value")
    ax.set_xlabel(f"{setting}{unit}")
    ax.set_ylabel(f"revenue lost a year ({cur})")
    money_axis(ax.yaxis, cur)
    ax.legend(frameon=False)
    tidy(ax)
    policy, baseline = attrs.get("policy", "policy"), attrs.get("baseline", "baseline")
    titled(
        ax,
        f"Revenue lost by {policy} against {baseline} as {setting} varies",
        f"{_runs(int(attrs.get('replications', 0)), float(attrs['horizon_h']))} per value "
        f"scaled to a year, seed {attrs.get('seed')}, the same leads for every value",
    )
    return ax
