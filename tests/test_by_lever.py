"""Loss by lever (MODEL.md 6.4): the group table covers every policy field, exact Shapley
values (efficiency, identity, dummy lever, single lever, symmetry), common random numbers,
and the deprecated `attribution` names. Short horizons and few replications."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel

import alignsim
from alignsim import plots
from alignsim.comparison import Comparison, compare
from alignsim.levers import GROUPS, LEVERS, NOT_LEVERS, coalition, differing, shapley
from alignsim.scenario import Policy, TeamOverride

WEEKS4 = 4 * 168.0


@pytest.fixture(scope="module")
def scenario(default_toml: Path) -> alignsim.Scenario:
    return alignsim.load(default_toml)


@pytest.fixture(scope="module")
def split(scenario: alignsim.Scenario) -> Comparison:
    """current against aligned, 4 replications of 4 weeks, split on the first 3."""
    return compare(scenario, replications=4, horizon=WEEKS4, lever_replications=3)


def _leaves(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Dotted paths of every field of a policy model, down to the fields of sub-models."""
    out = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        kinds = [
            k
            for k in (info.annotation, *getattr(info.annotation, "__args__", ()))
            if isinstance(k, type) and issubclass(k, BaseModel)
        ]
        out.extend(_leaves(kinds[0], f"{path}.") if kinds else [path])
    return out


def test_every_policy_field_belongs_to_one_lever_group_or_is_named_no_lever() -> None:
    leaves = _leaves(Policy)
    assert "sla.max_attempts" in leaves and "team.reps" in leaves
    for leaf in leaves:
        covering = [p for p in LEVERS if leaf == p or leaf.startswith(p + ".")]
        named = [p for p in NOT_LEVERS if leaf == p or leaf.startswith(p + ".")]
        assert len(covering) + len(named) == 1, f"policy field {leaf} is in no lever group"
    assert set(LEVERS.values()) == set(GROUPS)


def _check_model_validators(model: BaseModel) -> None:
    """Run every "after" model validator of a model and its sub-models (a coalition is built
    by copying validated fields, so only the checks across fields can fail)."""
    for name, decorator in type(model).__pydantic_decorators__.model_validators.items():
        assert decorator.info.mode == "after"
        getattr(model, name)()
    for value in dict(model).values():
        if isinstance(value, BaseModel):
            _check_model_validators(value)


def test_coalitions_are_valid_policies_and_the_full_one_is_the_policy(
    scenario: alignsim.Scenario,
) -> None:
    for base, other in itertools.permutations(scenario.policies.values(), 2):
        players = differing(base, other)
        assert set(players) == {
            "response",
            "persistence",
            "definitions",
            "nurture",
            "goals",
            "post_sale",
        }
        for size in range(len(players) + 1):
            for groups in itertools.combinations(players, size):
                _check_model_validators(coalition(base, other, set(groups)))
        full = coalition(base, other, set(players))
        assert full.model_dump(exclude={"description"}) == other.model_dump(exclude={"description"})
        assert coalition(base, other, set()) == base


def test_shapley_by_hand() -> None:
    # Two players: v({}) = 10, v({a}) = 7, v({b}) = 9, v({a, b}) = 4 (revenues; loss 6).
    # a: ((10 - 7) + (9 - 4)) / 2 = 4; b: ((10 - 9) + (7 - 4)) / 2 = 2.
    assert shapley(np.array([10.0, 7.0, 9.0, 4.0])) == pytest.approx([4.0, 2.0], abs=0)
    # Symmetric players get equal shares; a dummy player (changes nothing) gets exactly 0.
    v = np.array([12.0, 9.0, 9.0, 3.0, 12.0, 9.0, 9.0, 3.0])  # player 2 is a dummy
    phi = shapley(v)
    assert phi[0] == phi[1] == 4.5 and phi[2] == 0.0
    assert shapley(np.array([5.0])).size == 0
    with pytest.raises(ValueError, match="2\\^g"):
        shapley(np.zeros(3))


def test_shares_sum_to_the_loss_in_every_replication_and_in_mean(split: Comparison) -> None:
    per = split.levers.pivot(index="replication", columns="lever", values="amount")
    assert list(per.index) == [0, 1, 2]
    lost = split.rows.set_index("replication")["revenue_lost"]
    for r, row in per.iterrows():
        assert row.sum() == pytest.approx(lost[r], rel=1e-12, abs=1e-6)
    table = split.by_lever()
    assert list(table.columns) == ["lever", "amount", "share", "ci_low", "ci_high"]
    assert list(table["lever"]) == list(GROUPS)
    assert table.attrs["replications"] == 3
    mean3 = float(lost[:3].mean())
    assert table.attrs["revenue_lost"]["mean"] == mean3
    assert table["amount"].sum() == pytest.approx(mean3, rel=1e-12)
    assert table["share"].sum() == pytest.approx(1.0, rel=1e-12)
    assert (table["ci_low"] <= table["amount"]).all() and (
        table["amount"] <= table["ci_high"]
    ).all()


def test_a_group_equal_in_both_policies_gets_exactly_zero(split: Comparison) -> None:
    table = split.by_lever().set_index("lever")
    assert table.loc["staffing", "amount"] == 0.0  # default's policies share the team
    assert (split.levers.query("lever == 'staffing'")["amount"] == 0.0).all()


