"""`alignsim schema`: the JSON Schema of the scenario format, for editors."""

from __future__ import annotations

import typer

from alignsim.cli.common import json_text
from alignsim.scenario import schema

__all__ = ["schema_command"]


def schema_command() -> None:
    """Print the JSON Schema of the scenario format (for editors)."""
    typer.echo(json_text(schema()))
