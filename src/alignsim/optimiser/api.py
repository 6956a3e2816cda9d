"""`alignsim.optimise`: the cheapest alignment that recovers most of the loss (issue 18).

    import alignsim
    result = alignsim.optimise("scenarios/default.toml", objective="profit", seed=1)
    result.summary()        # "do these 3 things: ...; they recover 82% (75-88%) of the loss ..."
    result.to_json()        # best, prob_best, ranking, evaluated, replications, unit, ...
    result.policy_toml()    # the chosen policy as a [policies.optimised] table
    result.pareto           # programme cost against what is recovered (DataFrame)
    result.by_lever         # the winner's gain over `from` split by lever group (DataFrame)

The search space is the scenario's `[optimise]` table (alignsim.scenario.search); the search
is alignsim.optimiser.search, the final comparison alignsim.optimiser.final, the objectives
alignsim.optimiser.objectives. Money is in the scenario's currency a year.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np

from alignsim.batch.checkpoint import FolderError, atomic_write
from alignsim.batch.executors import SerialExecutor, dask_executor, process_pool
from alignsim.optimiser.evaluate import FIGURES, Context, Evaluator
from alignsim.optimiser.final import Finals, interval, ratio_interval
from alignsim.optimiser.objectives import Objective
from alignsim.optimiser.objectives import objective as make_objective
from alignsim.optimiser.result import Optimisation, lever_split, pareto_front
from alignsim.optimiser.search import Plan, Search
from alignsim.scenario import Scenario, read_document, validate
from alignsim.scenario.space import Space
from alignsim.stream import block_widths

__all__ = ["FRESH", "Plan", "optimise"]

FRESH = 1_000_000
"""The final comparison plays replications FRESH, FRESH + 1, ...: streams no rung played."""


def _scenario(scenario: Scenario | str | os.PathLike[str]) -> tuple[Scenario, dict[str, Any]]:
    if isinstance(scenario, Scenario):
        document = scenario.document()
        if document is None:
            raise ValueError(
                f"scenario {scenario.name!r} was changed since it was loaded (or has no "
                "[optimise] table): pass the file's path instead"
            )
        return scenario, document
    path = Path(scenario)
    document = read_document(path)
    return validate(document, path.name), document


def _widths(space: Space, others: list[Any]) -> tuple[int, int, int]:
    """Stream columns enough for every candidate: the largest attempts, recycles, touches."""
    policies = list(others)
    for lever, choices in enumerate(space.choices):
        policies += [space.single(lever, k) for k in range(len(choices))]
    attempts = max(p.sla.max_attempts for p in policies)
    recycles = max(block_widths(p)[1] - 1 for p in policies)
    touches = max(block_widths(p)[2] - 1 for p in policies)
    return attempts * (1 + recycles), 1 + recycles, 1 + touches


def _goal(sc: Scenario, name: str | None, share: float) -> tuple[Objective, str]:
    """The objective and why it is the one: "given", or the default with its reason (profit
    when the scenario prices deals in an [economics] table, else bookings recovered)."""
    if name is not None:
        return make_objective(name, share), "given"
    if "economics" in sc.model_fields_set:
        return make_objective("profit", share), "the default: the scenario has [economics]"
    return make_objective("recovered", share), "the default: the scenario has no [economics]"


def _ranking(
    space: Space,
    finalists: list[Any],
    finals: Finals,
    values: np.ndarray,
    costs: np.ndarray,
    revenue: np.ndarray,
    profit: np.ndarray,
) -> list[dict[str, Any]]:
    """The finalists best first, each with its policy and intervals (revenue, profit: one row
    per finalist, then `from`, then the baseline, on the fresh replications)."""
    loss = revenue[-1] - revenue[-2]
    ranking = []
    for rank, i in enumerate(finals.order):
        key = finalists[i]
        gain = revenue[i] - revenue[-2]
        ranking.append(
            {
                "rank": rank + 1,
                "levers": space.values(key),
                "changes": space.changes(key),
                "policy": space.policy_document(key),
                "objective": interval(values[i]),
                "bookings_recovered": interval(gain),
                "gross_profit_recovered": interval(profit[i] - profit[-2]),
                "recovered_share": ratio_interval(gain, loss),
                "programme_cost": float(costs[i]),
                "reps": space.reps(key),
                "prob_best": float(finals.prob_best[rank]),
            }
        )
    return ranking


@contextlib.contextmanager
def _executor(
    executor: Executor | None, workers: int | None, scheduler: str | None
) -> Iterator[Executor]:
    if executor is not None:
        yield executor
    elif scheduler is not None:
        with dask_executor(scheduler, workers) as dask:
            yield dask
    elif workers is not None and workers > 1:
        with process_pool(workers) as pool:
            yield pool
    else:
        yield SerialExecutor()


def _manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write the folder's manifest, or check that a resumed folder's is this search's."""
    path = folder / "manifest.json"
    if path.exists():
        try:
            there = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise FolderError(f"{path} cannot be read; it is not a search's manifest") from None
        for key, value in manifest.items():
            if there.get(key) != value:
                raise FolderError(
                    f"{folder} holds another search ({key} {there.get(key)!r} there, "
                    f"{value!r} here); choose another folder"
                )
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FolderError(f"cannot create {folder} ({error.strerror})") from None
    text = json.dumps(manifest, indent=2) + "\n"
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def optimise(
    scenario: Scenario | str | os.PathLike[str],
    *,
    objective: str | None = None,
    recover: float | None = None,
    budget: float | None = None,
    max_reps: int | None = None,
    trials: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    out: str | os.PathLike[str] | None = None,
    horizon: float | None = None,
    engine: str | None = None,
    plan: Plan | None = None,
    lever_replications: int = 16,
) -> Optimisation:
    """Search the scenario's `[optimise]` space for the best policy (see the module doc).

    objective: "profit" (gross profit on lifetime value recovered net of programme cost),
    "recovered" (bookings recovered net of programme cost) or "cost" (the cheapest programme
    recovering at least `recover` of the bookings lost); None: profit when the scenario has an
    [economics] table, else recovered. recover, budget, max_reps default to
    the table's. trials: most candidates screened (default: the plan's, 4000). workers: local
    processes (None or 1: this process); scheduler: a Dask scheduler ("local": a LocalCluster);
    executor: any Executor instead. out: a folder for the checkpoint and the outputs; a folder
    holding the same search (scenario, seed, horizon, engine) resumes it. horizon in hours.
    Raises ScenarioError for a bad scenario, ValueError for bad options, FolderError for `out`.
    """
    sc, document = _scenario(scenario)
    if sc.optimise is None:
        raise ValueError(f"scenario {sc.name!r} has no [optimise] table: nothing to search")
    table = sc.optimise
    space = Space.of(sc, document)
    share = table.recover if recover is None else float(recover)
    if not 0 < share <= 1:
        raise ValueError(f"recover must be a share in (0, 1] (got {share})")
    goal, chosen = _goal(sc, objective, share)
    plan = plan or Plan()
    if trials is not None:
        if trials < 1:
            raise ValueError(f"trials must be at least 1 (got {trials})")
        plan = Plan(trials, plan.rungs, plan.eta, plan.finalists, plan.final, plan.batch)
    root = sc.seed if seed is None else int(seed)
    base = table.baseline or sc.baseline_policy
    refs = {"from": sc.policies[table.from_], "baseline": sc.policies[base]}
    widths = _widths(space, list(refs.values()))
    context = Context(sc, root, horizon, engine, widths, sc.digest())
    folder = None if out is None else Path(out)
    if folder is not None:
        pinned = {
            "scenario_hash": sc.digest(),
            "seed": root,
            "horizon": horizon,
            "engine": engine,
            "figures": list(FIGURES),
        }
        _manifest(folder, pinned)

    def policy_of(key: Any) -> Any:
        return refs[key] if isinstance(key, str) else space.policy(key)

    limit = table.budget if budget is None else float(budget)
    most = table.max_reps if max_reps is None else int(max_reps)
    with _executor(executor, workers, scheduler) as pool:
        evaluator = Evaluator(context, policy_of, pool, folder)
        search = Search(space, evaluator, goal, plan, most, limit)
        screened = search.screen(root)
        if not screened:
            raise ValueError(
                f"no candidate of the [optimise] space keeps the constraints (budget {limit}, "
                f"max_reps {most}) and the policy schema"
            )
        finalists = search.halve(screened)
        fresh = range(FRESH, FRESH + plan.final)
        values = search.values(finalists, fresh)
        revenue, profit = (
            evaluator.figures([*finalists, "from", "baseline"], fresh, f) for f in FIGURES
        )
        costs = np.array([space.cost(k) for k in finalists])
        finals = Finals.of(values, costs, goal, table.indifference, root)
        screening = range(plan.rungs[0])
        front = pareto_front(
            space,
            screened,
            evaluator.figures(screened, screening, goal.figure),
            evaluator.figures(["from"], screening, goal.figure)[0],
            goal.figure,
        )
    loss = revenue[-1] - revenue[-2]
    ranking = _ranking(space, finalists, finals, values, costs, revenue, profit)
    best = finalists[finals.order[0]]
    split = lever_split(
        sc, table.from_, space.policy(best), root, horizon, engine, lever_replications
    )
    result = Optimisation(
        scenario=sc.name,
        currency=sc.currency,
        objective=goal.name,
        meaning=goal.meaning,
        unit=f"{sc.currency} {goal.unit}",
        chosen=chosen,
        recover=share,
        method=search.method,
        space_size=space.size,
        evaluated=len(screened),
        played=evaluator.played,
        refused={
            r: sum(1 for v in search.refused.values() if v == r) for r in ("budget", "max_reps")
        },
        rungs=plan.rungs,
        final_replications=plan.final,
        seed=root,
        from_policy=table.from_,
        baseline=base,
        loss=interval(loss),
        ranking=ranking,
        next_worse=finals.next_worse,
        zone=table.indifference,
        pareto=front,
        by_lever=split,
    )
    if folder is not None:
        result.write(folder)
    return result
