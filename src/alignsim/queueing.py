"""Closed-form queueing figures that the simulated first-response queue must reproduce.

Leads arrive as a Poisson stream (rate `lam` per hour), `c` reps are always on duty and each
serves at exponential rate `mu` per hour. Rates are per hour, times are in hours.

- M/M/c (Erlang 1917, "Erlang C"): with offered load a = lam/mu and rho = a/c < 1, the Erlang B
  probability follows the stable recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)); then
  P(wait) = C = B / (1 - rho (1 - B)) and E[W] = C / (c mu - lam).
- M/M/c+M (Palm 1943; Mandelbaum & Zeltyn, "Erlang A"): each waiting lead abandons at rate
  theta. The number in system is a birth-death chain (birth lam, death min(n, c) mu +
  max(n - c, 0) theta), stable for any load. Its stationary law is summed in log space and
  truncated once the neglected mass is below 1e-12. By PASTA an arrival finding j leads
  queued ahead of it is served with probability c mu / (c mu + (j + 1) theta) and waits
  (j + 1) / (c mu + (j + 1) theta) on average, which gives P(abandon) = theta E[W].

scipy has no Erlang A (nor an Erlang C with waiting times), hence this hand-written module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

TAIL_TOLERANCE = 1e-12
"""Largest stationary probability mass the Erlang-A truncation may neglect."""

MAX_STATES = 20_000_000
"""Give up (ValueError) rather than build a longer Erlang-A state space."""


@dataclass(frozen=True)
class QueueFigures:
    """Steady-state figures of a first-response queue, seen by an arriving lead."""

    p_wait: float
    """Probability an arriving lead finds all reps busy and must wait."""
    p_abandon: float
    """Probability an arriving lead abandons before service (0 for Erlang C)."""
    mean_wait: float
    """Mean time in queue over all arrivals, until service or abandonment (hours)."""
    mean_wait_served: float
    """Mean time in queue of the leads that are eventually served (hours)."""
    utilisation: float
    """Mean fraction of reps busy."""


def _check(c: int, lam: float, mu: float) -> None:
    if isinstance(c, bool) or not isinstance(c, int | np.integer) or c < 1:
        raise ValueError(f"c must be a positive integer number of reps, got {c!r}")
    for name, value in (("lam", lam), ("mu", mu)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive finite rate per hour, got {value!r}")


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability for `c` servers and offered load `a` (erlangs)."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, lam: float, mu: float) -> QueueFigures:
    """M/M/c figures for `c` reps, arrivals `lam` per hour, service `mu` per hour per rep.

    Requires lam < c mu (ValueError otherwise). Every lead is served, so p_abandon = 0 and
    mean_wait_served = mean_wait (hours).
    """
    _check(c, lam, mu)
    if lam >= c * mu:
        raise ValueError(f"Erlang C needs lam < c*mu, got lam={lam} >= {c * mu}")
    a = lam / mu
    rho = a / c
    b = erlang_b(c, a)
    p_wait = b / (1.0 - rho * (1.0 - b))
    mean_wait = p_wait / (c * mu - lam)
    return QueueFigures(
        p_wait=p_wait,
        p_abandon=0.0,
        mean_wait=mean_wait,
        mean_wait_served=mean_wait,
        utilisation=rho,
    )


def _log_stationary(c: int, lam: float, mu: float, theta: float) -> np.ndarray:
    """Unnormalised log pi_n of the M/M/c+M chain, n = 0..N, with the tail beyond N < 1e-12."""
    log_lam = math.log(lam)
    chunks = [np.zeros(1)]
    last = 0.0
    start, size = 1, max(1024, 2 * c)
    while True:
        n = np.arange(start, start + size, dtype=float)
        death = np.minimum(n, c) * mu + np.maximum(n - c, 0.0) * theta
        chunk = last + np.cumsum(log_lam - np.log(death))
        chunks.append(chunk)
        last = float(chunk[-1])
        n_last = start + size - 1
        # Death rates grow with n, so beyond n_last the terms shrink faster than ratio q.
        q = lam / (c * mu + max(n_last + 1 - c, 0) * theta)
        if n_last >= c and q < 1.0:
            log_total = float(logsumexp(np.concatenate(chunks)))
            if last + math.log(q / (1.0 - q)) - log_total < math.log(TAIL_TOLERANCE):
                return np.concatenate(chunks)
        start += size
        if start > MAX_STATES:
            raise ValueError("Erlang A state space too large: theta too small for this overload")
        size *= 2


def erlang_a(c: int, lam: float, mu: float, theta: float) -> QueueFigures:
    """M/M/c+M figures: as `erlang_c` plus exponential patience, abandonment `theta` per hour.

    Valid in overload (lam >= c mu) too; theta must be > 0. p_wait = P(N >= c) by PASTA;
    mean_wait = E[(N - c)^+] / lam by Little (hours); p_abandon and mean_wait_served come from
    what an arrival finding j leads queued ahead of it experiences (hours for the wait).
    """
    _check(c, lam, mu)
    if not (math.isfinite(theta) and theta > 0):
        raise ValueError(f"theta must be a positive finite rate per hour, got {theta!r}")
    log_w = _log_stationary(c, lam, mu, theta)
    pi = np.exp(log_w - logsumexp(log_w))
    pi /= pi.sum()
    queued = pi[c:]  # arrivals that find j = 0, 1, ... leads already waiting
    j1 = np.arange(1, queued.size + 1, dtype=float)  # j + 1
    cmu = c * mu
    p_served_given_j = cmu / (cmu + j1 * theta)
    # Wait of a served lead: it passes positions j, ..., 0, leaving position k at rate
    # c mu + (k + 1) theta whichever event happens, so E[W | served, j] = sum of 1 / rates.
    wait_served_given_j = np.cumsum(1.0 / (cmu + j1 * theta))
    p_wait = min(1.0, float(queued.sum()))
    p_abandon = float(np.sum(queued * (1.0 - p_served_given_j)))
    mean_wait = float(np.sum(pi[c + 1 :] * np.arange(1, pi.size - c))) / lam
    p_served = 1.0 - p_abandon
    mean_wait_served = float(np.sum(queued * p_served_given_j * wait_served_given_j)) / p_served
    return QueueFigures(
        p_wait=p_wait,
        p_abandon=p_abandon,
        mean_wait=mean_wait,
        mean_wait_served=mean_wait_served,
        utilisation=lam * p_served / cmu,
    )
