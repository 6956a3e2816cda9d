"""Scenario files: the shipped ones validate, and every bad input gets one clear line per problem.

Each line of a `ScenarioError` reads `FILE: dotted.path: what was expected`.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import alignsim
from alignsim.scenario import MAX_ATTEMPTS, ScenarioError, read_document, schema

LABEL = "default.toml"


@pytest.fixture(scope="module")
def base(default_toml: Path) -> dict[str, Any]:
    """The default scenario's document, as read (copy it before changing it)."""
    return read_document(default_toml)


def problems_of(
    base: dict[str, Any], mutate: Callable[[dict[str, Any]], Any], label: str = LABEL
) -> list[str]:
    """The problem lines of the document `base` after `mutate` (which must make it invalid)."""
    doc = copy.deepcopy(base)
    mutate(doc)
    with pytest.raises(alignsim.ScenarioError) as info:
        alignsim.validate(doc, label)
    error = info.value
    assert str(error) == "\n".join(error.problems)
    return error.problems


# ------------------------------------------------------------------------------ good scenarios


def test_there_are_shipped_scenarios(shipped_scenarios: list[Path], default_toml: Path) -> None:
    assert default_toml in shipped_scenarios
    assert len(shipped_scenarios) >= 2


def test_shipped_scenarios_validate(shipped_scenario: Path) -> None:
    scenario = alignsim.load(shipped_scenario)
    assert scenario.policies
    assert scenario.baseline_policy in scenario.policies
    assert scenario.horizon > 0
    assert len(scenario.digest()) == 16


def test_default_scenario_reads_as_written(default_toml) -> None:
    sc = alignsim.load(default_toml)
    assert sc.name == "default"
    assert list(sc.policies) == ["current", "aligned"]
    assert sc.baseline_policy == "aligned"
    assert sc.horizon == 52 * 168
    assert sc.market.sources["content"].rate == pytest.approx(90 / 168)
    assert sc.policies["current"].sla.target_hours().tolist() == [8.0, 8.0, 8.0]
    assert sc.policies["aligned"].sla.target_hours().tolist() == [4.0, 1.0, 0.25]
    assert sc.team.hours.days == (0, 1, 2, 3, 4)
    assert sc.market.patience.cold.mean() == math.inf


def test_json_with_the_same_content_validates_the_same(base, default_toml, tmp_path: Path) -> None:
    path = tmp_path / "default.json"
    path.write_text(json.dumps(base), encoding="utf-8")
    assert alignsim.load(path).digest() == alignsim.load(default_toml).digest()


def test_validate_does_not_change_its_input(base) -> None:
    doc = copy.deepcopy(base)
    alignsim.validate(doc, LABEL)
    assert doc == base


def test_schema_is_json_with_the_top_level_fields() -> None:
    out = json.loads(json.dumps(schema()))
    assert {"name", "market", "team", "policies"} <= set(out["properties"])
    assert set(out["required"]) >= {"name", "market", "team", "policies"}


# --------------------------------------------------------------------------- broken documents


