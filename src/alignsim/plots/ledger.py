"""Figures of single runs (ledgers): speed to lead against the SLA, and the weeks of a run."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from alignsim import metrics
from alignsim.comparison import Comparison
from alignsim.ledger import Ledger
from alignsim.scenario import TEMPERATURES
from alignsim.units import format_duration

from .style import (
    OKABE_ITO,
    money_axis,
    new_axes,
    policy_colours,
    tidy,
    titled,
)

__all__ = ["sla_targets", "speed_to_lead", "weekly"]

FLOOR_H = 1 / 60
"""Responses faster than a minute are drawn at one minute (the axis is logarithmic)."""

_TICKS_H = (1 / 60, 5 / 60, 0.25, 1, 4, 8, 24, 72, 168, 504, 2016)


def _ledgers(result: Ledger | Mapping[str, Ledger] | Comparison) -> dict[str, Ledger]:
    if isinstance(result, Comparison):
        raise TypeError(
            "speed_to_lead: a Comparison keeps no per-lead times; pass a Ledger or the "
            "{policy: Ledger} of alignsim.simulate_all(scenario, seed=...)"
        )
    if isinstance(result, Ledger):
        return {result.policy: result}
    ledgers = dict(result)
    if not ledgers or not all(isinstance(v, Ledger) for v in ledgers.values()):
        raise TypeError("speed_to_lead: expected a Ledger or a non-empty {policy: Ledger}")
    return ledgers


def _sals(ledger: Ledger) -> pd.DataFrame:
    f = ledger.frame
    return f[(f["cohort"] == 0) & (f["owner"] == "marketing") & f["accepted"].notna()]


def sla_targets(ledger: Ledger) -> tuple[str | None, dict[str, float]]:
    """The first-response target of each temperature, read back from the ledger's due times.

    Returns the measure ("business" or "wall" hours) and {temperature: target hours}: the
    gap from MQL to `response_due` that most SALs of the temperature share (at least 80% of
    them, to the minute), among SALs handed over once. (None, {}) when no measure fits.
    """
    sal = _sals(ledger)
    # A lead recycled from nurture is due again after its later MQL: only first handoffs
    # show the target.
    first_time = sal["recycles"].to_numpy() == 0 if "recycles" in sal else True
    due_after = sal["response_due"].to_numpy(float) > sal["mql"].to_numpy(float)
    sal = sal[first_time & due_after]
    mql = sal["mql"].to_numpy(float)
    due = sal["response_due"].to_numpy(float)
    gaps = {
        "business": ledger.calendar.business_hours_between_array(mql, due),
        "wall": due - mql,
    }
    best: tuple[float, str | None, dict[str, float]] = (0.0, None, {})
    temperature = sal["temperature"].astype(str).to_numpy()
    for measure, gap in gaps.items():
        targets: dict[str, float] = {}
        covered = 0
        for name in TEMPERATURES:
            minutes = np.round(gap[temperature == name] * 60)
            if len(minutes) == 0:
                continue
            values, counts = np.unique(minutes, return_counts=True)
            if counts.max() >= 0.8 * len(minutes):
                targets[name] = float(values[counts.argmax()]) / 60
                covered += int(counts.max())
        share = covered / len(sal) if len(sal) else 0.0
        if share > best[0]:
            best = (share, measure, targets)
    return best[1], best[2]


def speed_to_lead(
    result: Ledger | Mapping[str, Ledger] | Comparison, *, ax: Axes | None = None
) -> Axes:
    """Share of SALs answered within x hours of their MQL, one step curve per policy, with
    each policy's SLA targets as dashed lines.

    result: a Ledger or the {policy: Ledger} of `alignsim.simulate_all`. The time axis counts
    business hours when the SLAs do (the usual practice), else wall-clock hours. A curve ends
    at the share of SALs ever answered.
    """
    ledgers = _ledgers(result)
    slas = {name: sla_targets(led) for name, led in ledgers.items()}
    measures = {m for m, _ in slas.values() if m is not None}
    measure = "wall" if measures == {"wall"} else "business"
    ax = new_axes(ax)
    top = FLOOR_H * 10
    colours = policy_colours(list(ledgers))
    for name, led in ledgers.items():
        colour = colours[name]
        sal = _sals(led)
        mql = sal["mql"].to_numpy(float)
        first = sal["first_attempt"].to_numpy(float)
        answered = np.isfinite(first)
        if measure == "business":
            wait = led.calendar.business_hours_between_array(mql[answered], first[answered])
        else:
            wait = first[answered] - mql[answered]
        wait = np.sort(np.maximum(wait, FLOOR_H))
        figures = metrics.speed_to_lead(led)
        within = figures["within_sla"]
        label = f"{name}: {len(sal):,} SALs, {figures['answered'] or 0:.0%} answered"
        if within is not None:
            label += f", {within:.0%} within the SLA"
        if len(wait):
            shares = np.arange(1, len(wait) + 1) / len(sal)
            ax.step(
                np.concatenate([[FLOOR_H], wait]),
                np.concatenate([[0.0], shares]),
                where="post",
                color=colour,
                label=label,
            )
            top = max(top, float(wait[-1]))
        sla_measure, targets = slas[name]
        if sla_measure != measure:
            continue
        for hours, temps in _grouped(targets).items():
            if hours <= 0:
                continue
            ax.axvline(hours, color=colour, ls="--", lw=1)
            ax.annotate(
                f"{name} SLA {'/'.join(temps)} {format_duration(hours)}"
                if len(temps) < len(TEMPERATURES)
                else f"{name} SLA {format_duration(hours)}",
                (hours, 1.0),
                xycoords=("data", "axes fraction"),
                rotation=90,
                ha="right",
                va="top",
                fontsize=7,
                color=colour,
            )
    ax.set_xscale("log")
    ax.set_xlim(FLOOR_H, top * 1.5)
    ticks = [t for t in _TICKS_H if t <= top * 1.5]
    ax.set_xticks(ticks, [("≤" if t == FLOOR_H else "") + format_duration(t) for t in ticks])
    ax.minorticks_off()
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    clock = "business hours" if measure == "business" else "hours, around the clock"
    ax.set_xlabel(f"time from MQL to the first call ({clock}, log scale)")
    ax.set_ylabel("share of SALs answered")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, loc="lower right", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no marketing lead was answered", ha="center", transform=ax.transAxes)
    tidy(ax)
    first_ledger = next(iter(ledgers.values()))
    titled(
        ax,
        "Speed to lead: how soon sales calls the leads it accepted",
        f"one run of {format_duration(first_ledger.horizon)}, seed {first_ledger.seed}; "
        "dashed: the SLA's first-response targets",
    )
    return ax


def _grouped(targets: dict[str, float]) -> dict[float, list[str]]:
    """Temperatures by target, so one line stands for every temperature that shares it."""
    out: dict[float, list[str]] = {}
    for name, hours in targets.items():
        out.setdefault(hours, []).append(name)
    return out


def weekly(result: Ledger, *, ax: Axes | None = None) -> Axes:
    """One run week by week: MQLs created (bars), SALs waiting for a first call at each week's
    end (line, same axis) and revenue won (line, right axis, currency)."""
    if not isinstance(result, Ledger):
        raise TypeError(f"weekly: expected a Ledger, got {type(result).__name__}")
    table = metrics.weekly(result)
    weeks = table.index.to_numpy() + 1
    ax = new_axes(ax, (9.0, 4.5))
    ax.bar(weeks, table["mql"], 0.8, color=OKABE_ITO["sky blue"], label="MQLs created")
    ax.plot(
        weeks,
        table["waiting"],
        color=OKABE_ITO["vermillion"],
        marker="o",
        ms=3,
        label="SALs waiting for a first call at the week's end",
    )
    ax.set_xlabel("week")
    ax.set_ylabel("leads")
    ax.set_xlim(0.3, len(weeks) + 0.7)
    revenue_ax = ax.twinx()
    revenue_ax.plot(
        weeks,
        table["revenue"],
        color=OKABE_ITO["bluish green"],
        marker="s",
        ms=3,
        label="revenue won",
    )
    revenue_ax.set_ylim(bottom=0)
    revenue_ax.set_ylabel(f"revenue won ({result.currency})")
    money_axis(revenue_ax.yaxis, result.currency)
    revenue_ax.spines["top"].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = revenue_ax.get_legend_handles_labels()
    ax.legend(handles + more, labels + more_labels, frameon=False, loc="upper left", fontsize=8)
    tidy(ax)
    ax.set_ylim(0, max(float(table["mql"].max()), float(table["waiting"].max()), 1.0) * 1.25)
    titled(
        ax,
        f"Week by week under {result.policy}: MQLs, the queue of SALs, revenue won",
        f"one run of {format_duration(result.horizon)}, seed {result.seed}",
    )
    return ax
