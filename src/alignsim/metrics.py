"""Figures computed from a ledger: outcomes, the funnel, revenue, speed to lead, utilisation, weeks.

Conventions (also in the README's model section):
- Every figure counts the cohort: the leads created in the measurement window (ledger column
  `cohort` 0), followed to the end of the run (MODEL.md 6.3); warm-up and settle leads load
  the reps but are not counted. `outcomes(ledger, cohort=False)` counts every lead.
- The funnel is the demand waterfall of marketing's leads: leads -> MQL -> routed -> SAL ->
  reached -> SQL -> won. Sales-owned leads have their own funnel (`owner="sales"`), which
  starts at SAL.
- Speed to lead is measured on SALs (marketing leads sales accepted), from the first MQL to
  the start of the first attempt, in wall-clock and in business hours. Median and P90 are
  over the SALs that were answered; `answered` says what share that is. `within_sla` is the
  share of SALs whose deadline fell inside the run that were answered by it; a SAL never
  answered counts as a miss.
- Utilisation is the rep time the cohort's leads took over the reps' on-duty hours in the
  window: in a steady state, the share of the reps' time the lead flow takes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from alignsim.ledger import OUTCOMES, Ledger, LedgerBook, Outcome
from alignsim.scenario import OWNERS

FUNNEL_STAGES = ("leads", "mql", "routed", "sal", "reached", "sql", "won")
"""Stages of the funnel, in order."""

_WON = Outcome.WON

_STAGE_COLUMN = {
    "mql": "mql",
    "routed": "routed",
    "sal": "accepted",
    "reached": "reached",
    "sql": "sql",
}


UNRESOLVED = ("open_opportunity", "in_nurture", "in_queue")
"""Outcomes of a lead still open at the end of the run (shown, never dropped)."""
UNRESOLVED_CODES = np.array([OUTCOMES.index(name) for name in UNRESOLVED], dtype=np.int8)


def outcomes(ledger: Ledger, cohort: bool = True) -> dict[str, int]:
    """Leads per outcome at the end of the run, every outcome listed: of the cohort (the
    window's leads), or of every lead (cohort=False); the counts add up to the leads."""
    book = ledger.book
    codes = book.outcome[book.stream.in_window] if cohort else book.outcome
    counts = np.bincount(codes, minlength=len(OUTCOMES))
    return {name: int(counts[k]) for k, name in enumerate(OUTCOMES)}


def funnel_counts(ledger: Ledger | LedgerBook, owner: str | None = "marketing") -> dict[str, int]:
    """The cohort's leads that reached each stage (owner=None: all owners), of a ledger or an
    engine's book."""
    book = ledger.book if isinstance(ledger, Ledger) else ledger
    if owner is not None and owner not in OWNERS:
        raise ValueError(f"owner must be one of {', '.join(OWNERS)} or None (got {owner!r})")
    mine = book.stream.in_window
    if owner is not None:
        mine = mine & (book.stream.owner == OWNERS.index(owner))
    counts = {"leads": int(mine.sum())}
    for stage, column in _STAGE_COLUMN.items():
        counts[stage] = int((mine & ~np.isnan(getattr(book, column))).sum())
    counts["won"] = int((mine & (book.outcome == _WON)).sum())
    return counts


def funnel(ledger: Ledger, owner: str | None = "marketing") -> pd.DataFrame:
    """The funnel as a table: count per stage, conversion from the previous stage and from leads."""
    counts = funnel_counts(ledger, owner)
    values = np.array([counts[s] for s in FUNNEL_STAGES], dtype=float)
    previous = np.concatenate([[values[0]], values[:-1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        step = np.where(previous > 0, values / previous, np.nan)
        overall = np.where(values[0] > 0, values / values[0], np.nan)
    return pd.DataFrame(
        {"count": values.astype(int), "from_previous": step, "from_leads": overall},
        index=pd.Index(FUNNEL_STAGES, name="stage"),
    )


def revenue(ledger: Ledger | LedgerBook) -> float:
    """Revenue the cohort won by the end of the run (currency), of a ledger or an engine's
    book."""
    book = ledger.book if isinstance(ledger, Ledger) else ledger
    return float(book.revenue[book.stream.in_window].sum())


def pipeline(ledger: Ledger) -> float:
    """Value of the cohort's opportunities still open at the end of the run (currency,
    unweighted)."""
    book = ledger.book
    still = book.stream.in_window & (book.outcome == Outcome.OPEN_OPPORTUNITY)
    return float(book.stream.value[still].sum())


def _none_if_nan(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def speed_to_lead(ledger: Ledger) -> dict[str, Any]:
    """First response after MQL on SALs: median and P90 (wall-clock and business hours), SLA share."""
    f = ledger.frame
    sal = f[(f["cohort"] == 0) & (f["owner"] == "marketing") & f["accepted"].notna()]
    start = sal["mql"].to_numpy()
    first = sal["first_attempt"].to_numpy()
    answered = ~np.isnan(first)
    wait = first[answered] - start[answered]
    business = ledger.calendar.business_hours_between_array(start[answered], first[answered])
    deadline = sal["response_due"].to_numpy()
    due = deadline < ledger.run_end
    met = answered & (np.nan_to_num(first, nan=np.inf) <= deadline)

    def q(values: np.ndarray, p: float) -> float | None:
        return _none_if_nan(float(np.quantile(values, p))) if len(values) else None

    return {
        "sal": len(sal),
        "answered": _none_if_nan(answered.mean()) if len(sal) else None,
        "median_h": q(wait, 0.5),
        "p90_h": q(wait, 0.9),
        "median_business_h": q(business, 0.5),
        "p90_business_h": q(business, 0.9),
        "within_sla": _none_if_nan(met[due].mean()) if due.any() else None,
    }


def utilisation(ledger: Ledger) -> float:
    """Rep hours the cohort's leads took over the reps' on-duty hours in the window
    (activities may run past closing): the share of the reps' time the lead flow takes."""
    open_hours = ledger.rep_open_hours
    book = ledger.book
    spent = float(book.rep_hours[book.stream.in_window].sum())
    return spent / open_hours if open_hours > 0 else math.nan


def weekly(ledger: Ledger) -> pd.DataFrame:
    """One row per week of the measurement window (week 0 is its first): leads, MQLs, SALs,
    first responses, SQLs, deals won, revenue, and `waiting`, the SALs still waiting for a
    first attempt at the week's end. Every lead's events count, warm-up leads' too: it is
    what the team sees each week, not the cohort."""
    f = ledger.frame
    start = ledger.window[0]
    end = start + ledger.horizon
    weeks = max(1, math.ceil(ledger.horizon / 168.0))
    index = pd.RangeIndex(weeks, name="week")

    def per_week(times: pd.Series, weights: pd.Series | None = None) -> np.ndarray:
        t = times.to_numpy() - start
        ok = ~np.isnan(t) & (t >= 0) & (t < ledger.horizon)
        w = None if weights is None else weights.to_numpy()[ok]
        return np.bincount((t[ok] // 168.0).astype(int), weights=w, minlength=weeks)[:weeks]

    won = f["outcome"] == "won"
    ends = np.minimum(start + (index.to_numpy() + 1) * 168.0, end)
    accepted = f["accepted"].to_numpy()
    first = np.nan_to_num(f["first_attempt"].to_numpy(), nan=np.inf)
    ended = np.nan_to_num(f["ended"].to_numpy(), nan=np.inf)
    marketing = (f["owner"] == "marketing").to_numpy()
    waiting = [int(np.sum(marketing & (accepted <= t) & (first > t) & (ended > t))) for t in ends]
    return pd.DataFrame(
        {
            "leads": per_week(f["created"]).astype(int),
            "mql": per_week(f["mql"]).astype(int),
            "sal": per_week(f.loc[f["owner"] == "marketing", "accepted"]).astype(int),
            "first_responses": per_week(f["first_attempt"]).astype(int),
            "sql": per_week(f["sql"]).astype(int),
            "won": per_week(f.loc[won, "ended"]).astype(int),
            "revenue": per_week(f.loc[won, "ended"], f.loc[won, "revenue"]),
            "waiting": waiting,
        },
        index=index,
    )


def summary(ledger: Ledger) -> dict[str, Any]:
    """The run's headline figures as plain JSON-ready data."""
    counts = funnel_counts(ledger)
    ends = outcomes(ledger)
    leads = sum(ends.values())
    won = ends["won"]
    return {
        "scenario": ledger.scenario,
        "policy": ledger.policy,
        "seed": ledger.seed,
        "replication": ledger.replication,
        "engine": ledger.engine,
        "horizon_h": ledger.horizon,
        "warmup_h": ledger.window[0],
        "settle_h": ledger.run_end - ledger.window[0] - ledger.horizon,
        "currency": ledger.currency,
        "leads": leads,
        "outcomes": ends,
        "unresolved": {name: ends[name] for name in UNRESOLVED},
        "leads_all": len(ledger),
        "outcomes_all": outcomes(ledger, cohort=False),
        "funnel": counts,
        "funnel_sales_owned": funnel_counts(ledger, "sales"),
        "revenue": revenue(ledger),
        "pipeline": pipeline(ledger),
        "deals_won": won,
        "lead_to_customer": _none_if_nan(won / leads) if leads else None,
        "mql_to_sql": _none_if_nan(counts["sql"] / counts["mql"]) if counts["mql"] else None,
        "speed_to_lead": speed_to_lead(ledger),
        "rep_utilisation": _none_if_nan(utilisation(ledger)),
    }
