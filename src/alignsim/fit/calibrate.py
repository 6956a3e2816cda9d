"""The chances (reach, qualify, win) as lines in fit, calibrated by simulation.

An export shows each chance averaged over the leads the current policy worked, never how it
rises with a lead's fit with the ideal customer profile (no export carries the true fit).
The model lets it rise, and the current policy works mostly high-fit leads, so a flat chance
at the export's average overstates every low-fit lead the aligned policy would work (on the
shipped sample the loss leaned high: 11.8 M against the true 9.25 M).

So each chance is written as a line [at fit 0, at fit 1] with the defaults' shape (their
ratio of each end to the middle: the slope is a default, listed as one) and its level
calibrated by simulation (indirect inference): the fitted scenario's current policy is
simulated over the export's span in steady state, the same statistics are computed on the
simulated leads as on the export (`statistics`: the reach intercept given the fitted decay
curve, the SQL share of reached leads, the won share of closed deals, by temperature), and
each level is set to the export's statistic times the ratio level / statistic pooled over
the rounds played (the statistic is close to proportional to the level; pooling averages
the simulation's noise). A few rounds on the same lead streams (common random numbers)
settle. Written here because the statistics are the fit's own; the engine does the work.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alignsim.fit.decay import FIRST_CALL
from alignsim.fit.document import midpoint
from alignsim.scenario import MAX_HORIZON_WEEKS, TEMPERATURES, validate

KEYS = ("reach", "qualify", "win")
ITERATIONS = 4
"""Calibration rounds. The largest relative gap export / simulated - 1 of the last round
(before its update) was 0.5-5% in the fits measured: the simulation noise of the smallest
groups (cold deals)."""
SIMULATED_LEADS = 20
"""Simulate the export's span this many times (replications), so the simulated estimates'
noise is a fraction of the export's own (1 / sqrt(20): a 5% wider interval on the levels)..."""
MAX_LEADS = 400_000
"""... but no more than about this many simulated leads per round (a large export needs fewer
replications for the same precision)."""


@dataclass(frozen=True)
class Calibration:
    """The calibrated lines and, per round, the largest relative gap export / simulated - 1."""

    lines: dict[str, dict[str, list[float]]]
    gaps: list[float]
    replications: int


def line(shape: Any, level: float) -> list[float]:
    """A chance line with the shape of `shape` (a number or [at fit 0, at fit 1]) and middle
    `level`, kept inside [0, 1] (capped at 1 at fit 1, the middle kept where it can be)."""
    lo, hi = (shape, shape) if not isinstance(shape, list) else shape
    mid = midpoint(shape)
    level = float(min(max(level, 0.0), 1.0))
    if mid <= 0:
        return [level, level]
    a, b = level * lo / mid, level * hi / mid
    if b > 1.0:
        a, b = max(2 * level - 1.0, 0.0), 1.0
    return [round(float(a), 6), round(float(b), 6)]


def simulated_export(frame: pd.DataFrame, start: float, span: float) -> tuple:
    """A ledger's leads created in [start, start + span] as an export shows them at its end
    (later times blank), and their deals (won, lost or open), in the fit's columns."""
    end = start + span
    f = frame[(frame["created"] >= start) & (frame["created"] <= end)].copy()
    for col in ("created", "mql", "routed", "first_attempt", "reached", "sql", "closed"):
        f[col] = f[col].where(f[col] <= end) - start
    f["temperature"] = f["temperature"].astype(str)
    f["opportunity"] = f["lead"].where(f["sql"].notna())
    deals = f[f["sql"].notna()]
    won = deals["outcome"].astype(str).eq("won") & deals["closed"].notna()
    state = np.where(won, "won", np.where(deals["closed"].notna(), "lost", "open"))
    deals = pd.DataFrame({"id": deals["lead"].to_numpy(), "state": state})
    return f, deals


