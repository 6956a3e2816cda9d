"""What every `alignsim` command shares: bad input, the common options, loading a scenario,
checking durations, sizes and output paths, writing money and JSON, and the exit codes.

Exit codes: 0 ok, 1 failure (a bug: "internal error"), 2 bad input or an output that cannot be
written (a full disk, a folder without write permission), 130 interrupted by SIGINT (Ctrl+C),
143 stopped by SIGTERM. A command raises `BadInput` (one line per problem); `run_app` prints
it and exits with 2, never with a traceback. A signal raises `Interrupted` (not an Exception,
so no `except Exception` swallows it) wherever the command is; temporary files are removed on
the way out and `run_app` prints one line.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from alignsim.engines import DEFAULT_ENGINE, ENGINES
from alignsim.overrides import apply_overrides
from alignsim.scenario import (
    MAX_EXPECTED_LEADS,
    MAX_HORIZON_WEEKS,
    Scenario,
    ScenarioError,
    candidate_leads,
    load,
    read_document,
    validate,
)
from alignsim.units import format_money, parse_duration
from alignsim.writing import WriteError

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_TERMINATED",
    "HOURS_PER_YEAR",
    "MAX_PROBLEMS",
    "SET_HELP",
    "BadInput",
    "BaselineOption",
    "EngineOption",
    "HorizonOption",
    "Interrupted",
    "PolicyOption",
    "SeedOption",
    "SetOption",
    "check_engine",
    "check_pair",
    "check_size",
    "hours_option",
    "interval_text",
    "json_text",
    "load_scenario",
    "money",
    "output_folder",
    "run_app",
]

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

MAX_PROBLEMS = 20
"""Most problems printed; the rest are counted ("and 12 more")."""

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


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: the command stops, with one line saying what was kept."""

    def __init__(self, signum: int, message: str = "interrupted") -> None:
        super().__init__(message)
        self.signum = signum
        self.message = message

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as a shell reports a process a signal ended."""
        return EXIT_TERMINATED if self.signum == signal.SIGTERM else EXIT_INTERRUPTED


def json_text(data: object, default: Callable[[Any], Any] | None = None) -> str:
    """JSON as the commands print it: indented, and never NaN or infinity (not JSON)."""
    try:
        return json.dumps(data, indent=2, allow_nan=False, default=default)
    except ValueError as error:  # a figure that is not finite: a bug, validation prevents it
        raise RuntimeError(f"an output figure is NaN or infinite ({error})") from None


def check_engine(engine: str | None) -> None:
    """Bad input unless the engine is one alignsim has."""
    if engine is not None and engine not in ENGINES:
        raise BadInput(f"--engine: expected one of {', '.join(ENGINES)} (got {engine!r})")


def money(amount: float, currency: str) -> str:
    """An amount to 3 significant figures with the currency code: 'EUR 9.25 M', 'EUR 5,000'
    (alignsim.units.format_money: the precision the intervals support, not EUR 9,251,873)."""
    return format_money(amount, currency)


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
    expected = candidate_leads(scenario, scenario.run_hours(hours))
    if not expected <= MAX_EXPECTED_LEADS:
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


def _raise_interrupted(signum: int, _frame: object) -> None:
    # Later signals are ignored: the first one's cleanup (removing temporary files, stopping
    # workers) runs to its end.
    for name in ("SIGINT", "SIGTERM"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    raise Interrupted(signum)


def _catch_signals() -> dict[int, Any]:
    """Turn SIGINT and SIGTERM into `Interrupted`; the handlers they had before."""
    before: dict[int, Any] = {}
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            before[signum] = signal.signal(signum, _raise_interrupted)
    except ValueError:  # not the main thread (an embedding program): leave its handlers be
        pass
    return before


def _print_problems(lines: tuple[str, ...] | list[str]) -> None:
    for line in lines[:MAX_PROBLEMS]:
        typer.echo(line, err=True)
    if len(lines) > MAX_PROBLEMS:
        typer.echo(f"and {len(lines) - MAX_PROBLEMS:,} more", err=True)


def _usage_line(error: Exception) -> str:
    """A click usage error as one line: 'alignsim run: Invalid value for '--seed': ...'."""
    ctx = getattr(error, "ctx", None)
    where = ctx.command_path if ctx is not None else "alignsim"
    message = error.format_message() if hasattr(error, "format_message") else str(error)
    return f"{where}: {' '.join(message.split())}"


def run_app(app: typer.Typer) -> None:
    """Run the app: bad input is one line per problem and exit code 2, a signal one line and
    128 + its number, an output that cannot be written one sentence and 2."""
    before = _catch_signals()
    try:
        _run(app)
    finally:  # a caller in this process (a test, a notebook) gets its own handlers back
        for signum, handler in before.items():
            signal.signal(signum, handler)


def _run(app: typer.Typer) -> None:
    try:
        code = app(standalone_mode=False)
    except BadInput as error:
        _print_problems(error.args)
        sys.exit(EXIT_BAD_INPUT)
    except Interrupted as stop:
        typer.echo(stop.message, err=True)
        sys.exit(stop.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except WriteError as error:
        typer.echo(f"alignsim: {error}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except Exception as error:
        _failed(error)
    if code == EXIT_INTERRUPTED:  # typer's own answer to a KeyboardInterrupt
        typer.echo("interrupted", err=True)
    if isinstance(code, int) and code:
        sys.exit(code)


def _failed(error: Exception) -> None:
    """Exit for an error no command caught: a usage error (2), an OS error (2) or a bug (1)."""
    show, code = getattr(error, "show", None), getattr(error, "exit_code", None)
    if callable(show) and isinstance(code, int):
        # Usage errors (click's, or the copy of click that recent typer ships): one line
        # naming the option, except `alignsim` alone, which shows the help.
        if type(error).__name__ == "NoArgsIsHelpError":
            show()
        else:
            typer.echo(_usage_line(error), err=True)
        sys.exit(code)
    if isinstance(error, OSError) and not os.environ.get("ALIGNSIM_DEBUG"):
        # Reading or writing outside the outputs alignsim writes atomically (stdout on a full
        # disk, a folder that vanished): one sentence, the file and the reason.
        reason = error.strerror or (os.strerror(error.errno) if error.errno else str(error))
        where = f"{error.filename}: " if error.filename else ""
        typer.echo(f"alignsim: {where}{reason or type(error).__name__}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if os.environ.get("ALIGNSIM_DEBUG"):
        raise error
    typer.echo(f"alignsim: internal error: {type(error).__name__}: {error}", err=True)
    sys.exit(EXIT_FAILURE)
