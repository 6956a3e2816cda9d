"""The fit report: one self-contained HTML file, observed against fitted, for every estimate.

Figures (matplotlib, no pyplot, embedded as PNG with `plots.style` helpers): the contact decay
curve with the HBR 2011 delay buckets, the sales cycle's Kaplan-Meier curve against the
fitted lognormal, the deal-value distribution, arrivals by hour and weekday, response times.
Tables: every estimate with its interval and whether it came from the data or is a default;
the data-quality counts; and the revenue lost a year on the fitted scenario (current against
aligned, paired replications of the fitted scenario, common random numbers).
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from alignsim.plots.style import (
    OKABE_ITO,
    TEMPERATURE_COLOURS,
    figure_png,
    money,
    new_axes,
    tidy,
    titled,
)
from alignsim.writing import write_atomically

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from alignsim.fit.api import FitResult

_STYLE = """body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:.85em}td,th{border-bottom:1px solid #ddd;padding:.2em .5em;
text-align:left}img{max-width:100%}.default{color:#777}.headline{font-size:1.3em}"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _img(ax: Axes, alt: str) -> str:
    data = base64.b64encode(figure_png(ax.figure)).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    rows = []
    for row in frame.itertuples(index=False):
        css = ' class="default"' if "default" in row else ""
        rows.append(f"<tr{css}>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _fmt(x: float) -> str:
    return "" if not math.isfinite(x) else f"{x:.4g}"


def decay_figure(result: FitResult) -> Axes | None:
    """Share reached at the first attempt by delay: HBR buckets (points) and r D(t) S_T(t)
    (lines: the decay and the default buying window still open)."""
    decay = result.decay
    if decay is None:
        return None
    ax = new_axes()
    t = np.logspace(-2, np.log10(24 * 14), 200)
    for name, r in decay.reach.items():
        colour = TEMPERATURE_COLOURS.get(name, OKABE_ITO["grey"])
        chance = r * decay.chance(t, pd.Series(name, index=range(len(t))))
        ax.plot(t, chance, color=colour, label=f"fitted, {name}")
    p = decay.points.dropna()
    ax.errorbar(p["delay_h"], p["share"], yerr=1.96 * p["se"], fmt="o", color="black",
                label="observed, HBR delay buckets (95%)")  # fmt: skip
    ax.plot(p["delay_h"], p["fitted"], "s", mfc="none", color="black",
            label="fitted, same leads")  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("delay of the first attempt after creation (hours)")
    ax.set_ylabel("share " + decay.outcome.split(" (")[0])
    ax.legend(fontsize=8)
    titled(
        ax,
        "Contact decay",
        f"D(t) = {1 - decay.share:.2f} + {decay.share:.2f} exp(-t / {decay.tau:.3g} h)",
    )
    tidy(ax)
    return ax


def cycle_figure(result: FitResult) -> Axes | None:
    """Share of deals still open after t days: Kaplan-Meier against the fitted lognormal."""
    cycle = result.cycle
    if cycle is None:
        return None
    ax = new_axes()
    km = cycle.km
    ax.step(
        km.index,
        km.iloc[:, 0],
        where="post",
        color="black",
        label="Kaplan-Meier (open deals censored)",
    )
    days = np.linspace(0.01, float(km.index.max()), 300)
    fitted = stats.norm.sf((np.log(days * 24) - cycle.mu) / cycle.sigma)
    ax.plot(days, fitted, color=OKABE_ITO["blue"], label="fitted lognormal")
    ax.set_xlabel("days since the opportunity was created")
    ax.set_ylabel("share not yet closed")
    ax.legend(fontsize=8)
    titled(ax, "Sales cycle")
    tidy(ax)
    return ax


def value_figure(result: FitResult, currency: str) -> Axes | None:
    """Histogram of deal amounts (log scale) with the pooled lognormal fit."""
    deals = result.deals
    if deals is None or (deals["amount"] > 0).sum() < 5:
        return None
    amount = deals["amount"].to_numpy(float)
    logs = np.log(amount[amount > 0])
    ax = new_axes()
    ax.hist(logs, bins=40, density=True, color=OKABE_ITO["sky blue"], label="deals")
    x = np.linspace(logs.min(), logs.max(), 200)
    ax.plot(
        x,
        stats.norm.pdf(x, logs.mean(), logs.std(ddof=1)),
        color=OKABE_ITO["blue"],
        label="lognormal fit",
    )
    ticks = np.quantile(logs, [0.05, 0.5, 0.95])
    ax.set_xticks(ticks, [money(float(np.exp(v)), currency) for v in ticks])
    ax.set_xlabel("deal amount (log scale)")
    ax.legend(fontsize=8)
    titled(ax, "Deal value")
    tidy(ax)
    return ax


def arrivals_figure(result: FitResult) -> Axes | None:
    """Leads created by hour of the day and by weekday."""
    leads = result.leads
    if leads is None:
        return None
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.2), layout="constrained")
    by_hour, by_day = figure.subplots(1, 2)
    created = leads["created"].to_numpy(float)
    by_hour.bar(
        np.arange(24),
        np.bincount((created % 24).astype(int), minlength=24),
        color=OKABE_ITO["blue"],
    )
    by_hour.set_xlabel("hour of the day")
    by_hour.set_ylabel("leads created")
    by_day.bar(
        range(7), np.bincount((created // 24).astype(int) % 7, minlength=7), color=OKABE_ITO["blue"]
    )
    by_day.set_xticks(range(7), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    for ax in (by_hour, by_day):
        tidy(ax)
    titled(by_hour, "Arrivals")
    return by_hour


def response_figure(result: FitResult) -> Axes | None:
    """Share of MQLs answered within x hours (wall clock and business hours)."""
    policy = result.policy
    if len(policy.response_h) == 0:
        return None
    ax = new_axes()
    for values, label, colour in (
        (policy.response_h, "wall clock", OKABE_ITO["vermillion"]),
        (policy.response_business_h, "business hours", OKABE_ITO["blue"]),
    ):
        x = np.sort(values)
        ax.step(
            np.maximum(x, 1e-2),
            np.arange(1, len(x) + 1) / len(x),
            where="post",
            color=colour,
            label=label,
        )
    ax.set_xscale("log")
    ax.set_xlabel("hours from MQL to the first attempt")
    ax.set_ylabel("share of answered MQLs")
    ax.legend(fontsize=8)
    titled(ax, "Response times")
    tidy(ax)
    return ax


def revenue_lost(result: FitResult, replications: int) -> str:
    """The headline on the fitted scenario: revenue lost a year, current against aligned."""
    if replications < 2:
        return "<p>Not computed (fewer than 2 replications asked).</p>"
    from alignsim import metrics
    from alignsim.scenario import validate
    from alignsim.simulation import simulate_all

    scenario = validate(result.scenario_document, "fitted")
    lost = []
    for r in range(replications):
        runs = simulate_all(scenario, ["current", "aligned"], replication=r)
        lost.append(metrics.revenue(runs["aligned"]) - metrics.revenue(runs["current"]))
    scale = 52 * 168 / scenario.horizon
    mean = float(np.mean(lost)) * scale
    half = (
        float(stats.t.ppf(0.975, replications - 1) * np.std(lost, ddof=1) / np.sqrt(replications))
        * scale
    )
    c = scenario.currency
    return (
        f'<p class="headline">Revenue (bookings) lost per year, current against aligned: '
        f"<b>{_e(money(mean, c))}</b> (95% interval {_e(money(mean - half, c))} to "
        f"{_e(money(mean + half, c))}), {replications} paired replications of "
        f"{scenario.horizon / 168:.0f} weeks on the fitted scenario.</p>"
        "<p>The interval is simulation noise only; <code>alignsim batch</code> on the written "
        "scenario adds the estimation uncertainty ([uncertainty] table).</p>"
    )


def _funnel(leads: pd.DataFrame, deals: pd.DataFrame | None, weeks: float) -> dict[str, float]:
    """The statistics the check compares, from canonical leads (an export's or a ledger's)."""

    def share(a: str, b: str | None) -> float:
        if a not in leads or (b is not None and b not in leads):
            return math.nan
        base = leads[b].notna() if b is not None else pd.Series(True, index=leads.index)
        return float(leads.loc[base, a].notna().mean()) if base.any() else math.nan

    out = {
        "leads a week": len(leads) / weeks,
        "MQL share of leads": share("mql", None),
        "attempted share of leads": share("first_attempt", None),
        "reached share of attempted leads": share("reached", "first_attempt"),
        "SQL share of reached leads": share("sql", "reached"),
        "median hours from MQL to first attempt": math.nan,
        "win share of closed deals": math.nan,
    }
    if {"mql", "first_attempt"} <= set(leads):
        out["median hours from MQL to first attempt"] = float(
            (leads["first_attempt"] - leads["mql"]).median()
        )
    if deals is not None:
        closed = deals[deals["state"] != "open"]
        out["win share of closed deals"] = float((closed["state"] == "won").mean())
    return out


def funnel_check(result: FitResult) -> str:
    """The fitted scenario's current policy, simulated over the export's span, against the
    export: where the defaults (definitions, patience) do not fit this company, it shows."""
    if result.leads is None:
        return ""
    from alignsim.scenario import validate
    from alignsim.simulation import simulate

    first = float(result.leads["created"].min())
    span = max(result.as_of_h - first, 168.0)
    scenario = validate(result.scenario_document, "fitted")
    frames = [simulate(scenario, "current", replication=r, horizon=span).frame for r in range(3)]
    frame = pd.concat(frames, ignore_index=True)
    sim_deals = frame[frame["sql"].notna()].assign(
        state=lambda f: (
            f["outcome"].astype(str).map({"won": "won", "lost_deal": "lost"}).fillna("open")
        )
    )
    observed = _funnel(result.leads, result.deals, span / 168)
    fitted = _funnel(frame, sim_deals, 3 * span / 168)
    rows = pd.DataFrame(
        {
            "statistic": list(observed),
            "export": [_fmt(v) for v in observed.values()],
            "fitted scenario, current": [_fmt(fitted[k]) for k in observed],
        }
    )
    return (
        "<h2>Does the fitted scenario reproduce the export?</h2><p>The fitted scenario's "
        f"current policy simulated over the export's {span / 168:.1f} weeks. A gap points at "
        "a default that does not fit this company (definitions for the MQL share; patience "
        "and the queue for the response and reach).</p>" + _table(rows)
    )


def calibration_table(result: FitResult) -> str:
    """The chances written as lines in fit, their levels calibrated by simulation."""
    cal = result.calibration
    if cal is None:
        return ""
    rows = pd.DataFrame(
        [
            {"chance": f"market.{key}.{t}", "at fit 0": lo, "at fit 1": hi}
            for key, by_temp in cal.lines.items()
            for t, (lo, hi) in by_temp.items()
        ]
    )
    return (
        "<h2>Chances in fit, calibrated by simulation</h2><p>No export shows how a chance "
        "rises with a lead's fit: each is written with the defaults' slope, its level set so "
        f"that the fitted current policy, simulated ({cal.replications} replications of the "
        "export's span), shows the export's reach, qualification and win by temperature "
        f"(largest gap in the last round: {cal.gaps[-1]:.1%}).</p>" + _table(rows)
    )


def fit_report(result: FitResult, path: str | Path, replications: int = 10) -> Path:
    """Write the fit report as one self-contained HTML file, atomically."""
    currency = result.scenario_document.get("currency", "EUR")
    est = result.estimates.copy()
    for col in ("value", "std_error", "ci_low", "ci_high"):
        est[col] = est[col].map(_fmt)
    est.loc[est["source"] == "default", ["std_error", "ci_low", "ci_high"]] = ""
    data_rows = est[est["source"] == "data"]
    default_rows = est[est["source"] == "default"]
    parts = [
        f"<h1>Fit report</h1><p>{_e(', '.join(f'{k}: {v}' for k, v in result.files.items()))}; "
        f"map {_e(result.mapping)}; clock starts {_e(result.start)}; export date "
        f"{_e(result.start + pd.Timedelta(hours=result.as_of_h))}.</p>",
        "<h2>Revenue lost on the fitted scenario</h2>" + revenue_lost(result, replications),
        "<h2>Estimated from the data</h2>" + _table(data_rows),
        calibration_table(result),
        (
            "<h2>Contact decay</h2><p>The HBR 2011 delay buckets on these leads, observed and "
            "fitted (the scenario's <code>market.contact_decay</code> and reach):</p>"
            + _table(result.decay.points.round(4))
            if result.decay is not None
            else ""
        ),
        "<h2>Defaults (the data cannot say)</h2>" + _table(default_rows),
        funnel_check(result),
        "<h2>Data quality</h2>"
        + (_table(result.quality) if len(result.quality) else "<p>No problems found.</p>"),
    ]
    for make, alt in (
        (decay_figure, "contact decay"),
        (cycle_figure, "sales cycle"),
        (arrivals_figure, "arrivals"),
        (response_figure, "response times"),
    ):
        ax = make(result)
        if ax is not None:
            parts.append(_img(ax, alt))
    ax = value_figure(result, currency)
    if ax is not None:
        parts.append(_img(ax, "deal value"))
    text = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>alignsim fit report</title>"
        f"<style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )
    return write_atomically(Path(path), lambda tmp: Path(tmp).write_text(text, "utf-8"))
