"""`alignsim run`: play one or more policies on the same leads; print the funnel, revenue and
speed to lead, or write the ledgers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from alignsim.cli.common import (
    BadInput,
    EngineOption,
    HorizonOption,
    SeedOption,
    SetOption,
    check_engine,
    check_size,
    hours_option,
    json_text,
    load_scenario,
    money,
    output_folder,
)
from alignsim.scenario import Scenario
from alignsim.units import format_duration

if TYPE_CHECKING:
    from alignsim.ledger import Ledger

__all__ = ["ledger_path", "run_command", "write_ledgers"]


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


def ledger_path(base: Path, policy: str, several: bool) -> Path:
    if not several:
        return base
    safe = re.sub(r"[^\w.-]", "_", policy)  # a policy name may hold any character
    return base.with_name(f"{base.stem}.{safe}{base.suffix or '.parquet'}")


def write_ledgers(ledger: Path, ledgers: dict[str, Ledger]) -> None:
    """Write every ledger, or none: files already written are removed if a later one fails."""
    written: list[Path] = []
    try:
        for name, led in ledgers.items():
            target = ledger_path(ledger, name, len(ledgers) > 1)
            led.to_parquet(target)
            written.append(target)
    except OSError as error:
        for path in written:
            path.unlink(missing_ok=True)
        reason = error.strerror or type(error).__name__
        raise BadInput(f"--ledger: cannot write {ledger} ({reason})") from None


def run_command(
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
    sets: SetOption = None,
) -> None:
    """Play one or more policies on the same leads; print the funnel, revenue and speed to lead."""
    sc = load_scenario(scenario, sets)
    names = _policies(sc, scenario, policy)
    hours = hours_option(horizon, "--horizon")
    check_engine(engine)
    check_size(sc, scenario, hours)
    if ledger is not None:
        output_folder(ledger, "--ledger")
    from alignsim import metrics
    from alignsim.simulation import simulate_all

    ledgers = simulate_all(sc, names, seed=seed, horizon=hours, engine=engine)
    if ledger is not None:
        write_ledgers(ledger, ledgers)
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
        typer.echo(json_text(out))
        return
    _print_side_by_side(sc, ledgers, summaries)


def _print_side_by_side(
    sc: Scenario, ledgers: dict[str, Ledger], summaries: dict[str, dict[str, Any]]
) -> None:
    from rich.console import Console
    from rich.table import Table

    from alignsim import metrics
    from alignsim.ledger import OUTCOMES

    console = Console()
    first = next(iter(ledgers.values()))
    cur = sc.currency
    table = Table(
        title=f"{sc.name}: a {format_duration(first.horizon)} window after "
        f"{format_duration(first.window[0])} of warm-up, seed {first.seed}, "
        f"{next(iter(summaries.values()))['leads']:,} leads in it (the same leads for every "
        "policy, followed until they resolve)",
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
    row("Outcomes (the window's leads)", [""] * len(ledgers), "bold")
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
