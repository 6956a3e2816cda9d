"""`alignsim sweep`: revenue lost for each value of one scenario setting, on the same seed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from alignsim.cli.common import (
    BadInput,
    BaselineOption,
    EngineOption,
    HorizonOption,
    PolicyOption,
    SeedOption,
    check_engine,
    check_pair,
    check_size,
    hours_option,
    interval_text,
    json_text,
    money,
)
from alignsim.overrides import apply_overrides, split_assignment, split_values
from alignsim.scenario import Scenario, ScenarioError, read_document
from alignsim.scenario import validate as validate_document
from alignsim.units import format_duration

__all__ = ["sweep_command"]


def sweep_command(
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
    check_engine(engine)
    if len(sets) != 1:
        raise BadInput(f"--set: sweep takes exactly one --set PATH=V1,V2,... (got {len(sets)})")
    if as_json and as_csv:
        raise BadInput("--json and --csv: choose one")
    doc, path, values = _swept(scenario, sets[0])
    hours = hours_option(horizon, "--horizon")
    for sc in _validated(doc, scenario, path, values):
        check_pair(sc, scenario, baseline, policy)
        check_size(sc, scenario, hours)
    from alignsim.sweeps import sweep as sweep_values

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
    if as_csv:
        typer.echo(frame.to_csv(index=False, lineterminator="\n"), nl=False)
        return
    names = [
        c.removeprefix("revenue_")
        for c in frame.columns
        if c.startswith("revenue_") and c != "revenue_lost"
    ]
    rows = _rows(frame, names)
    first = frame.attrs
    if as_json:
        keys = ("scenario", "set", "baseline", "policy", "replications", "seed", "currency", "unit")
        out = {k: first[k] for k in keys} | {"horizon_h": first["horizon_h"], "rows": rows}
        typer.echo(json_text(out, default=str))
        return
    _print_sweep(first, path, replications, names, rows)


def _swept(scenario: Path, assignment: str) -> tuple[dict[str, Any], str, list[str]]:
    """The scenario's document, the swept path and its values (one `--set PATH=V1,V2,...`)."""
    try:
        path, text = split_assignment(assignment)
        doc = read_document(scenario)
    except ScenarioError as error:
        raise BadInput(*error.problems) from None
    values = split_values(text)
    if any(not v for v in values):
        raise BadInput(f"--set {path}: an empty value in {text!r}")
    return doc, path, values


def _validated(doc: dict[str, Any], scenario: Path, path: str, values: list[str]) -> list[Scenario]:
    """The scenario once per value, validated; every problem of every value at once."""
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
    return scenarios


def _rows(frame: Any, names: list[str]) -> list[dict[str, Any]]:
    """One JSON row per value: the loss, its interval (None when not finite), each revenue."""

    def finite(x: float) -> float | None:
        return None if x != x else float(x)

    return [
        {
            "value": r["value"],
            "revenue_lost": r["revenue_lost"],
            "ci_low": finite(r["ci_low"]),
            "ci_high": finite(r["ci_high"]),
            "revenue": {n: r[f"revenue_{n}"] for n in names},
        }
        for r in frame.to_dict("records")
    ]


def _print_sweep(
    first: dict[str, Any],
    path: str,
    replications: int,
    names: list[str],
    rows: list[dict[str, Any]],
) -> None:
    """The sweep as a table: one row per value, per year."""
    from rich.console import Console
    from rich.table import Table

    cur = first["currency"]
    table = Table(
        title=f"{first['scenario']}: {first['policy']} against {first['baseline']} as {path} "
        f"varies, per year; {replications} replications of "
        f"{format_duration(first['horizon_h'])}, seed {first['seed']}",
        title_justify="left",
    )
    for column in (path, "revenue lost", "95% interval", *(f"revenue, {n}" for n in names)):
        table.add_column(column, justify="left" if column == path else "right")
    for row in rows:
        table.add_row(
            row["value"],
            money(row["revenue_lost"], cur),
            interval_text(row["ci_low"], row["ci_high"], cur),
            *(money(row["revenue"][n], cur) if n in row["revenue"] else "-" for n in names),
        )
    Console(width=max(100, Console().width)).print(table)
