"""Seconds a user waits for the quick commands, each a fresh process: median of several.

    python benchmarks/startup.py               # a readable table
    python benchmarks/startup.py --json        # one JSON object
    python benchmarks/startup.py --repeats 5

What is timed (wall clock and the CPU seconds of the child, user + system, from wait4):
- `import alignsim`;
- `alignsim validate scenarios/default.toml` (issue 20's target: 0.5 s);
- `alignsim schema`;
- `alignsim compare scenarios/default.toml --lever-replications 0` (30 replications of a
  52-week window; issue 20's target, 1.5 s warm, set before issue 15 made the split by lever
  `compare`'s default);
- `alignsim compare scenarios/default.toml`, the split by lever included (issue 15's target:
  10 s warm).
Warm means the compiled engine, the quantile tables and the package's bytecode are already on
disk: `alignsim warm` and one untimed `compare` run first (`alignsim warm` writes the
bytecode, which Python does not where PYTHONDONTWRITEBYTECODE is set: then every process
compiles alignsim's modules from source, about 0.15 s of a `compare`). On a machine shared
with other work the wall clock overstates what an idle machine gives; the CPU seconds stay
close to it (read both).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import machine

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "import alignsim": ["-c", "import alignsim"],
    "alignsim validate scenarios/default.toml": [
        "-m",
        "alignsim",
        "validate",
        "scenarios/default.toml",
    ],
    "alignsim schema": ["-m", "alignsim", "schema"],
    "alignsim compare scenarios/default.toml --lever-replications 0": [
        "-m",
        "alignsim",
        "compare",
        "scenarios/default.toml",
        "--lever-replications",
        "0",
    ],
    "alignsim compare scenarios/default.toml": [
        "-m",
        "alignsim",
        "compare",
        "scenarios/default.toml",
    ],
}
TARGETS = {
    "import alignsim": 0.5,
    "alignsim validate scenarios/default.toml": 0.5,
    "alignsim compare scenarios/default.toml --lever-replications 0": 1.5,
    "alignsim compare scenarios/default.toml": 10.0,
}


def timed(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of `python ARGS` in a fresh process."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"python {' '.join(args)}: exit code {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    timed(["-m", "alignsim", "warm"])  # compiled code and bytecode
    timed(CASES["alignsim compare scenarios/default.toml"])  # the tables
    rows = {}
    for name, case in CASES.items():
        walls, cpus = zip(*(timed(case) for _ in range(args.repeats)), strict=True)
        rows[name] = {
            "wall_s": round(statistics.median(walls), 3),
            "cpu_s": round(statistics.median(cpus), 3),
            "target_s": TARGETS.get(name),
        }
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"machine": machine(), "load": load, "cases": rows}))
        return
    print(f"{machine()}; load average {load:.1f}; median of {args.repeats} fresh processes")
    print(f"{'':64} {'wall s':>8} {'CPU s':>8} {'target':>8}")
    for name, row in rows.items():
        target = "" if row["target_s"] is None else f"{row['target_s']:.1f}"
        print(f"{name:64} {row['wall_s']:8.2f} {row['cpu_s']:8.2f} {target:>8}")


if __name__ == "__main__":
    main()
