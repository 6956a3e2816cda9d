"""The `alignsim` command: parse, call the library, print.

Exit codes: 0 ok, 1 failure, 2 bad input.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from alignsim import metrics
from alignsim.engines import ENGINES
from alignsim.ledger import OUTCOMES, Ledger
from alignsim.scenario import (
    MAX_EXPECTED_LEADS,
    MAX_HORIZON_WEEKS,
    Scenario,
    ScenarioError,
    expected_leads,
    load,
    schema,
)
from alignsim.simulation import simulate_all
from alignsim.units import format_duration, parse_duration

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Put a price on the misalignment between marketing and sales.\n\n"
    "Exit codes: 0 success, 1 failure, 2 bad input (usage or scenario file).",
)


class BadInput(Exception):
    """A user error: printed as one line per problem, exit code 2."""


def money(amount: float, currency: str) -> str:
    """An amount with thousands separators and the currency code: 'EUR 1,234,567'."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{currency} {abs(amount):,.0f}"


def _load(path: Path) -> Scenario:
    try:
        return load(path)
    except ScenarioError as error:
        raise BadInput(*error.problems) from None


def _hours(text: str | None, option: str) -> float | None:
    if text is None:
        return None
    try:
        hours = parse_duration(text)
    except ValueError as error:
        raise BadInput(f"{option}: {error}") from None
    if hours <= 0:
        raise BadInput(f"{option}: must be longer than zero (got {text!r})")
    if hours > MAX_HORIZON_WEEKS * 168:
        raise BadInput(f"{option}: must be at most {MAX_HORIZON_WEEKS}w (got {text!r})")
    return hours


def _check_size(scenario: Scenario, path: Path, hours: float | None) -> None:
    """The scenario's cap on leads per run also holds for a longer --horizon."""
    if hours is None:
        return
    expected = expected_leads(scenario) / scenario.horizon * hours
    if expected > MAX_EXPECTED_LEADS:
        raise BadInput(
            f"--horizon: {path.name} would create about {expected:,.0f} leads over it "
            f"(at most {MAX_EXPECTED_LEADS:,} per run)"
        )


def _policies(scenario: Scenario, path: Path, names: list[str] | None) -> list[str]:
    if not names:
        return [next(iter(scenario.policies))]
    if names == ["all"]:
        return list(scenario.policies)
    unknown = [n for n in names if n not in scenario.policies]
    if unknown:
        raise BadInput(
            f"{path.name}: no policy {unknown[0]!r}; it has {', '.join(scenario.policies)}"
        )
    return list(dict.fromkeys(names))


def _ledger_path(base: Path, policy: str, several: bool) -> Path:
    if not several:
        return base
    safe = re.sub(r"[^\w.-]", "_", policy)  # a policy name may hold any character
    return base.with_name(f"{base.stem}.{safe}{base.suffix or '.parquet'}")


def _ledger_folder(ledger: Path) -> None:
    """Fail before the run, not after it, when the ledger's folder cannot be made."""
    if ledger.is_dir():
        raise BadInput(f"--ledger: {ledger} is a folder, expected a file name")
    try:
        ledger.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise BadInput(
            f"--ledger: cannot create the folder of {ledger} (a file is in the way)"
        ) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise BadInput(f"--ledger: cannot create the folder of {ledger} ({reason})") from None


