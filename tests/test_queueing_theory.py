"""The simulated first-response queue against queueing theory (MODEL.md section 5).

scenarios/validation/erlang-a.toml and erlang-c.toml reduce the model to one sales-owned
Poisson source, c = 5 reps always on duty, exponential attempts at mu = 5/h, one attempt,
reach 1 and a qualification call of no time: with exponential patience (theta = 6/h) and
`skip_lost_leads` the queue is M/M/c+M (Erlang A), with no patience limit it is M/M/c
(Erlang C). Each test varies the arrival rate and compares what the arrivals experienced in
the ledger with `alignsim.queueing`.

Method (DESIGN.md: tolerances from standard errors, standard errors from replications):
- each replication r = 0..R-1 is an independent lead stream from the scenario's fixed seed,
  so the test is deterministic;
- a run starts empty, so leads created in the first WARM_UP hours are not measured;
- leads created in the last CENSOR hours are not measured either: their fate may fall after
  the horizon (still "in_queue"), and dropping only those would bias the waits downwards;
- one estimate per replication; their mean is compared with the formula, with a standard
  error from their spread across replications (never from batch means of one run, which
  underestimate it, e.g. for P(wait) near 1 in overload).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pytest

import alignsim
from alignsim.queueing import QueueFigures, erlang_a, erlang_c
from alignsim.scenario import read_document

C, MU, THETA = 5, 5.0, 6.0
"""Reps, service rate per rep (1 / 12 min) and abandonment rate (1 / 10 min), per hour."""

REPLICATIONS = 10
HORIZON = {"a": "1w", "c": "2w"}
"""Erlang A relaxes within minutes (patience 10 min), so a week gives ~3,000-5,500 leads
per replication. Erlang C at load 0.9 relaxes in ~15 h and its waits are strongly
correlated, so it gets two weeks (~6,000-7,500 leads): its mean wait still has an SE near 9%,
the price of the runtime budget (the file must run in well under 40 s of CPU)."""

WARM_UP = 24.0
"""Hours from the empty start during which created leads are not measured."""

CENSOR = 6.0
"""Hours before the horizon during which created leads are not measured. A lead created
earlier is censored only if it waits over 6 h: for Erlang A that needs a patience over 6 h,
P = exp(-36); for Erlang C at load 0.9, P(W > 6 h) = C e^{-(c mu - lam) 6 h} ~ 2e-7."""

Z = 4.0
"""Standard errors allowed: |sim - theory| <= Z * SE + BIAS * theory."""

BIAS = 0.01
"""Allowance for the two biases a finite run has, as a share of the theory value.
- Warm-up: the transient law of the birth-death chain from an empty start (computed
  numerically, by the matrix exponential of its truncated generator, when this test was
  written) puts the expected estimates over
  [WARM_UP, horizon - CENSOR] within 1e-12 of steady state for every Erlang A load here and
  for Erlang C at load 0.7; for Erlang C at load 0.9 the mean wait is low by 0.09% (it
  would be 0.2% with a 1-week horizon) and P(wait) by 0.009%.
- Ratio estimator: a per-replication share or mean divides by a random number of leads
  (~2,500-7,500), which biases it by O(1 / leads): estimated from 40 replications at
  -0.06% for the Erlang C mean wait at load 0.9 (-0.02% for its P(wait)), the worst case.
