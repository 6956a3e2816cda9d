"""The fitted scenario document: defaults.toml with every number the data pinned replaced.

`market` (sources, reach, contact decay, qualify, win, cycle), `team.hours` and the `current` policy's
handoff, SLA and attempts come from the data; the rest from `defaults.toml` (the default
scenario's values). `aligned` is the default scenario's aligned policy, to compare against.
The `[uncertainty]` table gives each data estimate a normal law with its standard error
(truncated to the field's range), so `alignsim batch` carries the estimation uncertainty.
"""

from __future__ import annotations

import copy
import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any

from alignsim.fit.estimates import Estimate
from alignsim.scenario import TEMPERATURES

DEFAULTS = Path(__file__).with_name("defaults.toml")


DEFAULT_RANGES: dict[str, dict[str, Any]] = {
    "policies.current.definition.marketing_noise": {
        "dist": "pert", "low": 0.10, "mode": 0.25, "high": 0.40,
    },
    "policies.current.definition.sales_noise": {"dist": "pert", "low": 0.10, "mode": 0.25, "high": 0.40},
    "market.patience.hot.components[2].mean": {"dist": "pert", "low": "1w", "mode": "3w", "high": "6w"},
    "market.patience.warm.components[2].mean": {"dist": "pert", "low": "2w", "mode": "6w", "high": "12w"},
    "market.warming.cold_to_warm.mean": {"dist": "pert", "low": "8w", "mode": "16w", "high": "32w"},
    "market.warming.warm_to_hot.mean": {"dist": "pert", "low": "5w", "mode": "10w", "high": "20w"},
}  # fmt: skip
"""Ranges (assumptions, around default.toml's values) for what no export pins down, put in the
written [uncertainty] table so the batch's interval includes them: subjective definitions
(noise 0.10-0.40 around the default's 0.25), buyers' long windows (a third to twice the
default's) and warming (half to twice)."""

REPS_RANGE = {"dist": "discrete", "values": [3, 4, 5], "weights": [0.25, 0.5, 0.25]}
"""The number of reps when the export has no owner column: default.toml's 4, give or take one."""

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def format_path(parts: tuple[str, ...]) -> str:
    """A dotted path as [uncertainty] keys are written: odd keys (a source "Paid Search") quoted."""
    return ".".join(p if _BARE.fullmatch(p) else json.dumps(p) for p in parts)


def defaults() -> dict[str, Any]:
    """The values a fit falls back on (the default scenario's)."""
    return tomllib.loads(DEFAULTS.read_text(encoding="utf-8"))


def midpoint(value: Any) -> float:
    """A chance written as a number or a line [at fit 0, at fit 1]: its middle."""
    return float(sum(value) / 2) if isinstance(value, list) else float(value)


