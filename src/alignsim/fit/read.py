"""Reading CRM exports: CSV -> checked, canonical tables of leads and deals, with quality counts.

Each file is read with pandas (every cell as text), checked against a pandera schema built
from the column map (required columns present; a date column mostly dates, a number column
mostly numbers), then turned into canonical columns: times in hours from Monday 00:00 of the
week of the first lead (the model's clock, in the map's time zone), deal states won / lost /
open. Problems in the rows are counted, never dropped silently (`Quality`): duplicate ids
(the first row kept), blanks, unreadable cells, impossible orders (an activity before the
lead was created: that time is not used), outliers (kept, counted).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from alignsim.fit.columns import DEAL_FIELDS, LEAD_FIELDS, ColumnMap, FitInputError

READABLE = 0.5
"""A date or number column with fewer readable cells than this share (of its non-blank
cells) is the wrong column, not a messy one."""


@dataclass
class Quality:
    """Counts of what was wrong in the exports, and what the fit did about each."""

    rows: list[tuple[str, str, int, str]] = field(default_factory=list)

    def add(self, table: str, problem: str, count: int, action: str) -> None:
        if count:
            self.rows.append((table, problem, int(count), action))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["table", "problem", "count", "action"])

    def count(self, problem: str) -> int:
        return sum(n for _, p, n, _ in self.rows if p == problem)


def _times(raw: pd.Series, cmap: ColumnMap) -> pd.Series:
    """Text to local wall-clock timestamps (naive, in the map's zone); unreadable -> NaT."""
    fmt = None if cmap.date_format in ("", "infer") else cmap.date_format
    try:
        parsed = pd.to_datetime(raw, format=fmt, errors="coerce", dayfirst=cmap.dayfirst)
    except (ValueError, TypeError):  # mixed offsets: read as UTC
        parsed = pd.to_datetime(raw, format=fmt, errors="coerce", utc=True)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert(cmap.timezone).dt.tz_localize(None)
    return parsed


def _numbers(raw: pd.Series) -> pd.Series:
    cleaned = raw.str.replace(r"[,\s$€£]", "", regex=True) if raw.dtype == object else raw
    return pd.to_numeric(cleaned, errors="coerce")


SAMPLE = 2000
"""Non-blank cells (the first ones) on which a column's kind is judged."""


def _readable_check(kind: str, cmap: ColumnMap) -> pa.Check | None:
    if kind == "time":
        return pa.Check(
            lambda s: _times(s.iloc[:SAMPLE], cmap).notna().mean() >= READABLE, error="dates"
        )
    if kind == "number":
        return pa.Check(
            lambda s: _numbers(s.iloc[:SAMPLE]).notna().mean() >= READABLE, error="numbers"
        )
    return None


_KIND_WORDS = {"time": "dates", "number": "numbers", "flag": "true/false values", "text": "text"}


def _check(
    frame: pd.DataFrame,
    label: str,
    columns: dict[str, str],
    fields: dict[str, tuple[str, bool, str]],
    cmap: ColumnMap,
) -> list[str]:
    """The map's fields found in the file; raises one sentence per wrong or missing column."""
    schema_columns = {}
    for name, column in columns.items():
        kind, required, _ = fields[name]
        if column in frame.columns or required:
            check = _readable_check(kind, cmap)
            schema_columns[column] = pa.Column(
                nullable=True, required=required, checks=[check] if check else []
            )
    by_column = {column: name for name, column in columns.items()}
    problems = [
        f"{label}: column {column!r} is missing; it is needed for {fields[name][2]}"
        for name, (kind, required, _) in fields.items()
        if required and name not in columns
        for column in [name]
    ]
    try:
        pa.DataFrameSchema(schema_columns).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        for row in errors.failure_cases.itertuples():
            if row.check == "column_in_dataframe":
                column = str(row.failure_case)
                need = fields[by_column[column]][2]
                problems.append(f"{label}: column {column!r} is missing; it is needed for {need}")
            elif row.column in by_column:
                name = by_column[row.column]
                kind, _, need = fields[name]
                problems.append(
                    f"{label}: column {row.column!r} does not hold {_KIND_WORDS[kind]} "
                    f"(most cells unreadable); it is needed for {need}"
                )
    if problems:
        raise FitInputError(*dict.fromkeys(problems))
    return [name for name, column in columns.items() if column in frame.columns]


def _separator(path: Path) -> str:
    """The field separator (comma, semicolon as European spreadsheets write, tab or bar)."""
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        sample = handle.read(65536)
    try:
        return csv.Sniffer().sniff(sample.splitlines()[0] if sample else ",", ",;\t|").delimiter
    except csv.Error:
        return ","


def read_csv(path: str | Path) -> pd.DataFrame:
    """Every cell as stripped text; blank cells NaN. A byte-order mark (Excel) is skipped."""
    path = Path(path)
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
            sep=_separator(path),
            encoding="utf-8-sig",
        )
    except FileNotFoundError:
        raise FitInputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise FitInputError(f"{path.name}: cannot be read as CSV ({e})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.apply(lambda s: s.str.strip()).replace("", np.nan)


@dataclass
class Exports:
    """The canonical tables: leads and deals (either may be None), times in model hours."""

    leads: pd.DataFrame | None
    deals: pd.DataFrame | None
    present: set[str]
    start: pd.Timestamp
    as_of: float
    quality: Quality
    timezone: str


def _canonical(
    raw: pd.DataFrame, label: str, columns: dict[str, str], found: list[str], cmap: ColumnMap
) -> tuple[pd.DataFrame, Quality]:
    """The found fields under their canonical names, converted; unreadable cells counted."""
    table = "leads" if label.startswith("leads") else "opportunities"
    fields = LEAD_FIELDS if table == "leads" else DEAL_FIELDS
    quality = Quality()
    out = pd.DataFrame(index=raw.index)
    for name in found:
        kind = fields[name][0]
        text = raw[columns[name]]
        if kind == "time":
            value = _times(text, cmap)
        elif kind == "number":
            value = _numbers(text)
        elif kind == "flag":
            value = text.isin(cmap.true_values).where(text.notna())
        else:
            value = text
        unreadable = int((text.notna() & value.isna()).sum())
        quality.add(table, f"unreadable {columns[name]}", unreadable, "treated as blank")
        out[name] = value
    return out, quality


def read_exports(
    leads: str | Path | None,
    deals: str | Path | None,
    cmap: ColumnMap,
    as_of: str | None = None,
) -> Exports:
    """Read and check the exports, put every time on the model's clock, count the problems."""
    if leads is None and deals is None:
        raise FitInputError("fit: give a leads export, an opportunities export, or both")
    quality = Quality()
    present: set[str] = set()
    tables: dict[str, pd.DataFrame | None] = {"leads": None, "deals": None}
    for key, path, columns, fields in (
        ("leads", leads, cmap.leads, LEAD_FIELDS),
        ("deals", deals, cmap.deals, DEAL_FIELDS),
    ):
        if path is None:
            continue
        raw = read_csv(path)
        found = _check(raw, Path(path).name, columns, fields, cmap)
        frame, q = _canonical(raw, "leads" if key == "leads" else "deals", columns, found, cmap)
        quality.rows += q.rows
        present |= {f"{key}.{name}" for name in found}
        tables[key] = frame
    if tables["deals"] is not None and not (
        {"deals.stage", "deals.won"} & present or "deals.is_closed" in present
    ):
        raise FitInputError(
            f"{Path(deals).name}: no column says whether a deal is won "  # type: ignore[arg-type]
            f"(the map names {cmap.deals.get('stage')!r} and {cmap.deals.get('won')!r}); "
            "one is needed for the win rate"
        )
    # The export's date: the latest time seen, except deals' close dates (an open deal's is
    # the date it is expected to close); closed deals' close dates count once states are known.
    stamps = [
        frame[c]
        for key, frame in tables.items()
        if frame is not None
        for c in frame.columns
        if pd.api.types.is_datetime64_any_dtype(frame[c]) and (key, c) != ("deals", "closed")
    ]
    every = pd.concat(stamps).dropna() if stamps else pd.Series(dtype="datetime64[ns]")
    if every.empty:
        raise FitInputError("fit: the exports hold no readable dates")
    first = (tables["leads"] if tables["leads"] is not None else tables["deals"])["created"].min()  # type: ignore[index]
    first = every.min() if pd.isna(first) else first
    start = (first - pd.Timedelta(days=first.dayofweek)).normalize()
    end = pd.Timestamp(as_of) if as_of else every.max()
    for frame in tables.values():
        if frame is None:
            continue
        for c in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[c]):
                frame[c] = (frame[c] - start) / pd.Timedelta(hours=1)
    as_of_h = float((end - start) / pd.Timedelta(hours=1))
    return Exports(
        tables["leads"], tables["deals"], present, start, as_of_h, quality, cmap.timezone
    )
