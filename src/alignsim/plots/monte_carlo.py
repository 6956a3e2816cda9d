"""Figures of Monte Carlo batches: the distribution of revenue lost and the tornado of inputs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from alignsim import economics, metrics
from alignsim.batch.api import MonteCarlo
from alignsim.batch.runs import HOURS_PER_YEAR, cause_column
from alignsim.comparison import CAUSES, Comparison
from alignsim.scenario.labels import default_label

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

__all__ = ["as_comparison", "distribution", "read_batch", "readable", "tornado"]

Batch = MonteCarlo | str | os.PathLike[str]
"""A batch: the object `alignsim.monte_carlo` returns, or the folder it wrote."""


def read_batch(batch: Batch) -> MonteCarlo:
    """The batch itself, or the one written in a folder (runs.parquet and summary.json).

    Raises ValueError, in one sentence, for a folder that holds no readable batch.
    """
    if isinstance(batch, MonteCarlo):
        return batch
    if not isinstance(batch, str | os.PathLike):
        raise TypeError(
            f"expected a Monte Carlo batch (alignsim.monte_carlo) or its folder, "
            f"got {type(batch).__name__}"
        )
    folder = Path(batch)
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such folder (expected a batch output folder)")
    for name in ("runs.parquet", "summary.json"):
        if not (folder / name).is_file():
            raise ValueError(f"{folder}: no {name} in it (expected a batch output folder)")
    try:
        result = MonteCarlo.read(folder)
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"{folder}: not a readable alignsim batch ({error})") from None
    if result.runs.empty:
        raise ValueError(f"{folder}: the batch holds no runs")
    return result


def as_comparison(batch: Batch) -> Comparison:
    """The batch seen as a comparison whose replications are its runs (for the waterfall and
    the funnels): revenue, funnels and revenue lost by cause per run. The runs keep no count
    of the leads behind each cause, so `leads` is NaN."""
    mc = read_batch(batch)
    runs = mc.runs
    columns = ["revenue_baseline", "revenue_policy", "revenue_lost"]
    columns += [f"{role}_{s}" for role in ("baseline", "policy") for s in metrics.FUNNEL_STAGES]
    rows = runs[["run", *columns]].rename(columns={"run": "replication"})
    # A Comparison holds figures per run of its horizon: undo the batch's scaling to a year.
    to_run = mc.to_year * mc.horizon_h / HOURS_PER_YEAR
    money_columns = ["revenue_baseline", "revenue_policy", "revenue_lost"]
    rows[money_columns] = rows[money_columns] * to_run
    causes = pd.concat(
        [
            pd.DataFrame(
                {
                    "replication": runs["run"].to_numpy(),
                    "cause": cause,
                    "amount": runs[cause_column(cause)].to_numpy(float) * to_run,
                    "leads": np.nan,
                }
            )
            for cause in CAUSES
        ],
        ignore_index=True,
    )
    figures = ["run", *economics.FIGURES]
    money_rows = (  # per year already; a batch written before money has none
        runs[figures].rename(columns={"run": "replication"}).reset_index(drop=True)
        if set(figures) <= set(runs.columns)
        else pd.DataFrame()
    )
    return Comparison(
        scenario=mc.scenario,
        baseline=mc.baseline,
        policy=mc.policy,
        seed=mc.seed,
        currency=mc.currency,
        horizon_h=mc.horizon_h,
        rows=rows.reset_index(drop=True),
        causes=causes,
        money_rows=money_rows,
    )


def _runs_text(mc: MonteCarlo) -> str:
    return f"{len(mc.runs):,} runs of {mc.horizon_h / 168:g} weeks scaled to a year, seed {mc.seed}"


def distribution(batch: Batch, *, ax: Axes | None = None) -> Axes:
    """Histogram of revenue lost a year over the runs, with P5, P50 and P95 marked, and the
    exceedance curve (share of runs losing more than x) on the right axis."""
    mc = read_batch(batch)
    scale = mc.to_year
    cur = mc.currency
    lost = mc.runs["revenue_lost"].to_numpy(float) * scale
    ax = new_axes(ax, (9.0, 4.8))
    bins = int(np.clip(np.sqrt(len(lost)) * 1.5, 5, 60))
    ax.hist(lost, bins=bins, color=OKABE_ITO["sky blue"], edgecolor="white", label="runs")
    for q, style in ((5, ":"), (50, "-"), (95, ":")):
        value = float(np.percentile(lost, q))
        ax.axvline(value, color=OKABE_ITO["black"], ls=style, lw=1.2)
        ax.annotate(
            f"P{q}\n{money(value, cur)}",
            (value, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -3),
            textcoords="offset points",
            va="top",
            fontsize=7,
        )
    ax.set_xlabel(f"revenue lost a year ({cur})")
    ax.set_ylabel("runs")
    money_axis(ax.xaxis, cur)
    tidy(ax)
    exceed = ax.twinx()
    xs = np.sort(lost)
    share = 1 - np.arange(1, len(xs) + 1) / len(xs)
    exceed.step(
        np.concatenate([[xs[0]], xs]),
        np.concatenate([[1.0], share]),
        where="post",
        color=POLICY_COLOUR,
        lw=1.6,
        label="chance of losing more than x",
    )
    exceed.set_ylim(0, 1.05)
    exceed.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    exceed.set_ylabel("chance of losing more than x", color=POLICY_COLOUR)
    exceed.spines["top"].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = exceed.get_legend_handles_labels()
    ax.legend(handles + more, labels + more_labels, frameon=False, loc="center right", fontsize=8)
    titled(
        ax,
        f"Revenue lost a year by {mc.policy} against {mc.baseline}, over uncertain inputs: "
        f"P50 {money(float(np.percentile(lost, 50)), cur)}",
        _runs_text(mc),
    )
    return ax


def readable(path: str) -> str:
    """A dotted path of a scenario value as a reader says it (`default_label`):
    'market.patience.hot.components[2].mean' -> "Hot buyers' patience, mixture component 3: mean"."""
    return default_label(path)


def _label(label: str, unit: str, rho: float | None) -> str:
    """A tornado row's name: the input's label, its unit unless the label already says it, and
    its rank correlation."""
    shown = label + (f" ({unit})" if unit and unit not in label else "")
    return shown if rho is None or not np.isfinite(rho) else f"{shown}\nrank correlation {rho:+.2f}"


def tornado(batch: Batch, *, ax: Axes | None = None) -> Axes:
    """Each uncertain input's swing in revenue lost a year: a bar from the mean loss of the
    runs with the input in its bottom decile to that of the runs in its top decile, largest
    swing on top; vermillion when a higher value loses more, blue when it loses less. Each
    input is named by its label (`MonteCarlo.label`)."""
    mc = read_batch(batch)
    scale = mc.to_year
    cur = mc.currency
    table = mc.tornado()
    mean = float(mc.runs["revenue_lost"].mean()) * scale
    ax = new_axes(ax, (9.0, 1.6 + 0.7 * max(1, len(table))))
    if table.empty:
        ax.text(0.5, 0.5, "this batch has no uncertain inputs", ha="center", va="center")
        ax.set_axis_off()
    rows = list(table.itertuples())
    positions = np.arange(len(rows))[::-1]
    for y, row in zip(positions, rows, strict=True):
        low, high = float(row.low) * scale, float(row.high) * scale
        colour = POLICY_COLOUR if high >= low else BASELINE_COLOUR
        ax.barh(y, abs(high - low), left=min(low, high), height=0.6, color=colour)
        for value, text in ((low, "bottom 10%"), (high, "top 10%")):
            right = value >= max(low, high)
            ax.annotate(
                f"{text}: {money(value, cur)}",
                (value, y),
                xytext=(4 if right else -4, 0),
                textcoords="offset points",
                ha="left" if right else "right",
                va="center",
                fontsize=7,
            )
    if rows:
        ax.axvline(mean, color=OKABE_ITO["black"], lw=1, label=f"mean {money(mean, cur)}")
        ax.set_yticks(
            positions,
            [
                _label(str(r.label), mc.inputs.get(str(r.input), {}).get("unit", ""), r.rho)
                for r in rows
            ],
            fontsize=8,
        )
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ends = np.array([[r.low, r.high] for r in rows], dtype=float) * scale
        span = max(float(np.ptp(ends)), abs(mean) * 0.1, 1.0)
        ax.set_xlim(float(ends.min()) - 0.45 * span, float(ends.max()) + 0.45 * span)
        ax.set_xlabel(f"mean revenue lost a year ({cur}) of the runs at each end of the input")
        money_axis(ax.xaxis, cur)
        ax.legend(frameon=False, loc="lower right", fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
    titled(
        ax,
        f"Which uncertain inputs move the revenue lost by {mc.policy} most",
        _runs_text(mc),
    )
    return ax
