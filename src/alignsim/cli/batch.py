"""`alignsim batch` and `alignsim sensitivity`: Monte Carlo batches from the command line.

Registered on alignsim's typer app by alignsim.cli. Every problem with
the input (scenario, uncertain inputs, options, output folder) is one sentence and exit code 2,
before any run starts.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from alignsim.batch.design import DESIGNS
from alignsim.cli.common import (
    BadInput,
    BaselineOption,
    EngineOption,
    HorizonOption,
    Interrupted,
    PolicyOption,
    SeedOption,
    SetOption,
    check_engine,
    check_pair,
    check_size,
    hours_option,
    json_text,
    money,
)
from alignsim.overrides import apply_overrides
from alignsim.scenario import ScenarioError, read_document, validate
from alignsim.units import format_duration

if TYPE_CHECKING:
    from concurrent.futures import Executor, ProcessPoolExecutor

    from alignsim.batch.setup import Setup

__all__ = ["batch_command", "parse_amount", "sensitivity_command"]

WorkersOption = Annotated[
    int | None,
    typer.Option(
        help="Worker processes on this machine (default: one per core; 1: no pool).", min=1
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Dask scheduler tcp://HOST:PORT, or 'local' to start a LocalCluster here "
        "(default: $DASK_SCHEDULER_ADDRESS if set). Needs alignsim\\[dask].",
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]

_AMOUNT = re.compile(r"^\s*([0-9][0-9_,]*(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)\s*([kmb]?)\s*$", re.I)
_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9}


def parse_amount(text: str) -> float:
    """An amount of money as people write it: 2000000, 2,000,000, 2e6, 2M, 500k."""
    match = _AMOUNT.match(text)
    if match is None:
        raise ValueError(f"expected an amount like 2000000, 2e6 or 2M (got {text!r})")
    number = float(match.group(1).replace(",", "").replace("_", ""))
    return number * _SUFFIX[match.group(2).lower()]


def _setup(
    path: Path,
    sets: list[str] | None,
    baseline: str | None,
    policy: str | None,
    seed: int | None,
    hours: float | None,
    engine: str | None,
) -> Setup:
    """Read, override and check the scenario and its uncertain inputs; BadInput if anything is off."""
    try:
        doc = read_document(path)
        if sets:
            doc = apply_overrides(doc, sets)
        scenario = validate(doc, path.name)
    except ScenarioError as error:
        raise BadInput(*error.problems) from None
    check_pair(scenario, path, baseline, policy)
    check_size(scenario, path, hours)
    from alignsim.batch.setup import prepare

    try:
        return prepare(
            doc,
            path.name,
            baseline=baseline,
            policy=policy,
            seed=seed,
            horizon=hours,
            engine=engine,
        )
    except ScenarioError as error:
        raise BadInput(*error.problems) from None


def _start_workers_early(workers: int | None, scheduler: str | None) -> None:
    """Start a local pool's forkserver before the set-up: it loads alignsim and the compiled
    engine (about 1.2 s) while this process reads the scenario and draws the design (about 2 s
    with uncertain inputs), instead of after it. Dask and one worker need no forkserver."""
    from alignsim.batch.executors import cores, start_forkserver

    if not _dask_address(workers, scheduler) and (cores() if workers is None else workers) > 1:
        start_forkserver()


def _dask_address(workers: int | None, scheduler: str | None) -> str | None:
    """The Dask scheduler the options ask for: --scheduler, else $DASK_SCHEDULER_ADDRESS
    unless --workers is given; None (or empty) for a local run."""
    return scheduler or (None if workers is not None else os.environ.get("DASK_SCHEDULER_ADDRESS"))


@contextlib.contextmanager
def _executor(workers: int | None, scheduler: str | None) -> Iterator[Executor]:
    """The executor the options ask for: serial, a process pool, or Dask."""
    from alignsim.batch.executors import SerialExecutor, cores, dask_executor, process_pool

    if workers is not None and scheduler is not None:
        raise BadInput("--workers and --scheduler: choose one")
    address = _dask_address(workers, scheduler)
    if address:
        option = "--scheduler" if scheduler else "DASK_SCHEDULER_ADDRESS"
        with contextlib.ExitStack() as stack:
            try:
                executor = stack.enter_context(dask_executor(address, workers))
            except ImportError:
                raise BadInput(
                    f"{option}: Dask is not installed (pip install 'alignsim[dask]')"
                ) from None
            except (OSError, TimeoutError) as error:
                raise BadInput(
                    f"{option}: cannot reach the Dask scheduler at {address} ({error})"
                ) from None
            yield executor
        return
    count = cores() if workers is None else workers
    if count == 1:
        yield SerialExecutor()
        return
    with process_pool(count) as pool:
        try:
            yield pool
        except (Interrupted, KeyboardInterrupt):
            _stop_workers(pool)
            raise


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers now, in the middle of their chunks (the batch was interrupted)."""
    # ProcessPoolExecutor has no public way to stop running calls before Python 3.14
    # (`terminate_workers`); its processes are in `_processes` (until shutdown clears it).
    processes = dict(getattr(pool, "_processes", None) or {})
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        with contextlib.suppress(OSError, ValueError):
            process.terminate()
    for process in processes.values():
        with contextlib.suppress(OSError, ValueError, AssertionError):
            process.join(timeout=5)
    # The pool's manager thread closes its wake-up pipe as it ends; Python's exit hook writes to
    # that pipe unlocked (before 3.12) and, racing the close, prints a traceback. Once the thread
    # has ended the hook finds the pipe closed and does nothing.
    if manager is not None:
        manager.join(timeout=5)


