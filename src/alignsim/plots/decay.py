"""Lead decay: the chance a first call reaches the buyer, by delay, against HBR 2011.

The chance that a first call at time t after a lead asks still finds the buyer's window open
is S(t) = P(patience > t); the market's contact decay D(t) (MODEL.md 6.1, the survival curve
of `market.contact_decay`, 1 without one) scales the reach chance. Qualifying and winning do
not depend on how late the call comes, so the odds of qualifying on a first call at t,
relative to a first call in the first hour, are S(t) D(t) over the mean of S D over [0, 1 h). Oldroyd, McElheran and Elkington ("The Short Life of Online Sales Leads", HBR,
March 2011; CALIBRATION.md, grade A) measured those odds: nearly 7x lower in the second hour,
more than 60x lower at 24 hours or later (averaged here over 24-72 h). The figure puts both
on one axis: the HBR points sit at the model's first-hour level divided by 7 and by 60.
When the market counts the decay in the buyers' working hours (`market.buyer_hours`), so does
the time axis, and "24 hours or later" becomes one to three of the buyers' working days.

S(t) comes from the scenario's patience laws (by temperature, mixed by the temperature shares
of marketing's sources weighted by their rates) and D(t) from its contact decay law, both by
quadrature: each law's quantile function at the midpoints of N equal slices of (0, 1), so no
random number is drawn. A lead stream gives S from the patience it drew (an empirical survival
curve); it holds no contact decay (D = 1: pass the scenario to see it).
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from alignsim.scenario import OWNERS, TEMPERATURES, Scenario
from alignsim.stream import LeadStream
from alignsim.units import format_duration

from .style import OKABE_ITO, TEMPERATURE_COLOURS, new_axes, tidy, titled

__all__ = ["HBR_2011", "decay", "survival"]

QUADRATURE_POINTS = 20_000
"""Slices of (0, 1) at whose midpoints a patience law's quantile function is evaluated:
survival is exact to 1 / QUADRATURE_POINTS."""

HBR_2011 = {"second hour": 7.0, "24 hours or later": 60.0}
"""How many times lower the odds of qualifying a lead are than with a first call inside the
first hour (Oldroyd, McElheran, Elkington, HBR 2011: "nearly 7x", "more than 60x")."""

LATE_H = (24.0, 72.0)
"""The window of HBR's "24 hours or later" over which the model's chance is averaged."""

_GRID_H = np.geomspace(1 / 60, 8 * 168, 400)


def _laws(source: Scenario | LeadStream) -> tuple[dict[str, np.ndarray], dict[str, float], str]:
    """Sorted patience values per temperature, the temperature weights, and a label; under
    the key "decay" (not a temperature) the contact decay law's sorted values, if any."""
    if isinstance(source, Scenario):
        u = (np.arange(QUADRATURE_POINTS) + 0.5) / QUADRATURE_POINTS
        patience = source.market.patience
        samples = {t: np.sort(getattr(patience, t).from_uniform(u)) for t in TEMPERATURES}
        if source.market.contact_decay is not None:
            samples["decay"] = np.sort(source.market.contact_decay.from_uniform(u))
        inbound = [s for s in source.market.sources.values() if s.owner == "marketing"]
        weights = {t: 0.0 for t in TEMPERATURES}
        for s in inbound or list(source.market.sources.values()):
            for k, t in enumerate(TEMPERATURES):
                weights[t] += s.rate * float(s.temperature.shares[k])
        return samples, weights, f"the patience laws of {source.name}"
    if isinstance(source, LeadStream):
        inbound = source.owner == OWNERS.index("marketing")
        chosen = inbound if inbound.any() else np.ones(len(source), dtype=bool)
        samples, weights = {}, {}
        for k, t in enumerate(TEMPERATURES):
            drawn = source.patience[chosen & (source.temperature == k)]
            samples[t] = np.sort(drawn)
            weights[t] = float(len(drawn))
        return samples, weights, f"{int(chosen.sum()):,} leads drawn (seed {source.seed})"
    raise TypeError(
        f"decay: expected a Scenario or a LeadStream, got {type(source).__name__} "
        "(a ledger keeps no patience; pass the scenario)"
    )


def _survival(sorted_values: np.ndarray, t: np.ndarray) -> np.ndarray:
    if len(sorted_values) == 0:
        return np.full(len(t), np.nan)
    return 1.0 - np.searchsorted(sorted_values, t, side="right") / len(sorted_values)


def _curves(
    samples: dict[str, np.ndarray], weights: dict[str, float], t: np.ndarray
) -> dict[str, np.ndarray]:
    contact = _survival(samples["decay"], t) if "decay" in samples else np.ones(len(t))
    out = {name: _survival(samples[name], t) * contact for name in TEMPERATURES}
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("decay: no leads to weigh the temperatures by")
    mixed = np.zeros(len(t))
    for name in TEMPERATURES:
        if weights[name] > 0:
            mixed += weights[name] / total * out[name]
    out["mixed"] = mixed
    return out


