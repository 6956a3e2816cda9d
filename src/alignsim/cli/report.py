"""`alignsim report`: a scenario file or a batch output folder in, one self-contained HTML out.

matplotlib and the report module load only when the command runs, so the rest of the CLI
starts as fast as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from alignsim.cli.common import (
    BadInput,
    BaselineOption,
    EngineOption,
    HorizonOption,
    PolicyOption,
    SeedOption,
    SetOption,
    check_engine,
    check_pair,
    check_size,
    hours_option,
    load_scenario,
    output_folder,
)

if TYPE_CHECKING:
    from alignsim.optimiser import Optimisation

__all__ = ["DEFAULT_REPLICATIONS", "report_command"]

DEFAULT_REPLICATIONS = 30


def _optimisation(folder: Path, scenario: str) -> Optimisation:
    """The result of `alignsim optimise --out DIR` in the folder, for the scenario reported."""
    from alignsim.optimiser import read_optimisation

    try:
        result = read_optimisation(folder)
    except ValueError as error:
        raise BadInput(f"--optimise: {error}") from None
    if result.scenario != scenario:
        raise BadInput(
            f"--optimise: {folder} holds a search of scenario {result.scenario!r}, "
            f"not of {scenario!r}"
        )
    return result


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
    sets: SetOption = None,
    optimised: Annotated[
        Path | None,
        typer.Option(
            "--optimise",
            metavar="DIR",
            help="The --out folder of `alignsim optimise` on this scenario: adds what to do "
            "first (the chosen policy, the ranking, the Pareto plot, the split by lever).",
        ),
    ] = None,
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
            "--optimise": optimised,
        }
        for option, value in given.items():
            if value is not None:
                raise BadInput(
                    f"{option}: applies to a scenario file, not to the batch folder {source}"
                )
        output_folder(output, "--output", " such as report.html")
        from alignsim import report

        try:
            text = report.batch_report(source)
        except ValueError as error:
            raise BadInput(f"INPUT: {error}") from None
    else:
        check_engine(engine)
        sc = load_scenario(source, sets)
        check_pair(sc, source, baseline, policy)
        hours = hours_option(horizon, "--horizon")
        check_size(sc, source, hours)
        output_folder(output, "--output", " such as report.html")
        optimisation = None if optimised is None else _optimisation(optimised, sc.name)
        from alignsim import report

        text = report.scenario_report(
            sc,
            baseline,
            policy,
            replications=DEFAULT_REPLICATIONS if replications is None else replications,
            seed=seed,
            horizon=hours,
            engine=engine,
            optimisation=optimisation,
        )
    try:
        report.write_report(text, output)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise BadInput(f"--output: cannot write {output} ({reason})") from None
    typer.echo(f"wrote {output}")
