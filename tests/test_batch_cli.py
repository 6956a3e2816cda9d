"""`alignsim batch` and `alignsim sensitivity` end to end: outputs, bad input, kill and resume.

Checks of bad input call the entry point (`alignsim.cli.main`) in this process; the kill and
resume test starts real processes of the command.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from alignsim import cli
from alignsim.batch.api import monte_carlo
from alignsim.cli.batch import parse_amount


def run(
    args: list[str | Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int | str | None, str, str]:
    """Exit code, stdout and stderr of `alignsim ARGS`, in this process."""
    monkeypatch.setattr(sys, "argv", ["alignsim", *map(str, args)])
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    code: int | str | None = 0
    try:
        cli.main()
    except SystemExit as done:
        code = done.code
    out, err = capsys.readouterr()
    return code, out, err


def test_batch_writes_its_folder_and_prints_json(
    tiny_file, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tiny_file(tmp_path)
    out = tmp_path / "out"
    code, stdout, err = run(
        ["batch", scenario, "--runs", "6", "--workers", "1", "--out", out, "--json", "--xlsx"],
        monkeypatch,
        capsys,
    )
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["runs"] == 6 and summary["scenario"] == "tiny-finance"
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json",
        "runs.parquet",
        "summary.csv",
        "summary.json",
        "summary.xlsx",
    ]
    assert json.loads((out / "summary.json").read_text()) == summary
    assert err == ""  # no progress bar when stderr is not a terminal


def test_batch_prints_a_table_with_thresholds(
    tiny_file, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tiny_file(tmp_path)
    code, stdout, err = run(
        ["batch", scenario, "--runs", "4", "--workers", "1", "--threshold", "5k"],
        monkeypatch,
        capsys,
    )
    assert code == 0, err
    assert "chance of losing more than EUR 5,000" in stdout
    assert "What drives it (tornado)" in stdout and "market.sources.web.rate" in stdout
    assert "Web source: lead rate" in stdout  # no label in the file: the path in words


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--resume"], "--resume: needs --out, the folder of the batch to continue"),
        (["--xlsx"], "--xlsx: needs --out, the folder to write summary.xlsx in"),
        (["--workers", "2", "--scheduler", "local"], "--workers and --scheduler: choose one"),
        (["--design", "grid"], "--design: expected one of lhs, sobol, random (got 'grid')"),
        (
            ["--precision", "2"],
            "--precision: expected a share between 0 and 1, e.g. 0.02 (got 2.0)",
        ),
        (
            ["--threshold", "lots"],
            "--threshold: expected an amount like 2000000, 2e6 or 2M (got 'lots')",
        ),
        (
            ["--policy", "nope"],
            "--policy: tiny-finance.json has no policy 'nope'; it has aligned, current",
        ),
        (
            ["--set", "team.reps=0"],
            "tiny-finance.json: team.reps: expected a number at least 1 (got 0)",
        ),
    ],
)
def test_bad_options_are_one_line_and_exit_2_before_any_run(
    tiny_file,
    args: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = tiny_file(tmp_path)
    code, stdout, err = run(["batch", scenario, "--runs", "3", *args], monkeypatch, capsys)
    assert (code, stdout, err.strip()) == (2, "", message)


def test_bad_uncertain_inputs_stop_the_batch_before_any_run(
    tiny_file, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tiny_file(
        tmp_path,
        uncertainty={
            "team.repz": {"dist": "uniform", "low": 1, "high": 2},
            "market.win": {"dist": "uniform", "low": 0.5, "high": 1.5},
        },
    )
    out = tmp_path / "out"
    code, stdout, err = run(["batch", scenario, "--out", out], monkeypatch, capsys)
    assert code == 2 and stdout == ""
    assert err.splitlines() == [
        "tiny-finance.json: uncertainty.\"team.repz\": no key 'repz' in team (did you mean 'reps'?)"
    ]
    assert not out.exists()
    scenario = tiny_file(
        tmp_path, uncertainty={"market.win": {"dist": "uniform", "low": 0.5, "high": 1.5}}
    )
    code, stdout, err = run(["batch", scenario, "--out", out], monkeypatch, capsys)
    assert code == 2 and "Traceback" not in err and not out.exists()
    assert err.startswith(
        'tiny-finance.json: uncertainty."market.win": at its highest draw (1.5) the scenario is '
        "invalid: market.win: expected a number at most 1.0"
    )


def test_a_folder_of_another_batch_is_refused(
    tiny_file, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tiny_file(tmp_path)
    out = tmp_path / "out"
    base = ["batch", scenario, "--runs", "2", "--workers", "1", "--out", out, "--json"]
    assert run(base, monkeypatch, capsys)[0] == 0
    code, stdout, err = run(base, monkeypatch, capsys)
    assert (code, stdout) == (2, "")
    assert err.strip() == (
        f"--out: {out} already holds a batch (manifest.json); pass --resume (resume=True) to "
        "continue it, or choose another folder"
    )
    code, stdout, err = run([*base, "--resume", "--seed", "5"], monkeypatch, capsys)
    assert (code, stdout) == (2, "")
    assert err.strip() == (
        f"--out: {out} was made by a different batch (seed 11 there, 5 here); resume it with "
        "the same options or choose another folder"
    )


def test_amounts_are_read_as_people_write_them() -> None:
    assert [parse_amount(t) for t in ("2000000", "2,000,000", "2e6", "2M", "500k", "1.5m")] == [
        2e6,
        2e6,
        2e6,
        2e6,
        5e5,
        1.5e6,
    ]


def test_sensitivity_finds_the_input_that_changes_nothing(
    tiny_file, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tiny_file(tmp_path)
    code, stdout, err = run(
        ["sensitivity", scenario, "--runs", "8", "--workers", "1", "--json"], monkeypatch, capsys
    )
    assert code == 0, err
    result = json.loads(stdout)
    assert result["runs"] == 8 * (4 + 2) and result["correlations_ignored"] is True
    indices = {row["input"]: row for row in result["indices"]}
    # `current` makes one attempt, so its attempt spacing never matters: inside a Saltelli
    # block the leads are the same, so its indices are exactly zero.
    assert indices["policies.current.sla.attempt_spacing"]["ST"] == 0.0
    assert indices["policies.current.sla.attempt_spacing"]["S1"] == 0.0
    assert indices["market.win"]["ST"] > 0.05


def _alignsim(root: Path, *args: str | Path) -> subprocess.Popen[bytes]:
    """`alignsim ARGS` started as a process of the console script in the repository root."""
    script = Path(sys.executable).with_name("alignsim")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "alignsim"]
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    return subprocess.Popen(
        [*command, *map(str, args)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_batch_killed_midway_resumes_to_the_same_runs(
    repo_root, tiny_file, tmp_path: Path
) -> None:
    scenario = tiny_file(tmp_path)
    # simpy: no numba start-up in each new process (the engines give the same ledgers)
    options = ["--runs", "16", "--chunk-size", "1", "--workers", "1", "--quiet", "--seed", "8"]
    options += ["--engine", "simpy"]
    cut, whole = tmp_path / "cut", tmp_path / "whole"
    batch = _alignsim(repo_root, "batch", scenario, *options, "--out", cut)
    deadline = time.monotonic() + 60
    while not list((cut / "chunks").glob("chunk-*.parquet")):
        assert batch.poll() is None, batch.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    batch.send_signal(signal.SIGKILL)
    batch.wait()
    done = list((cut / "chunks").glob("chunk-*.parquet"))
    assert 1 <= len(done) < 16 and not (cut / "runs.parquet").exists()
    resumed = _alignsim(repo_root, "batch", scenario, *options, "--out", cut, "--resume")
    monte_carlo(scenario, runs=16, chunk_size=1, seed=8, engine="simpy", out=whole)
    _out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err.decode()
    assert (cut / "runs.parquet").read_bytes() == (whole / "runs.parquet").read_bytes()
    assert len(pd.read_parquet(cut / "runs.parquet")) == 16
