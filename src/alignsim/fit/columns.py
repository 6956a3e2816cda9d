"""Column maps: which column of a CRM export holds which fact about a lead or a deal.

A map is a small TOML file (the presets `salesforce` and `hubspot` ship in `maps/`): the
export's time zone and date format, the column that holds each field, and the values that
mean hot/warm/cold, won and lost. `LEAD_FIELDS` and `DEAL_FIELDS` say what each field is
needed for; a missing required column, or a wrong one, is one sentence naming the file, the
column and that need (`FitInputError`, exit code 2 on the command line).
"""

from __future__ import annotations

import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAPS = Path(__file__).with_name("maps")
PRESETS = ("salesforce", "hubspot")

LEAD_FIELDS: dict[str, tuple[str, bool, str]] = {
    "id": ("text", True, "telling leads apart (duplicates)"),
    "created": ("time", True, "arrivals: when each lead was created"),
    "source": ("text", True, "arrivals by source"),
    "temperature": ("text", False, "the temperature mix (hot / warm / cold rating)"),
    "status": ("text", False, "the lead's status (shown in the report)"),
    "mql": ("time", False, "response times after MQL and the MQL share"),
    "routed": ("time", False, "the handoff (realtime or batch exports at a clock time)"),
    "first_attempt": ("time", False, "response times and the contact decay curve"),
    "attempts": ("number", False, "attempts per lead (the policy's max_attempts)"),
    "reached": ("time", False, "the reach rate and the contact decay curve"),
    "sql": ("time", False, "qualification (SQL) rates"),
    "opportunity": ("text", False, "linking deals to their lead's source and rating"),
    "owner": ("text", False, "the number of reps (distinct owners of worked leads)"),
}
"""Lead fields: (kind, required, what it is needed for)."""

DEAL_FIELDS: dict[str, tuple[str, bool, str]] = {
    "id": ("text", True, "telling deals apart and linking them to leads"),
    "created": ("time", True, "the sales cycle (from creation to close)"),
    "closed": ("time", False, "the sales cycle of closed deals"),
    "stage": ("text", False, "won, lost or open (by stage name)"),
    "won": ("flag", False, "won or not"),
    "is_closed": ("flag", False, "closed or still open"),
    "amount": ("number", True, "deal value"),
}
"""Deal (opportunity) fields: (kind, required, what it is needed for)."""


class FitInputError(ValueError):
    """Bad input to a fit: one sentence per problem, naming the file and the column."""

    def __init__(self, *problems: str) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class ColumnMap:
    """Which export column holds each field, and how its values read."""

    name: str
    timezone: str = "UTC"
    date_format: str = "ISO8601"
    dayfirst: bool = False
    leads: dict[str, str] = field(default_factory=dict)
    deals: dict[str, str] = field(default_factory=dict)
    temperature: dict[str, str] = field(default_factory=dict)
    won_stages: tuple[str, ...] = ("Closed Won",)
    lost_stages: tuple[str, ...] = ("Closed Lost",)
    true_values: tuple[str, ...] = ("true", "True", "TRUE", "1", "yes", "Yes")


def load_map(mapping: str | Path) -> ColumnMap:
    """A preset by name (`salesforce`, `hubspot`) or a user's map file."""
    if isinstance(mapping, str) and mapping in PRESETS:
        path = MAPS / f"{mapping}.toml"
    else:
        path = Path(mapping)
    label = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FitInputError(
            f"{mapping}: no such map file (use salesforce, hubspot or a map .toml file)"
        ) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise FitInputError(f"{label}: cannot be read as a TOML map ({error})") from None
    return _parse_map(data, label)


def _table(data: dict[str, Any], key: str, label: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise FitInputError(f"{label}: {key}: expected a table")
    return value


def _columns(data: dict[str, Any], part: str, known: dict[str, Any], label: str) -> dict[str, str]:
    columns = _table(_table(data, part, label), "columns", f"{label}: {part}")
    problems = [
        f"{label}: {part}.columns.{key}: unknown field (known: {', '.join(known)})"
        for key in columns
        if key not in known
    ]
    problems += [
        f"{label}: {part}.columns.{key}: expected a column name"
        for key, value in columns.items()
        if not isinstance(value, str) or not value
    ]
    if problems:
        raise FitInputError(*problems)
    return dict(columns)


def _parse_map(data: dict[str, Any], label: str) -> ColumnMap:
    leads = _columns(data, "leads", LEAD_FIELDS, label)
    deals = _columns(data, "opportunities", DEAL_FIELDS, label)
    lead_values = _table(_table(data, "leads", label), "values", f"{label}: leads")
    deal_values = _table(_table(data, "opportunities", label), "values", f"{label}: opportunities")
    temperature = lead_values.get("temperature", {})
    if not isinstance(temperature, dict) or any(
        v not in ("cold", "warm", "hot") for v in temperature.values()
    ):
        raise FitInputError(
            f'{label}: leads.values.temperature: expected a table like {{ Hot = "hot" }} '
            "whose values are cold, warm or hot"
        )
    timezone = str(data.get("timezone", "UTC"))
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise FitInputError(
            f"{label}: timezone: unknown time zone {timezone!r} (e.g. UTC, Europe/Berlin)"
        ) from None

    def texts(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = deal_values.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise FitInputError(f"{label}: opportunities.values.{key}: expected a list of texts")
        return tuple(value)

    return ColumnMap(
        name=str(data.get("name", label)),
        timezone=timezone,
        date_format=str(data.get("date_format", "ISO8601")),
        dayfirst=bool(data.get("dayfirst", False)),
        leads=leads,
        deals=deals,
        temperature={str(k): str(v) for k, v in temperature.items()},
        won_stages=texts("won_stages", ColumnMap.won_stages),
        lost_stages=texts("lost_stages", ColumnMap.lost_stages),
        true_values=texts("true_values", ColumnMap.true_values),
    )
