"""The contact decay curve and the reach rate, from the user's own first attempts.

The HBR 2011 analysis on one company's leads: the chance that the first attempt reaches the
buyer, against how long after the lead's creation it was made. The model (MODEL.md 6.1):
P(reached | delay t, temperature T) = r_T * D(t) * S_T(t), with D(t) = (1 - w) + w *
exp(-t / tau): a share w of buyers whose responsiveness fades with time constant tau, the
rest who stay reachable; S_T(t) is the chance the buyer's window is still open at t (the
scenario's `market.patience`, which no export identifies: the fit's default, held fixed, so
that the written decay does not count the window's fast closings twice). Fitted by maximum likelihood (binomial, on leads binned by delay and temperature,
which is exact up to the delay's spread inside a bin), with standard errors from the
observed information (a numerical Hessian). Leads not attempted by the export carry no
outcome and are left out (right-censored before their first attempt). Without a "reached"
column the outcome is qualification (an SQL), as HBR measured it. The scenario carries the
curve as `market.contact_decay`: a mixture of an exponential (weight w, mean tau) and `never`
(the rest, the floor).

Written by hand because no maintained library fits a binomial regression with this
non-linear link; scipy does the optimisation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from alignsim.fit.estimates import Estimate
from alignsim.scenario import TEMPERATURES

FIRST_CALL = 1.0
"""Hours after the first attempt's start within which a reach counts as the first attempt's."""

HBR_BUCKETS = (
    (0.0, 1.0, "< 1 h"),
    (1.0, 2.0, "1-2 h"),
    (2.0, 24.0, "2-24 h"),
    (24.0, np.inf, "> 24 h"),
)
"""HBR 2011's delay buckets."""


@dataclass(frozen=True)
class DecayFit:
    """The fitted curve, its estimates and the observed points by HBR bucket."""

    estimates: list[Estimate]
    reach: dict[str, float]
    share: float
    tau: float
    outcome: str
    points: pd.DataFrame
    window: Window | None = None

    def curve(self, t: np.ndarray) -> np.ndarray:
        """D(t): the share of the reach chance left after t hours."""
        return (1 - self.share) + self.share * np.exp(-np.asarray(t) / self.tau)

    def chance(self, t: np.ndarray, temperature: pd.Series) -> np.ndarray:
        """D(t) S_T(t): the share of a lead's reach chance left at a first attempt t hours
        after creation, its window's closing included (temperature: cold, warm, hot or blank)."""
        t = np.asarray(t, dtype=float)
        code = temperature.map({n: i for i, n in enumerate(TEMPERATURES)}).fillna(3).to_numpy(int)
        open_ = np.ones(len(t)) if self.window is None else self.window(t, code)
        return self.curve(t) * open_


Window = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""S_T(t): the chance a buyer's window is still open t hours after creation, for delays and
temperature codes (0 cold, 1 warm, 2 hot, 3 unrated)."""


def window_survival(laws: dict[str, Any]) -> Window:
    """S_T(t) of buying-window laws by temperature (`alignsim.distributions` duration laws, in
    hours), from each law's quantile function on a fine grid of chances (any law; `never`
    parts keep S above 0 for ever); unrated leads take the mean of the three."""
    u = np.linspace(0.0, 1.0, 20_001)[1:-1]
    grids = [np.minimum(laws[t].from_uniform(u), 1e12) for t in TEMPERATURES]

    def survival(t: np.ndarray, code: np.ndarray) -> np.ndarray:
        s = np.stack([1.0 - np.interp(t, q, u, left=0.0, right=u[-1]) for q in grids])
        s = np.vstack([s, s.mean(axis=0)])
        return s[np.asarray(code, dtype=int), np.arange(len(t))]

    return survival


def _binned(
    delay: np.ndarray, hit: np.ndarray, temp: np.ndarray, open_: np.ndarray, bins: int = 48
) -> tuple:
    edges = np.unique(np.quantile(delay, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, delay, side="right") - 1, 0, len(edges) - 2)
    key = which * 4 + temp
    n = np.bincount(key, minlength=(len(edges) - 1) * 4)
    k = np.bincount(key, weights=hit, minlength=len(n))
    t = np.bincount(key, weights=delay, minlength=len(n))
    s = np.bincount(key, weights=open_, minlength=len(n))
    used = n > 0
    return t[used] / n[used], (np.arange(len(n)) % 4)[used], n[used], k[used], s[used] / n[used]


def _negloglik(
    theta: np.ndarray, t: np.ndarray, g: np.ndarray, n: np.ndarray, k: np.ndarray, s: np.ndarray
) -> float:
    r = special.expit(theta[:4])[g]
    w = special.expit(theta[4])
    tau = np.exp(theta[5])
    p = np.clip(r * ((1 - w) + w * np.exp(-t / tau)) * s, 1e-12, 1 - 1e-12)
    return -float(np.sum(k * np.log(p) + (n - k) * np.log1p(-p)))


def _hessian(f: object, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    m = len(x)
    h = np.zeros((m, m))
    for i in range(m):
        for j in range(i, m):
            e_i, e_j = np.eye(m)[i] * step, np.eye(m)[j] * step
            value = (
                f(x + e_i + e_j) - f(x + e_i - e_j) - f(x - e_i + e_j) + f(x - e_i - e_j)  # type: ignore[operator]
            ) / (4 * step * step)
            h[i, j] = h[j, i] = value
    return h


def hbr_points(delay: np.ndarray, hit: np.ndarray, fitted: np.ndarray) -> pd.DataFrame:
    """Observed share reached (or qualified) by HBR delay bucket, with its standard error, and
    the fitted model's mean chance over the same leads."""
    rows = []
    for low, high, label in HBR_BUCKETS:
        mask = (delay >= low) & (delay < high)
        n = int(mask.sum())
        p = hit[mask].mean() if n else np.nan
        se = np.sqrt(p * (1 - p) / n) if n else np.nan
        mid = np.median(delay[mask]) if n else np.nan
        model = fitted[mask].mean() if n else np.nan
        rows.append(
            {"bucket": label, "delay_h": mid, "n": n, "share": p, "se": se, "fitted": model}
        )
    return pd.DataFrame(rows)


