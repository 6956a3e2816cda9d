"""The page's two charts, drawn by the browser (Vega-Lite through altair, Streamlit's own
charting library): the funnels side by side and the revenue lost by cause, both per year.

`alignsim.plots` draws the same figures with matplotlib for reports; rendering those as
images takes longer than the page's whole answer, so the page shows them only on request.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from alignsim import metrics
from alignsim.comparison import Comparison
from alignsim.plots.style import BASELINE_COLOUR, CAUSE_COLOURS, POLICY_COLOUR, STAGE_LABELS
from alignsim.workshop.figures import HOURS_PER_YEAR, money

__all__ = ["causes_chart", "funnel_chart"]


def funnel_chart(result: Comparison) -> alt.Chart:
    """Marketing's funnel per year, stage by stage, the baseline's bar beside the policy's."""
    scale = HOURS_PER_YEAR / result.horizon_h
    funnels = result.summary()["funnels"]
    names = [result.baseline, result.policy]
    stages = list(metrics.FUNNEL_STAGES)
    frame = pd.DataFrame(
        [
            {
                "stage": STAGE_LABELS[stage],
                "policy": name,
                "leads a year": funnels[name][stage] * scale,
            }
            for name in names
            for stage in stages
        ]
    )
    order = [STAGE_LABELS[s] for s in stages]
    return (
        alt.Chart(frame, title="Funnel of marketing's leads, a year")
        .mark_bar()
        .encode(
            x=alt.X("stage:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("policy:N", sort=names),
            y=alt.Y("leads a year:Q", scale=alt.Scale(type="symlog"), title="leads a year"),
            color=alt.Color(
                "policy:N",
                sort=names,
                scale=alt.Scale(domain=names, range=[BASELINE_COLOUR, POLICY_COLOUR]),
                legend=alt.Legend(orient="top", title=None),
            ),
            tooltip=["policy", "stage", alt.Tooltip("leads a year:Q", format=",.0f")],
        )
    )


def causes_chart(result: Comparison) -> alt.Chart:
    """Revenue lost a year by cause (negative: revenue the policy wins and the baseline not)."""
    scale = HOURS_PER_YEAR / result.horizon_h
    causes = result.by_leak()
    frame = pd.DataFrame(
        {
            "cause": causes["cause"],
            "lost a year": causes["amount"] * scale,
            "amount": [money(a * scale, result.currency) for a in causes["amount"]],
        }
    )
    order = list(causes["cause"])
    return (
        alt.Chart(frame, title=f"Revenue lost a year by cause ({result.currency})")
        .mark_bar()
        .encode(
            y=alt.Y("cause:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("lost a year:Q", title=f"revenue lost a year ({result.currency})"),
            color=alt.Color(
                "cause:N",
                scale=alt.Scale(domain=order, range=[CAUSE_COLOURS[c] for c in order]),
                legend=None,
            ),
            tooltip=["cause", "amount"],
        )
    )
