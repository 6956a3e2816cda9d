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

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from alignsim import metrics
from alignsim.comparison import Comparison, compare
from alignsim.engines import DEFAULT_ENGINE, ENGINES
from alignsim.ledger import OUTCOMES, Ledger
from alignsim.overrides import apply_overrides, split_assignment, split_values
from alignsim.scenario import (
    MAX_EXPECTED_LEADS,
    MAX_HORIZON_WEEKS,
    Scenario,
    ScenarioError,
    expected_leads,
    load,
    read_document,
    schema,
)
from alignsim.scenario import validate as validate_document
from alignsim.simulation import simulate_all
from alignsim.sweeps import sweep as sweep_values
from alignsim.units import format_duration, parse_duration

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Put a price on the misalignment between marketing and sales.\n\n"
    "Exit codes: 0 success, 1 failure, 2 bad input (usage or scenario file).",
)


BaselineOption = Annotated[
    str | None, typer.Option(help="Policy to compare against (default: the scenario's).")
]
PolicyOption = Annotated[
    str | None, typer.Option(help="Policy compared (default: the first other policy).")
]
SeedOption = Annotated[
    int | None, typer.Option(help="Root seed (default: the scenario's).", min=0, max=2**63 - 1)
]
HorizonOption = Annotated[str | None, typer.Option(help='Run length, e.g. "26w".')]
EngineOption = Annotated[
    str | None,
    typer.Option(help=f"Engine: {', '.join(ENGINES)} (default: {DEFAULT_ENGINE})."),
]


class BadInput(Exception):
    """A user error: printed as one line per problem, exit code 2."""


def _check_engine(engine: str | None) -> None:
    if engine is not None and engine not in ENGINES:
        raise BadInput(f"--engine: expected one of {', '.join(ENGINES)} (got {engine!r})")


def money(amount: float, currency: str) -> str:
    """An amount with thousands separators and the currency code: 'EUR 1,234,567'."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{currency} {abs(amount):,.0f}"


def _load(path: Path, sets: list[str] | None = None) -> Scenario:
    """The scenario file, with the `--set PATH=VALUE` changes applied before validation."""
    try:
        if not sets:
            return load(path)
        doc = apply_overrides(read_document(path), sets)
        return validate_document(doc, path.name)
    except ScenarioError as error:
        raise BadInput(*error.problems) from None


SET_HELP = (
    "Change a value of the scenario before the run, e.g. team.reps=4 or "
    "policies.current.sla.first_response=1h (a TOML value, or plain text). Repeatable."
)


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


def _output_folder(path: Path, option: str, hint: str = "") -> None:
    """Fail before the run, not after it, when an output's folder cannot be made."""
    if path.is_dir():
        raise BadInput(f"{option}: {path} is a folder, expected a file name{hint}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise BadInput(
            f"{option}: cannot create the folder of {path} (a file is in the way)"
        ) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise BadInput(f"{option}: cannot create the folder of {path} ({reason})") from None


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
    seed: SeedOption = None,
    horizon: HorizonOption = None,
    engine: EngineOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ledger: Annotated[
        Path | None,
        typer.Option(help="Write the per-lead ledger as Parquet (one file per policy if several)."),
    ] = None,
    sets: Annotated[list[str] | None, typer.Option("--set", help=SET_HELP)] = None,
) -> None:
    """Play one or more policies on the same leads; print the funnel, revenue and speed to lead."""
    sc = _load(scenario, sets)
    names = _policies(sc, scenario, policy)
    hours = _hours(horizon, "--horizon")
    _check_engine(engine)
    _check_size(sc, scenario, hours)
    if ledger is not None:
        _output_folder(ledger, "--ledger")
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


HOURS_PER_YEAR = 8736.0
"""52 weeks: what "per year" scales a horizon's figures to."""