def _set(*path: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _drop(*path: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        node = doc
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return mutate


DURATION = 'expected a duration like "4h", "30m" or "2d"'
RATE = 'expected a rate like "120/week" or "20/day"'

BROKEN = {
    "bad duration": (
        _set("policies", "current", "sla", "first_response", value="4 hours"),
        f"policies.current.sla.first_response: {DURATION} (got '4 hours')",
    ),
    "bad duration by temperature": (
        _set("policies", "aligned", "sla", "first_response", "hot", value="soon"),
        f"policies.aligned.sla.first_response.hot: {DURATION} (got 'soon')",
    ),
    "bare number as a duration": (
        _set("horizon", value=52),
        f"horizon: {DURATION} (got 52)",
    ),
    "bad duration as a plain law": (
        _set("team", "attempt_time", value="ten minutes"),
        f"team.attempt_time: {DURATION} (got 'ten minutes')",
    ),
    "bad duration in a mixture component": (
        _set("market", "patience", "hot", "components", 1, "mean", value="6 hours"),
        f"market.patience.hot.components[1].mean: {DURATION} (got '6 hours')",
    ),
    "bad rate": (
        _set("market", "sources", "content", "rate", value="90 per week"),
        f"market.sources.content.rate: {RATE} (got '90 per week')",
    ),
    "rate as a bare number": (
        _set("market", "sources", "content", "rate", value=90),
        f"market.sources.content.rate: {RATE} (got 90)",
    ),
    "typo key": (
        _set("policies", "current", "sla", "max_attemps", value=3),
        'policies.current.sla.max_attemps: unknown field (did you mean "max_attempts"?)',
    ),
    "typo key at the top": (
        _set("horizn", value="3w"),
        'horizn: unknown field (did you mean "horizon"?)',
    ),
    "unknown key with no close name": (
        _set("team", "zzqx", value=1),
        "team.zzqx: unknown field",
    ),
    "known key in the wrong table": (
        _set("team", "queue", value="fifo"),
        'team.queue: unknown field here ("queue" belongs in another table)',
    ),
    "mixture weights not adding to 1": (
        _set("market", "patience", "hot", "components", 0, "weight", value=0.5),
        "market.patience.hot: mixture weights must add up to 1 (got 1.3)",  # 0.5 + 0.6 + 0.2
    ),
    "mixture component without a weight": (  # the last one may leave it out: it takes the rest
        _drop("market", "patience", "warm", "components", 1, "weight"),
        "market.patience.warm: every mixture component needs a weight",
    ),
    "temperature shares not adding to 1": (
        _set("market", "sources", "trial", "temperature", "hot", value=0.5),
        "market.sources.trial.temperature: shares of cold, warm and hot must add up to 1 "
        "(got 1.25)",
    ),
    "fit law outside [0, 1]": (
        _set("market", "sources", "trial", "fit", value={"dist": "uniform", "low": 0, "high": 2}),
        "market.sources.trial.fit: fit must stay within [0, 1] (this law ranges over [0.0, 2.0])",
    ),
    "max_attempts above the cap": (
        _set("policies", "aligned", "sla", "max_attempts", value=MAX_ATTEMPTS + 1),
        f"policies.aligned.sla.max_attempts: expected a number at most {MAX_ATTEMPTS} "
        f"(got {MAX_ATTEMPTS + 1})",
    ),
    "unknown queue discipline": (
        _set("policies", "aligned", "queue", value="random"),
        "policies.aligned.queue: expected 'fifo', 'lifo', 'value', 'sla' or 'cherry-pick' "
        "(got 'random')",
    ),
    "unknown distribution name": (
        _set("market", "cycle", value={"dist": "lognorm", "median": "45d", "p90": "90d"}),
        "market.cycle: unknown distribution 'lognorm'; expected one of 'fixed', 'never', "
        "'uniform', 'exponential', 'gamma', 'lognormal', 'weibull', 'mixture'",
    ),
    "unknown distribution name in a mixture": (
        _set("market", "patience", "hot", "components", 1, "dist", value="expo"),
        "market.patience.hot.components[1]: unknown distribution 'expo'; expected one of "
        "'fixed', 'never', 'uniform', 'exponential', 'gamma', 'lognormal', 'weibull'",
    ),
    "law without a dist key": (
        _set("team", "attempt_time", value={"mean": "10m"}),
        'team.attempt_time: expected a value or a table with a "dist" key, '
        'e.g. { dist = "exponential", mean = "1h" }',
    ),
    "missing required field": (
        _drop("policies", "current", "definition", "mql_threshold"),
        "policies.current.definition.mql_threshold: missing required field",
    ),
    "missing required table": (
        _drop("team"),
        "team: missing required field",
    ),
    "missing field of a law": (
        _drop("market", "warming", "cold_to_warm", "cv"),
        "market.warming.cold_to_warm.cv: missing required field",
    ),
    "negative reps": (
        _set("team", "reps", value=-1),
        "team.reps: expected a number at least 1 (got -1)",
    ),
    "reps not a number": (
        _set("team", "reps", value="three"),
        "team.reps: expected a whole number (got 'three')",
    ),
    "bad clock time": (
        _set("team", "hours", "open", value="9am"),
        'team.hours.open: expected a clock time like "09:00" (got "9am")',
    ),
    "clock time past midnight": (
        _set("team", "hours", "close", value="25:00"),
        'team.hours.close: expected a clock time like "09:00" (got "25:00")',
    ),
    "closing before opening": (
        _set("team", "hours", "open", value="18:00"),
        "team.hours.open: must be before close",
    ),
    "bad days": (
        _set("team", "hours", "days", value="Weekdays"),
        'team.hours.days: expected days like "Mon-Fri" or ["Mon", "Wed"] (got \'Weekdays\')',
    ),
    "bad batch time": (
        _set("policies", "current", "handoff", "times", value=["17:00", "5pm"]),
        'policies.current.handoff.times[1]: expected a clock time like "09:00" (got "5pm")',
    ),
    "baseline naming no policy": (
        _set("baseline", value="nope"),
        "baseline: 'nope' is not one of the policies (current, aligned)",
    ),
    "chance above 1": (
        _set("market", "reach", "cold", value=[0.1, 1.5]),
        "market.reach.cold[1]: expected a number at most 1.0 (got 1.5)",
    ),
    "chance as a word": (
        _set("market", "win", value="high"),
        "market.win: expected a number or a list (got 'high')",
    ),
    "table given as a plain value": (
        _set("market", "sources", "trial", "temperature", value="hot"),
        "market.sources.trial.temperature: expected a table (got 'hot')",
    ),
    "no sources": (
        _set("market", "sources", value={}),
        "market.sources: expected at least 1 entry (got 0)",
    ),
    "weekly profile of 6 days": (
        _set("market", "sources", "content", "weekly_profile", value=[1, 1, 1, 1, 1, 1]),
        "market.sources.content.weekly_profile: expected 7 weights, Monday to Sunday, not all zero",
    ),
    "lognormal with p90 below median": (
        _set("market", "sources", "trial", "value", "p90", value=1000),
        "market.sources.trial.value: need 0 < median < p90 (got median 15000.0 and p90 1000.0)",
    ),
    "negative seed": (
        _set("seed", value=-1),
        "seed: expected a number at least 0 (got -1)",
    ),
    "infinite deal value": (
        _set("market", "sources", "trial", "value", value=math.inf),
        "market.sources.trial.value: expected a finite number (got inf)",
    ),
    "NaN fit": (
        _set("market", "sources", "trial", "fit", value=math.nan),
        "market.sources.trial.fit: expected a finite number (got nan)",
    ),
    "NaN chance": (
        _set("market", "reach", value=math.nan),
        "market.reach: expected a finite number (got nan)",
    ),
    "infinite weekday weight": (
        _set("market", "sources", "content", "weekly_profile", value=[math.inf, 1, 1, 1, 1, 1, 1]),
        "market.sources.content.weekly_profile[0]: expected a finite number (got inf)",
    ),
    "contact decay not a sum of exponentials": (
        _set("market", "contact_decay", value={"dist": "gamma", "mean": "1h", "cv": 0.5}),
        'market.contact_decay: must be "exponential", "never" or a mixture of those (its '
        "survival curve is a sum of exponentials)",
    ),
    "bad policy team override": (
        _set("policies", "aligned", "team", value={"reps": 0}),
        "policies.aligned.team.reps: expected a number at least 1 (got 0)",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_document_gets_one_clear_line(base, case: str) -> None:
    mutate, expected = BROKEN[case]
    assert problems_of(base, mutate) == [f"{LABEL}: {expected}"]


def test_every_problem_is_reported_at_once(base) -> None:
    def mutate(doc: dict[str, Any]) -> None:
        doc["team"]["reps"] = 0
        doc["market"]["sources"]["content"]["rate"] = "lots"
        doc["policies"]["aligned"]["queue"] = "random"
        doc["horizn"] = "3w"

    lines = problems_of(base, mutate)
    assert len(lines) == 4
    paths = {line.split(": ")[1] for line in lines}
    assert paths == {"team.reps", "market.sources.content.rate", "policies.aligned.queue", "horizn"}


def test_the_label_is_the_one_given(base) -> None:
    lines = problems_of(base, _set("team", "reps", value=0), label="acme/q3.toml")
    assert lines == ["acme/q3.toml: team.reps: expected a number at least 1 (got 0)"]


def test_a_huge_run_is_refused(base) -> None:
    lines = problems_of(base, _set("market", "sources", "content", "rate", value="100000/hour"))
    assert len(lines) == 1
    assert lines[0].startswith(f"{LABEL}: ")
    assert "leads over the horizon (at most 20,000,000 per run)" in lines[0]


def test_a_long_input_is_shortened_in_the_message(base) -> None:
    [line] = problems_of(base, _set("team", "hours", "days", value="x" * 500))
    assert len(line) < 200


def test_a_key_that_is_not_bare_is_quoted_as_in_toml(base) -> None:
    def mutate(doc: dict[str, Any]) -> None:
        doc["market"]["sources"]["demo request"] = doc["market"]["sources"].pop("demo_request")
        doc["market"]["sources"]["demo request"]["rate"] = "often"
        doc["market"]["sources"]["trial"]["line\nbreak"] = 1

    assert sorted(problems_of(base, mutate)) == [
        f"{LABEL}: market.sources.\"demo request\".rate: {RATE} (got 'often')",
        f'{LABEL}: market.sources.trial."line\\nbreak": unknown field',
    ]


def test_a_message_stays_on_one_line(base) -> None:
    [line] = problems_of(base, _set("team", "hours", "open", value="9\n00"))
    assert (
        line == "default.toml: team.hours.open: expected a clock time like \"09:00\" (got '9\\n00')"
    )


@pytest.mark.parametrize("value", [[], "text", 3, None])
def test_a_document_that_is_not_a_table(value: Any) -> None:
    with pytest.raises(alignsim.ScenarioError) as info:
        alignsim.validate(value, LABEL)  # type: ignore[arg-type]
    assert info.value.problems == [
        f"{LABEL}: expected a table" + ("" if value == [] else f" (got {value!r})")
    ]


# ------------------------------------------- valid documents that the rest of the code cannot use


def test_omitted_team_times_take_their_documented_defaults(base) -> None:
    doc = copy.deepcopy(base)
    del doc["team"]["attempt_time"], doc["team"]["qualify_time"]
    team = alignsim.validate(doc, LABEL).team
    assert team.attempt_time.mean() == pytest.approx(1 / 6)  # type: ignore[union-attr]
    assert team.qualify_time.mean() == pytest.approx(0.5)  # type: ignore[union-attr]


def test_a_policy_team_override_keeps_its_types(base) -> None:
    doc = copy.deepcopy(base)
    doc["policies"]["aligned"]["team"] = {
        "reps": 5,
        "attempt_time": "5m",
        "hours": {"open": "08:00", "close": "20:00", "days": "Mon-Sat"},
    }
    team = alignsim.validate(doc, LABEL).team_for("aligned")
    assert team.reps == 5
    assert team.attempt_time.mean() == pytest.approx(5 / 60)  # type: ignore[union-attr]
    assert team.hours.calendar.open == 8.0


def test_a_batch_time_of_24_00_is_refused_or_runs(base) -> None:
    doc = copy.deepcopy(base)
    doc["policies"]["current"]["handoff"]["times"] = ["24:00"]
    try:
        scenario = alignsim.validate(doc, LABEL)
    except alignsim.ScenarioError:
        return
    alignsim.simulate(scenario, "current", horizon=168.0)


# ------------------------------------------------------------------------------- reading files


def test_toml_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\nhorizon = \n', encoding="utf-8")
    with pytest.raises(alignsim.ScenarioError) as info:
        alignsim.load(path)
    [line] = info.value.problems
    assert line.startswith("broken.toml: not valid TOML: ")
    assert "line 2" in line


def test_json_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"name": ', encoding="utf-8")
    with pytest.raises(alignsim.ScenarioError) as info:
        alignsim.load(path)
    [line] = info.value.problems
    assert line.startswith("broken.json: not valid JSON: ")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(alignsim.ScenarioError) as info:
        alignsim.load(path)
    assert info.value.problems == [f"{path}: no such file"]


def test_folder_instead_of_a_file(tmp_path: Path) -> None:
    with pytest.raises(alignsim.ScenarioError) as info:
        alignsim.load(tmp_path)
    assert info.value.problems == [f"{tmp_path}: is a folder, expected a scenario file (.toml)"]


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image.toml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(alignsim.ScenarioError) as info:
        alignsim.load(path)
    assert info.value.problems == ["image.toml: not a text file (expected UTF-8 TOML)"]


def test_top_level_json_array(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(alignsim.ScenarioError) as info:
        alignsim.load(path)
    assert info.value.problems == ["list.json: expected a table at the top level"]


def test_load_labels_problems_with_the_file_name(default_toml, tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    text = default_toml.read_text(encoding="utf-8").replace(
        "max_attempts = 3 ", "max_attempts = 60 "
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(alignsim.ScenarioError) as info:
        alignsim.load(path)
    assert info.value.problems == [
        f"acme.toml: policies.aligned.sla.max_attempts: expected a number at most {MAX_ATTEMPTS} "
        "(got 60)"
    ]


# ---------------------------------------------------------------- property: never a traceback


def _nodes(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into the document: tables, lists and leaves."""
    out = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _nodes(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _nodes(value, (*path, index))
    return out


WORDS = [
    "4h", "30m", "2d", "0m", "52w", "10000w", "120/week", "0/day", "1e9/hour", "17:00", "24:00",
    "09:00", "Mon-Fri", "Sun", "fixed", "never", "mixture", "exponential", "gamma", "lognormal",
    "weibull", "beta", "uniform", "fifo", "lifo", "sla", "cherry-pick", "batch", "realtime",
    "discard", "marketing", "sales", "cold", "warm", "hot", "aligned", "current", "",
    "function-after", "tuple[", "constrained-float", "dist", "weight", "components",
]  # fmt: skip
KEYS = st.sampled_from(["dist", "weight", "mean", "value", "cold", "warm", "hot", "reps", "x"]) | (
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
)
SCALARS = (
    st.sampled_from(WORDS)
    | st.text(max_size=20)
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=10,
)


@st.composite
def mutated_documents(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """The document `base` with one to four of its tables, lists or leaves replaced, removed
    or given an extra key."""
    doc = copy.deepcopy(base)
    paths = _nodes(base)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(paths))
        parent: Any = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]]  # still there after earlier mutations?
        except (KeyError, IndexError, TypeError):
            continue
        if not isinstance(parent, dict | list):  # an earlier mutation put a string here
            continue
        action = draw(st.sampled_from(["replace", "replace", "remove", "add key"]))
        if action == "replace":
            parent[path[-1]] = draw(VALUES)
        elif action == "remove":
            if isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent.pop(path[-1])
        else:
            target = parent[path[-1]]
            if isinstance(target, dict):
                target[draw(KEYS)] = draw(VALUES)
    return doc


_PATH = re.compile(r"^[A-Za-z_][\w-]*(?:\.[\w-]+|\[\d+\])*$")
_SEGMENT = re.compile(r"\.?([\w-]+)|\[(\d+)\]")


def _resolves(doc: Any, path: str) -> tuple[bool, bool]:
    """(every segment but the last exists, the last exists too)."""
    node = doc
    segments = [int(i) if i else name for name, i in _SEGMENT.findall(path)]
    for k, segment in enumerate(segments):
        try:
            node = node[segment]
        except (KeyError, IndexError, TypeError):
            return k == len(segments) - 1, False
    return True, True


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_mutated_documents_fail_only_with_clear_lines(
    base: dict[str, Any], data: st.DataObject
) -> None:
    doc = data.draw(mutated_documents(base), label="document")
    try:
        scenario = alignsim.validate(doc, LABEL)
    except alignsim.ScenarioError as error:
        assert error.problems, "a ScenarioError without problems"
        assert len(error.problems) == len(set(error.problems))
        for line in error.problems:
            assert line.startswith(f"{LABEL}: "), line
            rest = line.removeprefix(f"{LABEL}: ")
            assert ": " in line and rest.strip(), line
            assert "\n" not in line, line
            assert len(line) < 400, line
            head, sep, message = rest.partition(": ")
            said = message.split(" (got ")[0]  # what the line says, without the quoted input
            assert "Input should" not in said and "Value error" not in said, line
            for leak in ("function-", "constrained-", "tuple["):
                assert leak not in head, line  # pydantic's union tags are not the user's keys
            if sep and _PATH.match(head):
                parent_ok, last_ok = _resolves(doc, head)
                assert parent_ok, f"path {head!r} is not in the document: {line}"
                assert last_ok or message == "missing required field", line
            else:  # only a problem of the whole scenario may name no field
                assert rest.startswith("the sources would create about"), line
    else:
        assert isinstance(scenario, alignsim.Scenario)


def test_extends_merges_tables_and_replaces_whole_policies(default_toml, tmp_path):
    import shutil

    shutil.copy(default_toml, tmp_path / "default.toml")
    (tmp_path / "child.toml").write_text(
        'extends = "default.toml"\nname = "child"\n[team]\nreps = 9\n'
        '[policies.current]\nqueue = "fifo"\n'
        "definition = { marketing_noise = 0, sales_noise = 0, mql_threshold = 0, accept_threshold = 0 }\n"
        'sla = { first_response = "1h" }\n'
    )
    child = alignsim.load(tmp_path / "child.toml")
    base = alignsim.load(default_toml)
    assert (child.name, child.team.reps, child.team.hours) == ("child", 9, base.team.hours)
    assert child.market == base.market and child.policies["aligned"] == base.policies["aligned"]
    current = child.policies["current"]
    assert current.nurture is None and current.goals.sales == "none" and current.queue == "fifo"


def test_extends_errors_name_the_file(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    (tmp_path / "c.toml").write_text('extends = "missing.toml"\n')
    with pytest.raises(ScenarioError) as caught:
        alignsim.load(tmp_path / "a.toml")
    assert caught.value.problems == [
        "a.toml: extends b.toml: b.toml: extends: a.toml extends b.toml in a loop"
    ]
    with pytest.raises(ScenarioError) as caught:
        alignsim.load(tmp_path / "c.toml")
    assert (
        len(caught.value.problems) == 1 and "missing.toml: no such file" in caught.value.problems[0]
    )


def test_every_shipped_scenario_validates(shipped_scenarios):
    assert len(shipped_scenarios) >= 9
    for path in shipped_scenarios:
        alignsim.load(path)
