"""`alignsim schema`: the JSON Schema of the scenario format, for editors."""

from __future__ import annotations

import json

import typer

from alignsim.scenario import schema

__all__ = ["schema_command"]


def schema_command() -> None:
    """Print the JSON Schema of the scenario format (for editors)."""
    typer.echo(json.dumps(schema(), indent=2))