def fit_decay(leads: pd.DataFrame, as_of: float, window: Window | None = None) -> DecayFit | None:
    """Fit r_T and D(t) on attempted leads, given the buyers' windows S_T (None: always
    open); None without first attempts or outcomes."""
    if "first_attempt" not in leads or not ({"reached", "sql"} & set(leads)):
        return None
    tried = leads[leads["first_attempt"].notna() & (leads["first_attempt"] < as_of - FIRST_CALL)]
    if len(tried) < 100:
        return None
    delay = (tried["first_attempt"] - tried["created"]).to_numpy(float)
    if "reached" in tried:
        hit = (tried["reached"] <= tried["first_attempt"] + FIRST_CALL).to_numpy(float)
        outcome = "reached on the first attempt"
    else:
        hit = tried["sql"].notna().to_numpy(float)
        outcome = "qualified (SQL), as HBR 2011 measured"
    temps = tried["temperature"] if "temperature" in tried else pd.Series(np.nan, tried.index)
    code = temps.map({t: i for i, t in enumerate(TEMPERATURES)}).fillna(3).to_numpy(int)
    open_ = np.ones(len(delay)) if window is None else window(delay, code)
    t, g, n, k, s = _binned(delay, hit, code, open_)
    start = np.r_[special.logit(np.clip(hit.mean(), 0.01, 0.99)) * np.ones(4), 0.0, np.log(24.0)]
    f = lambda th: _negloglik(th, t, g, n, k, s)  # noqa: E731
    best = optimize.minimize(f, start, method="L-BFGS-B", bounds=[(-12, 12)] * 5 + [(-5, 12)])
    groups = sorted(set(g.tolist()))
    free = [*groups, 4, 5]
    cov = np.full((6, 6), np.nan)
    h = _hessian(lambda sub: f(best.x + _embed(sub, free)), np.zeros(len(free)))
    try:
        cov_free = np.linalg.inv(h)
        if np.all(np.diag(cov_free) > 0):
            cov[np.ix_(free, free)] = cov_free
    except np.linalg.LinAlgError:
        pass
    se = np.sqrt(np.diag(cov))
    x = best.x
    names = {i: t for i, t in enumerate(TEMPERATURES)} | {3: "unrated"}
    rows, reach = [], {}

    def wald(i: int, back: object) -> tuple[float, float]:
        """The 95% interval on the fitted (logit or log) scale, mapped back."""
        return back(x[i] - 1.96 * se[i]), back(x[i] + 1.96 * se[i])  # type: ignore[operator]

    expit = lambda v: float(special.expit(v))  # noqa: E731
    for i in groups:
        r = expit(x[i])
        reach[names[i]] = r
        rows.append(
            Estimate(
                f"market.reach.{names[i]}",
                r,
                r * (1 - r) * se[i],
                n=int(n[g == i].sum()),
                note=f"D(0) intercept; outcome: {outcome}",
                ci=wald(i, expit),
            )
        )
    w, tau = expit(x[4]), float(np.exp(x[5]))
    rows.append(
        Estimate(
            "market.contact_decay.share",
            w,
            w * (1 - w) * se[4],
            n=len(delay),
            note="share of buyers whose responsiveness fades (the rest never fade)",
            ci=wald(4, expit),
        )
    )
    rows.append(
        Estimate(
            "market.contact_decay.time_constant",
            tau,
            tau * se[5],
            n=len(delay),
            unit="h",
            note="mean time to fade of the buyers who fade",
            ci=wald(5, lambda v: float(np.exp(v))),
        )
    )
    chance = special.expit(x[:4])[code] * ((1 - w) + w * np.exp(-delay / tau)) * open_
    return DecayFit(rows, reach, w, tau, outcome, hbr_points(delay, hit, chance), window)


def _embed(sub: np.ndarray, free: list[int]) -> np.ndarray:
    out = np.zeros(6)
    out[free] = sub
    return out