1% covers both with room to spare, and is no larger than the SEs (1-9% of the theory
values), so it cannot hide a real discrepancy."""

ERLANG_A_LOADS = [0.7, 0.9, 1.0, 1.1, 1.3]
ERLANG_C_LOADS = [0.7, 0.9]

SIMULATED = ("p_abandon", "mean_wait", "p_wait", "utilisation")
"""The per-replication estimates, in the columns of `replications`."""


def arrival_rate(rho: float) -> float:
    """lam = rho c mu per hour, rounded so that "17.5/hour" is written, not 17.499999..."""
    return round(rho * C * MU, 9)


def variant(folder: Path, kind: str, rho: float) -> alignsim.Scenario:
    """The validation scenario of `kind` ("a" or "c") in `folder` at load rho = lam / (c mu)."""
    doc = read_document(folder / f"erlang-{kind}.toml")
    doc["market"]["sources"]["calls"]["rate"] = f"{arrival_rate(rho)}/hour"
    doc["horizon"] = HORIZON[kind]
    sc = alignsim.validate(doc, f"erlang-{kind} at load {rho}")
    # The reduction this test relies on: fail loudly if the scenario file drifts from it.
    team, market = sc.team, sc.market
    assert team.reps == C
    assert team.attempt_time.dist == "exponential"
    assert team.attempt_time.mean() == pytest.approx(1 / MU)
    assert team.qualify_time.mean() == 0.0
    assert team.skip_lost_leads
    assert list(market.sources) == ["calls"]
    assert market.sources["calls"].arrivals == "always"
    assert market.sources["calls"].owner == "sales"
    assert market.sources["calls"].rate == pytest.approx(arrival_rate(rho))
    patience = market.patience.hot
    if kind == "a":
        assert patience.dist == "exponential"
        assert patience.mean() == pytest.approx(1 / THETA)
    else:
        assert patience.dist == "never"
    policy = next(iter(sc.policies.values()))
    assert policy.queue == "fifo"
    assert policy.sla.max_attempts == 1
    return sc


def estimates(led: alignsim.Ledger) -> tuple[float, float, float, float]:
    """P(abandon), mean wait (h), P(wait) and utilisation of one replication's measured span."""
    f = led.frame
    horizon = led.horizon
    assert led.rep_open_hours == pytest.approx(C * horizon)  # reps on duty around the clock
    m = f[(f["created"] >= WARM_UP) & (f["created"] < horizon - CENSOR)]
    assert len(m) > 1000
    served = m["first_attempt"].notna().to_numpy()
    abandoned = (m["outcome"] == "lost_to_competitor").to_numpy()
    # Every measured lead's fate is known: served (and disqualified, as qualify = 0) or gone.
    assert (served ^ abandoned).all()
    assert (m["outcome"][served] == "disqualified").all()
    wait = np.where(
        served,
        m["first_attempt"] - m["created"],
        m["ended"] - m["created"],  # an abandoned lead leaves when its patience runs out
    )
    assert (wait >= 0).all()
    # Busy rep time inside [WARM_UP, horizon]: one attempt and no qualification time, so a
    # lead holds its rep over [first_attempt, first_attempt + rep_hours].
    start = f["first_attempt"].to_numpy()
    start = start[~np.isnan(start)]
    end = start + f["rep_hours"].to_numpy()[f["first_attempt"].notna().to_numpy()]
    busy = np.clip(np.minimum(end, horizon) - np.maximum(start, WARM_UP), 0.0, None).sum()
    return (
        float(abandoned.mean()),
        float(wait.mean()),
        float((wait > 0).mean()),
        float(busy / (C * (horizon - WARM_UP))),
    )


@functools.cache
def replications(folder: Path, kind: str, rho: float) -> np.ndarray:
    """REPLICATIONS x len(SIMULATED) estimates, one row per independent replication."""
    sc = variant(folder, kind, rho)
    return np.array([estimates(alignsim.simulate(sc, replication=r)) for r in range(REPLICATIONS)])


def theory(kind: str, rho: float) -> QueueFigures:
    lam = arrival_rate(rho)
    return erlang_a(C, lam, MU, THETA) if kind == "a" else erlang_c(C, lam, MU)


def check(folder: Path, kind: str, rho: float, names: tuple[str, ...]) -> None:
    """Each named estimate within Z standard errors plus the bias allowance of its theory."""
    sims, figures = replications(folder, kind, rho), theory(kind, rho)
    failures = []
    for name in names:
        values = sims[:, SIMULATED.index(name)]
        mean = float(values.mean())
        se = float(values.std(ddof=1)) / math.sqrt(len(values))
        expected = float(getattr(figures, name))
        tolerance = Z * se + BIAS * abs(expected)
        if not abs(mean - expected) <= tolerance:
            failures.append(
                f"{name}: simulated {mean:.5f} (SE {se:.5f}) vs theory {expected:.5f}, "
                f"off by {mean - expected:+.5f} > {tolerance:.5f}"
            )
    assert not failures, f"Erlang {kind.upper()} at load {rho}: " + "; ".join(failures)


@pytest.mark.slow
@pytest.mark.parametrize("rho", ERLANG_A_LOADS, ids=lambda rho: f"rho={rho}")
def test_erlang_a_abandonment_and_waits(validation_dir: Path, rho: float) -> None:
    check(validation_dir, "a", rho, ("p_abandon", "mean_wait", "p_wait"))


@pytest.mark.slow
@pytest.mark.parametrize("rho", ERLANG_C_LOADS, ids=lambda rho: f"rho={rho}")
def test_erlang_c_waits(validation_dir: Path, rho: float) -> None:
    sims = replications(validation_dir, "c", rho)
    # Buyers who never give up never abandon, exactly.
    assert (sims[:, SIMULATED.index("p_abandon")] == 0.0).all()
    check(validation_dir, "c", rho, ("mean_wait", "p_wait"))


@pytest.mark.slow
def test_utilisation_from_rep_hours(validation_dir: Path) -> None:
    # In overload, where abandonment keeps utilisation lam (1 - P(abandon)) / (c mu) well
    # below the load 1.1: rep_hours must count exactly the time reps spent serving.
    check(validation_dir, "a", 1.1, ("utilisation",))
