"""A simulated ledger written as a CRM export, in a preset's columns (`alignsim example-export`).

What a CRM shows at the export date (the run's horizon): times after it are blank, a deal
that closes later is open (its close date blank, its stage an open one), an activity count is
the attempts made so far. Times are written in UTC from Monday 5 January 2026, 00:00 (the
model's t = 0), in the preset's date format. Files: `leads.csv` and `opportunities.csv`
(Salesforce), `contacts.csv` and `deals.csv` (HubSpot).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from alignsim.fit.columns import load_map
from alignsim.ledger import Ledger
from alignsim.writing import write_atomically

EPOCH = pd.Timestamp("2026-01-05 00:00")
"""The model's t = 0 in the export (a Monday)."""

FILES = {"salesforce": ("leads.csv", "opportunities.csv"), "hubspot": ("contacts.csv", "deals.csv")}

_SF_STATUS = {
    "converted": "Closed - Converted",
    "ended": "Closed - Not Converted",
    "working": "Working - Contacted",
    "open": "Open - Not Contacted",
}
_ENDED = (
    "lost_to_competitor",
    "unreached",
    "rejected",
    "disqualified",
    "not_mql",
    "nurture_expired",
)


def _dates(hours: np.ndarray, horizon: float, fmt: str) -> pd.Series:
    known = np.isfinite(hours) & (hours <= horizon)
    stamps = EPOCH + pd.to_timedelta(np.where(known, hours, 0.0), unit="h")
    text = stamps.strftime(fmt) if fmt != "ISO8601" else stamps.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return pd.Series(np.where(known, text, ""), dtype=object)


def _status(frame: pd.DataFrame) -> np.ndarray:
    outcome = frame["outcome"].astype(str).to_numpy()
    key = np.where(
        frame["sql"].notna(),
        "converted",
        np.where(
            np.isin(outcome, _ENDED), "ended", np.where(frame["attempts"] > 0, "working", "open")
        ),
    )
    return np.array([_SF_STATUS[k] for k in key], dtype=object)


def export_frames(ledger: Ledger, preset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The leads and deals tables a CRM would export at the end of the ledger's measurement
    window: the leads created by then (warm-up included: a CRM keeps its history), with every
    later time blank."""
    cmap = load_map(preset)
    fmt = cmap.date_format
    h = ledger.book.stream.window[0] + ledger.horizon
    f = ledger.frame
    f = f[f["created"].to_numpy() <= h].reset_index(drop=True)
    c = cmap.leads
    lead_id = pd.Series([f"L{i:07d}" for i in f["lead"]], dtype=object)
    has_deal = f["sql"].notna().to_numpy() & (f["sql"].to_numpy() <= h)
    deal_id = pd.Series([f"D{i:07d}" for i in f["lead"]], dtype=object)
    rating = {v: k for k, v in cmap.temperature.items()}
    leads = pd.DataFrame(
        {
            c["id"]: lead_id,
            c["created"]: _dates(f["created"].to_numpy(), h, fmt),
            c["source"]: f["source"].astype(str).to_numpy(),
            c["temperature"]: f["temperature"].astype(str).map(rating).to_numpy(),
            c["status"]: _status(f),
            c["mql"]: _dates(f["mql"].to_numpy(), h, fmt),
            c["routed"]: _dates(f["routed"].to_numpy(), h, fmt),
            c["first_attempt"]: _dates(f["first_attempt"].to_numpy(), h, fmt),
            c["attempts"]: f["attempts"].to_numpy(),
            c["reached"]: _dates(f["reached"].to_numpy(), h, fmt),
            c["sql"]: _dates(f["sql"].to_numpy(), h, fmt),
            c["opportunity"]: np.where(has_deal, deal_id, ""),
        }
    )
    d = cmap.deals
    deals = f[has_deal]
    closed = deals["closed"].to_numpy()
    shut = closed <= h
    won = (deals["outcome"].astype(str).to_numpy() == "won") & shut
    stage = np.where(won, cmap.won_stages[0], np.where(shut, cmap.lost_stages[0], "Qualification"))
    table = {
        d["id"]: deal_id[has_deal].to_numpy(),
        d["created"]: _dates(deals["sql"].to_numpy(), h, fmt).to_numpy(),
        d["closed"]: _dates(np.where(shut, closed, np.nan), h, fmt).to_numpy(),
        d["stage"]: stage,
        d["won"]: np.where(won, "true", "false"),
    }
    if "is_closed" in d:
        table[d["is_closed"]] = np.where(shut, "true", "false")
    table[d["amount"]] = np.round(deals["value"].to_numpy(), 2)
    return leads, pd.DataFrame(table)


def write_export(ledger: Ledger, folder: str | Path, preset: str) -> tuple[Path, Path]:
    """Write the two CSV files into `folder`, each atomically; returns their paths."""
    leads, deals = export_frames(ledger, preset)
    folder = Path(folder)
    names = FILES[preset]
    paths = (folder / names[0], folder / names[1])
    for frame, path in zip((leads, deals), paths, strict=True):
        write_atomically(path, lambda tmp, frame=frame: frame.to_csv(tmp, index=False))
    return paths
