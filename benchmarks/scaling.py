"""How straight a local pool scales: 2 workers against twice one, start-up included.

    python benchmarks/scaling.py                 # 400 runs, median of 3, a readable line
    python benchmarks/scaling.py --runs 400 --repeats 5 --json

Each batch is `alignsim batch scenarios/finance-uncertainty.toml --runs N --quiet` in a fresh
process (the command's entry point, then the forkserver stopped and reaped), as a user starts it: `--workers 1` plays in the command's own process, `--workers 2`
on a pool (forkserver warmed once, two workers forked from it). Issue 20's target: the
efficiency T1 / (2 x T2) is at least 0.85. The CPU seconds (the command and every process
it started, from wait4) show what start-up costs whatever else the machine is doing: on a
busy machine read the CPU figures, the wall clock cannot give two workers two cores. The two
are run in turn, and the efficiency is the median of the pairs' (the host's speed drifts).
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
SCENARIO = "scenarios/finance-uncertainty.toml"


CHILD = """
import multiprocessing.forkserver, sys
from alignsim import cli
sys.argv = ["alignsim", "batch", *sys.argv[1:]]
try:
    cli.main()
except SystemExit as done:
    if done.code:
        raise
# Stop the forkserver and reap it, so that its CPU time and its workers' (which it reaped)
# are counted in this process's children: wait4 in the benchmark then sees all of it.
stop = getattr(multiprocessing.forkserver._forkserver, "_stop", None)
if stop is not None:
    stop()
"""


def batch(runs: int, workers: int) -> tuple[float, float]:
    """Wall and CPU seconds (the command and its processes) of one batch in a fresh process."""
    options = [SCENARIO, "--runs", str(runs), "--workers", str(workers), "--quiet"]
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, *options], cwd=ROOT, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"batch with {workers} workers: exit code {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    batch(4, 2)  # compiled engine and quantile tables on disk, as after `alignsim warm`
    out: dict[str, object] = {"runs": args.runs, "repeats": args.repeats, "machine": machine()}
    # One worker and two in turn, so that the shared host's drifting speed falls on both alike;
    # the efficiency is the median over the pairs.
    pairs = [(batch(args.runs, 1), batch(args.runs, 2)) for _ in range(args.repeats)]
    for k, workers in enumerate((1, 2)):
        out[f"wall_s_{workers}"] = round(statistics.median(p[k][0] for p in pairs), 2)
        out[f"cpu_s_{workers}"] = round(statistics.median(p[k][1] for p in pairs), 2)
    out["efficiency_wall"] = round(statistics.median(a[0] / (2 * b[0]) for a, b in pairs), 3)
    out["efficiency_cpu"] = round(statistics.median(a[1] / b[1] for a, b in pairs), 3)
    out["load"] = round(os.getloadavg()[0], 1)
    if args.json:
        print(json.dumps(out))
        return
    print(
        f"{args.runs} runs of {SCENARIO}: 1 worker {out['wall_s_1']} s ({out['cpu_s_1']} CPU-s), "
        f"2 workers {out['wall_s_2']} s ({out['cpu_s_2']} CPU-s); efficiency "
        f"{out['efficiency_wall']} wall, {out['efficiency_cpu']} CPU (target 0.85); "
        f"load average {out['load']}; {machine()}"
    )


if __name__ == "__main__":
    main()
