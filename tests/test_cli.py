"""The `alignsim` command: exit codes, stdout, stderr and the files it writes.

The main paths run as real processes of the console script. They all start at once in a thread
pool (each process spends about two seconds importing numpy, scipy and pandas) and the tests
read the finished results. Checks that stop before any simulation call the same entry point,
`alignsim.cli.main`, in this process, with `sys.argv` set and the exit code taken from
`SystemExit`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from alignsim.cli.common import BadInput
from alignsim.cli.run import ledger_path, write_ledgers

DEFAULT = "<default.toml>"
FOLDER = "<scenarios>"
"""Stand for scenarios/default.toml and the scenarios/ folder in the USAGE table."""
SCRIPT = Path(sys.executable).with_name("alignsim")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "alignsim"]
SHORT = ["--horizon", "4w"]
DURATION = 'expected a duration like "4h", "30m" or "2d"'
MODEL_OUTCOMES = [
    "won", "lost_deal", "open_opportunity", "lost_to_competitor", "unreached", "rejected",
    "disqualified", "not_mql", "in_nurture", "nurture_expired", "in_queue",
]  # fmt: skip
"""The 11 outcomes of MODEL.md section 3, in its order."""


def alignsim(cwd: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """`alignsim ARGS` as a process of the console script, run in the folder `cwd`."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("ALIGNSIM_DEBUG", None)
    return subprocess.run(
        [*COMMAND, *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class Files:
    """The files the commands read and write, in one temporary folder."""

    def __init__(self, root: Path, default: Path) -> None:
        self.root = root
        text = default.read_text(encoding="utf-8")
        self.bad = root / "bad.toml"
        self.bad.write_text(
            text.replace('first_response = "8h"', 'first_response = "8 hours"').replace(
                "max_attempts = 3 ", "max_attemps = 3 "
            ),
            encoding="utf-8",
        )
        self.syntax = root / "syntax.toml"
        self.syntax.write_text('name = "x"\nhorizon = \n', encoding="utf-8")
        self.one = root / "one" / "deeper" / "ledger.parquet"  # folders made by the run
        self.several = root / "several" / "out.parquet"
        self.blocker = root / "blocker"
        self.blocker.write_text("a file where a folder should be\n", encoding="utf-8")
        self.blocked = self.blocker / "sub" / "ledger.parquet"


@pytest.fixture(scope="module")
def files(default_toml: Path, tmp_path_factory: pytest.TempPathFactory) -> Files:
    return Files(tmp_path_factory.mktemp("cli"), default_toml)


def commands(f: Files, default: Path, shipped: list[Path]) -> dict[str, list[str | Path]]:
    """The commands run as real processes (each costs about two seconds of imports)."""
    s = default
    return {
        "json": ["run", s, "--json", *SHORT, "--seed", "7", "-p", "current", "--ledger", f.one],
        "json again": ["run", s, "--json", *SHORT, "--seed", "7", "-p", "current"],
        "table": ["run", s, "-p", "all", *SHORT, "--ledger", f.several],
        "validate good": ["validate", *shipped],
        "validate bad": ["validate", f.bad, default, f.syntax, f.root / "missing.toml"],
        "unknown option": ["run", s, "--bogus"],
        "ledger blocked": ["run", s, *SHORT, "--ledger", f.blocked],
    }


@pytest.fixture(scope="module")
def results(
    files: Files, repo_root: Path, default_toml: Path, shipped_scenarios: list[Path]
) -> dict[str, subprocess.CompletedProcess[str]]:
    todo = commands(files, default_toml, shipped_scenarios)
    with ThreadPoolExecutor(max_workers=max(2, min(8, (os.cpu_count() or 2) + 1))) as pool:
        futures = {name: pool.submit(alignsim, repo_root, *args) for name, args in todo.items()}
        return {name: future.result() for name, future in futures.items()}


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


# ----------------------------------------------------------------------------------------- run


def test_run_json_keys_and_types(results: dict[str, Any]) -> None:
    out = json.loads(ok(results["json"]).stdout)
    assert out["scenario"] == "default"
    assert out["policy"] == "current"
    assert out["seed"] == 7
    assert isinstance(out["leads"], int) and out["leads"] > 0
    assert list(out["outcomes"]) == MODEL_OUTCOMES
    assert all(isinstance(n, int) and n >= 0 for n in out["outcomes"].values())
    assert sum(out["outcomes"].values()) == out["leads"]
    assert set(out["funnel"]) >= {"leads", "mql", "routed", "sal", "reached", "sql", "won"}
    assert all(isinstance(n, int) for n in out["funnel"].values())
    assert isinstance(out["revenue"], int | float) and out["revenue"] >= 0
    speed = out["speed_to_lead"]
    assert {"median_h", "p90_h", "within_sla"} <= set(speed)
    for key in ("median_h", "p90_h", "within_sla"):
        assert speed[key] is None or isinstance(speed[key], int | float)
    if speed["median_h"] is not None:
        assert 0 <= speed["median_h"] <= speed["p90_h"]
    if speed["within_sla"] is not None:
        assert 0 <= speed["within_sla"] <= 1
    assert results["json"].stderr == ""


def test_run_is_deterministic_for_a_seed(default_toml, run_cli, results: dict[str, Any]) -> None:
    first = ok(results["json"]).stdout
    assert ok(results["json again"]).stdout == first  # a --ledger does not change the output
    args: list[str | Path] = ["run", default_toml, "--json", *SHORT, "-p", "current"]
    code, same, _ = run_cli([*args, "--seed", "7"])
    assert code == 0 and same == first
    code, other, _ = run_cli([*args, "--seed", "8"])
    assert code == 0 and json.loads(other)["seed"] == 8
    assert other != first
    assert (
        json.loads(other)["leads"] != json.loads(first)["leads"]
        or json.loads(other)["outcomes"] != json.loads(first)["outcomes"]
    )


def test_run_all_policies_prints_a_side_by_side_table(results: dict[str, Any]) -> None:
    out = ok(results["table"]).stdout
    header = next(line for line in out.splitlines() if "current" in line)
    assert "aligned" in header
    flat = " ".join(out.split())
    assert "Revenue lost by current against aligned" in flat
    assert "Revenue" in out and "EUR" in out
    assert "4w" in out


def test_ledger_is_a_parquet_file_with_one_row_per_lead(
    results: dict[str, Any], files: Files
) -> None:
    out = json.loads(ok(results["json"]).stdout)
    frame = pd.read_parquet(files.one)
    assert len(frame) == out["leads_all"]  # every lead of the run; the figures count the cohort
    assert int((frame["cohort"] == 0).sum()) == out["leads"]
    counts = {k: v for k, v in frame["outcome"].value_counts().to_dict().items() if v}
    assert counts == {k: v for k, v in out["outcomes_all"].items() if v}
    meta = pq.read_schema(files.one).metadata
    assert meta[b"alignsim.scenario"] == b"default"
    assert meta[b"alignsim.seed"] == b"7"
    assert meta[b"alignsim.policy"] == b"current"
    assert sorted(p.name for p in files.one.parent.iterdir()) == ["ledger.parquet"]


def test_several_policies_write_one_ledger_each(results: dict[str, Any], files: Files) -> None:
    out = ok(results["table"]).stdout
    # The title counts the window's leads (the cohort); a ledger holds every lead of the run.
    leads = int(re.search(r"([\d,]+)\s+leads in it", out).group(1).replace(",", ""))  # type: ignore[union-attr]
    folder = files.several.parent
    assert sorted(p.name for p in folder.iterdir()) == [
        "out.aligned.parquet",
        "out.current.parquet",
    ]
    frames = {}
    for policy in ("current", "aligned"):
        path = folder / f"out.{policy}.parquet"
        frames[policy] = pd.read_parquet(path)
        assert int((frames[policy]["cohort"] == 0).sum()) == leads
        meta = pq.read_schema(path).metadata
        assert meta[b"alignsim.scenario"] == b"default"
        assert meta[b"alignsim.policy"] == policy.encode()
        assert meta[b"alignsim.seed"] == b"20261123"  # the scenario's
    # common random numbers: the same leads under both policies
    assert frames["current"]["created"].tolist() == frames["aligned"]["created"].tolist()


# ------------------------------------------------------------------------------ validate, schema


def test_validate_good_files(results: dict[str, Any], shipped_scenarios: list[Path]) -> None:
    result = ok(results["validate good"])
    lines = result.stdout.splitlines()
    assert len(lines) == len(shipped_scenarios)
    assert all(": ok (" in line for line in lines)
    assert result.stderr == ""


def test_validate_bad_files(default_toml, results: dict[str, Any], files: Files) -> None:
    result = results["validate bad"]
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    problems = result.stderr.splitlines()
    assert sorted(problems[:2]) == [
        'bad.toml: policies.aligned.sla.max_attemps: unknown field (did you mean "max_attempts"?)',
        f"bad.toml: policies.current.sla.first_response: {DURATION} (got '8 hours')",
    ]
    assert problems[2].startswith("syntax.toml: not valid TOML: ")
    assert problems[3] == f"{files.root / 'missing.toml'}: no such file"
    assert len(problems) == 4
    [good] = result.stdout.splitlines()  # the good file among them is still checked
    assert good.startswith(f"{default_toml}: ok (2 policies: current, aligned;")


def test_schema_is_json(run_cli) -> None:
    code, out, err = run_cli(["schema"])
    assert code == 0 and err == ""
    schema = json.loads(out)
    assert "properties" in schema
    assert {"market", "team", "policies"} <= set(schema["properties"])


# ---------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("unknown option", "No such option: --bogus"),
        ("ledger blocked", "--ledger: cannot create the folder of"),
    ],
)
def test_bad_input_exits_2_without_a_traceback(
    case: str, said: str, results: dict[str, Any]
) -> None:
    result = results[case]
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert said in result.stderr
    assert result.stdout == ""


