"""The `alignsim` command: parse, call the library, print.

One module per command (or pair of related commands), each a thin layer over the library;
what they share (bad input, the common options, loading a scenario, exit codes) is public in
`alignsim.cli.common`. No command module imports another. A new command is a function in its
own module, registered below.

Exit codes: 0 ok, 1 failure, 2 bad input.
"""

from __future__ import annotations

import os

from alignsim.cli import ending  # first: its exit handler runs after all the others

# Before numpy loads: alignsim's matrices are tiny (input correlations, a few money vectors), and
# OpenBLAS's threads, woken by one of them, spin on the cores a pool's workers need (a batch's
# set-up: 0.25 s of CPU taken from the forkserver warming meanwhile). A user's setting stands.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import typer

from alignsim.cli import (
    batch,
    compare,
    fit,
    optimise,
    report,
    run,
    schema,
    sweep,
    validate,
    warm,
    workshop,
)
from alignsim.cli.common import run_app

__all__ = ["app", "entry", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Put a price on the misalignment between marketing and sales.\n\n"
    "Exit codes: 0 success, 1 failure, 2 bad input (usage or scenario file).",
)

app.command("run")(run.run_command)
app.command("compare")(compare.compare_command)
app.command("sweep")(sweep.sweep_command)
app.command("validate")(validate.validate_command)
app.command("schema")(schema.schema_command)
app.command("batch")(batch.batch_command)
app.command("sensitivity")(batch.sensitivity_command)
app.command("report")(report.report_command)
app.command("workshop")(workshop.workshop_command)
app.command("warm")(warm.warm_command)
app.command("fit")(fit.fit_command)
app.command("example-export")(fit.example_export)
app.command("optimise")(optimise.optimise_command)


def main() -> None:
    """Run the app; bad input is one line per problem and exit code 2. A process that goes on
    afterwards (a test, a notebook) calls this."""
    run_app(app)


def entry() -> None:
    """The console script and `python -m alignsim`: `main`, then, once every exit handler has
    run, the process ends without tearing the interpreter down (alignsim.cli.ending)."""
    try:
        main()
    except SystemExit as done:
        ending.leave_with(done.code)
        raise
    ending.leave_with(0)


if __name__ == "__main__":
    entry()