def _write_ledgers(ledger: Path, ledgers: dict[str, Ledger]) -> None:
    """Write every ledger, or none: files already written are removed if a later one fails."""
    written: list[Path] = []
    try:
        for name, led in ledgers.items():
            target = _ledger_path(ledger, name, len(ledgers) > 1)
            led.to_parquet(target)
            written.append(target)
    except OSError as error:
        for path in written:
            path.unlink(missing_ok=True)
        reason = error.strerror or type(error).__name__
        raise BadInput(f"--ledger: cannot write {ledger} ({reason})") from None


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    policy: Annotated[
        list[str] | None,
        typer.Option(
            "--policy",
            "-p",
            help="Policy to run; repeat for several, or 'all'. Default: the first in the file.",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Root seed (default: the scenario's).", min=0, max=2**63 - 1)
    ] = None,
    horizon: Annotated[str | None, typer.Option(help='Run length, e.g. "26w".')] = None,
    engine: Annotated[str, typer.Option(help=f"Engine: {', '.join(ENGINES)}.")] = "simpy",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ledger: Annotated[
        Path | None,
        typer.Option(help="Write the per-lead ledger as Parquet (one file per policy if several)."),
    ] = None,
) -> None:
    """Play one or more policies on the same leads; print the funnel, revenue and speed to lead."""
    sc = _load(scenario)
    names = _policies(sc, scenario, policy)
    hours = _hours(horizon, "--horizon")
    if engine not in ENGINES:
        raise BadInput(f"--engine: expected one of {', '.join(ENGINES)} (got {engine!r})")
    _check_size(sc, scenario, hours)
    if ledger is not None:
        _ledger_folder(ledger)
    ledgers = simulate_all(sc, names, seed=seed, horizon=hours, engine=engine)
    if ledger is not None:
        _write_ledgers(ledger, ledgers)
    summaries = {name: metrics.summary(led) for name, led in ledgers.items()}
    if as_json:
        if len(summaries) == 1:
            out: dict[str, Any] = next(iter(summaries.values()))
        else:
            out = {
                "scenario": sc.name,
                "seed": ledgers[names[0]].seed,
                "policies": summaries,
            }
        typer.echo(json.dumps(out, indent=2))
        return
    _print_side_by_side(sc, ledgers, summaries)


def _print_side_by_side(
    sc: Scenario, ledgers: dict[str, Ledger], summaries: dict[str, dict[str, Any]]
) -> None:
    console = Console()
    first = next(iter(ledgers.values()))
    cur = sc.currency
    table = Table(
        title=f"{sc.name}: {format_duration(first.horizon)}, seed {first.seed}, "
        f"{len(first):,} leads (the same leads for every policy)",
        title_justify="left",
    )
    table.add_column("")
    for name in ledgers:
        table.add_column(name, justify="right")

    def row(label: str, values: list[str], style: str | None = None) -> None:
        table.add_row(label, *values, style=style)

    row("Funnel (marketing leads)", [""] * len(ledgers), "bold")
    for stage in metrics.FUNNEL_STAGES:
        cells = []
        for led in ledgers.values():
            f = metrics.funnel(led)
            count, step = f.loc[stage, "count"], f.loc[stage, "from_previous"]
            cells.append(f"{count:,}" if stage == "leads" else f"{count:,}  ({step:.0%})")
        row(f"  {stage}", cells)
    row("Outcomes (all leads)", [""] * len(ledgers), "bold")
    for outcome in OUTCOMES:
        counts = [s["outcomes"][outcome] for s in summaries.values()]
        if any(counts):
            row(f"  {outcome}", [f"{c:,}" for c in counts])
    row("Speed to lead (SALs)", [""] * len(ledgers), "bold")

    def hours(x: float | None) -> str:
        return "-" if x is None else format_duration(x)

    row("  median", [hours(s["speed_to_lead"]["median_h"]) for s in summaries.values()])
    row("  P90", [hours(s["speed_to_lead"]["p90_h"]) for s in summaries.values()])
    row(
        "  within SLA",
        [
            "-"
            if s["speed_to_lead"]["within_sla"] is None
            else f"{s['speed_to_lead']['within_sla']:.0%}"
            for s in summaries.values()
        ],
    )
    row("  answered", [f"{s['speed_to_lead']['answered'] or 0:.0%}" for s in summaries.values()])
    row("Rep utilisation", [f"{s['rep_utilisation'] or 0:.0%}" for s in summaries.values()])
    row("Open pipeline", [money(s["pipeline"], cur) for s in summaries.values()])
    row("Revenue", [money(s["revenue"], cur) for s in summaries.values()], "bold")
    console.print(table)
    base = sc.baseline_policy
    if len(ledgers) > 1 and base in summaries:
        for name, s in summaries.items():
            if name != base:
                lost = summaries[base]["revenue"] - s["revenue"]
                console.print(
                    f"Revenue lost by [bold]{name}[/bold] against [bold]{base}[/bold] on these "
                    f"leads: [bold]{money(lost, cur)}[/bold] "
                    f"(one replication; an interval needs several)."
                )


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")],
) -> None:
    """Check scenario files; print every problem, one per line."""
    problems: list[str] = []
    for path in files:
        try:
            sc = load(path)
        except ScenarioError as error:
            problems.extend(error.problems)
            continue
        typer.echo(
            f"{path}: ok ({len(sc.policies)} policies: {', '.join(sc.policies)}; "
            f"about {expected_leads(sc):,.0f} leads per run)"
        )
    if problems:
        raise BadInput(*problems)


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the scenario format (for editors)."""
    typer.echo(json.dumps(schema(), indent=2))


def main() -> None:
    """Entry point: run the app, turning bad input into one line per problem and exit code 2."""
    try:
        app(standalone_mode=False)
    except BadInput as error:
        for line in error.args:
            typer.echo(line, err=True)
        sys.exit(2)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as error:
        # Usage errors (click's, or the copy of click that recent typer ships): they know how
        # to show themselves and their exit code (2).
        show, code = getattr(error, "show", None), getattr(error, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        if os.environ.get("ALIGNSIM_DEBUG"):
            raise
        typer.echo(f"alignsim: internal error: {type(error).__name__}: {error}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
