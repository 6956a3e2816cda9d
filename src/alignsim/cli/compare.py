"""`alignsim compare`: revenue lost by a policy against the baseline, per year, with a paired
95% interval and its causes."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from alignsim.cli.common import (
    HOURS_PER_YEAR,
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
    interval_text,
    json_text,
    load_scenario,
    money,
)
from alignsim.units import format_duration

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from alignsim.comparison import Comparison

__all__ = ["compare_command"]


def _working(what: str) -> AbstractContextManager[object]:
    """A spinner with `what` on stderr while the comparison plays, on a terminal only (a
    pipe or a file gets nothing)."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        return nullcontext()
    return console.status(f"{what}...", spinner="dots")


def _print_comparison(result: Comparison) -> None:
    """The comparison as a manager reads it: per year, with the interval and the causes."""
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    s = result.summary(unit="per_run")
    cur = s["currency"]
    per_year = HOURS_PER_YEAR / s["horizon_h"]
    lost = s["revenue_lost"]
    one_year = abs(per_year - 1) < 1e-9
    run = "" if one_year else f", scaled from runs of {format_duration(s['horizon_h'])}"
    table = Table(
        title=f"{result.scenario}: {result.policy} against {result.baseline}, per year{run}; "
        f"{s['replications']} replications (seed {s['seed']}, the same leads for both)",
        title_justify="left",
    )
    for column in ("", "per year", "95% interval", "share"):
        table.add_column(column, justify="left" if not column else "right")
    for name, amount in s["revenue"].items():
        table.add_row(f"Revenue, {name}", money(amount * per_year, cur), "", "")
    table.add_row(
        "Revenue lost",
        money(lost["mean"] * per_year, cur),
        interval_text(lost["ci_low"], lost["ci_high"], cur, per_year),
        "100%" if lost["mean"] else "-",
        style="bold",
    )
    if result.lever_replications:
        _lever_rows(table, result, per_year)
    table.add_row("Revenue lost by leak", "", "", "", style="bold")
    causes = result.by_leak()
    for row in causes.itertuples():
        share = "-" if not np.isfinite(row.share) else f"{row.share:.0%}"
        table.add_row(f"  {row.cause}", money(row.amount * per_year, cur), "", share)
    console = Console(width=max(100, Console().width))
    console.print(table)
    interval = interval_text(lost["ci_low"], lost["ci_high"], cur, per_year)
    sentence = (
        f"{result.policy} loses {money(lost['mean'] * per_year, cur)} a year against "
        f"{result.baseline}" + (f" (95% interval {interval})" if lost["ci_low"] is not None else "")
    )
    if lost["mean"] > 0:
        top = causes.sort_values("amount", ascending=False).iloc[0]
        if result.lever_replications:
            levers = result.by_lever()
            lever = levers.sort_values("amount", ascending=False).iloc[0]
            sentence += (
                f"; the biggest lever is {lever['lever']} "
                f"({money(lever['amount'] * per_year, cur)})"
            )
        sentence += f"; the biggest leak is {top['cause']} ({money(top['amount'] * per_year, cur)})"
    console.print(sentence + ".")
    _print_money(console, result)


def _print_money(console: Console, result: Comparison) -> None:
    """The money table (docs/model.md, money) and the line a CFO reads."""
    import numpy as np
    from rich.table import Table

    from alignsim import economics  # with the comparison's libraries, not at start-up

    cur, years = result.currency, result.economics_years
    table = Table(
        title=f"Money: what {result.policy} loses against {result.baseline}, and the return "
        f"on moving to {result.baseline} over {years} years",
        title_justify="left",
    )
    for column in ("", "mean", "95% interval"):
        table.add_column(column, justify="left" if not column else "right")
    for row in result.money().itertuples():
        unit = {"per_year": " a year", "total": f" over {years} years"}.get(row.unit, "")

        def text(x: float | None, unit: str = row.unit) -> str:
            if x is None or not np.isfinite(x):
                return "-"
            if unit == "months":
                return f"{x:.3g} months"
            return f"{x:.3g}" if unit == "ratio" else economics.three_figures(x, cur)

        interval = "-" if row.ci_low is None else f"[{text(row.ci_low)}, {text(row.ci_high)}]"
        table.add_row(row.label + unit, text(row.mean), interval)
    console.print(table)
    not_paid = result.money().attrs["not_paid_back"]
    summary = result.summary()["money"]
    typer.echo(economics.cfo_sentence(summary, cur, years, result.baseline, not_paid))


