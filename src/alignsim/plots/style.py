"""What every alignsim figure shares: the palette, money on axes, a figure without pyplot.

Figures are built on `matplotlib.figure.Figure`, never through pyplot, so no global figure
registry grows (safe in a web server or a Streamlit page) and nothing is shown behind the
caller's back. A plot made without `ax=` returns a `PlotAxes`, an ordinary Axes that also
knows how to show its figure as a PNG: a notebook displays the figure when a plot call is the
cell's last expression, with no `%matplotlib` magic and no pyplot.
"""

from __future__ import annotations

import io

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from alignsim.units import RATE_PERIODS, format_money

HOURS_PER_YEAR = RATE_PERIODS["year"]
"""52 weeks: what "a year" scales a horizon's figures to (as the CLI's compare table does)."""

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "grey": "#999999",
}
"""The Okabe-Ito palette (Okabe and Ito, 2008), told apart with every common colour-vision
deficiency; grey is added for neutral elements."""

BASELINE_COLOUR = OKABE_ITO["blue"]
"""The baseline policy (usually `aligned`) in every figure."""

POLICY_COLOUR = OKABE_ITO["vermillion"]
"""The compared policy (usually `current`) in every figure."""

SERIES_COLOURS = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish green"],
    OKABE_ITO["orange"],
    OKABE_ITO["reddish purple"],
    OKABE_ITO["sky blue"],
    OKABE_ITO["black"],
)
"""Colours for several policies or series, in order."""

CAUSE_COLOURS = {
    "response delay": OKABE_ITO["vermillion"],
    "too few contact attempts": OKABE_ITO["orange"],
    "definition mismatch": OKABE_ITO["reddish purple"],
    "no nurture": OKABE_ITO["bluish green"],
    "capacity / goal conflict": OKABE_ITO["sky blue"],
    "deal luck and timing": OKABE_ITO["grey"],
}
"""One stable colour per cause of revenue lost (alignsim.comparison.CAUSES)."""

LEVER_COLOURS = {
    "response": OKABE_ITO["vermillion"],
    "persistence": OKABE_ITO["orange"],
    "definitions": OKABE_ITO["reddish purple"],
    "nurture": OKABE_ITO["bluish green"],
    "goals": OKABE_ITO["sky blue"],
    "staffing": OKABE_ITO["yellow"],
    "post_sale": OKABE_ITO["blue"],
}
"""One stable colour per lever group (alignsim.levers.GROUPS)."""


def policy_colours(names: list[str], baseline: str | None = None) -> dict[str, str]:
    """A stable colour per policy: the baseline (default "aligned") blue, the first other
    policy vermillion, then the rest of SERIES_COLOURS in order."""
    first = baseline if baseline in names else ("aligned" if "aligned" in names else None)
    others = iter(SERIES_COLOURS[1:] * (1 + len(names) // len(SERIES_COLOURS)))
    return {name: BASELINE_COLOUR if name == first else next(others) for name in names}


TEMPERATURE_COLOURS = {
    "cold": OKABE_ITO["sky blue"],
    "warm": OKABE_ITO["orange"],
    "hot": OKABE_ITO["vermillion"],
}

STAGE_LABELS = {
    "leads": "Leads",
    "mql": "MQL",
    "routed": "Routed",
    "sal": "SAL",
    "reached": "Reached",
    "sql": "SQL",
    "won": "Won",
}
"""How the funnel's stages (alignsim.metrics.FUNNEL_STAGES) are written on axes."""


class PlotAxes(Axes):
    """Axes of a figure alignsim made: shows the whole figure as a PNG in Jupyter."""

    def _repr_png_(self) -> bytes:
        return figure_png(self.figure)


def new_axes(ax: Axes | None = None, size: tuple[float, float] = (8.0, 4.5)) -> Axes:
    """`ax` itself, or the Axes of a new pyplot-free Figure of `size` inches."""
    if ax is not None:
        return ax
    figure = Figure(figsize=size, layout="constrained")
    return figure.add_subplot(axes_class=PlotAxes)


def figure_png(figure: object, dpi: int = 110) -> bytes:
    """A figure rendered as PNG bytes (Agg, whatever the session's backend)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)  # type: ignore[attr-defined]
    return buffer.getvalue()


def money(amount: float, currency: str) -> str:
    """A sum of money, short, to 3 significant figures: 'EUR 2.95 M', 'EUR 840 k',
    'EUR 9,510', '-EUR 12.0 k' (alignsim.units.format_money)."""
    return format_money(amount, currency)


def money_axis(axis: object, currency: str) -> None:
    """Label an axis's ticks as money in `currency` (pass ax.yaxis or ax.xaxis)."""
    axis.set_major_formatter(  # type: ignore[attr-defined]
        FuncFormatter(lambda value, _pos: money(value, currency))
    )


def titled(ax: Axes, title: str, subtitle: str | None = None) -> None:
    """A title that says what the figure shows, and an optional smaller line of context."""
    ax.set_title(title if subtitle is None else f"{title}\n{subtitle}", loc="left", fontsize=11)


def tidy(ax: Axes) -> None:
    """Light frame: no top and right spines, a faint grid behind the data."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_axisbelow(True)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)


def per_year(horizon_h: float) -> float:
    """The factor that turns a figure over `horizon_h` hours into a figure per year."""
    return HOURS_PER_YEAR / horizon_h
