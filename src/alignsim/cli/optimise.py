"""`alignsim optimise`: the cheapest alignment that recovers most of the loss.

Registered on alignsim's typer app by alignsim.cli. Searches the scenario's `[optimise]` table
(alignsim.optimiser) and prints the one-line answer, the ranking with intervals, the split of
the winner's gain by lever and the chosen policy as a TOML table to paste into the scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from alignsim.cli.common import (
    BadInput,
    EngineOption,
    HorizonOption,
    SeedOption,
    SetOption,
    check_engine,
    check_size,
    hours_option,
    json_text,
    load_scenario,
    money,
)

if TYPE_CHECKING:
    from alignsim.optimiser import Optimisation

OBJECTIVES = ("profit", "recovered", "cost")
"""alignsim.optimiser.objectives.OBJECTIVES, without importing the optimiser to parse options."""

__all__ = ["optimise_command"]


def _print(result: Optimisation) -> None:
    c = result.currency
    typer.echo(result.summary())
    typer.echo(
        f"\n{result.method} search over {result.space_size:,} candidates of the [optimise] "
        f"space: {result.evaluated:,} screened, rungs of {'/'.join(map(str, result.rungs))} "
        f"replications, the best {len(result.ranking)} compared on "
        f"{result.final_replications} fresh ones"
    )
    typer.echo(f"objective: {result.objective}, {result.meaning} ({result.unit}; {result.chosen})")
    loss = result.loss
    typer.echo(
        f"loss of {result.from_policy} against {result.baseline}: {money(loss['mean'], c)} a year"
    )
    typer.echo("\nrank  objective [95% interval]                 recovered  cost/year  P(best)")
    for row in result.ranking:
        o, s = row["objective"], row["recovered_share"]
        span = f"{money(o['mean'], c)} [{money(o['ci_low'], c)}, {money(o['ci_high'], c)}]"
        typer.echo(
            f"{row['rank']:>4}  {span:<40} {s['mean']:>8.0%}  {money(row['programme_cost'], c):>10}"
            f"  {row['prob_best']:.2f}"
        )
        typer.echo(f"      {', '.join(f'{n} = {v}' for n, v in row['levers'].items())}")
    if not result.by_lever.empty:
        typer.echo(f"\nbookings the winner recovers over {result.from_policy}, by lever (a year):")
        for _, lever in result.by_lever.iterrows():
            typer.echo(f"  {lever['label']:<40} {money(lever['recovered'], c):>14}")
    typer.echo("\n# the chosen policy, ready to paste into the scenario:")
    typer.echo(result.policy_toml())


def optimise_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario file with an [optimise] table.")],
    objective: Annotated[
        str | None,
        typer.Option(
            help="profit: gross profit (lifetime value) recovered net of programme cost; "
            "recovered: bookings recovered net of programme cost; cost: the cheapest "
            "programme recovering at least --recover of the bookings lost. Default: profit "
            "when the scenario has [economics], else recovered.",
            show_default=False,
        ),
    ] = None,
    recover: Annotated[
        float | None,
        typer.Option(help="Share of the loss to recover (cost objective; default: the table's)."),
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(help="Most programme cost a year (default: the table's).", min=0),
    ] = None,
    max_reps: Annotated[
        int | None, typer.Option(help="Most reps (default: the table's).", min=1)
    ] = None,
    trials: Annotated[
        int | None,
        typer.Option(help="Most candidates screened; a smaller space is searched whole.", min=1),
    ] = None,
    seed: SeedOption = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes on this machine (default: 1, no pool).", min=1),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler tcp://HOST:PORT, or 'local'. Needs alignsim\\[dask]."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the checkpoint, optimise.json, policy.toml and pareto.png; "
            "running again with the same folder resumes."
        ),
    ] = None,
    horizon: HorizonOption = None,
    sets: SetOption = None,
    engine: EngineOption = None,
) -> None:
    """The cheapest alignment that recovers most of the loss: search the [optimise] levers."""
    check_engine(engine)
    if objective is not None and objective not in OBJECTIVES:
        raise BadInput(f"--objective: choose one of {', '.join(OBJECTIVES)} (got {objective!r})")
    if recover is not None and not 0 < recover <= 1:
        raise BadInput(f"--recover: a share of the loss in (0, 1] (got {recover})")
    if workers is not None and scheduler is not None:
        raise BadInput("--workers and --scheduler: choose one")
    sc = load_scenario(scenario, sets)
    if sc.optimise is None:
        raise BadInput(f"{scenario.name}: no [optimise] table: nothing to search")
    hours = hours_option(horizon, "--horizon")
    check_size(sc, scenario, hours)
    from alignsim.batch.checkpoint import FolderError, atomic_write
    from alignsim.optimiser import optimise

    try:
        result = optimise(
            sc,
            objective=objective,
            recover=recover,
            budget=budget,
            max_reps=max_reps,
            trials=trials,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            out=out,
            horizon=hours,
            engine=engine,
        )
    except ImportError as missing:
        if (missing.name or "").startswith("optuna"):
            raise BadInput(
                "the space is larger than --trials, so the search needs Optuna "
                "(pip install 'alignsim[optimise]')"
            ) from None
        raise BadInput(
            "--scheduler: needs dask.distributed (pip install 'alignsim[dask]')"
        ) from None
    except FolderError as error:
        raise BadInput(f"--out: {error}") from None
    except ValueError as error:
        raise BadInput(f"{scenario.name}: {error}") from None
    if out is not None:
        from alignsim.plots import figure_png, pareto

        png = figure_png(pareto(result).figure)
        atomic_write(out / "pareto.png", lambda p: p.write_bytes(png))
    if as_json:
        typer.echo(json_text(result.to_json()))
        return
    _print(result)
