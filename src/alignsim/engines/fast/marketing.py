"""Marketing's week in the fast engine (simpy_engine.Marketing): the threshold and noise in
force in a week, and marketing's scoring of a lead.

Only completed weeks move the threshold and the noise, so they are computed once a week, when
first asked for, and kept in the state (`State.thresholds`, `heard`, `said`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from alignsim.engines.fast.inputs import Book, Leads, Params
from alignsim.engines.fast.state import State
from alignsim.engines.rules import learned_noise, marketing_calls_it_mql, next_threshold, true_score


@njit(cache=True, _nrt=False)
def threshold(
    week: int,
    thresholds: np.ndarray,
    known: np.ndarray,
    mqls: np.ndarray,
    mql_volume: bool,
    weekly_target: float,
    step: float,
) -> float:
    """Marketing.threshold: the MQL threshold in force in a week, moved each Monday by the goal."""
    while known[0] <= week:
        done = known[0] - 1
        thresholds[known[0]] = next_threshold(
            thresholds[done], mqls[done], weekly_target, step, mql_volume
        )
        known[0] += 1
    return thresholds[week]


@njit(cache=True, _nrt=False)
def noise(
    week: int,
    verdicts: np.ndarray,
    heard: np.ndarray,
    said: np.ndarray,
    learns: bool,
    sigma: float,
    floor: float,
    half: float,
    half_life: float,
) -> float:
    """Marketing.noise: sigma_m in a week, from the sales verdicts of the weeks before it.

    heard = [weeks summed, their verdicts]: completed weeks never change, so the sum grows.
    said = [sigma_m for the weeks summed] (NaN: not yet computed), as pow costs more than the
    rest of a scoring.
    """
    if not learns:
        return sigma
    if heard[0] < week or math.isnan(said[0]):
        while heard[0] < week:
            heard[1] += verdicts[heard[0]]
            heard[0] += 1
        said[0] = learned_noise(sigma, floor, heard[1], half_life, half)
    return said[0]


@njit(cache=True, _nrt=False, inline="always")
def in_force(p: Params, st: State, week: int) -> tuple[float, float]:
    """Marketing.noise and Marketing.threshold: (sigma_m, the MQL threshold) in a week."""
    sigma = noise(
        week,
        st.verdicts,
        st.heard,
        st.said,
        p.learns,
        p.marketing_noise,
        p.noise_floor,
        p.half,
        p.half_life,
    )
    bar = threshold(
        week, st.thresholds, st.known, st.mqls, p.mql_volume, p.weekly_target, p.goal_step
    )
    return sigma, bar


@njit(cache=True, _nrt=False, inline="always")
def calls_it_mql(
    ld: Leads, p: Params, bk: Book, st: State, lead: int, now: float, week: int
) -> bool:
    """LeadFlow.marketing_calls_it_mql: marketing scores the lead at its `touches`-th scoring
    (0 at creation, then one per touch); an MQL is counted in its week and dated."""
    sigma, bar = in_force(p, st, week)
    z = true_score(ld.fit[lead], st.temperature[lead])
    if not marketing_calls_it_mql(z, sigma, ld.eps_m[lead, bk.touches[lead]], bar):
        return False
    st.mqls[week] += 1
    if math.isnan(bk.mql[lead]):
        bk.mql[lead] = now
    return True
