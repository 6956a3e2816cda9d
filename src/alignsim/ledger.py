"""The ledger: one row per lead, what happened to it, in which order (MODEL.md section 4).

Times are hours from Monday 00:00 of week 1 and NaN when a stage never happened; money is in
the scenario's currency. A run is a warm-up, a measurement window and a settle time (MODEL.md
6.3); `cohort` says in which a lead was created, and every per-year figure counts the window's
leads (cohort 0). Outcomes are where each lead stands at the end of the run. The ledger is the only thing an engine returns; metrics, comparisons
and plots are computed from it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

import numpy as np
import pandas as pd

from alignsim.calendar import BusinessCalendar
from alignsim.scenario import OWNERS, TEMPERATURES
from alignsim.stream import LeadStream
from alignsim.version import __version__
from alignsim.writing import write_atomically


class Outcome(IntEnum):
    """Where a lead ends the horizon: every lead ends in exactly one (MODEL.md section 3).

    The one definition of the outcomes: the value is the ledger's code (its `outcome` column),
    the lower-case name is the outcome's name (OUTCOMES). Both engines write these codes.
    """

    WON = 0
    LOST_DEAL = 1
    OPEN_OPPORTUNITY = 2
    LOST_TO_COMPETITOR = 3
    UNREACHED = 4
    REJECTED = 5
    DISQUALIFIED = 6
    NOT_MQL = 7
    IN_NURTURE = 8
    NURTURE_EXPIRED = 9
    IN_QUEUE = 10


OUTCOMES = tuple(outcome.name.lower() for outcome in Outcome)
"""Every lead ends the horizon in exactly one of these (the ledger's code is the index)."""

COLUMNS = {
    "lead": "lead id: its row in the lead stream",
    "source": "lead source",
    "owner": "marketing or sales (sales-owned leads skip scoring and review)",
    "created": "creation time (h)",
    "cohort": "-1 created in the warm-up, 0 in the measurement window (counted), 1 in the settle",
    "fit": "fit with the ideal customer profile, 0..1",
    "temperature": "temperature at creation: cold, warm, hot",
    "value": "deal value if won (currency)",
    "mql": "first time marketing called it an MQL (h)",
    "routed": "first time it reached sales (h); creation for sales-owned leads",
    "accepted": "first time sales accepted it, a SAL (h); creation for sales-owned leads",
    "response_due": "when the SLA's first response fell due (h)",
    "first_attempt": "start of the first contact attempt (h)",
    "attempts": "contact attempts made",
    "reached": "end of the attempt that reached the buyer (h)",
    "sql": "end of the qualification call that made it an SQL (h)",
    "closed": "when its opportunity closes, inside the run or not (h)",
    "ended": "when it reached its outcome (h); NaN while still open at the end of the run",
    "outcome": "one of OUTCOMES",
    "revenue": "value if won inside the run, else 0 (currency)",
    "rep_hours": "rep time spent on it inside the run (h)",
    "recycles": "times it was sent back to sales after nurture",
    "touches": "nurture touches it received",
}
"""The ledger's columns and what each means."""

_TIMES = ("mql", "routed", "accepted", "first_attempt", "reached", "sql", "closed", "ended")


class LedgerBook:
    """The arrays an engine fills in while it plays the leads; `close()` makes the Ledger."""

    def __init__(self, stream: LeadStream) -> None:
        n = len(stream)
        self.stream = stream
        for name in _TIMES:
            setattr(self, name, np.full(n, np.nan))
        self.response_due = np.full(n, np.nan)
        self.attempts = np.zeros(n, dtype=np.int32)
        self.outcome = np.full(n, Outcome.IN_QUEUE, dtype=np.int8)
        self.revenue = np.zeros(n)
        self.rep_hours = np.zeros(n)
        self.recycles = np.zeros(n, dtype=np.int32)
        self.touches = np.zeros(n, dtype=np.int32)

    def end(self, lead: int, outcome: str, at: float) -> None:
        """Record a lead's outcome and when it was reached."""
        self.outcome[lead] = OUTCOMES.index(outcome)
        self.ended[lead] = at

    def mark(self, lead: int, outcome: str) -> None:
        """Record where a lead stands at the horizon, its outcome still undecided."""
        self.outcome[lead] = OUTCOMES.index(outcome)

    def frame(self) -> pd.DataFrame:
        s = self.stream
        return pd.DataFrame(
            {
                "lead": np.arange(len(s), dtype=np.int64),
                "source": pd.Categorical.from_codes(s.source, categories=list(s.sources)),
                "owner": pd.Categorical.from_codes(s.owner, categories=list(OWNERS)),
                "created": s.created,
                "cohort": s.cohort,
                "fit": s.fit,
                "temperature": pd.Categorical.from_codes(
                    s.temperature, categories=list(TEMPERATURES)
                ),
                "value": s.value,
                **{name: getattr(self, name) for name in _TIMES[:3]},
                "response_due": self.response_due,
                "first_attempt": self.first_attempt,
                "attempts": self.attempts,
                "reached": self.reached,
                "sql": self.sql,
                "closed": self.closed,
                "ended": self.ended,
                "outcome": pd.Categorical.from_codes(self.outcome, categories=list(OUTCOMES)),
                "revenue": self.revenue,
                "rep_hours": self.rep_hours,
                "recycles": self.recycles,
                "touches": self.touches,
            }
        )


@dataclass(frozen=True, eq=False)
class Ledger:
    """What one policy did with one lead stream: the per-lead table and the run's context.

    `horizon` is the measurement window's length (hours); the window itself, and the run's
    end, are the stream's (`window`, `run_end`).

    `book` holds the engine's arrays; `frame`, the same as a table, is built the first time it
    is read (a batch run's figures need only the arrays).
    """

    book: LedgerBook
    scenario: str
    policy: str
    seed: int
    replication: int
    horizon: float
    currency: str
    reps: int
    calendar: BusinessCalendar
    engine: str = "simpy"
    meta: dict[str, str] = field(default_factory=dict)

    @functools.cached_property
    def frame(self) -> pd.DataFrame:
        """One row per lead, columns as COLUMNS."""
        return self.book.frame()

    def __len__(self) -> int:
        return len(self.book.outcome)

    @property
    def window(self) -> tuple[float, float]:
        """The measurement window [start, end) in hours: the cohort's creation times."""
        return self.book.stream.window

    @property
    def run_end(self) -> float:
        """End of the run (h): warm-up, window and settle time."""
        return self.book.stream.horizon

    @property
    def rep_open_hours(self) -> float:
        """Rep hours on duty over the measurement window: reps times open hours."""
        start = self.window[0]
        return self.reps * self.calendar.business_hours_between(start, start + self.horizon)

    def to_parquet(self, path: str | Path) -> Path:
        """Write the ledger as Parquet, atomically, with the run's context in the file metadata."""
        import pyarrow as pa  # (Parquet's writer loads when a ledger is written, not with it)
        import pyarrow.parquet as pq

        path = Path(path)
        table = pa.Table.from_pandas(self.frame, preserve_index=False)
        context = {
            "alignsim_version": __version__,
            "scenario": self.scenario,
            "policy": self.policy,
            "seed": str(self.seed),
            "replication": str(self.replication),
            "horizon_h": repr(self.horizon),
            "window_start_h": repr(self.window[0]),
            "run_end_h": repr(self.run_end),
            "currency": self.currency,
            "engine": self.engine,
            **self.meta,
        }
        metadata = dict(table.schema.metadata or {})
        metadata.update({f"alignsim.{k}".encode(): str(v).encode() for k, v in context.items()})
        table = table.replace_schema_metadata(metadata)
        return write_atomically(path, lambda tmp: pq.write_table(table, tmp))