def _saved(out: Path | None, runs: int) -> str:
    """The line an interrupted batch ends with: what its folder keeps."""
    if out is None:
        return "interrupted; no runs saved (without --out a batch keeps nothing)"
    if (out / "runs.parquet").exists() and not (out / "chunks").exists():
        return f"interrupted; the batch in {out} was already complete"
    import pyarrow as pa
    import pyarrow.parquet as pq

    count = 0
    for chunk in (out / "chunks").glob("chunk-*.parquet"):
        with contextlib.suppress(OSError, pa.ArrowException):
            count += pq.read_metadata(chunk).num_rows
    return f"interrupted; {count:,} of {runs:,} runs saved in {out}, resume with --resume"


def _print_summary(s: dict[str, Any], folder: Path | None, xlsx: bool) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    cur = s["currency"]
    lost = s["revenue_lost"]
    console = Console(width=max(130, Console().width))
    table = Table(
        title=f"{s['scenario']}: {s['policy']} against {s['baseline']}, "
        f"{'per year, ' if s.get('unit') == 'per_year' else ''}{s['runs']:,} runs of "
        f"{format_duration(s['horizon_h'])} ({s['design']}, seed {s['seed']}; the same leads "
        "for both in each run)",
        title_justify="left",
    )
    table.add_column("Revenue lost")
    table.add_column("", justify="right")
    table.add_row("mean", money(lost["mean"], cur), style="bold")
    if lost["ci_low"] is not None:
        table.add_row(
            "  95% interval of the mean",
            f"{money(lost['ci_low'], cur)} to {money(lost['ci_high'], cur)}",
        )
    for q in ("p5", "p10", "p50", "p90", "p95"):
        table.add_row(f"  {q.upper()}", money(lost[q], cur))
    for x, p in s["prob_exceeds"].items():
        table.add_row(f"  chance of losing more than {money(float(x), cur)}", f"{p:.1%}")
    if s["precision"] is not None:
        reached = "reached" if s["precision_reached"] else "not reached"
        table.add_row(
            f"  precision {s['precision']:.1%} of the mean", f"{reached} after {s['runs']:,} runs"
        )
    for name, amount in s["revenue"].items():
        table.add_row(f"Revenue, {name} (mean)", money(amount, cur))
    console.print(table)
    if s["tornado"]:
        tornado = Table(title="What drives it (tornado)", title_justify="left")
        tornado.add_column("input (scenario field)")
        tornado.add_column("unit")
        for column in ("Spearman rho", "bottom 10%", "top 10%", "swing"):
            tornado.add_column(column, justify="right", no_wrap=True)
        for item in s["tornado"]:
            rho = "-" if item["rho"] is None else f"{item['rho']:+.2f}"
            label = item.get("label", item["input"])
            tornado.add_row(
                f"{escape(label)}\n[dim]{escape(item['input'])}[/dim]",
                s["inputs"][item["input"]]["unit"],
                rho,
                money(item["low"], cur),
                money(item["high"], cur),
                money(item["swing"], cur),
            )
        console.print(tornado)
    if folder is not None:
        excel = ", summary.xlsx" if xlsx else ""
        console.print(f"Wrote {folder}/runs.parquet, summary.json, summary.csv{excel}")


