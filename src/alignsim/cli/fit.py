"""`alignsim fit` and `alignsim example-export`: the command-line side of fitting.

`fit` reads a leads export and/or an opportunities export through a column map, writes the
fitted scenario and, if asked, the fit report. `example-export` simulates a scenario's
`current` policy and writes its ledger as a CRM export in a preset's format, so a user sees
what `fit` reads. Bad input is one sentence naming the file and the column, exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alignsim.cli.common import BadInput, hours_option, load_scenario

MapOption = Annotated[
    str,
    typer.Option("--map", help="Column map: salesforce, hubspot, or a map .toml file."),
]


def fit_command(
    leads: Annotated[Path | None, typer.Argument(help="Leads (or contacts) export, CSV.")] = None,
    opportunities: Annotated[
        Path | None, typer.Option("--opportunities", help="Opportunities (or deals) export, CSV.")
    ] = None,
    mapping: MapOption = "salesforce",
    out: Annotated[Path, typer.Option("--out", help="Scenario file to write.")] = Path(
        "scenario.toml"
    ),
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the fit report (HTML).")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="Time zone of the business (default: the map's).")
    ] = None,
    currency: Annotated[str, typer.Option(help="Currency of the amounts.")] = "EUR",
    name: Annotated[str, typer.Option(help="Name of the written scenario.")] = "fitted",
    as_of: Annotated[
        str | None,
        typer.Option(help="Export date, e.g. 2026-03-31 (default: the latest time in it)."),
    ] = None,
    replications: Annotated[
        int, typer.Option(help="Replications for the report's revenue lost.", min=0)
    ] = 10,
) -> None:
    """Fit a scenario to your own CRM export: market, team hours and current policy."""
    try:
        from alignsim.fit import FitInputError, fit
    except ModuleNotFoundError as missing:  # lifelines or pandera: the `fit` extra
        raise BadInput(
            f"fit needs the package {missing.name!r}: pip install 'alignsim[fit]'"
        ) from None

    if leads is None and opportunities is None:
        raise BadInput("fit: give a leads export (LEADS.csv), --opportunities, or both")
    for option, path in (("--out", out), ("--report", report)):
        if path is not None and path.is_dir():
            raise BadInput(f"{option}: {path} is a folder; give a file name")
    if as_of is not None:
        import pandas as pd

        try:
            pd.Timestamp(as_of)
        except ValueError:
            raise BadInput(f"--as-of: expected a date like 2026-03-31 (got {as_of!r})") from None
    try:
        result = fit(
            leads,
            opportunities,
            mapping,
            name=name,
            timezone=timezone,
            currency=currency,
            as_of=as_of,
        )
    except FitInputError as error:
        raise BadInput(*error.problems) from None
    written = result.write_scenario(out)
    data = int((result.estimates["source"] == "data").sum())
    default = int((result.estimates["source"] == "default").sum())
    typer.echo(f"wrote {written}: {data} estimates from the data, {default} at defaults")
    if len(result.quality):
        typer.echo(f"data quality: {int(result.quality['count'].sum())} problems (see the report)")
    if report is not None:
        typer.echo(f"wrote {result.report(report, replications=replications)}")


def example_export(
    folder: Annotated[Path, typer.Argument(help="Folder to write the export into.")],
    scenario: Annotated[
        Path, typer.Option("--scenario", help="Scenario to simulate (its current policy).")
    ] = Path("scenarios/default.toml"),
    preset: Annotated[str, typer.Option(help="Export format: salesforce or hubspot.")] = (
        "salesforce"
    ),
    seed: Annotated[int | None, typer.Option(help="Root seed (default: the scenario's).")] = None,
    horizon: Annotated[str, typer.Option(help='Weeks of data, e.g. "13w".')] = "13w",
    policy: Annotated[str, typer.Option(help="Policy whose ledger is exported.")] = "current",
) -> None:
    """Simulate a scenario and write its ledger as a CRM export (what `fit` reads)."""
    from alignsim.fit import PRESETS
    from alignsim.fit.export import write_export
    from alignsim.simulation import simulate

    if preset not in PRESETS:
        raise BadInput(f"--preset: expected one of {', '.join(PRESETS)} (got {preset!r})")
    if folder.exists() and not folder.is_dir():
        raise BadInput(f"FOLDER: {folder} is a file; give a folder")
    sc = load_scenario(scenario)
    if policy not in sc.policies:
        raise BadInput(f"--policy: {scenario.name} has no policy {policy!r}")
    hours = hours_option(horizon, "--horizon")
    ledger = simulate(sc, policy, seed=seed, horizon=hours)
    for path in write_export(ledger, folder, preset):
        typer.echo(f"wrote {path}")
