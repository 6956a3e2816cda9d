"""What finance reads from a batch: percentiles, exceedance, a tornado, in JSON, CSV and Excel.

All figures are over the runs of a batch (money in the scenario's currency per year, each run
scaled from its horizon to 52 weeks):

- `revenue_lost`: mean, std (n - 1), the 95% t interval of the mean (`ci_low`, `ci_high`),
  min, max and the percentiles p5, p10, p50, p90, p95 (numpy's linear interpolation between
  order statistics, Excel's PERCENTILE.INC);
- `prob_exceeds`: per threshold x, the share of runs whose revenue lost is above x;
- `tornado`: per uncertain input (its path `input` and, from a batch, its `label`), its
  Spearman rank correlation `rho` with revenue lost and its `swing`: the mean revenue lost of
  the runs whose value of the input is at or above the input's 90th percentile (`high`) minus
  that of the runs at or below its 10th percentile (`low`), in currency, like the
  top-versus-bottom-decile "mapped values" of a Crystal Ball tornado. A swing comes from the
  same runs as the rest, so it mixes the input's effect with whatever the other inputs did in
  those runs (little, with uncorrelated inputs and many runs).
  Sorted by the size of the swing, largest first.
- `money`: per money figure of alignsim.economics.FIGURES, the same statistics as
  `revenue_lost` over the runs where it is finite (`finite_share`: the share of runs whose
  payback came within economics.years, or whose ROI is defined) and `prob_exceeds` at the
  thresholds of its unit (the batch's for money a year, 12/24/36 months for payback, 0 and 1
  for ROI, 0 for NPV and programme cost);
- `precision_reached`: with a precision target, whether the 95% interval's half-width came
  within it of |mean| (`half_width_rel` is the half-width over |mean| reached).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alignsim.economics import FIGURES, PER_YEAR

__all__ = [
    "MIN_RUNS_FOR_PRECISION",
    "PERCENTILES",
    "flatten",
    "half_width",
    "interval",
    "money_summary",
    "number",
    "precision_met",
    "prob_exceeds",
    "tornado",
    "write_csv",
    "write_xlsx",
]

PERCENTILES = (5, 10, 50, 90, 95)
MIN_RUNS_FOR_PRECISION = 10
"""A precision target is only judged from this many runs on (a few runs can agree by chance)."""


def number(x: float | None) -> float | None:
    """x as a float, or None when it is missing or not finite (JSON has no NaN)."""
    return float(x) if x is not None and math.isfinite(x) else None


def half_width(values: np.ndarray) -> float:
    """Half-width of the 95% t interval of the mean (inf below two values)."""
    n = len(values)
    if n < 2:
        return math.inf
    return float(stats.t.ppf(0.975, n - 1)) * float(np.std(values, ddof=1)) / math.sqrt(n)


def precision_met(values: np.ndarray, relative: float) -> bool:
    """True once the 95% half-width is within `relative` of |mean| (from MIN_RUNS_FOR_PRECISION runs)."""
    if len(values) < MIN_RUNS_FOR_PRECISION:
        return False
    return half_width(values) <= relative * abs(float(np.mean(values)))


def interval(values: np.ndarray) -> dict[str, float | None]:
    """Mean, std, 95% interval of the mean, min, max and the percentiles of some values."""
    values = np.asarray(values, dtype=float)
    mean = float(np.mean(values))
    half = half_width(values)
    out: dict[str, float | None] = {
        "mean": mean,
        "std": number(float(np.std(values, ddof=1))) if len(values) > 1 else None,
        "ci_low": number(mean - half),
        "ci_high": number(mean + half),
        "min": float(np.min(values)),
        "max": float(np.max(values)),
    }
    for q, value in zip(PERCENTILES, np.percentile(values, PERCENTILES), strict=True):
        out[f"p{q}"] = float(value)
    return out


def prob_exceeds(values: np.ndarray, threshold: float) -> float:
    """Share of runs whose value is above the threshold."""
    return float(np.mean(np.asarray(values) > threshold))


def tornado(
    frame: pd.DataFrame, inputs: Sequence[str], output: str = "revenue_lost"
) -> pd.DataFrame:
    """Per input: rho (Spearman, None if undefined), low, high and swing (see the module doc)."""
    rows = []
    y = frame[output].to_numpy(float)
    for name in inputs:
        x = frame[name].to_numpy(float)
        rho = None
        if len(x) > 2 and np.ptp(x) > 0 and np.ptp(y) > 0:
            rho = number(float(stats.spearmanr(x, y).statistic))
        low_cut, high_cut = np.percentile(x, [10, 90]) if len(x) else (np.nan, np.nan)
        low = float(np.mean(y[x <= low_cut])) if len(x) else math.nan
        high = float(np.mean(y[x >= high_cut])) if len(x) else math.nan
        swing = high - low if np.ptp(x) > 0 else 0.0
        rows.append({"input": name, "rho": rho, "low": low, "high": high, "swing": swing})
    table = pd.DataFrame(rows, columns=["input", "rho", "low", "high", "swing"])
    order = np.argsort(-np.abs(table["swing"].to_numpy(float)), kind="stable")
    return table.iloc[order].reset_index(drop=True)


def flatten(summary: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """The summary as (statistic, value) pairs with dotted names: one CSV row per statistic."""
    out: list[tuple[str, Any]] = []
    for key, value in summary.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.extend(flatten(value, name))
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            for item in value:
                label = item.get("input", item.get("name", ""))
                rest = {k: v for k, v in item.items() if k not in ("input", "name")}
                out.extend(flatten(rest, f"{name}.{label}"))
        elif isinstance(value, list):
            out.append((name, json.dumps(value, allow_nan=False)))
        else:
            out.append((name, value))
    return out


def write_csv(summary: Mapping[str, Any], path: Path) -> None:
    """summary.csv: columns statistic, value."""
    frame = pd.DataFrame(flatten(summary), columns=["statistic", "value"])
    frame.to_csv(path, index=False)


def write_xlsx(
    summary: Mapping[str, Any], runs: pd.DataFrame, path: Path, thresholds: Iterable[float] = ()
) -> None:
    """summary.xlsx (openpyxl): sheets Summary, Percentiles, Tornado, Inputs and Runs."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Summary")
    sheet.append(["statistic", "value"])
    for name, value in flatten(summary):
        sheet.append([name, value])
    lost = runs["revenue_lost"].to_numpy(float)
    sheet = book.create_sheet("Percentiles")
    sheet.append(["percentile", f"revenue lost a year ({summary.get('currency', '')})"])
    for q in range(0, 101, 5):
        sheet.append([q, float(np.percentile(lost, q))])
    sheet = book.create_sheet("Exceedance")
    sheet.append(["threshold", "probability revenue lost exceeds it"])
    for x in sorted({*thresholds, *np.percentile(lost, range(0, 101, 5)).tolist()}):
        sheet.append([float(x), prob_exceeds(lost, x)])
    sheet = book.create_sheet("Tornado")
    sheet.append(["input", "label", "rho", "low", "high", "swing"])
    for item in summary.get("tornado", []):
        row = [item["rho"], item["low"], item["high"], item["swing"]]
        sheet.append([item["input"], item.get("label", item["input"]), *row])
    sheet = book.create_sheet("Inputs")
    sheet.append(["input", "label", "dist", "unit"])
    for name, info in summary.get("inputs", {}).items():
        sheet.append([name, info.get("label", name), info["dist"], info["unit"]])
    sheet = book.create_sheet("Runs")
    sheet.append(list(runs.columns))
    for row in runs.itertuples(index=False):
        sheet.append([v.item() if hasattr(v, "item") else v for v in row])
    book.save(path)


MONEY_THRESHOLDS = {"payback_months": (12.0, 24.0, 36.0), "roi": (0.0, 1.0), "npv": (0.0,)}
"""Exceedance thresholds of the money figures whose unit is not money a year."""


def money_summary(runs: pd.DataFrame, thresholds: Sequence[float]) -> dict[str, Any]:
    """Each money figure's statistics and exceedance over the runs (see the module's `money`);
    empty for the runs of a batch written before alignsim priced money."""
    out: dict[str, Any] = {}
    if not set(FIGURES) <= set(runs.columns):
        return out
    for name in FIGURES:
        values = runs[name].to_numpy(float)
        finite = values[np.isfinite(values)]
        chosen = (0.0, *thresholds) if name in PER_YEAR else MONEY_THRESHOLDS.get(name, (0.0,))
        out[name] = (interval(finite) if len(finite) else {}) | {
            "finite_share": float(len(finite) / len(values)) if len(values) else None,
            "prob_exceeds": {f"{x:g}": prob_exceeds(values, x) for x in chosen},
        }
    return out
