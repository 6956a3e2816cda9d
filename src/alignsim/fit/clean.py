"""The rows' problems: counted in `Quality`, each with what the fit does about it.

Duplicate ids keep their first row; a lead without a readable creation time cannot be placed
on the clock and is left out; a time before the lead's creation (a call before the lead
existed) is an impossible order and that time is not used; an unknown rating is unrated;
outliers (amounts far out on a log scale, cycles over three years, responses over a year)
are kept and counted, since a big deal is not an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alignsim.fit.columns import ColumnMap
from alignsim.fit.read import Quality

LEAD_TIMES = ("mql", "routed", "first_attempt", "reached", "sql")


def date_only(hours: pd.Series) -> bool:
    """True if every time in the column falls on midnight (a date column without times)."""
    known = hours.dropna()
    return bool(len(known)) and bool(np.all(np.isclose(known % 24, 0) | np.isclose(known % 24, 24)))


def _not_before(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """Rows where `later` is before `earlier` (by the day when `later` holds dates only)."""
    floor = np.floor(earlier / 24) * 24 if date_only(later) else earlier
    return later < floor - 1e-9


def _deduplicate(frame: pd.DataFrame, table: str, quality: Quality) -> pd.DataFrame:
    quality.add(table, "blank id", int(frame["id"].isna().sum()), "kept (cannot be linked)")
    dup = frame["id"].notna() & frame["id"].duplicated()
    quality.add(table, "duplicate id", int(dup.sum()), "first row kept, the others left out")
    return frame[~dup]


def clean_leads(leads: pd.DataFrame, cmap: ColumnMap, quality: Quality) -> pd.DataFrame:
    """Leads ready for estimation; every problem counted in `quality`."""
    leads = _deduplicate(leads, "leads", quality)
    blank = leads["created"].isna()
    quality.add("leads", "blank creation time", int(blank.sum()), "left out (no place in time)")
    leads = leads[~blank].copy()
    blank_source = leads["source"].isna()
    quality.add("leads", "blank source", int(blank_source.sum()), 'counted as source "unknown"')
    leads["source"] = leads["source"].fillna("unknown")
    if "temperature" in leads:
        rating = leads["temperature"].map(cmap.temperature)
        odd = leads["temperature"].notna() & rating.isna()
        quality.add("leads", "rating not hot/warm/cold", int(odd.sum()), "counted as unrated")
        leads["temperature"] = rating
    for name in LEAD_TIMES:
        if name not in leads:
            continue
        bad = _not_before(leads[name], leads["created"])
        quality.add("leads", f"{name} before creation", int(bad.sum()), f"that {name} not used")
        leads.loc[bad, name] = np.nan
    if {"reached", "first_attempt"} <= set(leads):
        bad = _not_before(leads["reached"], leads["first_attempt"])
        quality.add("leads", "reached before first attempt", int(bad.sum()), "reached not used")
        leads.loc[bad, "reached"] = np.nan
    if "attempts" in leads:
        bad = leads["attempts"] < 0
        quality.add("leads", "negative attempts", int(bad.sum()), "not used")
        leads.loc[bad, "attempts"] = np.nan
    if {"first_attempt", "mql"} <= set(leads):
        late = (leads["first_attempt"] - leads["mql"]) > 365 * 24
        quality.add("leads", "outlier: response over a year", int(late.sum()), "kept")
    return leads


def deal_state(deals: pd.DataFrame, cmap: ColumnMap) -> pd.Series:
    """won, lost or open for each deal, from the won/closed flags and the stage names."""
    won = pd.Series(False, index=deals.index)
    lost = pd.Series(False, index=deals.index)
    if "won" in deals:
        won |= deals["won"].fillna(False).astype(bool)
    if "stage" in deals:
        won |= deals["stage"].isin(cmap.won_stages)
        lost |= deals["stage"].isin(cmap.lost_stages)
    if "is_closed" in deals:
        lost |= deals["is_closed"].fillna(False).astype(bool)
    return pd.Series(np.where(won, "won", np.where(lost, "lost", "open")), index=deals.index)


def clean_deals(deals: pd.DataFrame, cmap: ColumnMap, quality: Quality) -> pd.DataFrame:
    """Deals with `state` (won, lost, open); every problem counted in `quality`."""
    deals = _deduplicate(deals, "opportunities", quality)
    blank = deals["created"].isna()
    quality.add("opportunities", "blank creation time", int(blank.sum()), "left out of the cycle")
    deals = deals.copy()
    deals["state"] = deal_state(deals, cmap)
    if "closed" in deals:
        deals.loc[deals["state"] == "open", "closed"] = np.nan  # an expected date, not a close
        if date_only(deals["closed"]):
            deals["closed"] += 12.0  # a close date without a time: read as midday
        shut = deals["state"] != "open"
        quality.add(
            "opportunities",
            "closed deal without close date",
            int((shut & deals["closed"].isna()).sum()),
            "left out of the cycle",
        )
        bad = _not_before(deals["closed"], deals["created"])
        quality.add("opportunities", "closed before created", int(bad.sum()), "cycle not used")
        deals.loc[bad, "closed"] = np.nan
        long = (deals["closed"] - deals["created"]) > 3 * 365 * 24
        quality.add("opportunities", "outlier: cycle over three years", int(long.sum()), "kept")
    else:
        deals["closed"] = np.nan
    amount = deals["amount"]
    quality.add("opportunities", "blank amount", int(amount.isna().sum()), "left out of value")
    quality.add(
        "opportunities", "amount zero or negative", int((amount <= 0).sum()), "left out of value"
    )
    logs = np.log(amount[amount > 0])
    if len(logs) >= 4:
        q1, q3 = np.percentile(logs, [25, 75])
        far = (logs < q1 - 3 * (q3 - q1)) | (logs > q3 + 3 * (q3 - q1))
        quality.add("opportunities", "outlier: amount far from the rest", int(far.sum()), "kept")
    return deals
