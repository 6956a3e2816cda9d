"""`alignsim report SCENARIO --optimise DIR`: the report's section on what to do first, read
from the folder `alignsim optimise --out DIR` wrote; a missing or garbled folder is one
sentence and exit code 2, and no report is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import alignsim
from alignsim.optimiser import read_optimisation

from .test_optimise_profit import _priced
from .test_report import assert_self_contained, images

pytestmark = pytest.mark.filterwarnings("error::UserWarning")

SECTION = "What to do first: the optimiser&#x27;s choice"


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any]:
    """A priced tiny scenario file, the folder of its search and the search's result."""
    folder = tmp_path_factory.mktemp("search")
    path = folder / "tiny.json"
    path.write_text(json.dumps(_priced()), encoding="utf-8")
    result = alignsim.optimise(path, seed=3, trials=12, out=folder / "out")
    return path, folder / "out", result


def test_the_folder_reads_back_as_the_result(searched: tuple[Path, Path, Any]) -> None:
    _, out, result = searched
    again = read_optimisation(out)
    assert json.dumps(again.to_json()) == json.dumps(result.to_json())
    assert again.pareto.equals(result.pareto)


def test_the_report_holds_the_optimisers_section(
    searched: tuple[Path, Path, Any], run_cli: Any, tmp_path: Path
) -> None:
    path, out, result = searched
    html = tmp_path / "report.html"
    code, _, err = run_cli(
        ["report", path, "--optimise", out, "-o", html, "--replications", "2", "--seed", "1"]
    )
    assert code == 0, err
    text = html.read_text(encoding="utf-8")
    assert_self_contained(text)
    start = text.index(SECTION)
    part = text[start : text.index("</section>", start)]
    summary = result.summary()
    assert (summary[0].upper() + summary[1:]).replace("'", "&#x27;") + "." in part
    assert "gross profit recovered net of programme cost" in part
    assert "[policies.optimised]" in part and "<pre>" in part
    assert "P(best)" in part and part.count("<tr>") >= 1 + len(result.ranking)
    assert f"{result.best['prob_best']:.2f}" in part
    assert "bookings recovered a year" in part  # the split by lever
    assert "Programme cost against what each candidate recovers" in images(text)
    assert text.index(SECTION) < text.index("Money: bookings")


def test_the_report_without_a_search_has_no_such_section(
    searched: tuple[Path, Path, Any], run_cli: Any, tmp_path: Path
) -> None:
    path, _, _ = searched
    html = tmp_path / "report.html"
    code, _, _ = run_cli(["report", path, "-o", html, "--replications", "2"])
    assert code == 0 and SECTION not in html.read_text(encoding="utf-8")


def _garble(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("spoil", "words"),
    [
        (lambda d: None, "holds no optimise.json: run alignsim optimise --out"),
        (lambda d: _garble(d, "optimise.json", "{"), "is not the result of alignsim optimise"),
        (
            lambda d: _garble(d, "optimise.json", json.dumps({"scenario": "tiny-finance"})),
            "is not the result of alignsim optimise (KeyError",
        ),
        (
            lambda d: (
                _garble(d, "optimise.json", (d.parent / "out" / "optimise.json").read_text()),
                _garble(d, "candidates.csv", "a,b\n1,2\n"),
            ),
            "is not the result of alignsim optimise",
        ),
        (
            lambda d: _garble(d, "optimise.json", (d.parent / "out" / "optimise.json").read_text()),
            "candidates.csv (No such file or directory)",
        ),
    ],
)
def test_a_missing_or_garbled_folder_is_one_sentence(
    searched: tuple[Path, Path, Any], run_cli: Any, spoil: Any, words: str
) -> None:
    path, out, _ = searched
    bad = out.parent / "bad"
    bad.mkdir(exist_ok=True)
    for old in bad.iterdir():
        old.unlink()
    spoil(bad)
    html = out.parent / "bad.html"
    code, stdout, stderr = run_cli(["report", path, "--optimise", bad, "-o", html])
    assert code == 2 and stdout == ""
    assert stderr.startswith("--optimise: ") and stderr.count("\n") == 1 and words in stderr
    assert not html.exists()


def test_another_scenarios_search_is_refused(
    searched: tuple[Path, Path, Any], run_cli: Any, default_toml: Path, tmp_path: Path
) -> None:
    _, out, _ = searched
    html = tmp_path / "r.html"
    code, _, stderr = run_cli(["report", default_toml, "--optimise", out, "-o", html])
    assert code == 2 and not html.exists()
    assert (
        stderr == f"--optimise: {out} holds a search of scenario 'tiny-finance', not of 'default'\n"
    )
