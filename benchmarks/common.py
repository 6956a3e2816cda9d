"""What the benchmark scripts share: the machine they ran on, and a measurement in a fresh process.

Run the scripts from the project's root (`python benchmarks/NAME.py`); Python puts this folder
on the path, so they import this module as `common`.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path


def machine() -> str:
    """The machine, as the README quotes it: architecture, cores, Python."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.machine()}, {cores} cores, Python {platform.python_version()}"


def child(script: str, mode: str, env: dict[str, str] | None = None) -> dict[str, float]:
    """Run `script --MODE` in a new Python process and read the JSON object it prints last.

    For what a warm process would hide: a first call (compiling, caches cold) or a peak of
    memory that must not include the parent's.
    """
    done = subprocess.run(
        [sys.executable, script, f"--{mode}"],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def rss_mb() -> float:
    """This process's resident memory now (MB), from /proc (0 where there is none)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