def test_a_scenario_error_prints_one_line_per_problem(run_cli, files: Files) -> None:
    code, out, err = run_cli(["run", files.bad, *SHORT])
    assert code == 2 and out == ""
    assert sorted(err.splitlines()) == [
        'bad.toml: policies.aligned.sla.max_attemps: unknown field (did you mean "max_attempts"?)',
        f"bad.toml: policies.current.sla.first_response: {DURATION} (got '8 hours')",
    ]


USAGE: dict[str, tuple[list[str | Path], str]] = {
    "unknown policy": (
        ["run", DEFAULT, "-p", "nope"],
        "default.toml: no policy 'nope'; it has current, aligned",
    ),
    "all and a name": (["run", DEFAULT, "-p", "all", "-p", "current"], "no policy 'all'"),
    "bad horizon": (
        ["run", DEFAULT, "--horizon", "4 weeks"],
        f"--horizon: {DURATION} (got '4 weeks')",
    ),
    "zero horizon": (
        ["run", DEFAULT, "--horizon", "0h"],
        "--horizon: must be longer than zero (got '0h')",
    ),
    "huge horizon": (
        ["run", DEFAULT, "--horizon", "100000w"],
        "--horizon: must be at most 520w (got '100000w')",
    ),
    "bad engine": (
        ["run", DEFAULT, "--engine", "warp"],
        "--engine: expected one of fast, simpy (got 'warp')",
    ),
    "negative seed": (["run", DEFAULT, "--seed", "-1"], "'--seed'"),
    "seed not a number": (["run", DEFAULT, "--seed", "x"], "'--seed'"),
    "seed too large": (["run", DEFAULT, "--seed", str(2**64)], "'--seed'"),
    "missing file": (["run", "nowhere/missing.toml"], "nowhere/missing.toml: no such file"),
    "folder": (
        ["run", FOLDER],
        "scenarios: is a folder, expected a scenario file (.toml)",
    ),
    "ledger is a folder": (
        ["run", DEFAULT, "--ledger", FOLDER],
        "scenarios is a folder, expected a file name",
    ),
    "unknown command": (["simulate", DEFAULT], "No such command 'simulate'"),
    "run nothing": (["run"], "Missing argument"),
    "validate nothing": (["validate"], "Missing argument"),
    "validate a folder": (["validate", FOLDER], "is a folder"),
    "schema with an argument": (["schema", "extra"], "unexpected extra argument"),
}


