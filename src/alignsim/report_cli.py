"""`alignsim report`: a scenario file or a batch output folder in, one self-contained HTML out.

matplotlib and the report module load only when the command runs, so the rest of the CLI
starts as fast as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alignsim.cli import (
    SET_HELP,
    BadInput,
    BaselineOption,
    EngineOption,
    HorizonOption,
    PolicyOption,
    SeedOption,
    _check_engine,
    _check_size,
    _hours,
    _load,
    _output_folder,
    _pair,
    app,
)

DEFAULT_REPLICATIONS = 30


@app.command("report")
def report_command(
    source: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="A scenario file (runs a comparison) or a batch output folder "
            "(runs.parquet and summary.json).",
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The HTML file to write, e.g. report.html.")
    ],
    replications: Annotated[
        int | None,
        typer.Option(
            help=f"Replications for a scenario (default {DEFAULT_REPLICATIONS}).",
            min=1,
            max=10_000,
        ),
    ] = None,
    baseline: BaselineOption = None,
    policy: PolicyOption = None,
    seed: SeedOption = None,
    horizon: HorizonOption = None,
    engine: EngineOption = None,
    sets: Annotated[list[str] | None, typer.Option("--set", help=SET_HELP)] = None,
) -> None:
    """Write one self-contained HTML report of a scenario (compared) or a batch folder."""
    if source.is_dir():
        given = {
            "--replications": replications,
            "--baseline": baseline,
            "--policy": policy,
            "--seed": seed,
            "--horizon": horizon,
            "--engine": engine,
            "--set": sets or None,
        }
        for option, value in given.items():
            if value is not None:
                raise BadInput(
                    f"{option}: applies to a scenario file, not to the batch folder {source}"
                )
        _output_folder(output, "--output", " such as report.html")
        from alignsim import report

        try:
            text = report.batch_report(source)
        except ValueError as error:
            raise BadInput(f"INPUT: {error}") from None
    else:
        _check_engine(engine)
        sc = _load(source, sets)
        _pair(sc, source, baseline, policy)
        hours = _hours(horizon, "--horizon")
        _check_size(sc, source, hours)
        _output_folder(output, "--output", " such as report.html")
        from alignsim import report

        text = report.scenario_report(
            sc,
            baseline,
            policy,
            replications=DEFAULT_REPLICATIONS if replications is None else replications,
            seed=seed,
            horizon=hours,
            engine=engine,
        )
    try:
        report.write_report(text, output)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise BadInput(f"--output: cannot write {output} ({reason})") from None
    typer.echo(f"wrote {output}")