def _pair(sc: Scenario, path: Path, baseline: str | None, policy: str | None) -> None:
    """Unknown --baseline or --policy names are bad input."""
    for option, name in (("--baseline", baseline), ("--policy", policy)):
        if name is not None and name not in sc.policies:
            raise BadInput(
                f"{option}: {path.name} has no policy {name!r}; it has {', '.join(sc.policies)}"
            )


def _interval_text(low: float | None, high: float | None, currency: str, scale: float = 1) -> str:
    if low is None or high is None:
        return "- (one replication)"
    return f"[{money(low * scale, currency)}, {money(high * scale, currency)}]"


def _print_comparison(result: Comparison) -> None:
    """The comparison as a manager reads it: per year, with the interval and the causes."""
    s = result.summary()
    cur = s["currency"]
    per_year = HOURS_PER_YEAR / s["horizon_h"]
    lost = s["revenue_lost"]
    one_year = abs(per_year - 1) < 1e-9
    run = "" if one_year else f", scaled from runs of {format_duration(s['horizon_h'])}"
    table = Table(
        title=f"{result.scenario}: {result.policy} against {result.baseline}, per year{run}; "
        f"{s['replications']} replications (seed {s['seed']}, the same leads for both)",
        title_justify="left",
    )
    for column in ("", "per year", "95% interval", "share"):
        table.add_column(column, justify="left" if not column else "right")
    for name, amount in s["revenue"].items():
        table.add_row(f"Revenue, {name}", money(amount * per_year, cur), "", "")
    table.add_row(
        "Revenue lost",
        money(lost["mean"] * per_year, cur),
        _interval_text(lost["ci_low"], lost["ci_high"], cur, per_year),
        "100%" if lost["mean"] else "-",
        style="bold",
    )
    table.add_row("Revenue lost by cause", "", "", "", style="bold")
    causes = result.attribution()
    for row in causes.itertuples():
        share = "-" if not np.isfinite(row.share) else f"{row.share:.0%}"
        table.add_row(f"  {row.cause}", money(row.amount * per_year, cur), "", share)
    console = Console(width=max(100, Console().width))
    console.print(table)
    interval = _interval_text(lost["ci_low"], lost["ci_high"], cur, per_year)
    sentence = (
        f"{result.policy} loses {money(lost['mean'] * per_year, cur)} a year against "
        f"{result.baseline}" + (f" (95% interval {interval})" if lost["ci_low"] is not None else "")
    )
    if lost["mean"] > 0:
        top = causes.sort_values("amount", ascending=False).iloc[0]
        sentence += (
            f"; the biggest cause is {top['cause']} ({money(top['amount'] * per_year, cur)})"
        )
    console.print(sentence + ".")


