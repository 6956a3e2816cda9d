"""The HTML report: one self-contained file to hand around (`alignsim report`).

A report holds the headline revenue lost a year with its 95% interval, the money (bookings,
lifetime value, gross profit, the return on aligning, its payback curve and waterfall), the
causes (table and waterfall), the two funnels, speed to lead and lead decay for a scenario, and
what to do first when given the result of `alignsim optimise`; for a Monte Carlo
batch folder, the distribution of revenue lost, its percentiles, the chance of exceeding
thresholds and the tornado of the inputs. Figures are embedded as base64 PNG and the style
sheet is inline, so the file opens anywhere without a network. Text is escaped with the
standard library's `html.escape` and laid out with `string.Template`; the page is too small to
need a template engine.
"""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes

from alignsim import economics, metrics, plots
from alignsim.assumptions import assumptions
from alignsim.batch.api import MonteCarlo
from alignsim.comparison import Comparison, run
from alignsim.ledger import Ledger
from alignsim.levers import LEVER_LABELS
from alignsim.paired import Pairing
from alignsim.plots.style import STAGE_LABELS, figure_png, money, per_year
from alignsim.scenario import Scenario
from alignsim.units import format_duration
from alignsim.version import __version__
from alignsim.writing import write_atomically

if TYPE_CHECKING:
    from alignsim.optimiser import Optimisation

__all__ = [
    "batch_report",
    "comparison_report",
    "optimise_section",
    "scenario_report",
    "write_report",
]

_PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="alignsim $version">
<title>$title</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
       max-width: 980px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.context { color: #555; margin-top: 0; }
.headline { font-size: 1.15em; background: #f3f7fb; border-left: 5px solid #0072B2;
            padding: 0.8em 1em; margin: 1.2em 0; }
.headline strong { font-size: 1.5em; color: #D55E00; }
table { border-collapse: collapse; margin: 0.8em 0; font-variant-numeric: tabular-nums; }
th, td { padding: 0.25em 0.8em; border-bottom: 1px solid #e4e4e4; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #999; }
tr.total td { font-weight: bold; border-top: 2px solid #999; }
img { max-width: 100%; height: auto; display: block; margin: 0.8em 0; }
.note { color: #555; font-size: 0.9em; }
pre { background: #f6f6f6; padding: 0.8em 1em; overflow-x: auto; font-size: 0.9em; }
footer { margin-top: 3em; color: #777; font-size: 0.85em; }
</style>
</head>
<body>
<h1>$title</h1>
<p class="context">$context</p>
$body
<footer>Made with alignsim $version. Every figure in this file is computed from the
simulation described above; the images are embedded, the file needs no network.</footer>
</body>
</html>
"""
)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def image(ax: Axes, alt: str) -> str:
    """An <img> holding the Axes' whole figure as an embedded PNG."""
    data = base64.b64encode(figure_png(ax.figure)).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def table(
    header: Sequence[str], rows: Iterable[Sequence[object]], total: Sequence[object] | None = None
) -> str:
    """An HTML table; cells are escaped; `total` is a bold last row."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = ["<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows]
    if total is not None:
        body.append('<tr class="total">' + "".join(f"<td>{_e(c)}</td>" for c in total) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def section(title: str, *parts: str) -> str:
    """A titled part of the page."""
    return f"<section><h2>{_e(title)}</h2>{''.join(parts)}</section>"


def paragraph(text: str, css: str | None = None) -> str:
    """A paragraph of escaped text."""
    attribute = f' class="{css}"' if css else ""
    return f"<p{attribute}>{_e(text)}</p>"


def page(title: str, context: str, body: Iterable[str]) -> str:
    """The whole self-contained HTML document."""
    return _PAGE.substitute(
        title=_e(title), context=_e(context), body="\n".join(body), version=_e(__version__)
    )


def _interval(low: float | None, high: float | None, currency: str, scale: float) -> str:
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "no interval with one replication"
    return f"95% interval {money(low * scale, currency)} to {money(high * scale, currency)}"


def _share(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    return "0%" if abs(value) < 0.005 else f"{value:.0%}"


_CAUSES_NOTE = (
    "Each lead the baseline wins and the policy does not is charged, at its value, to the "
    "cause the policy's outcome names (a late call: response delay; never reached: too few "
    "contact attempts; not an MQL or rejected: definition mismatch; not ready and let go: no "
    "nurture; still queued: capacity or goal conflict; a lost or still open deal: deal luck "
    "and timing). Leads the policy wins and the baseline does not count negative. The causes "
    "add up exactly to the revenue lost."
)


_LEVERS_NOTE = (
    "Which misalignment costs what: the policy differs from the baseline in a few lever groups; "
    "each group's share is its exact Shapley value, its average marginal loss over every order "
    "of switching the groups from the baseline to the policy, every mix played on the same "
    "leads. The shares add up exactly to the revenue lost; a group in which the two policies "
    "agree gets 0. Each interval is the paired 95% t interval over the replications of the split."
)


def _levers(result: Comparison) -> str:
    """The split by lever: table with intervals, and its waterfall."""
    cur = result.currency
    scale = per_year(result.horizon_h)
    levers = result.by_lever()
    k = levers.attrs["replications"]
    rows = [
        [
            LEVER_LABELS[row.lever],
            money(row.amount * scale, cur),
            _interval(row.ci_low, row.ci_high, cur, scale),
            _share(row.share),
        ]
        for row in levers.itertuples()
    ]
    lost = levers.attrs["revenue_lost"]
    over = "" if k == result.replications else f" (over the first {k} replications)"
    return section(
        f"Why: revenue lost by lever{over}",
        paragraph(_LEVERS_NOTE, "note"),
        table(
            ["lever", "revenue lost a year", "95% interval", "share"],
            rows,
            [
                "total",
                money(lost["mean"] * scale, cur),
                _interval(lost["ci_low"], lost["ci_high"], cur, scale),
                "100%" if lost["mean"] else "-",
            ],
        ),
        image(
            plots.by_lever(result),
            f"Waterfall of revenue a year from {result.baseline} to {result.policy}, by lever",
        ),
    )


def _causes(result: Comparison, runs_word: str) -> str:
    """The leaks table and the waterfall."""
    cur = result.currency
    scale = per_year(result.horizon_h)
    attribution = result.by_leak()
    with_leads = bool(attribution["leads"].notna().all())
    rows = []
    for row in attribution.itertuples():
        cells = [row.cause, money(row.amount * scale, cur), _share(row.share)]
        rows.append(cells + ([f"{row.leads:,.1f}"] if with_leads else []))
    total = float(result.rows["revenue_lost"].mean())
    header = ["cause", "revenue lost a year", "share"]
    return section(
        "Where: revenue lost by leak",
        paragraph(_CAUSES_NOTE, "note"),
        table(
            header + ([f"leads per {runs_word}"] if with_leads else []),
            rows,
            ["total", money(total * scale, cur), "100%" if total else "-"]
            + ([""] if with_leads else []),
        ),
        image(
            plots.by_leak(result),
            f"Waterfall of revenue a year from {result.baseline} to {result.policy}, by leak",
        ),
    )


_MONEY_NOTE = (
    "Revenue is not profit and a deal is not a customer (MODEL.md 6.5). Bookings are the "
    "first-year contracts of the deals won; lifetime value follows each customer over the "
    "scenario's contract years (renewing with the retention chance, growing by the expansion "
    "rate, discounted from the close); gross profit is the gross margin on lifetime value net "
    "of the reps', the leads' and the nurture touches' costs. The return on moving to the "
    "baseline counts the programme's cost, which the baseline carries: payback in months, NPV "
    "over the contract years, ROI as NPV over the programme's present cost. Intervals are "
    "paired 95% t intervals over the replications."
)


def _money(result: Comparison) -> str:
    """The money section: the figures with their intervals, the CFO line and the two plots."""
    cur, years = result.currency, result.economics_years
    frame = result.money()

    def text(x: float | None, unit: str) -> str:
        if x is None or not math.isfinite(x):
            return "-"
        if unit == "months":
            return f"{x:.3g} months"
        return f"{x:.3g}" if unit == "ratio" else economics.three_figures(x, cur)

    rows = []
    for row in frame.itertuples():
        unit = {"per_year": " a year", "total": f" over {years} years"}.get(row.unit, "")
        span = (
            "-"
            if row.ci_low is None
            else f"{text(row.ci_low, row.unit)} to {text(row.ci_high, row.unit)}"
        )
        rows.append([row.label + unit, text(row.mean, row.unit), span])
    line = economics.cfo_sentence(
        result.summary()["money"], cur, years, result.baseline, frame.attrs["not_paid_back"]
    )
    return section(
        "Money: bookings, lifetime value, profit and the return on aligning",
        paragraph(_MONEY_NOTE, "note"),
        paragraph(line),
        table(["figure", "mean", "95% interval"], rows),
        image(plots.payback(result), "Cumulative gross profit of aligning minus its cost"),
        image(plots.lifetime_value(result), "From bookings lost to gross profit lost"),
    )


def _funnels(result: Comparison, runs_word: str) -> str:
    """The two funnels, as a table and a figure."""
    funnels = result.summary()["funnels"]
    names = list(dict.fromkeys([result.baseline, result.policy]))
    rows = []
    for k, stage in enumerate(metrics.FUNNEL_STAGES):
        cells: list[object] = [STAGE_LABELS[stage]]
        for name in names:
            count = funnels[name][stage]
            previous = funnels[name][metrics.FUNNEL_STAGES[k - 1]] if k else None
            step = f" ({count / previous:.0%})" if previous else ""
            cells.append(f"{count:,.0f}{step}" if count >= 100 else f"{count:,.1f}{step}")
        rows.append(cells)
    return section(
        "The funnels",
        paragraph(
            f"Marketing's leads reaching each stage, mean per {runs_word} of "
            f"{format_duration(result.horizon_h)} (in brackets: conversion from the previous "
            "stage).",
            "note",
        ),
        table(["stage", *names], rows),
        image(plots.funnel_comparison(result), "The two funnels stage by stage"),
    )


def _speed(ledgers: Mapping[str, Ledger]) -> str:
    first = next(iter(ledgers.values()))
    rows = []
    for name, led in ledgers.items():
        s = metrics.speed_to_lead(led)
        rows.append(
            [
                name,
                "-" if s["median_business_h"] is None else format_duration(s["median_business_h"]),
                "-" if s["p90_business_h"] is None else format_duration(s["p90_business_h"]),
                "-" if s["within_sla"] is None else f"{s['within_sla']:.0%}",
                "-" if s["answered"] is None else f"{s['answered']:.0%}",
            ]
        )
    return section(
        "Speed to lead",
        paragraph(
            f"Replication {first.replication} (seed {first.seed}): time from MQL to the first "
            "call on the leads sales accepted, in business hours. Each policy's 'within the "
            "SLA' counts against its own target, so two policies with different targets are "
            "not measured against the same bar.",
            "note",
        ),
        table(["policy", "median", "P90", "within the SLA", "answered"], rows),
        image(plots.speed_to_lead(ledgers), "Speed to lead of each policy"),
    )


def _decay(scenario: Scenario) -> str:
    return section(
        "Lead decay",
        paragraph(
            "The chance a first call t after the buyer asks still finds them: the share of "
            "buying windows still open times the contact decay, from the scenario's laws, "
            "against the odds ratios of Oldroyd, McElheran and Elkington (HBR, 2011), placed "
            "relative to the model's first hour. When the market counts the decay in the "
            "buyers' working hours (market.buyer_hours), so does the curve, and HBR's 'a day "
            "or later' becomes one to three working days; HBR measured wall-clock delays, in "
            "which a night or a weekend does not age a buyer, so played the way HBR measured "
            "(scenarios/lead-response-study.toml, tests/test_calibration.py) the after-a-day "
            "ratio is lower than the curve's: 59.5x on the default market's decay.",
            "note",
        ),
        image(plots.decay(scenario), "Buyer-window survival against HBR 2011"),
    )


def _about(scenario: Scenario) -> str:
    """The scenario's description and what it assumes, each figure with the field it is
    set by (the source and grade of each figure are in the scenario file's comments)."""
    rows = [[a.topic, a.value, a.field] for a in assumptions(scenario)]
    return section(
        "What the simulation assumes",
        paragraph(scenario.description or f"Scenario {scenario.name}."),
        paragraph(
            "Every figure below is set in the scenario file, in the field named on its row; the "
            "comments beside each field in the file say where the figure comes from (for the "
            "shipped default scenario, docs/calibration.md grades each source: A the "
            "publication, B a named secondary study, C narrative only). Change a figure to "
            "your company's and run the report again.",
            "note",
        ),
        table(["assumption", "value", "scenario field"], rows),
    )


def _method(result: Comparison) -> str:
    """One paragraph of method in plain words."""
    weeks = result.horizon_h / 168.0
    return section(
        "How the figures are made",
        paragraph(
            f"The simulation generates a stream of leads, one by one, with the volumes, deal "
            f"sizes and buying windows above. It then plays both ways of working on exactly "
            f"the same leads: {result.policy} and {result.baseline}. Each lead is scored, "
            "passed on or not, called by a rep when one is free, reached or not, qualified, "
            f"and won or lost. This is repeated {result.replications} times with fresh leads, "
            f"each time over {weeks:g} weeks. The revenue lost is {result.baseline}'s revenue "
            f"minus {result.policy}'s in each repeat, averaged and scaled to a year of 52 "
            "weeks; the 95% interval says how far the average could move with more repeats. "
            "Deals that would close after the last week do not count, so a short run "
            "understates a full year. Nothing is fitted to your results: the figures follow "
            "from the assumptions."
        ),
    )


def _ranking_rows(result: Optimisation) -> list[list[str]]:
    cur = result.currency
    rows = []
    for row in result.ranking:
        o, s = row["objective"], row["recovered_share"]
        rows.append(
            [
                str(row["rank"]),
                ", ".join(f"{n} = {v}" for n, v in row["changes"].items()) or "no change",
                money(o["mean"], cur),
                f"{money(o['ci_low'], cur)} to {money(o['ci_high'], cur)}",
                f"{s['mean']:.0%} ({100 * s['ci_low']:.0f}-{100 * s['ci_high']:.0f}%)",
                money(row["programme_cost"], cur),
                f"{row['prob_best']:.2f}",
            ]
        )
    return rows


def optimise_section(result: Optimisation) -> str:
    """What to do first: the optimiser's answer, the chosen policy as TOML, the ranking with
    intervals and prob_best, the Pareto plot and the winner's split by lever."""
    cur, n = result.currency, result.final_replications
    parts = [
        paragraph(result.summary()[:1].upper() + result.summary()[1:] + "."),
        paragraph(
            f"The optimiser searched {result.space_size:,} policies that change "
            f"{result.from_policy}'s levers ({result.method} search, {result.evaluated:,} "
            f"screened on the same leads, the best few then compared on {n} fresh "
            f"replications), maximising {result.meaning} ({result.unit}; {result.chosen}).",
            "note",
        ),
        paragraph("The chosen policy, ready to paste into the scenario file:"),
        f"<pre>{_e(result.policy_toml())}</pre>",
        paragraph(
            "The best candidates, each with its objective's 95% interval, the share of the "
            f"loss of {result.from_policy} against {result.baseline} it recovers, its "
            "programme cost a year and the probability that it is the best (within "
            f"{money(result.zone, cur)}), all on the same fresh replications:"
        ),
        table(
            [
                *("rank", "changes", "objective a year", "95% interval", "loss recovered"),
                *("programme cost a year", "P(best)"),
            ],
            _ranking_rows(result),
        ),
        paragraph(
            "Each grey point is a candidate's programme cost and what it recovers on the "
            "screening replications; on the line, no cheaper candidate recovers more."
        ),
        image(plots.pareto(result), "Programme cost against what each candidate recovers"),
    ]
    if not result.by_lever.empty:
        rows = [
            [r.label, money(r.recovered, cur), f"{money(r.ci_low, cur)} to {money(r.ci_high, cur)}"]
            for r in result.by_lever.itertuples()
        ]
        parts += [
            paragraph(
                f"Which of the chosen policy's changes recover the bookings it wins back from "
                f"{result.from_policy}, lever group by lever group (exact Shapley values):"
            ),
            table(["lever", "bookings recovered a year", "95% interval"], rows),
        ]
    return section("What to do first: the optimiser's choice", *parts)


def comparison_report(
    result: Comparison,
    ledgers: Mapping[str, Ledger] | None = None,
    scenario: Scenario | None = None,
    engine: str | None = None,
    optimisation: Optimisation | None = None,
) -> str:
    """The report of a comparison, as one HTML document.

    ledgers: the baseline's and the policy's ledgers of one replication, for speed to lead;
    scenario: for the lead-decay curve; optimisation: a result of `alignsim.optimise` for the
    section on what to do first. All optional; nothing is simulated here.
    """
    cur = result.currency
    scale = per_year(result.horizon_h)
    lost = result.summary(unit="per_run")["revenue_lost"]
    runs = (
        f"{result.replications} replication{'s' if result.replications != 1 else ''} of "
        f"{format_duration(result.horizon_h)}"
    )
    context = (
        f"Scenario {result.scenario}: policy {result.policy} against the baseline "
        f"{result.baseline}, {runs}, seed {result.seed}"
        + (f", {engine} engine" if engine else "")
        + ". Both policies play the same leads in each replication (common random numbers)."
    )
    body = [
        '<div class="headline">Revenue lost a year by '
        f"{_e(result.policy)} against {_e(result.baseline)}: "
        f"<strong>{_e(money(lost['mean'] * scale, cur))}</strong><br>"
        f"{_e(_interval(lost['ci_low'], lost['ci_high'], cur, scale))} "
        f"({_e(runs)} scaled to 52 weeks; paired t interval over the replications)</div>",
        *([_about(scenario), _method(result)] if scenario is not None else []),
        *([_levers(result)] if result.lever_replications else []),
        *([optimise_section(optimisation)] if optimisation is not None else []),
        _money(result),
        _causes(result, "replication"),
        _funnels(result, "replication"),
    ]
    if ledgers:
        body.append(_speed(ledgers))
    if scenario is not None:
        body.append(_decay(scenario))
    return page(f"Revenue lost: {result.scenario}", context, body)


def _thresholds(mc: MonteCarlo, lost: np.ndarray) -> list[float]:
    """The batch's own thresholds and round amounts near its P10, P50 and P90 (in the
    runs' unit, per year)."""
    picks = {float(f"{x:.2g}") for x in np.percentile(lost, [10, 50, 90]) if x > 0}
    return sorted(picks | set(mc.thresholds)) or [0.0]


def _batch_money(mc: MonteCarlo) -> str:
    """The money figures over the runs of a batch: mean, P5, P50, P95 and the share of runs
    in which aligning gains (or pays back within the contract years)."""
    cur = mc.currency
    figures = mc.summary()["money"]
    years_note = "within the contract years"
    rows = []
    for name in economics.FIGURES:
        f = figures[name]
        unit = " a year" if name in economics.PER_YEAR else ""

        def text(x: float | None, name: str = name) -> str:
            if x is None or not math.isfinite(x):
                return "-"
            if name == "payback_months":
                return f"{x:.3g} months"
            return f"{x:.3g}" if name == "roi" else economics.three_figures(x, cur)

        if name == "payback_months":
            share = f"{f['finite_share']:.0%} pay back {years_note}"
        else:
            share = f"{f['prob_exceeds']['0']:.0%} above 0"
        rows.append(
            [economics.LABELS[name] + unit]
            + [text(f.get(key)) for key in ("mean", "p5", "p50", "p95")]
            + [share]
        )
    return section(
        "Money: bookings, lifetime value, profit and the return on aligning",
        paragraph(
            _MONEY_NOTE.replace(
                "Intervals are paired 95% t intervals over the replications.",
                "Percentiles are over the runs, each with its own draw of the uncertain inputs.",
            ),
            "note",
        ),
        table(["figure", "mean", "P5", "P50", "P95", "runs"], rows),
    )


def batch_report(batch: MonteCarlo | str | os.PathLike[str]) -> str:
    """The report of a Monte Carlo batch (the object or its output folder), as one HTML document.

    Raises ValueError, in one sentence, for a folder that holds no readable batch.
    """
    mc = plots.read_batch(batch)
    cur = mc.currency
    scale = mc.to_year
    lost = mc.runs["revenue_lost"].to_numpy(float)
    stats = mc.summary()["revenue_lost"]
    n = len(lost)
    runs = f"{n:,} run{'s' if n != 1 else ''} of {format_duration(mc.horizon_h)}"
    names = ", ".join(mc.label(name) for name in mc.inputs) or "none"
    context = (
        f"Scenario {mc.scenario}: policy {mc.policy} against the baseline {mc.baseline}, "
        f"{runs} over uncertain inputs ({mc.design} design, seed {mc.seed}, {mc.engine} "
        f"engine). Each run draws the inputs, then plays both policies on the same leads. "
        f"Uncertain inputs: {names}."
    )
    p5, p95 = stats["p5"] * scale, stats["p95"] * scale
    body = [
        '<div class="headline">Revenue lost a year by '
        f"{_e(mc.policy)} against {_e(mc.baseline)}: "
        f"<strong>{_e(money(stats['mean'] * scale, cur))}</strong> on average<br>"
        f"{_e(_interval(stats['ci_low'], stats['ci_high'], cur, scale))} for the mean; "
        f"90% of runs between {_e(money(p5, cur))} and {_e(money(p95, cur))} "
        f"({_e(runs)} scaled to 52 weeks)</div>",
    ]
    percentile_rows = [
        [label, money(stats[key] * scale, cur)]
        for key, label in (
            ("p5", "P5"),
            ("p10", "P10"),
            ("p50", "P50 (median)"),
            ("p90", "P90"),
            ("p95", "P95"),
            ("mean", "mean"),
            ("min", "smallest run"),
            ("max", "largest run"),
        )
    ]
    if stats.get("std") is not None:
        percentile_rows.append(["standard deviation", money(stats["std"] * scale, cur)])
    exceed_rows = [
        [money(x * scale, cur), money(x, cur), f"{mc.prob_exceeds(x):.0%}"]
        for x in _thresholds(mc, lost)
    ]
    body.append(
        section(
            "How much: the distribution of revenue lost",
            paragraph(
                "Percentiles over the runs (numpy's linear interpolation, as Excel's "
                "PERCENTILE.INC), scaled to a year; and the chance that a run loses more than "
                "each amount.",
                "note",
            ),
            table(["statistic", "revenue lost a year"], percentile_rows),
            table(
                [
                    "threshold a year",
                    f"over the run's {format_duration(mc.horizon_h)}",
                    "chance of losing more",
                ],
                exceed_rows,
            ),
            image(plots.distribution(mc), "Histogram and exceedance curve of revenue lost"),
        )
    )
    if mc.summary()["money"]:
        body.append(_batch_money(mc))
    tornado = _batch_tornado(mc)
    if tornado is not None:
        body.append(tornado)
    result = plots.as_comparison(mc)
    body += [_causes(result, "run"), _funnels(result, "run")]
    return page(f"Revenue lost over uncertain inputs: {mc.scenario}", context, body)


def _batch_tornado(mc: MonteCarlo) -> str | None:
    """The tornado section of a batch report (None without uncertain inputs): each input's
    rank correlation and swing, its label beside the scenario field, colours explained."""
    scale, cur = mc.to_year, mc.currency
    tornado = mc.tornado()
    if tornado.empty:
        return None
    tornado_rows = [
        [
            row.label,
            row.input,
            mc.inputs.get(row.input, {}).get("dist", ""),
            "-" if row.rho is None or not math.isfinite(row.rho) else f"{row.rho:+.2f}",
            money(row.low * scale, cur),
            money(row.high * scale, cur),
            money(row.swing * scale, cur),
        ]
        for row in tornado.itertuples()
    ]
    return section(
        "What drives it: the tornado",
        paragraph(
            "For each uncertain input: its Spearman rank correlation with revenue lost, "
            "and the mean revenue lost a year of the runs with the input in its bottom "
            "and top 10% (the swing is top minus bottom).",
            "note",
        ),
        paragraph(_tornado_note(len(mc.runs)), "note"),
        table(
            [
                "input",
                "scenario field",
                "law",
                "rank correlation",
                "bottom 10%",
                "top 10%",
                "swing",
            ],
            tornado_rows,
        ),
        image(plots.tornado(mc), "Tornado of the uncertain inputs"),
    )


def _tornado_note(runs: int) -> str:
    """The tornado's colours, why its two measures can disagree, and how stable its ranking is
    with this many runs (Spearman's standard error, about 1.03 / sqrt(n - 3), Fieller et al.
    1957)."""
    text = (
        "In the chart a vermillion bar means a higher value of the input loses more revenue, a "
        "blue bar that it loses less; the black line is the mean. The rank correlation uses "
        "every run, the swing only the two extreme tenths, so they can disagree in sign when "
        "an input's effect is small against the runs' own noise or is not monotone."
    )
    if runs <= 3:
        return text
    margin = 1.96 * 1.03 / math.sqrt(runs - 3)
    needed = math.ceil((1.96 * 1.03 / 0.1) ** 2 + 3)
    return (
        f"{text} With {runs} runs a rank correlation is known to about +/-{margin:.2f} (95%): "
        "two inputs closer than that may swap places in another batch. Telling apart "
        f"correlations 0.1 apart takes about {needed} runs."
    )


def scenario_report(
    scenario: Scenario,
    baseline: str | None = None,
    policy: str | None = None,
    replications: int = 30,
    seed: int | None = None,
    horizon: float | None = None,
    engine: str | None = None,
    lever_replications: int | None = None,
    optimisation: Optimisation | None = None,
) -> str:
    """Compare the scenario's policies and report it (see `alignsim.compare` for the options).

    Speed to lead is shown for replication 0, whose ledgers the comparison keeps.
    optimisation: a result of `alignsim.optimise` (or `read_optimisation` of its folder) for
    the section on what to do first.
    """
    pairing = Pairing.of(scenario, baseline, policy, replications, seed, horizon, engine)
    result = run(pairing, ledgers=True, lever_replications=lever_replications)
    return comparison_report(
        result, result.ledgers, scenario, _engine_name(result.ledgers), optimisation
    )


def _engine_name(ledgers: Mapping[str, Ledger]) -> str:
    return next(iter(ledgers.values())).engine


def write_report(text: str, path: str | Path) -> Path:
    """Write the report atomically (a temporary file, then a rename), readable by all."""

    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")
        os.chmod(tmp, 0o644)  # a report is for handing around; mkstemp makes files private

    return write_atomically(Path(path), write)
