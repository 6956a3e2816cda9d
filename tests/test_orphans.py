"""No orphans: a batch killed with SIGKILL mid-batch leaves no process behind.

The batch runs as a real `alignsim batch` process on a pool of two workers; once its
forkserver and workers are up and playing, the test kills it with SIGKILL (no chance to
clean up) and reads /proc until none of its descendants is left. Linux only (/proc, and the
parent-death signal the pool relies on there).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def parents() -> dict[int, int]:
    """Every live (not zombie) process's parent, from /proc."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        state, ppid = stat.rpartition(")")[2].split()[:2]
        if state != "Z":
            out[int(entry.name)] = int(ppid)
    return out


def descendants(root: int) -> set[int]:
    tree = parents()
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in tree.items() if ppid in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    tree = parents()
    return {pid for pid in pids if pid in tree}


def test_a_killed_batch_leaves_no_process_behind(tmp_path: Path) -> None:
    batch = subprocess.Popen(
        [sys.executable, "-m", "alignsim", "batch", "scenarios/finance-uncertainty.toml",
         "--runs", "2000", "--workers", "2", "--quiet", "--horizon", "4w",
         "--out", str(tmp_path / "out")],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 180
        # The resource tracker, the forkserver and two workers forked from it.
        while len(seen) < 4 and time.monotonic() < deadline and batch.poll() is None:
            seen |= descendants(batch.pid)
            time.sleep(0.2)
        assert len(seen) >= 4, f"the pool did not start: {seen}"
        time.sleep(1.0)  # mid-batch: the workers are playing chunks
        seen |= descendants(batch.pid)
        os.kill(batch.pid, signal.SIGKILL)
        batch.wait()
        deadline = time.monotonic() + 10
        while alive(seen) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert alive(seen) == set()
    finally:
        for pid in alive(seen):
            os.kill(pid, signal.SIGKILL)
        if batch.poll() is None:
            batch.kill()


CHILD = """
import os, sys, time
from alignsim.batch.orphans import exit_with_parent
exit_with_parent()
print(os.getpid(), flush=True)
time.sleep(60)
"""


def test_a_process_that_asked_ends_with_its_parent() -> None:
    middle = subprocess.Popen(
        [sys.executable, "-c",
         "import subprocess, sys; subprocess.Popen([sys.executable, '-c', sys.argv[1]]).wait()",
         CHILD],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert middle.stdout is not None
    child = int(middle.stdout.readline())
    try:
        middle.kill()
        middle.wait()
        deadline = time.monotonic() + 10
        while alive({child}) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert alive({child}) == set()
    finally:
        if alive({child}):
            os.kill(child, signal.SIGKILL)
