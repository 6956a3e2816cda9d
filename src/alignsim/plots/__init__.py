"""Figures of alignsim results, one function per figure: `plot_x(result, *, ax=None) -> Axes`.

Plots take results and never simulate: a Comparison (`funnel_comparison`, `by_lever`, `by_leak`;
`attribution` is by_leak's old name, deprecated), the
frame of `alignsim.sweep` (`sweep`), ledgers (`speed_to_lead`, `weekly`), a scenario or lead
stream (`decay`), an optimisation (`pareto`), a Monte Carlo batch or its folder (`distribution`, `tornado`; a batch also
gives `by_leak` and `funnel_comparison`, over its runs), a Comparison's money (`payback`, the
cumulative return of aligning month by month; `lifetime_value`, bookings to gross profit). Pass `ax=` to draw into your own
figure; without it each plot makes a new pyplot-free Figure (safe in a web server) whose Axes
a notebook displays as the figure. `new_axes()` gives such an Axes for figures of your own.

    import alignsim
    result = alignsim.compare(alignsim.load("scenarios/default.toml"), replications=10)
    alignsim.plots.by_lever(result)
"""

from __future__ import annotations

from .comparison import attribution, by_leak, by_lever, funnel_comparison, sweep
from .decay import decay
from .ledger import speed_to_lead, weekly
from .money import lifetime_value, payback
from .monte_carlo import as_comparison, distribution, read_batch, tornado
from .optimise import pareto
from .style import OKABE_ITO, PlotAxes, figure_png, money, new_axes

__all__ = [
    "OKABE_ITO",
    "PlotAxes",
    "as_comparison",
    "attribution",
    "by_leak",
    "by_lever",
    "decay",
    "distribution",
    "figure_png",
    "funnel_comparison",
    "lifetime_value",
    "money",
    "new_axes",
    "pareto",
    "payback",
    "read_batch",
    "speed_to_lead",
    "sweep",
    "tornado",
    "weekly",
]
