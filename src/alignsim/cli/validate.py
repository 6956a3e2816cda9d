"""`alignsim validate`: check scenario files and print every problem, one per line.

A file with an `[uncertainty]` table is also checked input by input against the scenario
(the batch setup, loaded only then).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alignsim.cli.common import BadInput
from alignsim.scenario import ScenarioError, expected_leads, load, read_document

__all__ = ["validate_command"]


def validate_command(
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
            if sc.optimise is not None:  # its levers, against this scenario's policies
                from alignsim.scenario.space import check

                check(sc, path.name)
        except ScenarioError as error:
            problems.extend(error.problems)
            continue
        typer.echo(
            f"{path}: ok ({len(sc.policies)} policies: {', '.join(sc.policies)}; "
            f"about {expected_leads(sc):,.0f} leads per run)"
        )
    if problems:
        raise BadInput(*problems)
