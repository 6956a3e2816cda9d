"""The console script ends without the interpreter's teardown (alignsim.cli.ending), and
nothing else about its end changes: the exit code, every line of output, every exit handler."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import atexit, sys
from alignsim import cli

class Noisy:
    def __del__(self):
        sys.stderr.write("torn down\\n")

kept = Noisy()  # a module global: freed by the interpreter's teardown, if there is one
atexit.register(lambda: sys.stderr.write("handler ran\\n"))
sys.argv = ["alignsim", *sys.argv[1:]]
if {entry}:
    cli.entry()
else:
    cli.main()
"""


def child(*args: str, entry: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD.format(entry=entry), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_the_console_script_skips_the_teardown_after_every_handler() -> None:
    done = child("validate", "scenarios/default.toml")
    assert done.returncode == 0
    assert "handler ran" in done.stderr  # registered after alignsim.cli: it ran
    assert "torn down" not in done.stderr  # the teardown did not
    assert "default.toml" in done.stdout


def test_without_entry_the_process_ends_as_usual() -> None:
    done = child("validate", "scenarios/default.toml", entry=False)
    assert done.returncode == 0
    assert "handler ran" in done.stderr and "torn down" in done.stderr


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["validate", "scenarios/default.toml"], 0),
        (["validate", "no/such/file.toml"], 2),
        (["run", "scenarios/default.toml", "--horizon", "-3w"], 2),
        (["no-such-command"], 2),
    ],
    ids=["ok", "missing file", "bad option", "unknown command"],
)
def test_the_exit_code_is_the_commands(args: list[str], code: int) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "alignsim", *args], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == code
    assert "Traceback" not in done.stderr


def test_a_long_output_reaches_a_pipe_whole() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "alignsim", "schema"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0
    assert len(done.stdout) > 10_000
    assert json.loads(done.stdout)["title"]
