"""alignsim optimise: the search finds the best policy, on common random numbers, within its
constraints, the same for any number of workers; bad search spaces are one sentence."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import alignsim
from alignsim.batch.executors import SerialExecutor
from alignsim.optimiser import Plan
from alignsim.optimiser.evaluate import Context, Evaluator
from alignsim.scenario import ScenarioError
from alignsim.scenario.space import Space, check

from .conftest import TINY_FINANCE

ZONE = 5000.0
"""Indifference zone (money a year): a tenth of the best candidate's objective, and about
4 times the half-width of the truth's 95% intervals (300 replications)."""

SPACE: dict[str, Any] = {
    "from": "current",
    "baseline": "aligned",
    "cost_per_rep": 20000,
    "indifference": ZONE,
    "levers": {
        "reps": {"path": "team.reps", "values": {"low": 1, "high": 3}},
        "attempts": {"path": "sla.max_attempts", "values": {"low": 1, "high": 4}, "cost": 25000},
        "queue": {"path": "queue", "values": ["lifo", "fifo"]},
    },
}
"""24 candidates of the tiny scenario: reps cost 20,000 a year each, attempts 25,000 each."""


def _document(**space: Any) -> dict[str, Any]:
    doc = copy.deepcopy(TINY_FINANCE)
    doc.pop("uncertainty")
    doc["optimise"] = {**copy.deepcopy(SPACE), **space}
    return doc


def _scenario(**space: Any) -> alignsim.Scenario:
    return alignsim.validate(_document(**space), "tiny.json")


def _refusals(doc: dict[str, Any]) -> list[str]:
    """The problems of a document's [optimise] table: the table's shape when the scenario is
    validated, its levers against the policies when the space is checked."""
    try:
        check(alignsim.validate(doc, "tiny.json"), "tiny.json")
    except ScenarioError as error:
        return list(error.problems)
    return []


@pytest.fixture(scope="module")
def truth() -> list[dict[str, Any]]:
    """Every candidate's objective on 300 replications (seed 999), best first."""
    plan = Plan(rungs=(2,), finalists=24, final=300)
    result = alignsim.optimise(_scenario(), plan=plan, seed=999, lever_replications=0)
    return result.ranking


def test_finds_the_best_policy_in_nine_seeds_of_ten(truth: list[dict[str, Any]]) -> None:
    top = truth[0]["objective"]["mean"]
    good = [r["levers"] for r in truth if r["objective"]["mean"] >= top - ZONE]
    assert len(good) < len(truth) / 4  # the zone leaves most candidates out
    found = 0
    for seed in range(10):
        result = alignsim.optimise(_scenario(), seed=seed, lever_replications=0)
        assert result.method == "grid" and result.evaluated == 24
        found += result.best["levers"] in good
    assert found >= 9


def test_common_random_numbers() -> None:
    sc = _scenario()
    space = Space.of(sc, _document())
    refs = {"from": sc.policies["current"], "baseline": sc.policies["aligned"]}
    context = Context(sc, 5, None, None, (12, 1, 1), sc.digest())

    def policy_of(key: Any) -> Any:
        return refs[key] if isinstance(key, str) else space.policy(key)

    same_as_from = (0, 0, 0)  # reps 1, one attempt, lifo: the `current` policy itself
    assert space.changes(same_as_from) == {}
    keys = [same_as_from, (1, 2, 1), "from"]
    first = Evaluator(context, policy_of, SerialExecutor(), None).revenues(keys, range(6))
    again = Evaluator(context, policy_of, SerialExecutor(), None).revenues(keys, range(6))
    assert np.array_equal(first, again)
    # The same policy on the same streams: the same revenue, to the bit, replication by
    # replication, though the streams differ from one replication to the next.
    assert np.array_equal(first[0], first[2])
    assert len(set(first[2])) == 6


def test_constraints_are_never_broken() -> None:
    sc = _scenario(budget=30000, max_reps=2)
    result = alignsim.optimise(sc, seed=1, lever_replications=0)
    space = Space.of(sc, _document(budget=30000, max_reps=2))
    allowed = [k for k in space.candidates() if space.cost(k) <= 30000 and space.reps(k) <= 2]
    assert result.evaluated == len(allowed) < space.size
    assert result.refused["budget"] + result.refused["max_reps"] == space.size - len(allowed)
    for row in result.ranking:
        assert row["programme_cost"] <= 30000 and row["reps"] <= 2
    assert (result.pareto["programme_cost"] <= 30000).all()
    tighter = alignsim.optimise(sc, seed=1, budget=0, max_reps=1, lever_replications=0)
    assert all(r["programme_cost"] <= 0 and r["reps"] == 1 for r in tighter.ranking)