@pytest.mark.parametrize("case", list(USAGE))
def test_usage_errors_exit_2_with_a_clear_line(default_toml, run_cli, case: str) -> None:
    args, said = USAGE[case]
    where = {DEFAULT: default_toml, FOLDER: default_toml.parent}
    code, out, err = run_cli([where.get(arg, arg) for arg in args])
    assert code == 2, (out, err)
    assert said in err
    assert "Traceback" not in err and "internal error" not in err
    assert out == ""


def test_no_arguments_shows_the_help(run_cli) -> None:
    code, out, err = run_cli([])
    assert code == 2
    assert "Usage" in out + err
    assert "Traceback" not in err


def test_a_blocked_ledger_leaves_no_file(results: dict[str, Any], files: Files) -> None:
    assert results["ledger blocked"].returncode == 2
    assert files.blocker.is_file()
    assert not (files.root / "sub").exists()
    assert not list(files.root.rglob("*.parquet.*"))  # no temporary file left behind
    assert not list(files.root.glob("*.parquet"))


def test_a_failed_ledger_write_removes_the_ledgers_already_written(tmp_path: Path) -> None:
    """All ledgers or none: the second write fails, the first file is removed again."""

    class FakeLedger:
        def __init__(self, fail: bool) -> None:
            self.fail = fail

        def to_parquet(self, path: Path) -> Path:
            if self.fail:
                raise PermissionError(13, "Permission denied")
            path.write_bytes(b"PAR1")
            return path

    ledgers: Any = {"current": FakeLedger(False), "aligned": FakeLedger(True)}
    with pytest.raises(BadInput) as info:
        write_ledgers(tmp_path / "out.parquet", ledgers)
    assert info.value.args == (
        f"--ledger: cannot write {tmp_path / 'out.parquet'} (Permission denied)",
    )
    assert list(tmp_path.iterdir()) == []


def test_policy_names_become_safe_file_names() -> None:
    base = Path("out/ledger.parquet")
    assert ledger_path(base, "aligned", several=False) == base
    assert ledger_path(base, "aligned", several=True) == Path("out/ledger.aligned.parquet")
    assert ledger_path(base, "a/b c", several=True) == Path("out/ledger.a_b_c.parquet")
    assert ledger_path(Path("x"), "p", several=True) == Path("x.p.parquet")