def _sig(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")


def _shares(rows: list[Estimate]) -> dict[str, float]:
    """Rounded shares that still add up to 1 exactly."""
    values = [round(r.value, 4) for r in rows]
    values[-1] = round(1 - sum(values[:-1]), 4)
    if values[-1] < 0:  # rounding can push the last below 0: give it to the largest
        big = max(range(len(values)), key=values.__getitem__)
        values[big] += values[-1]
        values[-1] = 0.0
    return {t: v for t, v in zip(TEMPERATURES, values, strict=True)}


def _law(row: Estimate, low: float, high: float, unit: str = "") -> dict[str, Any] | None:
    """A normal law for an uncertain input, truncated to [low, high] (None without an error)."""
    se = row.std_error
    if row.source != "data" or not math.isfinite(se) or se <= 0 or not low < row.value < high:
        return None

    def q(x: float) -> Any:
        return f"{_sig(x, 6)}{unit}" if unit else _sig(x, 6)

    return {"dist": "normal", "mean": q(row.value), "sd": q(se), "low": q(low), "high": q(high)}


def _decay(market: dict[str, Any], uncertainty: dict[str, Any], rows: list[Estimate]) -> None:
    """The fitted contact decay D(t) = (1 - w) + w exp(-t / tau) as `market.contact_decay`: an
    exponential (weight w, mean tau) and `never` taking the rest, with w and tau in
    [uncertainty]. A share that rounds to 1 is the exponential alone, to 0 no decay."""
    fitted = {r.parameter.rsplit(".", 1)[1]: r for r in rows if r.source == "data"}
    if not {"share", "time_constant"} <= set(fitted):
        return
    share, tau = fitted["share"], fitted["time_constant"]
    weight = _sig(share.value, 6)
    fading = {"dist": "exponential", "mean": f"{_sig(tau.value, 6)}h"}
    if weight <= 0:
        market.pop("contact_decay", None)
        return
    path = "market.contact_decay"
    if weight >= 1:
        market["contact_decay"] = fading
    else:
        market["contact_decay"] = {
            "dist": "mixture",
            "components": [{"weight": weight, **fading}, {"dist": "never"}],
        }
        path += ".components[0]"
        law = _law(share, 1e-6, 0.999)
        if law:
            uncertainty[f"{path}.weight"] = law
    law = _law(tau, tau.value / 100, tau.value + 8 * tau.std_error, "h")
    if law:
        uncertainty[f"{path}.mean"] = law


def scenario_document(
    name: str,
    currency: str,
    sources: dict[str, dict[str, Any]],
    market: dict[str, list[Estimate]],
    team_hours: dict | None,
    current: dict[str, Any],
    reps: int | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scenario document and its [uncertainty] table.

    `sources`: name -> {"rate": Estimate, "arrivals", "weekly_profile", "owner",
    "temperature": [Estimate], "value": [Estimate] (median, p90)}. `market`: "reach",
    "qualify", "win", "cycle" -> estimates (a default row keeps the default's value).
    """
    base = defaults()
    doc: dict[str, Any] = {
        "name": name,
        "description": "Fitted from a CRM export by `alignsim fit`; see the fit report for "
        "what came from the data and what is a default.",
        "currency": currency,
        "horizon": "52w",
        "seed": 1,
        "baseline": "aligned",
    }
    uncertainty: dict[str, Any] = {}
    doc_sources: dict[str, Any] = {}
    for src, info in sources.items():
        rate: Estimate = info["rate"]
        path = format_path(("market", "sources", src, "rate"))
        entry: dict[str, Any] = {
            "rate": f"{_sig(rate.value, 6)}/week",
            "arrivals": info["arrivals"],
            "owner": info["owner"],
            "fit": copy.deepcopy(base["source"]["fit"]),
            "temperature": _shares(info["temperature"]),
        }
        if info["weekly_profile"] is not None:
            entry["weekly_profile"] = info["weekly_profile"]
        median, p90 = info["value"]
        entry["value"] = {"dist": "lognormal", "median": _sig(median.value), "p90": _sig(p90.value)}
        doc_sources[src] = entry
        law = _law(rate, rate.value / 100, rate.value + 8 * rate.std_error, "/week")
        if law:
            uncertainty[path] = law
        law = _law(median, median.value / 100, entry["value"]["p90"] * 0.999)
        if law:
            uncertainty[format_path(("market", "sources", src, "value", "median"))] = law
    m = copy.deepcopy(base["market"])
    m["sources"] = doc_sources
    for key in ("reach", "qualify", "win"):
        for row in market.get(key, []):
            t = row.parameter.rsplit(".", 1)[1]
            if row.source != "data" or t not in TEMPERATURES:
                continue
            m[key][t] = _sig(min(max(row.value, 0.0), 1.0))
            law = _law(row, 0.0, 1.0)
            if law:
                uncertainty[f"market.{key}.{t}"] = law
    _decay(m, uncertainty, market.get("contact_decay", []))
    cycle = {r.parameter.rsplit(".", 1)[1]: r for r in market.get("cycle", [])}
    if cycle:
        median, p90 = cycle["median"], cycle["p90"]
        m["cycle"] = {"dist": "lognormal", "median": f"{_sig(median.value)}d",
                      "p90": f"{_sig(p90.value)}d"}  # fmt: skip
        law = _law(median, median.value / 100, _sig(p90.value) * 0.999, "d")
        if law:
            uncertainty["market.cycle.median"] = law
    doc["market"] = m
    doc["team"] = copy.deepcopy(base["team"])
    if team_hours is not None:
        doc["team"]["hours"] = team_hours
    if reps is not None:
        doc["team"]["reps"] = reps
    policies = copy.deepcopy(base["policies"])
    observed = policies["current"]
    observed["description"] = (
        "As observed in the export: handoff, response and attempts from the data; definitions, "
        "queue and nurture at the defaults"
    )
    observed["goals"] = {"marketing": "none", "sales": "none"}
    observed.update({k: v for k, v in current.items() if k != "sla"})
    observed["sla"].update(current.get("sla", {}))
    doc["policies"] = {"current": observed, "aligned": policies["aligned"]}
    uncertainty.update(copy.deepcopy(DEFAULT_RANGES))
    if reps is None:
        uncertainty["team.reps"] = copy.deepcopy(REPS_RANGE)
    doc["uncertainty"] = uncertainty
    return doc, uncertainty


LINE_ENDS_RHO = 0.99
"""Rank correlation of a chance line's two ends in [uncertainty]: the data pins the level,
not the slope, so both ends move together."""


def write_lines(
    doc: dict[str, Any], lines: dict[str, dict[str, list[float]]], rows: list[Estimate]
) -> None:
    """Put calibrated chance lines [at fit 0, at fit 1] into the document, and replace each
    flat chance's [uncertainty] entry by its two ends (the export's standard error scaled by
    end / export estimate) moving together."""
    uncertainty = doc["uncertainty"]
    correlations = uncertainty.setdefault("correlations", [])
    fitted = {r.parameter: r for r in rows if r.source == "data"}
    for key, by_temp in lines.items():
        for t, (lo, hi) in by_temp.items():
            doc["market"][key][t] = [_sig(lo, 6), _sig(hi, 6)]
            path = f"market.{key}.{t}"
            flat = uncertainty.pop(path, None)
            row = fitted.get(path)
            if flat is None or row is None or not row.value > 0:
                continue
            ends = []
            for i, end in enumerate((lo, hi)):
                scaled = Estimate(path, end, row.std_error * end / row.value)
                law = _law(scaled, 0.0, 1.0)
                if law:
                    uncertainty[f"{path}[{i}]"] = law
                    ends.append(f"{path}[{i}]")
            if len(ends) == 2:
                correlations.append({"between": ends, "rho": LINE_ENDS_RHO})
    if not correlations:
        del uncertainty["correlations"]