def _lever_rows(table: Table, result: Comparison, per_year: float) -> None:
    """The split by lever (exact Shapley values), with each lever's interval."""
    import numpy as np

    from alignsim.levers import LEVER_LABELS

    levers = result.by_lever()
    k = levers.attrs["replications"]
    cur = result.currency
    over = "" if k == result.replications else f", over the first {k} replications"
    table.add_row(f"Revenue lost by lever (Shapley{over})", "", "", "", style="bold")
    if k != result.replications:
        lost = levers.attrs["revenue_lost"]
        table.add_row(
            "  revenue lost, these replications",
            money(lost["mean"] * per_year, cur),
            interval_text(lost["ci_low"], lost["ci_high"], cur, per_year),
            "100%",
        )
    for row in levers.itertuples():
        share = "-" if not np.isfinite(row.share) else f"{row.share:.0%}"
        interval = interval_text(row.ci_low, row.ci_high, cur, per_year)
        table.add_row(
            f"  {LEVER_LABELS[row.lever]}", money(row.amount * per_year, cur), interval, share
        )


def compare_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    baseline: BaselineOption = None,
    policy: PolicyOption = None,
    replications: Annotated[
        int, typer.Option(help="Replications (common lead streams).", min=1, max=10_000)
    ] = 30,
    seed: SeedOption = None,
    horizon: HorizonOption = None,
    sets: SetOption = None,
    engine: EngineOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    lever_replications: Annotated[
        int | None,
        typer.Option(
            help="Split the loss by lever on the first N replications (default: all, or none "
            "for runs of over 2 million leads, played in windows; 0: no split). Each plays 2^g "
            "policies for the g lever groups that differ.",
            min=0,
        ),
    ] = None,
) -> None:
    """Revenue lost by a policy against the baseline, with a paired 95% interval, by lever and by leak."""
    check_engine(engine)
    sc = load_scenario(scenario, sets)
    check_pair(sc, scenario, baseline, policy)
    hours = hours_option(horizon, "--horizon")
    check_size(sc, scenario, hours)
    if lever_replications is not None and lever_replications > replications:
        raise BadInput(
            f"--lever-replications: at most the {replications} replications (got "
            f"{lever_replications})"
        )
    from alignsim.engines import DEFAULT_ENGINE
    from alignsim.simulation import WINDOWED_FROM, plays_in_windows

    if plays_in_windows(sc, hours, engine or DEFAULT_ENGINE, None):
        if lever_replications:
            typer.echo(
                f"Runs of more than {WINDOWED_FROM:,} leads are played in windows of arrivals; "
                f"the split by lever on {lever_replications} replication(s) plays the coalitions "
                "in further passes over each stream, two at a time (minutes a replication).",
                err=True,
            )
        else:
            typer.echo(
                f"Runs of more than {WINDOWED_FROM:,} leads are played in windows of arrivals; "
                "the loss is not split by lever unless asked (--lever-replications N: the "
                "coalitions take further passes over each stream, two at a time).",
                err=True,
            )
    from alignsim.comparison import compare

    with _working(
        f"Playing {replications} paired replications of {format_duration(hours or sc.horizon)}"
    ):
        result = compare(
            sc,
            baseline,
            policy,
            replications=replications,
            seed=seed,
            horizon=hours,
            engine=engine,
            lever_replications=lever_replications,
        )
    if as_json:
        typer.echo(json_text(result.summary()))
        return
    _print_comparison(result)
