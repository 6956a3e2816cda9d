"""The figure of an optimisation: programme cost against what it recovers (never simulates)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.axes import Axes

from .style import OKABE_ITO, money_axis, new_axes, tidy, titled

if TYPE_CHECKING:
    from alignsim.optimiser import Optimisation

__all__ = ["pareto"]


def pareto(result: Optimisation, *, ax: Axes | None = None) -> Axes:
    """Every screened candidate's programme cost and what it recovers a year against the
    policy improved (grey; gross profit for the profit objective, else bookings), the Pareto
    front (no cheaper candidate recovers more) as a line, and the chosen policy (its mean on
    the fresh replications, with its 95% interval)."""
    ax = new_axes(ax)
    frame, c, y = result.pareto, result.currency, result.recovered_column
    ax.scatter(
        frame["programme_cost"],
        frame[y],
        s=8,
        color="#bbbbbb",
        label="candidates (screening replications)",
    )
    front = frame[frame["pareto"]].sort_values("programme_cost")
    ax.step(
        front["programme_cost"],
        front[y],
        where="post",
        color=OKABE_ITO["blue"],
        marker="o",
        markersize=3,
        label="Pareto front",
    )
    best = result.best
    gain = best[y]
    ax.errorbar(
        [best["programme_cost"]],
        [gain["mean"]],
        yerr=[[gain["mean"] - gain["ci_low"]], [gain["ci_high"] - gain["mean"]]],
        color=OKABE_ITO["vermillion"],
        marker="D",
        capsize=3,
        label="chosen (fresh replications, 95% interval)",
    )
    money_axis(ax.xaxis, c)
    money_axis(ax.yaxis, c)
    ax.set_xlabel("programme cost a year")
    what = y.replace("_", " ")
    ax.set_ylabel(f"{what} a year against {result.from_policy}")
    titled(
        ax,
        "What each programme buys",
        f"{result.scenario}: {result.evaluated:,} candidates, objective {result.objective}",
    )
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    tidy(ax)
    return ax