def test_cost_objective_meets_the_share() -> None:
    result = alignsim.optimise(_scenario(), objective="cost", recover=0.5, seed=2)
    best = result.best
    assert best["recovered_share"]["mean"] >= 0.5
    cheaper = [r for r in result.ranking if r["programme_cost"] < best["programme_cost"]]
    assert all(r["objective"]["mean"] < 0 for r in cheaper)  # none of them recovers half
    assert result.by_lever["recovered"].sum() > 0


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            {"attempts": {"path": "sla.max_tries", "values": [1, 2]}},
            "optimise.levers.attempts.path",
        ),
        ({"attempts": {"path": "sla.max_attempts", "values": [0, 2]}}, "the value 0"),
        ({"attempts": {"path": "sla.max_attempts", "values": {"low": 3, "high": 2}}}, "empty"),
        ({"attempts": {"path": "sla.max_attempts", "values": []}}, "empty"),
        ({"queue": {"path": "queue", "values": ["lifo", "random"]}}, "'random'"),
    ],
)
def test_bad_spaces_are_one_sentence(change: dict[str, Any], words: str) -> None:
    doc = _document()
    doc["optimise"]["levers"].update(change)
    (line,) = _refusals(doc)
    assert line.startswith("tiny.json: optimise.levers.") and words in line


def test_corners_are_checked_up_front() -> None:
    doc = _document()
    doc["policies"]["current"]["nurture"] = {"enabled": True}
    # Each value is fine alone; rejected = "nurture" with nurture switched off is not.
    doc["optimise"]["levers"]["nurture"] = {"path": "nurture.enabled", "values": [True, False]}
    doc["optimise"]["levers"]["rejected"] = {"path": "rejected", "values": ["discard", "nurture"]}
    (line,) = _refusals(doc)
    assert "'nurture': False, 'rejected': 'nurture'" in line
    assert line.endswith('= "nurture" needs a [nurture] table with enabled = true')


def test_same_bits_for_one_and_two_workers() -> None:
    serial = alignsim.optimise(_scenario(), seed=4, trials=12)
    pooled = alignsim.optimise(_scenario(), seed=4, trials=12, workers=2)
    assert serial.method == "tpe"
    assert json.dumps(serial.to_json()) == json.dumps(pooled.to_json())


def test_resumes_from_its_folder(tmp_path: Path) -> None:
    first = alignsim.optimise(_scenario(), seed=6, trials=12, out=tmp_path, lever_replications=0)
    again = alignsim.optimise(_scenario(), seed=6, trials=12, out=tmp_path, lever_replications=0)
    assert first.played > 0 and again.played == 0
    assert json.dumps(first.to_json()) == json.dumps(again.to_json())
    written = json.loads((tmp_path / "optimise.json").read_text())
    assert written["best"]["levers"] == first.best["levers"]
    assert "[policies.optimised]" in (tmp_path / "policy.toml").read_text()
    with pytest.raises(ValueError, match="another search"):
        alignsim.optimise(_scenario(), seed=7, trials=12, out=tmp_path, lever_replications=0)


def test_a_file_may_inherit_a_table_that_names_policies_it_replaced() -> None:
    doc = _document()
    doc["policies"] = {"aligned": doc["policies"]["aligned"]}
    sc = alignsim.validate(doc, "tiny.json")  # loads: simulate, compare, ... are unaffected
    (line,) = _refusals(doc)
    assert line.startswith("tiny.json: optimise.from: no policy 'current'")
    with pytest.raises(ValueError, match=r"optimise\.from"):
        alignsim.optimise(sc)


def test_command_line(tmp_path: Path, run_cli: Any) -> None:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(_document()), encoding="utf-8")
    code, out, _ = run_cli(
        ["optimise", path, "--json", "--seed", "3", "--out", tmp_path / "o", "--trials", "12"]
    )
    assert code == 0
    data = json.loads(out)
    assert {"best", "prob_best", "ranking", "evaluated", "replications", "unit"} <= set(data)
    assert set(data["best"]["objective"]) == {"mean", "ci_low", "ci_high"}
    assert data["summary"].startswith(("do ", "keep "))
    assert (tmp_path / "o" / "pareto.png").stat().st_size > 0
    bad = _document()
    bad["optimise"]["levers"]["reps"]["path"] = "team.rep"
    path.write_text(json.dumps(bad), encoding="utf-8")
    code, _, err = run_cli(["optimise", path])
    assert code == 2 and err.count("\n") == 1 and "optimise.levers.reps.path" in err
    code, _, err = run_cli(["validate", path])
    assert code == 2 and err.count("\n") == 1 and "optimise.levers.reps.path" in err
    code, _, err = run_cli(["optimise", path, "--objective", "margin"])
    assert code == 2 and err.startswith("--objective: choose one of profit, recovered, cost")


def test_the_command_knows_every_objective() -> None:
    from alignsim.cli.optimise import OBJECTIVES

    assert OBJECTIVES == alignsim.optimiser.OBJECTIVES


def test_pareto_plot_never_simulates() -> None:
    result = alignsim.optimise(_scenario(), seed=8, trials=12, lever_replications=0)
    ax = alignsim.plots.pareto(result)
    assert ax.get_xlabel() == "programme cost a year"
    front = result.pareto[result.pareto["pareto"]].sort_values("programme_cost")
    assert np.all(np.diff(front["bookings_recovered"]) > 0)
