"""The page's charts, drawn by the browser (Vega-Lite through altair, Streamlit's own charting
library), sized for a projector: 20 px text and more, dark text on white (WCAG AA), values
written on the bars, and drawn as SVG so every label can be read (and tested) as text.

- `lever_chart`: revenue lost a year by misalignment (the split by lever), the main chart;
- `funnel_chart`: marketing's funnel a year, stage by stage, on a linear scale, each bar with
  its count;
- `causes_chart`: revenue lost a year by where the deals were lost (the split by leak).

`alignsim.plots` draws the same figures with matplotlib for reports.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from alignsim import metrics
from alignsim.comparison import Comparison
from alignsim.levers import LEVER_LABELS
from alignsim.plots.style import BASELINE_COLOUR, CAUSE_COLOURS, POLICY_COLOUR, STAGE_LABELS
from alignsim.workshop import words
from alignsim.workshop.figures import HOURS_PER_YEAR, money

__all__ = ["FONT_PX", "TEXT_COLOUR", "causes_chart", "funnel_chart", "lever_chart"]

FONT_PX = 20
"""Smallest text on a chart (pixels): legible from the back of a room at 1024x768."""
TITLE_PX = 24
TEXT_COLOUR = "#1a1a1a"
"""Chart text: 17:1 contrast on white."""
GAIN_COLOUR = BASELINE_COLOUR
LOSS_COLOUR = POLICY_COLOUR
BAR_PX = 30
LABEL_PX = 290
"""Room for the category labels of a horizontal bar chart."""


def _styled(chart: alt.Chart | alt.LayerChart) -> alt.Chart | alt.LayerChart:
    """Projector type sizes and colours; SVG so the text is text (vega-embed reads
    usermeta.embedOptions)."""
    return (
        chart.configure(font="sans-serif")
        .configure_axis(
            labelFontSize=FONT_PX,
            titleFontSize=FONT_PX,
            labelColor=TEXT_COLOUR,
            titleColor=TEXT_COLOUR,
            labelLimit=LABEL_PX,
            grid=False,
        )
        .configure_legend(labelFontSize=FONT_PX, titleFontSize=FONT_PX, labelColor=TEXT_COLOUR)
        .configure_title(fontSize=TITLE_PX, color=TEXT_COLOUR, anchor="start")
        .configure_text(fontSize=FONT_PX, color=TEXT_COLOUR)
        .configure_view(stroke=None)
        .properties(
            padding={"left": 5, "top": 10, "right": 10, "bottom": 5},
            usermeta={"embedOptions": {"renderer": "svg", "actions": False}},
        )
    )


def _bars(frame: pd.DataFrame, y: str, x: str, title: str, colour: alt.Color) -> alt.LayerChart:
    """Horizontal bars with their value written beside them (room left for it)."""
    top = max(float(frame[x].max()), 0.0)
    low = min(float(frame[x].min()), 0.0)
    span = (top - low) or 1.0
    scale = alt.Scale(domain=[low - 0.02 * span, top + 0.75 * span], nice=False)
    order = list(frame[y])
    base = alt.Chart(frame, title=title, height=alt.Step(BAR_PX + 8)).encode(
        y=alt.Y(f"{y}:N", sort=order, title=None),
        x=alt.X(f"{x}:Q", scale=scale, title=None, axis=None),
        tooltip=[alt.Tooltip("tool:N", title="in the tool"), alt.Tooltip("shown:N", title="")],
    )
    bars = base.mark_bar(size=BAR_PX).encode(color=colour)
    text = base.mark_text(align="left", dx=6, baseline="middle").encode(
        x=alt.X(f"{x}:Q", scale=scale), text="shown:N"
    )
    return alt.layer(bars, text)


def lever_chart(result: Comparison) -> alt.LayerChart:
    """Revenue lost a year by misalignment (exact Shapley values over the lever groups,
    `Comparison.by_lever`); a negative bar is revenue that setting wins back."""
    scale = HOURS_PER_YEAR / result.horizon_h
    levers = result.by_lever()
    amounts = levers["amount"].to_numpy(float) * scale
    frame = pd.DataFrame(
        {
            "lever": [words.LEVERS[g] for g in levers["lever"]],
            "lost a year": amounts,
            "shown": [money(a, result.currency) for a in amounts],
            "tool": [f"lever group: {LEVER_LABELS[g]}" for g in levers["lever"]],
            "sign": ["gain" if a < 0 else "loss" for a in amounts],
        }
    )
    colour = alt.Color(
        "sign:N",
        scale=alt.Scale(domain=["loss", "gain"], range=[LOSS_COLOUR, GAIN_COLOUR]),
        legend=None,
    )
    title = f"Where the loss comes from ({result.currency} a year)"
    return _styled(_bars(frame, "lever", "lost a year", title, colour))


def funnel_chart(result: Comparison) -> alt.LayerChart:
    """Marketing's leads a year at each stage, the baseline's bar above the policy's, on a
    linear scale with each count written beside its bar."""
    scale = HOURS_PER_YEAR / result.horizon_h
    funnels = result.summary(unit="per_run")["funnels"]
    names = [result.baseline, result.policy]
    rows = [
        {
            "stage": words.STAGES[stage],
            "policy": name,
            "a year": funnels[name][stage] * scale,
            "shown": f"{funnels[name][stage] * scale:,.0f}",
            "tool": f"{STAGE_LABELS[stage]} ({name})",
        }
        for stage in metrics.FUNNEL_STAGES
        for name in names
    ]
    frame = pd.DataFrame(rows)
    top = float(frame["a year"].max()) or 1.0
    x_scale = alt.Scale(domain=[0, top * 1.5], nice=False)
    order = [words.STAGES[s] for s in metrics.FUNNEL_STAGES]
    base = alt.Chart(frame, title="Marketing's leads a year, stage by stage").encode(
        y=alt.Y("stage:N", sort=order, title=None),
        yOffset=alt.YOffset("policy:N", sort=names),
        x=alt.X("a year:Q", scale=x_scale, title=None, axis=None),
        tooltip=[alt.Tooltip("tool:N", title="in the tool"), alt.Tooltip("shown:N", title="")],
    )
    colour = alt.Color(
        "policy:N",
        sort=names,
        scale=alt.Scale(domain=names, range=[BASELINE_COLOUR, POLICY_COLOUR]),
        legend=alt.Legend(orient="top", title=None, symbolSize=300),
    )
    bars = base.mark_bar().encode(color=colour)
    text = base.mark_text(align="left", dx=6, baseline="middle").encode(text="shown:N")
    chart = alt.layer(bars, text).properties(height=alt.Step(BAR_PX))
    return _styled(chart)


def causes_chart(result: Comparison) -> alt.LayerChart:
    """Revenue lost a year by where the deals were lost (negative: revenue the policy wins and
    the baseline not)."""
    scale = HOURS_PER_YEAR / result.horizon_h
    causes = result.by_leak()
    amounts = causes["amount"].to_numpy(float) * scale
    order = list(causes["cause"])
    frame = pd.DataFrame(
        {
            "cause": order,
            "lost a year": amounts,
            "shown": [money(a, result.currency) for a in amounts],
            "tool": order,
        }
    )
    colour = alt.Color(
        "cause:N",
        scale=alt.Scale(domain=order, range=[CAUSE_COLOURS[c] for c in order]),
        legend=None,
    )
    title = f"Where the deals were lost ({result.currency} a year)"
    return _styled(_bars(frame, "cause", "lost a year", title, colour))