def test_identity_splits_nothing(scenario: alignsim.Scenario) -> None:
    result = compare(scenario, "current", "current", replications=2, horizon=WEEKS4)
    assert (result.levers["amount"] == 0.0).all()
    assert (result.by_lever()["amount"] == 0.0).all()


def _changed(scenario: alignsim.Scenario, update: dict[str, Any]) -> alignsim.Scenario:
    aligned = scenario.policies["aligned"]
    sla = aligned.sla.model_copy(update=update)
    policies = {**scenario.policies, "fewer": aligned.model_copy(update={"sla": sla})}
    return scenario.model_copy(update={"policies": policies})


def test_a_policy_that_differs_in_one_group_puts_the_whole_loss_on_it(
    scenario: alignsim.Scenario,
) -> None:
    sc = _changed(scenario, {"max_attempts": 2, "attempt_spacing": 48.0})
    result = compare(sc, "aligned", "fewer", replications=3, horizon=WEEKS4)
    per = result.levers.pivot(index="replication", columns="lever", values="amount")
    lost = result.rows.set_index("replication")["revenue_lost"]
    assert (per["persistence"] == lost).all()  # exactly: the one player takes v({}) - v(N)
    assert (per.drop(columns="persistence") == 0.0).all().all()
    assert lost.abs().sum() > 0


def test_common_random_numbers_give_the_same_split_twice(
    scenario: alignsim.Scenario, split: Comparison
) -> None:
    again = compare(scenario, replications=4, horizon=WEEKS4, lever_replications=3)
    assert again.levers.equals(split.levers)
    assert again.rows.equals(split.rows)


def test_the_split_changes_no_other_figure(scenario: alignsim.Scenario, split: Comparison) -> None:
    plain = compare(scenario, replications=4, horizon=WEEKS4, lever_replications=0)
    assert plain.rows.equals(split.rows) and plain.causes.equals(split.causes)
    assert plain.lever_replications == 0 and "by_lever" not in plain.summary()
    with pytest.raises(ValueError, match="without the split by lever"):
        plain.by_lever()
    with pytest.raises(ValueError, match="lever_replications"):
        compare(scenario, replications=2, horizon=WEEKS4, lever_replications=3)


def test_attribution_still_works_with_a_deprecation_warning(split: Comparison) -> None:
    with pytest.warns(DeprecationWarning, match="by_leak"):
        old = split.attribution()
    assert old.equals(split.by_leak())
    with pytest.warns(DeprecationWarning, match="by_leak_by_replication"):
        assert split.attribution_by_replication().equals(split.by_leak_by_replication())
    with pytest.warns(DeprecationWarning, match="by_leak"):
        plots.attribution(split)


def test_the_by_lever_waterfall_closes(split: Comparison) -> None:
    ax = plots.by_lever(split)
    table = split.by_lever()
    players = table[table["amount"] != 0]
    bars = ax.patches
    assert len(bars) == len(players) + 2
    scale = 52 * 168 / WEEKS4
    steps = [b.get_height() for b in bars[1:-1]]
    assert steps == pytest.approx(np.abs(players["amount"].to_numpy()) * scale)
    assert "by lever" in ax.get_title(loc="left")


def test_compare_json_has_by_lever_and_by_leak(
    monkeypatch: pytest.MonkeyPatch, run_cli, default_toml: Path
) -> None:
    args: list[str | Path] = ["compare", default_toml, "--horizon", "4w", "--replications", "3"]
    code, out, err = run_cli([*args, "--lever-replications", "2", "--json"])
    assert code == 0, err
    s = json.loads(out)
    assert s["unit"] == "per_year"
    assert "attribution" not in s and set(s["by_leak"]) == set(alignsim.comparison.CAUSES)
    split = s["by_lever"]
    assert split["replications"] == 2 and list(split["levers"]) == list(GROUPS)
    total = sum(v["amount"] for v in split["levers"].values())
    assert math.isclose(total, split["revenue_lost"]["mean"], rel_tol=1e-12)
    monkeypatch.setenv("COLUMNS", "200")
    code, table, err = run_cli(args)
    assert code == 0, err
    assert table.index("by lever") < table.index("by leak")
    code, _, err = run_cli([*args, "--lever-replications", "4"])
    assert code == 2 and "--lever-replications" in err


def test_alerts_and_inbound_checks_are_response_levers_apart_from_staffing(
    scenario: alignsim.Scenario,
) -> None:
    base = scenario.policies["current"]
    other = base.model_copy(
        update={
            "alerts": True,
            "team": TeamOverride(reps=7, inbound_checks=["09:00", "13:30"]),
        }
    )
    assert differing(base, other) == ("response", "staffing")
    response_only = coalition(base, other, {"response"})
    assert response_only.alerts and response_only.team is not None
    assert response_only.team.inbound_checks == [9.0, 13.5] and response_only.team.reps is None
    assert scenario.team_for("current").inbound_checks == [9.0, 10.5, 12.0, 13.5, 15.0, 16.5]
    assert coalition(base, other, {"staffing"}).team == TeamOverride(reps=7)
