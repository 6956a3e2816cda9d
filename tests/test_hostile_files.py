"""Scenario files as a hostile or careless hand writes them: devices, huge files, endless
keys, numbers written as text, families changed through `extends`, near-miss field names."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from alignsim import cli
from alignsim.scenario import MAX_FILE_BYTES, ScenarioError, load, read_document, validate
from alignsim.scenario.errors import fields_at
from alignsim.scenario.paths import assign

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.toml"


def _main(
    args: list[str | Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int | str | None, list[str]]:
    monkeypatch.setattr(sys, "argv", ["alignsim", *map(str, args)])
    monkeypatch.delenv("ALIGNSIM_DEBUG", raising=False)
    code: int | str | None = 0
    try:
        cli.main()
    except SystemExit as done:
        code = done.code
    return code, capsys.readouterr().err.splitlines()


def _child(tmp_path: Path, text: str, name: str = "child.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'extends = "{DEFAULT}"\n{text}', encoding="utf-8")
    return path


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _main(["validate", "/dev/zero"], monkeypatch, capsys)
    assert (code, err) == (2, ["/dev/zero: not a regular file, expected a scenario file"])
    child = _child(tmp_path, "").with_name("z.toml")
    child.write_text('extends = "/dev/zero"\n', encoding="utf-8")
    code, err = _main(["validate", child], monkeypatch, capsys)
    assert code == 2
    assert err == [
        "z.toml: extends /dev/zero: /dev/zero: not a regular file, expected a scenario file"
    ]


def test_a_file_over_the_cap_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * MAX_FILE_BYTES + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load(big)
    assert caught.value.problems == ["big.toml: larger than 1 MB; a scenario file is smaller"]


def test_many_unknown_keys_print_20_lines_and_a_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = "".join(f"k{i}=1\n" for i in range(100_000))  # just under 1 MB
    path = tmp_path / "keys.toml"
    path.write_text(keys + DEFAULT.read_text(encoding="utf-8"), encoding="utf-8")
    code, err = _main(["validate", path], monkeypatch, capsys)
    assert code == 2
    assert len(err) == 21 and err[-1] == "and 99,980 more"
    assert err[0] == "keys.toml: k0: unknown field"


def test_a_long_key_is_echoed_cut_to_80_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    face = "\N{GRINNING FACE}"
    path = _child(tmp_path, f'"{face * 25_000}" = 1\n')
    code, err = _main(["validate", path], monkeypatch, capsys)
    assert code == 2 and len(err) == 1
    assert err[0] == f'child.toml: "{face * 77}...": unknown field'


@pytest.mark.parametrize(
    ("path", "text", "line"),
    [
        (("team", "reps"), "4", 'team.reps: expected a number; write 4, not "4"'),
        (
            ("policies", "current", "sla", "max_attempts"),
            "6",
            'policies.current.sla.max_attempts: expected a number; write 6, not "6"',
        ),
        (
            ("market", "sources", "content", "weekly_profile", 2),
            " 1.5",
            'market.sources.content.weekly_profile[2]: expected a number; write 1.5, not "1.5"',
        ),
    ],
)
def test_numbers_written_as_text_are_refused_with_the_fix(
    path: tuple[str | int, ...], text: str, line: str
) -> None:
    doc = read_document(DEFAULT)
    doc["market"]["sources"]["content"]["weekly_profile"] = [1.0] * 7
    assign(doc, path, text)
    with pytest.raises(ScenarioError) as caught:
        validate(doc, "child.toml")
    assert caught.value.problems == [f"child.toml: {line}"]


def test_text_that_looks_like_a_number_stays_text_where_text_is_expected(tmp_path: Path) -> None:
    assert load(_child(tmp_path, 'name = "2024"\ncurrency = "978"\n')).name == "2024"


def test_extends_replaces_a_distribution_whose_family_the_child_names(tmp_path: Path) -> None:
    child = _child(tmp_path, '[market]\ncycle = { dist = "gamma", mean = "45d", cv = 0.5 }\n')
    cycle = load(child).market.cycle
    assert cycle.dist == "gamma"
    assert cycle.mean() == pytest.approx(45 * 24)


def test_did_you_mean_offers_only_close_fields_of_the_same_table(tmp_path: Path) -> None:
    child = _child(
        tmp_path,
        'notes = "x"\nsede = 1\n[market.sources.content.fit]\ndist = "beta"\na = 1\nb = 2\n'
        "seed2 = 3\n",
    )
    with pytest.raises(ScenarioError) as caught:
        load(child)
    assert sorted(caught.value.problems) == [
        "child.toml: market.sources.content.fit.seed2: unknown field",
        "child.toml: notes: unknown field",
        'child.toml: sede: unknown field (did you mean "seed"?)',
    ]
    assert {"a", "b", "dist"} <= fields_at(("market", "sources", "x", "fit", "beta"))
    assert "seed" not in fields_at(("market", "sources", "x", "fit", "beta"))


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["run", DEFAULT, "--seed", "-1"], "run: Invalid value for '--seed'"),
        (
            ["compare", DEFAULT, "--replications", "0"],
            "compare: Invalid value for '--replications'",
        ),
    ],
)
def test_usage_errors_are_one_line_naming_the_option(
    args: list[str | Path],
    line: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = _main(args, monkeypatch, capsys)
    assert code == 2 and len(err) == 1
    assert line in err[0]


@pytest.mark.parametrize(
    ("path", "value", "line"),
    [
        (
            ("market", "sources", "content", "weekly_profile", 2),
            1.7e308,
            "market.sources.content.weekly_profile[2]: expected a number at most 1000000.0 "
            "(got 1.7e+308)",
        ),
        (
            ("market", "sources", "content", "value"),
            {"dist": "lognormal", "median": 1000, "p90": 1e308},
            "market.sources.content.value: deal values must stay under 1e+12 (this law gives "
            "inf once in a million leads)",
        ),
        (
            ("market", "sources", "content", "campaigns"),
            [{"start": "1w", "duration": "1w", "multiplier": 100}] * 3,
            "the sources would create about",
        ),
    ],
)
def test_what_the_arithmetic_cannot_hold_is_refused_at_validation(
    path: tuple[str | int, ...], value: object, line: str
) -> None:
    doc = read_document(DEFAULT)
    doc["market"]["sources"]["content"]["weekly_profile"] = [1.0] * 7
    assign(doc, path, value)
    with pytest.raises(ScenarioError) as caught:
        validate(doc, "child.toml")
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"child.toml: {line}")
