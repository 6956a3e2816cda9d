"""What every `alignsim` command shares: bad input, the common options, loading a scenario,
checking durations, sizes and output paths, writing money, and the exit codes.

Exit codes: 0 ok, 1 failure, 2 bad input. A command raises `BadInput` (one line per problem);
`run_app` prints it and exits with 2, never with a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from alignsim.engines import DEFAULT_ENGINE, ENGINES
from alignsim.overrides import apply_overrides
from alignsim.scenario import (
    MAX_EXPECTED_LEADS,
    MAX_HORIZON_WEEKS,
    Scenario,
    ScenarioError,
    expected_leads,
    load,
    read_document,
    validate,
)
from alignsim.units import parse_duration

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "HOURS_PER_YEAR",
    "SET_HELP",
    "BadInput",
    "BaselineOption",
    "EngineOption",
    "HorizonOption",
    "PolicyOption",
    "SeedOption",
    "SetOption",
    "check_engine",
    "check_pair",
    "check_size",
    "hours_option",
    "interval_text",
    "load_scenario",
    "money",
    "output_folder",
    "run_app",
]

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

HOURS_PER_YEAR = 8736.0
"""52 weeks: what "per year" scales a horizon's figures to."""

SET_HELP = (
    "Change a value of the scenario before the run, e.g. team.reps=4, "
    "policies.current.sla.first_response=1h or market.win.hot[1]=0.3 (a TOML value, or plain "
    "text). Repeatable."
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
SetOption = Annotated[list[str] | None, typer.Option("--set", help=SET_HELP)]


class BadInput(Exception):
    """A user error: printed as one line per problem, exit code 2."""


def check_engine(engine: str | None) -> None:
    """Bad input unless the engine is one alignsim has."""
    if engine is not None and engine not in ENGINES:
        raise BadInput(f"--engine: expected one of {', '.join(ENGINES)} (got {engine!r})")


def money(amount: float, currency: str) -> str:
    """An amount with thousands separators and the currency code: 'EUR 1,234,567'."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{currency} {abs(amount):,.0f}"


def interval_text(low: float | None, high: float | None, currency: str, scale: float = 1) -> str:
    """A 95% interval of money, or a dash when one replication gives none."""
    if low is None or high is None:
        return "- (one replication)"
    return f"[{money(low * scale, currency)}, {money(high * scale, currency)}]"


def load_scenario(path: Path, sets: list[str] | None = None) -> Scenario:
    """The scenario file, with the `--set PATH=VALUE` changes applied before validation."""
    try:
        if not sets:
            return load(path)
        doc = apply_overrides(read_document(path), sets)
        return validate(doc, path.name)
    except ScenarioError as error:
        raise BadInput(*error.problems) from None


def hours_option(text: str | None, option: str) -> float | None:
    """A run length given on the command line, in hours (None when not given)."""
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


def check_size(scenario: Scenario, path: Path, hours: float | None) -> None:
    """The scenario's cap on leads per run also holds for a longer --horizon (the window;
    the run adds the warm-up and settle time)."""
    if hours is None:
        return
    expected = expected_leads(scenario) / scenario.horizon * scenario.run_hours(hours)
    if expected > MAX_EXPECTED_LEADS:
        raise BadInput(
            f"--horizon: {path.name} would create about {expected:,.0f} leads over it "
            f"(at most {MAX_EXPECTED_LEADS:,} per run)"
        )


def check_pair(sc: Scenario, path: Path, baseline: str | None, policy: str | None) -> None:
    """Unknown --baseline or --policy names are bad input."""
    for option, name in (("--baseline", baseline), ("--policy", policy)):
        if name is not None and name not in sc.policies:
            raise BadInput(
                f"{option}: {path.name} has no policy {name!r}; it has {', '.join(sc.policies)}"
            )


def output_folder(path: Path, option: str, hint: str = "") -> None:
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


def run_app(app: typer.Typer) -> None:
    """Run the app, turning bad input into one line per problem and exit code 2."""
    try:
        app(standalone_mode=False)
    except BadInput as error:
        for line in error.args:
            typer.echo(line, err=True)
        sys.exit(EXIT_BAD_INPUT)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
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
        sys.exit(EXIT_FAILURE)