@app.command("compare")
def compare_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    baseline: BaselineOption = None,
    policy: PolicyOption = None,
    replications: Annotated[
        int, typer.Option(help="Replications (common lead streams).", min=1, max=10_000)
    ] = 30,
    seed: SeedOption = None,
    horizon: HorizonOption = None,
    sets: Annotated[list[str] | None, typer.Option("--set", help=SET_HELP)] = None,
    engine: EngineOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Revenue lost by a policy against the baseline, with a paired 95% interval and its causes."""
    _check_engine(engine)
    sc = _load(scenario, sets)
    _pair(sc, scenario, baseline, policy)
    hours = _hours(horizon, "--horizon")
    _check_size(sc, scenario, hours)
    result = compare(
        sc, baseline, policy, replications=replications, seed=seed, horizon=hours, engine=engine
    )
    if as_json:
        typer.echo(json.dumps(result.summary(), indent=2))
        return
    _print_comparison(result)


@app.command()
def sweep(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    sets: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="PATH=V1,V2,...: the values to sweep (commas inside [] or {} do not split).",
        ),
    ],
    baseline: BaselineOption = None,
    policy: PolicyOption = None,
    replications: Annotated[
        int, typer.Option(help="Replications per value.", min=1, max=10_000)
    ] = 30,
    seed: SeedOption = None,
    horizon: HorizonOption = None,
    engine: EngineOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV, one row per value.")] = False,
) -> None:
    """Revenue lost for each value of one scenario setting, on the same seed (common streams)."""
    _check_engine(engine)
    if len(sets) != 1:
        raise BadInput(f"--set: sweep takes exactly one --set PATH=V1,V2,... (got {len(sets)})")
    if as_json and as_csv:
        raise BadInput("--json and --csv: choose one")
    try:
        path, text = split_assignment(sets[0])
        doc = read_document(scenario)
    except ScenarioError as error:
        raise BadInput(*error.problems) from None
    values = split_values(text)
    if any(not v for v in values):
        raise BadInput(f"--set {path}: an empty value in {text!r}")
    hours = _hours(horizon, "--horizon")
    scenarios: list[Scenario] = []
    problems: list[str] = []
    for value in values:
        try:
            changed = apply_overrides(doc, [f"{path}={value}"])
            scenarios.append(validate_document(changed, f"{scenario.name} ({path}={value})"))
        except ScenarioError as error:
            problems.extend(error.problems)
    if problems:
        raise BadInput(*dict.fromkeys(problems))
    for sc in scenarios:
        _pair(sc, scenario, baseline, policy)
        _check_size(sc, scenario, hours)
    frame = sweep_values(
        doc,
        path,
        values,
        baseline,
        policy,
        replications=replications,
        seed=seed,
        horizon=hours,
        engine=engine,
    )
    first = frame.attrs
    root = first["seed"]
    if as_csv:
        typer.echo(frame.to_csv(index=False, lineterminator="\n"), nl=False)
        return
    names = [
        c.removeprefix("revenue_")
        for c in frame.columns
        if c.startswith("revenue_") and c != "revenue_lost"
    ]

    def finite(x: float) -> float | None:
        return None if x != x else float(x)

    rows = [
        {
            "value": r["value"],
            "revenue_lost": r["revenue_lost"],
            "ci_low": finite(r["ci_low"]),
            "ci_high": finite(r["ci_high"]),
            "revenue": {n: r[f"revenue_{n}"] for n in names},
        }
        for r in frame.to_dict("records")
    ]
    if as_json:
        keys = ("scenario", "set", "baseline", "policy", "replications", "seed", "currency")
        out = {k: first[k] for k in keys} | {"horizon_h": first["horizon_h"], "rows": rows}
        typer.echo(json.dumps(out, indent=2, default=str))
        return
    cur = first["currency"]
    table = Table(
        title=f"{first['scenario']}: {first['policy']} against {first['baseline']} as {path} "
        f"varies; {replications} replications of {format_duration(first['horizon_h'])}, "
        f"seed {root}",
        title_justify="left",
    )
    for column in (path, "revenue lost", "95% interval", *(f"revenue, {n}" for n in names)):
        table.add_column(column, justify="left" if column == path else "right")
    for row in rows:
        table.add_row(
            row["value"],
            money(row["revenue_lost"], cur),
            _interval_text(row["ci_low"], row["ci_high"], cur),
            *(money(row["revenue"][n], cur) if n in row["revenue"] else "-" for n in names),
        )
    Console(width=max(100, Console().width)).print(table)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")],
) -> None:
    """Check scenario files; print every problem, one per line."""
    problems: list[str] = []
    for path in files:
        try:
            sc = load(path)
            if sc.uncertainty is not None:  # its paths and ranges, against this scenario
                from alignsim.batch.setup import prepare

                prepare(read_document(path), path.name)
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


# Commands that live in their own modules register themselves on `app` when imported.
# One import per line, each module owned by its feature (batch, report, workshop).
# --- command modules ---
import alignsim.batch.cli  # noqa: E402
import alignsim.fit.command  # noqa: E402
import alignsim.report_cli  # noqa: E402
import alignsim.workshop.command  # noqa: E402, F401

# --- end of command modules ---


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
