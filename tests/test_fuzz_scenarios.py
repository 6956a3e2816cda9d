"""A scenario fuzzer: mutations of the shipped scenarios (deletions, wrong types, extreme
numbers, bad units, extends loops) through `alignsim validate`, and extreme but valid
scenarios played for two weeks through `alignsim run`.

Every case ends in exit 0, or exit 2 with one line per problem naming the file; never exit 1,
a traceback, or JSON holding NaN or infinity. The number of examples is bounded so the file
runs in `make test` (about half a minute).
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alignsim.scenario import ScenarioError, expected_leads, validate
from alignsim.scenario.paths import Segment
from tests.fuzzing import (
    DOCUMENTS,
    alignsim,
    check_problem_lines,
    leaves,
    strict_json,
    tables,
)

EXTREME_NUMBERS = [
    0,
    -1,
    1,
    12,
    0.5,
    1e-300,
    1e-9,
    1e6,
    1e12,
    1e300,
    1.7e308,
    -1.7e308,
    2**63,
    -(2**63),
    math.inf,
    -math.inf,
    math.nan,
]
WRONG_VALUES: list[Any] = [
    True,
    "",
    "6",
    "5 parsecs",
    "1e400h",
    "-3h",
    "120/fortnight",
    "99:99",
    [],
    [1, 2, 3],
    {},
    {"dist": "pareto"},
    {"dist": "gamma", "mean": "0h", "cv": 0},
    "\N{GRINNING FACE}" * 100,
]
FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A shipped scenario with one to three mutations."""
    name = draw(st.sampled_from(sorted(DOCUMENTS)))
    doc = copy.deepcopy(DOCUMENTS[name])
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["delete", "number", "wrong", "key"]))
        if kind == "key":
            parent = _at(doc, draw(st.sampled_from(list(tables(doc)))))
            if isinstance(parent, dict):
                parent[draw(st.sampled_from(["seed2", "notes", "mean", "x" * 200]))] = 1
            continue
        paths = [path for path, _ in leaves(doc)] + [p for p in tables(doc) if p]
        path = draw(st.sampled_from(paths))
        parent = _at(doc, path[:-1])
        if kind == "delete":
            if isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent.pop(path[-1])  # type: ignore[arg-type]
        else:
            values = EXTREME_NUMBERS if kind == "number" else WRONG_VALUES
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(values)))
    return name, doc


def _at(doc: Any, path: tuple[Segment, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _write(path: Path, doc: dict[str, Any]) -> Path:
    # JSON, which the scenario reader takes too, writes NaN and infinity, and any key
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@FUZZ
@given(case=mutated())
def test_a_mutated_scenario_validates_or_says_what_is_wrong(
    case: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    _name, doc = case
    path = _write(tmp_path / "fuzzed.json", doc)
    code, out, err = alignsim("validate", path)
    assert code in (0, 2), err
    if code == 2:
        check_problem_lines(err, "fuzzed.json")
    else:
        assert out.startswith(f"{path}: ok") and err == ""


@FUZZ
@given(loop=st.integers(1, 4))
def test_an_extends_loop_is_one_line(loop: int, tmp_path: Path) -> None:
    names = [f"loop{i}.json" for i in range(loop)]
    for i, name in enumerate(names):
        _write(tmp_path / name, {"extends": names[(i + 1) % loop], "name": "x"})
    code, _out, err = alignsim("validate", tmp_path / names[0])
    assert code == 2
    check_problem_lines(err, names[0])
    assert "in a loop" in err and len(err.splitlines()) == 1


# ------------------------------------------------------------- extreme but valid, then run

NUMBERS = st.one_of(
    st.sampled_from([0.0, 1e-300, 1e-9, 1e-3, 0.5, 1.0, 7.0, 100.0, 1e6, 1e12, 1e300]),
    st.floats(min_value=0, max_value=1e12, allow_nan=False),
)
DURATIONS = st.sampled_from(["0s", "1s", "1m", "1h", "3d", "52w", "520w", "100000w"])


@st.composite
def extreme(draw: st.DrawFn) -> dict[str, Any]:
    """default.toml with up to six numbers or durations set to extreme values."""
    doc = copy.deepcopy(DOCUMENTS["default.toml"])
    doc["horizon"] = "2w"
    paths = [p for p, v in leaves(doc) if isinstance(v, int | float) and not isinstance(v, bool)]
    durations = [
        p
        for p, v in leaves(doc)
        if isinstance(v, str) and v[:1].isdigit() and v[-1:] in "smhdw" and "/" not in v
    ]
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()) and durations:
            path, value = draw(st.sampled_from(durations)), draw(DURATIONS)
        else:
            path, value = draw(st.sampled_from(paths)), draw(NUMBERS)
        parent = _at(doc, path[:-1])
        parent[path[-1]] = int(value) if isinstance(parent[path[-1]], int) else value
    return doc


@settings(FUZZ, max_examples=40)
@given(doc=extreme())
def test_an_extreme_but_valid_scenario_runs_for_two_weeks(
    doc: dict[str, Any], tmp_path: Path
) -> None:
    try:
        scenario = validate(doc, "extreme.json")
    except ScenarioError:
        return  # refused with one line per problem: the other fuzzer checks those lines
    if expected_leads(scenario) > 20_000:
        return  # valid, but too long for a unit test
    path = _write(tmp_path / "extreme.json", doc)
    code, out, err = alignsim("run", path, "--json", "-p", "all")
    assert code in (0, 2), err
    if code == 2:
        check_problem_lines(err, "extreme.json")
        return
    result = strict_json(out)
    for summary in result["policies"].values():
        assert summary["revenue"] >= 0