def statistics(
    leads: pd.DataFrame, deals: pd.DataFrame | None, as_of: float, curve: Any
) -> dict[tuple[str, str], tuple[float, int]]:
    """The chances' statistics on canonical leads and deals, the same on the export and on a
    simulated export: (key, temperature) -> (value, leads or deals behind it).

    reach: first attempts that reached over the sum of D(delay) S_T(delay) of the attempted
    leads (`curve`: the fitted decay and the windows held fixed; the reach intercept's moment
    estimate, consistent like the decay fit's, without its optimisation); qualify: the SQL share of leads reached a day
    before the export; win: the won share of closed deals."""
    out: dict[tuple[str, str], tuple[float, int]] = {}
    temps = leads["temperature"] if "temperature" in leads else pd.Series("", leads.index)
    if curve is not None and {"first_attempt", "reached"} <= set(leads):
        tried = leads["first_attempt"].notna() & (leads["first_attempt"] < as_of - FIRST_CALL)
        f = leads[tried]
        hit = (f["reached"] <= f["first_attempt"] + FIRST_CALL).to_numpy(float)
        weight = curve((f["first_attempt"] - f["created"]).to_numpy(float), temps[tried])
        for t in TEMPERATURES:
            mask = (temps[tried] == t).to_numpy()
            if mask.sum() >= 10:
                out[("reach", t)] = (hit[mask].sum() / weight[mask].sum(), int(mask.sum()))
    if {"reached", "sql"} <= set(leads):
        done = leads["reached"].notna() & (leads["reached"] < as_of - 24)
        for t in TEMPERATURES:
            group = leads.loc[done & (temps == t), "sql"]
            if len(group) >= 10:
                out[("qualify", t)] = (float(group.notna().mean()), len(group))
    if deals is not None and {"opportunity", "temperature"} <= set(leads):
        linked = leads.dropna(subset=["opportunity"])
        temp = pd.Series(linked["temperature"].to_numpy(), index=linked["opportunity"])
        closed = deals[deals["state"] != "open"]
        of = closed["id"].map(temp[~temp.index.duplicated()])
        for t in TEMPERATURES:
            won = closed.loc[(of == t).to_numpy(), "state"].eq("won")
            if len(won) >= 5:
                out[("win", t)] = (float(won.mean()), len(won))
    return out


def calibrate(
    doc: dict[str, Any],
    export: tuple[pd.DataFrame, pd.DataFrame | None, float],
    from_data: set[tuple[str, ...]],
    shapes: dict[str, dict[str, Any]],
    curve: Any,
) -> Calibration | None:
    """Lines for the chances in `from_data` ((key, temperature) the export estimated), with
    `shapes` (the defaults' lines) and levels calibrated so that the fitted scenario's current
    policy, simulated over the export's span (at most the longest run), shows the export's
    `statistics`. `export`: canonical leads, deals and the export date (hours); `curve`:
    `DecayFit.chance` or None. None when no statistic can be computed."""
    leads, deals, as_of = export
    found = statistics(leads, deals, as_of, curve)
    want = {k: v for k, (v, _) in found.items() if k in from_data and v > 0}
    if not want:
        return None
    span = min(max(as_of - float(leads["created"].min()), 168.0), MAX_HORIZON_WEEKS * 168.0)
    reps = int(max(1, min(SIMULATED_LEADS, MAX_LEADS // max(len(leads), 1))))
    level = dict(want)
    played = {k: [0.0, 0.0] for k in want}  # sums of the levels played and of their statistics
    gaps: list[float] = []
    trial = copy.deepcopy(doc)
    for _ in range(ITERATIONS):
        for (key, t), value in level.items():
            trial["market"][key][t] = line(shapes[key][t], value)
        simulated = _simulate(validate(trial, "fitted"), span, reps, curve)
        gap = 0.0
        for k, target in want.items():
            got = simulated.get(k, np.nan)
            if np.isfinite(got) and got > 0:
                gap = max(gap, abs(target / got - 1))
                played[k][0] += level[k]
                played[k][1] += got
                level[k] = min(target * played[k][0] / played[k][1], 1.0)
        gaps.append(gap)
    lines: dict[str, dict[str, list[float]]] = {key: {} for key in KEYS}
    for (key, t), value in level.items():
        lines[key][t] = line(shapes[key][t], value)
    return Calibration(lines, gaps, reps)


def _simulate(scenario: Any, span: float, replications: int, curve: Any) -> dict[tuple, float]:
    """The statistics of the current policy's simulated exports of `span` hours, one per
    replication (each a steady-state window, censored like the export), pooled weighted by
    their counts."""
    from alignsim.simulation import simulate

    total: dict[tuple, list[float]] = {}
    for r in range(replications):
        ledger = simulate(scenario, "current", replication=r, horizon=span)
        leads, deals = simulated_export(ledger.frame, ledger.book.stream.window[0], span)
        for k, (value, n) in statistics(leads, deals, span, curve).items():
            acc = total.setdefault(k, [0.0, 0.0])
            acc[0] += value * n
            acc[1] += n
    return {k: s / n for k, (s, n) in total.items() if n > 0}