def batch_command(
    scenario: Annotated[
        Path, typer.Argument(help="Scenario file (TOML) with an \\[uncertainty] table.")
    ],
    runs: Annotated[
        int, typer.Option(help="Runs (the cap with --precision).", min=1, max=10_000_000)
    ] = 1000,
    baseline: BaselineOption = None,
    policy: PolicyOption = None,
    seed: SeedOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    design: Annotated[
        str, typer.Option(help=f"How the inputs are drawn: {', '.join(DESIGNS)}.")
    ] = "lhs",
    precision: Annotated[
        float | None,
        typer.Option(
            help="Stop once the 95% interval of the mean revenue lost is within this share of "
            "it, e.g. 0.02 (at a chunk boundary; --runs is the cap)."
        ),
    ] = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(
            help="An amount of revenue lost a year: the summary gives the chance of losing "
            "more (2000000, 2e6 or 2M). Repeatable."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for runs.parquet, summary.json, summary.csv (checkpointed)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the batch already in --out.")
    ] = False,
    xlsx: Annotated[bool, typer.Option("--xlsx", help="Also write summary.xlsx in --out.")] = False,
    quiet: QuietOption = False,
    horizon: HorizonOption = None,
    engine: EngineOption = None,
    chunk_size: Annotated[
        int | None, typer.Option(help="Runs per task (default: runs / 100, at most 100).", min=1)
    ] = None,
    sets: SetOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json's content.")] = False,
) -> None:
    """Monte Carlo over the scenario's uncertain inputs: percentiles, exceedance, tornado."""
    check_engine(engine)
    if design not in DESIGNS:
        raise BadInput(f"--design: expected one of {', '.join(DESIGNS)} (got {design!r})")
    if precision is not None and not 0 < precision < 1:
        raise BadInput(
            f"--precision: expected a share between 0 and 1, e.g. 0.02 (got {precision})"
        )
    if resume and out is None:
        raise BadInput("--resume: needs --out, the folder of the batch to continue")
    if xlsx and out is None:
        raise BadInput("--xlsx: needs --out, the folder to write summary.xlsx in")
    if xlsx:
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise BadInput("--xlsx: needs openpyxl (pip install 'alignsim[xlsx]')") from None
    thresholds = []
    for text in threshold or []:
        try:
            thresholds.append(parse_amount(text))
        except ValueError as error:
            raise BadInput(f"--threshold: {error}") from None
    hours = hours_option(horizon, "--horizon")
    _start_workers_early(workers, scheduler)
    setup = _setup(scenario, sets, baseline, policy, seed, hours, engine)
    from alignsim.batch.api import default_chunk_size, monte_carlo
    from alignsim.batch.checkpoint import FolderError

    with _executor(workers, scheduler) as executor:
        try:
            result = monte_carlo(
                setup,
                runs=runs,
                design=design,
                executor=executor,
                chunk_size=chunk_size or default_chunk_size(runs),
                precision=precision,
                horizon=hours,
                engine=engine,
                out=out,
                resume=resume,
                thresholds=thresholds,
                xlsx=xlsx,
                progress=False if quiet else None,
            )
        except FolderError as error:
            raise BadInput(f"--out: {error}") from None
        except ScenarioError as error:
            raise BadInput(*error.problems) from None
        except Interrupted as stop:
            raise Interrupted(stop.signum, _saved(out, runs)) from None
        except KeyboardInterrupt:  # a worker's Ctrl+C, come back through its future
            raise Interrupted(signal.SIGINT, _saved(out, runs)) from None
    summary = result.summary()
    if as_json:
        typer.echo(json_text(summary))
        return
    _print_summary(summary, out, xlsx)


def sensitivity_command(
    scenario: Annotated[
        Path, typer.Argument(help="Scenario file (TOML) with an \\[uncertainty] table.")
    ],
    runs: Annotated[
        int,
        typer.Option(
            help="Base samples N (best a power of 2); the model runs N x (inputs + 2) times.",
            min=2,
            max=1_000_000,
        ),
    ] = 256,
    baseline: BaselineOption = None,
    policy: PolicyOption = None,
    seed: SeedOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    quiet: QuietOption = False,
    horizon: HorizonOption = None,
    engine: EngineOption = None,
    sets: SetOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Sobol indices (SALib): how much of the variance of revenue lost each input explains."""
    check_engine(engine)
    hours = hours_option(horizon, "--horizon")
    setup = _setup(scenario, sets, baseline, policy, seed, hours, engine)
    if setup.uncertainty is None:
        raise BadInput(f"{scenario.name}: has no [uncertainty] table, so there is nothing to vary")
    try:
        from alignsim.batch.sensitivity import sensitivity
    except ImportError:
        raise BadInput(
            "sensitivity: SALib is not installed (pip install 'alignsim[sensitivity]')"
        ) from None
    with _executor(workers, scheduler) as executor:
        try:
            result = sensitivity(setup, runs, executor=executor, progress=False if quiet else None)
        except ScenarioError as error:
            raise BadInput(*error.problems) from None
    out = result.summary() | {
        "scenario": setup.base.name,
        "baseline": setup.baseline,
        "policy": setup.policy,
        "horizon_h": float(setup.base.horizon if hours is None else hours),
    }
    if as_json:
        typer.echo(json_text(out))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    labels = dict(zip(setup.names, setup.uncertainty.labels, strict=True))
    table = Table(
        title=f"{setup.base.name}: Sobol indices of revenue lost ({setup.policy} against "
        f"{setup.baseline}), {result.runs:,} runs from {runs} base samples, seed {result.seed}",
        title_justify="left",
    )
    for column in ("input (scenario field)", "first order S1", "total ST"):
        table.add_column(column, justify="left" if column.startswith("input") else "right")
    for row in result.indices.itertuples():
        table.add_row(
            f"{escape(labels[row.input])}\n[dim]{escape(row.input)}[/dim]",
            f"{row.S1:.3f} ± {row.S1_conf:.3f}",
            f"{row.ST:.3f} ± {row.ST_conf:.3f}",
        )
    console = Console(width=max(100, Console().width))
    console.print(table)
    if result.correlations_ignored:
        console.print("Sobol indices assume independent inputs: the correlations were not applied.")
