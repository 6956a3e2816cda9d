"""`--set PATH=VALUE`: value forms, paths, and the errors through the command."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import alignsim
from alignsim.overrides import apply_overrides, parse_value, split_values
from alignsim.scenario import ScenarioError, read_document


@pytest.fixture(scope="module")
def doc(default_toml: Path) -> dict:
    return read_document(default_toml)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("4", 4),
        ("0.3", 0.3),
        ("true", True),
        ("[0.1, 0.2]", [0.1, 0.2]),
        ('"1h"', "1h"),
        ('{ hot = "15m", warm = "1h", cold = "4h" }', {"hot": "15m", "warm": "1h", "cold": "4h"}),
        ("1h", "1h"),
        ("200/week", "200/week"),
        ("  17:00 ", "17:00"),
        ("lifo", "lifo"),
    ],
)
def test_value_forms(text: str, value: object) -> None:
    parsed = parse_value(text)
    assert parsed == value
    assert type(parsed) is type(value)


def test_overrides_change_a_copy_and_validate(doc: dict) -> None:
    before = copy.deepcopy(doc)
    out = apply_overrides(
        doc,
        [
            "policies.current.sla.first_response=1h",
            "team.reps=4",
            "market.sources.trial.rate=200/week",
            "team.shifts=2",  # a new leaf under an existing table is allowed
            'policies.aligned.sla.first_response={ hot = "5m", warm = "30m", cold = "2h" }',
        ],
    )
    assert doc == before
    assert out["team"]["reps"] == 4
    assert out["policies"]["current"]["sla"]["first_response"] == "1h"
    assert out["market"]["sources"]["trial"]["rate"] == "200/week"
    # ... and validation rejects the unknown key in its own words
    with pytest.raises(ScenarioError) as caught:
        alignsim.validate(out, "default.toml")
    assert caught.value.problems[0].startswith("default.toml: team.shifts: unknown field")
    del out["team"]["shifts"]
    sc = alignsim.validate(out, "default.toml")
    assert sc.team.reps == 4


def test_set_reaches_list_entries_as_uncertainty_paths_do(doc: dict) -> None:
    out = apply_overrides(
        doc, ["market.win.hot[1]=0.3", "market.patience.hot.components[0].weight=0.5"]
    )
    assert out["market"]["win"]["hot"] == [doc["market"]["win"]["hot"][0], 0.3]
    assert out["market"]["patience"]["hot"]["components"][0]["weight"] == 0.5
    assert doc["market"]["win"]["hot"][1] != 0.3  # the original is left as it was


def test_set_quotes_keys_that_are_not_bare(doc: dict) -> None:
    changed = apply_overrides(doc, ['policies."my.odd=name"={ description = "x" }'])
    assert changed["policies"]["my.odd=name"] == {"description": "x"}
    out = apply_overrides(changed, ['policies."my.odd=name".description=y=z'])
    assert out["policies"]["my.odd=name"]["description"] == "y=z"


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("team.repz.x=4", "--set team.repz.x: no key 'repz' in team (did you mean 'reps'?)"),
        ("polices.current.queue=fifo", "(did you mean 'policies'?)"),
        (
            "market.sources.web.rate=200/week",
            "--set market.sources.web.rate: no key 'web' in market.sources (did you mean 'webinar'?)",
        ),
        ("team.reps.x=4", "--set team.reps.x: team.reps is a number (8), not a table"),
        ("team..reps=4", '--set team..reps: expected a dotted path like "market.win.hot[1]"'),
        ("market.win.hot[2]=0.3", "--set market.win.hot[2]: market.win.hot has 2 entries"),
        ("market.win[0]=0.3", "--set market.win[0]: market.win is a table, not a list"),
        ("team.reps", "--set team.reps: expected PATH=VALUE"),
        ("=4", "--set =4: expected PATH=VALUE"),
    ],
)
def test_bad_paths(doc: dict, item: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        apply_overrides(doc, [item])
    (line,) = caught.value.problems
    assert expected in line
    assert line.startswith("--set ")


def test_split_values_only_on_top_level_commas() -> None:
    assert split_values("1,2, 3") == ["1", "2", "3"]
    assert split_values('[0.1, 0.2],{ hot = "1h", warm = "2h" },"a,b",1h') == [
        "[0.1, 0.2]",
        '{ hot = "1h", warm = "2h" }',
        '"a,b"',
        "1h",
    ]


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        (["team.repz.x=4"], "--set team.repz.x: no key 'repz' in team (did you mean 'reps'?)"),
        (["team.reps.x=4"], "--set team.reps.x: team.reps is a number (8), not a table"),
        (["team.reps=abc"], "default.toml: team.reps: expected a whole number (got 'abc')"),
        (["team.repz=4"], "default.toml: team.repz: unknown field"),
    ],
)
def test_bad_sets_exit_2_with_one_line(
    default_toml, run_cli, sets: list[str], expected: str
) -> None:
    args: list[str | Path] = ["run", default_toml, "--horizon", "1w"]
    for item in sets:
        args += ["--set", item]
    code, out, err = run_cli(args)
    assert code == 2
    assert out == ""
    assert err.splitlines() == [err.strip()]
    assert expected in err
    assert "Traceback" not in err


def test_run_set_changes_the_result(default_toml, run_cli) -> None:
    args: list[str | Path] = ["run", default_toml, "--horizon", "4w", "--json"]
    code, plain, _ = run_cli(args)
    assert code == 0
    code, changed, _ = run_cli([*args, "--set", "team.reps=12"])
    assert code == 0
    a, b = json.loads(plain), json.loads(changed)
    assert a != b
    assert b["rep_utilisation"] < a["rep_utilisation"]
    assert a["leads"] == b["leads"]  # the same leads: only the team changed
