"""The market's estimates from an export, each with its standard error.

Arrivals are a Poisson count per source over the observed weeks, from the first lead's
creation to the export (rate n / T, standard error sqrt(n) / T). Shares (temperature mix, win, qualification) are binomial (se sqrt(p(1-p)/n)).
Deal value is lognormal by maximum likelihood on log amounts (median and P90 by the delta
method). The sales cycle is lognormal with open deals right-censored at the export date,
fitted with lifelines (its standard errors from the observed information); open deals are
censored, never counted as lost. Every estimate is a row of `Estimate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter, LogNormalFitter
from scipy import stats

from alignsim.scenario import TEMPERATURES

Z90 = float(stats.norm.ppf(0.9))
MIN_DEALS_PER_SOURCE = 10
"""Sources with fewer linked deals share the deal-value law pooled over their owner's sources
(a source's own law from fewer deals has a standard error wider than its spread between
sources)."""


@dataclass(frozen=True)
class Estimate:
    """One fitted (or default) number: where it goes in the scenario and how sure it is."""

    parameter: str
    value: float
    std_error: float = float("nan")
    source: str = "data"
    n: int = 0
    unit: str = ""
    note: str = ""
    ci: tuple[float, float] | None = None

    @property
    def interval(self) -> tuple[float, float]:
        """The 95% interval: `ci` when given (e.g. on a log scale), else value +- 1.96 se."""
        if self.ci is not None:
            return self.ci
        return self.value - 1.96 * self.std_error, self.value + 1.96 * self.std_error


def _share(k: float, n: int) -> tuple[float, float]:
    p = k / n if n else float("nan")
    return p, float(np.sqrt(p * (1 - p) / n)) if n else float("nan")


def weeks_observed(first: float, as_of: float) -> float:
    """Weeks from the first lead's creation to the export (an export may start mid-week)."""
    return (as_of - first) / 168.0


def business_hours_only(created: np.ndarray, calendar: object) -> bool:
    """True when (almost) every creation falls inside business hours (>= 99%)."""
    inside = np.array([calendar.is_open(t) for t in created[:5000]])  # type: ignore[attr-defined]
    return len(inside) >= 20 and inside.mean() >= 0.99


