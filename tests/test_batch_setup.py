"""Uncertain inputs checked against the scenario before any run, and written into each run's."""

from __future__ import annotations

import numpy as np
import pytest

import alignsim
from alignsim.batch.setup import prepare
from alignsim.scenario import read_document


def _problems(doc: dict, uncertainty: dict) -> list[str]:
    """The problems `prepare` finds in the document with these uncertain inputs."""
    doc["uncertainty"] = uncertainty
    with pytest.raises(alignsim.ScenarioError) as caught:
        prepare(doc, "f.toml")
    return caught.value.problems


@pytest.mark.parametrize(
    ("uncertainty", "message"),
    [
        (
            {"market.sources.wep.rate": {"dist": "uniform", "low": "1/day", "high": "2/day"}},
            "f.toml: uncertainty.\"market.sources.wep.rate\": no key 'wep' in market.sources "
            "(did you mean 'web'?)",
        ),
        (
            {"market.win[1]": {"dist": "uniform", "low": 0.1, "high": 0.2}},
            'f.toml: uncertainty."market.win[1]": market.win is a number (0.5), not a list',
        ),
        (
            {"market.patience.hot": {"dist": "uniform", "low": "1h", "high": "2h"}},
            'f.toml: uncertainty."market.patience.hot": the scenario has a table there, not a '
            "number; name one of its values",
        ),
        (
            {"policies.current.queue": {"dist": "uniform", "low": 1, "high": 2}},
            'f.toml: uncertainty."policies.current.queue": the scenario\'s value there is not a '
            "number, a duration or a rate (got 'lifo')",
        ),
        (
            {"market.sources.web.rate": {"dist": "uniform", "low": 4, "high": 9}},
            'f.toml: uncertainty."market.sources.web.rate": the scenario\'s value there is '
            "'6/day'; write the law's parameters as rates like \"90/week\"",
        ),
        (
            {"market.win": {"dist": "normal", "mean": 0.5, "sd": 0.1}},
            'f.toml: uncertainty."market.win": at its lowest draw (-0.0997807) the scenario is '
            "invalid: market.win: expected a number at least 0.0 (got -0.09978070150076868)",
        ),
        (
            {"team.reps": {"dist": "pert", "low": 0, "mode": 1, "high": 3}},
            'f.toml: uncertainty."team.reps": at its lowest draw (0) the scenario is invalid: '
            "team.reps: expected a number at least 1 (got 0)",
        ),
        (
            {"team.attempt_time": {"dist": "uniform", "low": "0m", "high": "1h"}},
            None,  # a duration of zero is allowed: no problem
        ),
    ],
)
def test_inputs_that_do_not_fit_the_scenario_are_one_sentence(
    tiny_document, uncertainty: dict, message: str | None
) -> None:
    if message is None:
        doc = tiny_document()
        doc["uncertainty"] = uncertainty
        prepare(doc, "f.toml")
        return
    assert _problems(tiny_document(), uncertainty) == [message]


def test_every_problem_is_reported_at_once(tiny_document) -> None:
    problems = _problems(
        tiny_document(),
        {
            "team.repz": {"dist": "uniform", "low": 1, "high": 2},
            "market.cycles": {"dist": "uniform", "low": "1d", "high": "2d"},
        },
    )
    assert len(problems) == 2


def test_whole_number_fields_are_found_and_rounded(default_toml) -> None:
    doc = read_document(default_toml)
    doc["uncertainty"] = {
        "team.reps": {"dist": "uniform", "low": 2, "high": 6},
        # written as 8000 but a float field: not rounded
        "policies.current.goals.min_value": {"dist": "uniform", "low": 5000, "high": 9000},
    }
    setup = prepare(doc, "default.toml")
    assert setup.writers == ("int", "float")
    played = setup.played(np.array([[3.5, 8000.4], [4.49, 5000.5]]))
    assert played.tolist() == [[4.0, 8000.4], [4.0, 5000.5]]
    scenario = setup.scenario_for(played[0])
    assert scenario.team.reps == 4
    assert scenario.policies["current"].goals.min_value == 8000.4


def test_a_runs_scenario_holds_the_drawn_values_exactly(tiny_document) -> None:
    setup = prepare(tiny_document(), "f.toml")
    assert setup.names == [
        "market.win",
        "market.sources.web.rate",
        "team.reps",
        "policies.current.sla.attempt_spacing",
    ]
    values = np.array([0.4123456789, 0.31234567891234, 2.0, 37.123456789012345])
    scenario = setup.scenario_for(values)
    assert scenario.market.win.hot == values[0]
    assert scenario.market.sources["web"].rate == values[1]  # per hour, exactly
    assert scenario.team.reps == 2
    assert scenario.policies["current"].sla.attempt_spacing == values[3]  # hours, exactly
    assert scenario.uncertainty is None  # a run plays one concrete scenario


def test_without_uncertain_inputs_every_run_plays_the_base_scenario(tiny_document) -> None:
    setup = prepare(tiny_document(uncertainty=None), "f.toml", seed=3)
    assert setup.document is None and setup.names == [] and setup.seed == 3
    assert setup.scenario_for(np.empty(0)) is setup.base


def test_unknown_policies_are_refused(tiny_document) -> None:
    with pytest.raises(ValueError, match=r"policy: scenario 'tiny-finance' has no policy 'nope'"):
        prepare(tiny_document(), "f.toml", policy="nope")


def test_the_shipped_finance_scenario_prepares(finance_toml) -> None:
    doc = read_document(finance_toml)
    setup = prepare(doc, "finance-uncertainty.toml")
    assert setup.writers == ("float", "float", "rate", "rate", "duration", "int") + ("float",) * 4
    assert setup.baseline == "aligned" and setup.policy == "current"


def test_values_that_only_clash_together_are_named_with_the_run(tiny_document) -> None:
    doc = tiny_document()
    doc["market"]["cycle"] = {"dist": "lognormal", "median": "1d", "p90": "3d"}
    doc["uncertainty"] = {
        "market.cycle.median": {"dist": "uniform", "low": "1d", "high": "2.5d"},
        "market.cycle.p90": {"dist": "uniform", "low": "2d", "high": "5d"},
    }
    setup = prepare(doc, "f.toml")  # each range is fine with the other input at its base value
    with pytest.raises(alignsim.ScenarioError) as caught:
        setup.scenario_for(np.array([57.6, 50.4]), run=7)
    assert caught.value.problems == [
        "f.toml: run 7 (market.cycle.median = 2.4d, market.cycle.p90 = 2.1d) makes the scenario "
        "invalid: market.cycle: need 0 < median < p90 (got median 57.6 and p90 50.4)"
    ]