def survival(source: Scenario | LeadStream, hours: np.ndarray) -> dict[str, np.ndarray]:
    """P(window still open at t) times the contact decay D(t), for t in `hours`: per
    temperature and "mixed" (weighted by the temperature shares of marketing's leads)."""
    samples, weights, _ = _laws(source)
    return _curves(samples, weights, np.asarray(hours, dtype=float))


def _late(source: Scenario | LeadStream) -> tuple[float, float]:
    """HBR's "24 hours or later" (capped at three days) on the curve's clock: 24-72 h of the
    wall clock, or one to three of the buyers' working days when the market counts the decay
    in them (`market.buyer_hours`)."""
    if isinstance(source, Scenario) and source.market.buyer_hours is not None:
        day = source.market.buyer_hours.close - source.market.buyer_hours.open
        return day, 3 * day
    return LATE_H


def _ratios(
    samples: dict[str, np.ndarray], weights: dict[str, float], late_h: tuple[float, float]
) -> tuple[float, ...]:
    """The mean of S over the first hour, and how many times lower its mean is over the
    second hour and over `late_h` (HBR's "24 hours or later", capped at three days)."""

    def mean(start: float, end: float) -> float:
        t = start + (end - start) * (np.arange(960) + 0.5) / 960  # midpoint rule
        return float(_curves(samples, weights, t)["mixed"].mean())

    first, second, late = mean(0, 1), mean(1, 2), mean(*late_h)
    return first, first / second if second > 0 else np.inf, first / late if late > 0 else np.inf


def decay(result: Scenario | LeadStream, *, ax: Axes | None = None) -> Axes:
    """The chance a first call t after the lead asks finds the window open, times the contact
    decay (log-log), by temperature and mixed, with the HBR 2011 odds ratios placed relative
    to the model's first hour.

    result: a Scenario (its patience and contact decay laws) or a LeadStream (the patience it
    drew).
    """
    samples, weights, label = _laws(result)
    curves = _curves(samples, weights, _GRID_H)
    late_h = _late(result)
    buyers_clock = late_h != LATE_H
    late_text = "1-3 working days" if buyers_clock else "24-72 h"
    anchor, second, day = _ratios(samples, weights, late_h)
    ax = new_axes(ax)
    total = sum(weights.values())
    for name in TEMPERATURES:
        if weights[name] > 0:
            ax.plot(
                _GRID_H,
                curves[name],
                color=TEMPERATURE_COLOURS[name],
                lw=1,
                label=f"{name} ({weights[name] / total:.0%} of inbound leads)",
            )
    ax.plot(
        _GRID_H,
        curves["mixed"],
        color=OKABE_ITO["black"],
        lw=2.2,
        label=f"all inbound leads: {second:.1f}x lower in hour 2, {day:.1f}x at {late_text}",
    )
    hbr_x = np.array([0.5, 1.5, float(np.sqrt(late_h[0] * late_h[1]))])
    hbr_y = anchor / np.array([1.0, HBR_2011["second hour"], HBR_2011["24 hours or later"]])
    ax.plot(
        hbr_x,
        hbr_y,
        ls="none",
        marker="D",
        ms=7,
        color=OKABE_ITO["reddish purple"],
        label="HBR 2011: 7x lower in hour 2, 60x at 24 h+ (relative to hour 1)",
    )
    names = ("hour 1", "hour 2: 1/7", f"{late_text}: 1/60")
    for x, y, text in zip(hbr_x, hbr_y, names, strict=True):
        ax.annotate(text, (x, y), xytext=(6, 4), textcoords="offset points", fontsize=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    finite = curves["mixed"][np.isfinite(curves["mixed"]) & (curves["mixed"] > 0)]
    low = min(float(hbr_y.min()), float(finite.min()) if len(finite) else 1.0)
    ax.set_ylim(low * 0.5, 1.3)
    ticks = [1 / 60, 0.25, 1, 4, 24, 168, 1344]
    ax.set_xticks(ticks, [format_duration(t) for t in ticks])
    ax.minorticks_off()
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}" if v >= 0.01 else f"{v:.1%}")
    clock = "the buyers' working hours" if buyers_clock else "wall clock"
    ax.set_xlabel(f"time since the lead asked ({clock}, log scale)")
    ax.set_ylabel("buyer windows still open (log scale)")
    ax.legend(frameon=False, fontsize=7, loc="lower left")
    tidy(ax)
    titled(
        ax,
        "Lead decay: the chance a first call still finds the buyer, against HBR 2011",
        f"from {label}",
    )
    return ax