def weekly_profile(created: np.ndarray, days: tuple[int, ...]) -> list[float] | None:
    """Relative weights Monday..Sunday when the days differ beyond chance (chi-square, 0.1%).

    Only the listed days count (all seven for arrivals around the clock); the others get 0.
    """
    counts = np.bincount((created // 24).astype(int) % 7, minlength=7).astype(float)
    used = counts[list(days)]
    if used.sum() < 70 or stats.chisquare(used).pvalue >= 1e-3:
        return None
    weights = np.zeros(7)
    weights[list(days)] = used / used.mean()
    return [round(float(w), 3) for w in weights]


def arrivals(leads: pd.DataFrame, as_of: float, calendar: object) -> dict[str, dict]:
    """Per source: rate (per week) with its error, arrivals mode, weekly profile."""
    weeks = weeks_observed(float(leads["created"].min()), as_of)
    out: dict[str, dict] = {}
    for name, group in leads.groupby("source", sort=True, observed=True):
        created = group["created"].to_numpy(float)
        n = len(created)
        bh = business_hours_only(created, calendar)
        days = tuple(calendar.days) if bh else tuple(range(7))  # type: ignore[attr-defined]
        out[str(name)] = {
            "rate": Estimate(
                f"market.sources.{name}.rate", n / weeks, np.sqrt(n) / weeks, n=n, unit="/week"
            ),
            "arrivals": "business_hours" if bh else "always",
            "weekly_profile": weekly_profile(created, days),
        }
    return out


def temperature_mix(group: pd.DataFrame, prefix: str, default: dict) -> list[Estimate]:
    """The cold / warm / hot shares of a source's rated leads (default mix if none rated)."""
    rated = group["temperature"].dropna() if "temperature" in group else pd.Series(dtype=str)
    n = len(rated)
    if n == 0:
        return [
            Estimate(f"{prefix}.temperature.{t}", default[t], source="default", note="no rating")
            for t in TEMPERATURES
        ]
    counts = rated.value_counts()
    rows = []
    for t in TEMPERATURES:
        p, se = _share(float(counts.get(t, 0)), n)
        rows.append(Estimate(f"{prefix}.temperature.{t}", p, se, n=n))
    return rows


def lognormal_value(amount: np.ndarray, prefix: str) -> list[Estimate]:
    """Median and P90 of a lognormal fitted to positive amounts (MLE, delta-method errors)."""
    logs = np.log(amount[amount > 0])
    n = max(len(logs), 2)
    mu, sigma = logs.mean(), max(logs.std(ddof=1), 1e-3)  # equal amounts: a narrow law
    median, p90 = np.exp(mu), np.exp(mu + Z90 * sigma)
    se_median = median * sigma / np.sqrt(n)
    se_p90 = p90 * sigma * np.sqrt(1 / n + Z90**2 / (2 * (n - 1)))
    return [
        Estimate(f"{prefix}.median", median, se_median, n=n, unit="currency"),
        Estimate(f"{prefix}.p90", p90, se_p90, n=n, unit="currency"),
    ]


@dataclass(frozen=True)
class CycleFit:
    """The sales cycle: lognormal fit with censoring, and the Kaplan-Meier curve to show."""

    estimates: list[Estimate]
    durations: np.ndarray
    observed: np.ndarray
    mu: float
    sigma: float
    km: pd.DataFrame


def sales_cycle(deals: pd.DataFrame, as_of: float) -> CycleFit | None:
    """Lognormal cycle (hours): closed deals are events, open deals censored at the export."""
    known = deals[deals["created"].notna()]
    shut = known["state"] != "open"
    ended = np.where(shut, known["closed"], as_of)
    keep = ~(shut & known["closed"].isna())
    durations = np.maximum((ended - known["created"].to_numpy(float))[keep.to_numpy()], 1.0)
    observed = shut.to_numpy()[keep.to_numpy()]
    if observed.sum() < 5:
        return None
    fitter = LogNormalFitter().fit(durations, observed)
    mu, sigma = float(fitter.mu_), float(fitter.sigma_)
    cov = fitter.variance_matrix_.to_numpy()
    median, p90 = np.exp(mu), np.exp(mu + Z90 * sigma)
    se_median = median * np.sqrt(cov[0, 0])
    grad = np.array([p90, p90 * Z90])
    se_p90 = float(np.sqrt(grad @ cov @ grad))
    n = len(durations)
    note = f"{int((~observed).sum())} open deals censored at the export, not counted as lost"
    estimates = [
        Estimate("market.cycle.median", median / 24, se_median / 24, n=n, unit="days", note=note),
        Estimate("market.cycle.p90", p90 / 24, se_p90 / 24, n=n, unit="days", note=note),
    ]
    km = KaplanMeierFitter().fit(durations / 24, observed).survival_function_
    return CycleFit(estimates, durations, observed, mu, sigma, km)


def win_rates(
    deals: pd.DataFrame, temperature: pd.Series | None, default: dict
) -> tuple[list[Estimate], str]:
    """Win rate by temperature among closed deals (open deals left out: censored, not lost)."""
    closed = deals[deals["state"] != "open"]
    won = closed["state"] == "won"
    if temperature is not None:
        temp = closed["id"].map(temperature)
        if temp.notna().sum() >= 30:
            rows = []
            for t in TEMPERATURES:
                mask = (temp == t).to_numpy()
                n = int(mask.sum())
                if n < 5:
                    rows.append(
                        Estimate(f"market.win.{t}", default[t], source="default", note="< 5 deals")
                    )
                    continue
                p, se = _share(float(won[mask].sum()), n)
                rows.append(Estimate(f"market.win.{t}", p, se, n=n, note="closed deals only"))
            return rows, "by the rating of each deal's lead"
    n = len(closed)
    p, se = _share(float(won.sum()), n)
    note = "closed deals only; one rate for every temperature (no rating linked)"
    return [Estimate(f"market.win.{t}", p, se, n=n, note=note) for t in TEMPERATURES], "pooled"


def qualify_rates(leads: pd.DataFrame, as_of: float, default: dict) -> list[Estimate]:
    """Chance a reached lead qualifies (SQL), by temperature, among leads reached a day before
    the export (a reached lead's qualification call follows at once)."""
    done = leads[leads["reached"].notna() & (leads["reached"] < as_of - 24)]
    rows = []
    for t in TEMPERATURES:
        group = done[done["temperature"] == t] if "temperature" in done else done
        n = len(group)
        if n < 10:
            rows.append(
                Estimate(f"market.qualify.{t}", default[t], source="default", note="< 10 reached")
            )
            continue
        p, se = _share(float(group["sql"].notna().sum()), n)
        rows.append(Estimate(f"market.qualify.{t}", p, se, n=n, note="among reached leads"))
    return rows
