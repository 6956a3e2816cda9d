"""Seconds to search default.toml's [optimise] space: the issue's target is a search over
at least 2,000 candidate policies in 10 minutes on a 2-core machine.

    python benchmarks/optimise.py                  # the whole grid (3,072 candidates), 2 workers
    python benchmarks/optimise.py --trials 2000    # 2,000 candidates proposed by Optuna's TPE
    python benchmarks/optimise.py --workers 1 --json
    python benchmarks/optimise.py --objective recovered   # default: profit (default.toml is priced)

The space (reps 3..8, handoff, SLA, attempts 1..8, nurture, shared definition, goals) has
3,072 candidates, 2,648 of them within the table's budget. Each is screened on 4 replications
of a 52-week window (a 138-week steady-state run), the best quarter played on 16, the best
quarter of those on 64, the best 5 compared on 64 fresh replications, and the winner split by
lever on 16: about 27,000 policy runs through the pool for the grid, plus the split's.
The time is what a user waits for (pool start-up included); CPU time is this process's plus
its workers'. The load average (1 minute) is read at the start and at the end: on a shared
machine the wall clock says more about the other jobs than about alignsim. The README quotes
the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import psutil
from common import machine

import alignsim
from alignsim.batch.executors import SerialExecutor, process_pool

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 600.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=None, help="candidates screened")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--objective", default=None, help="profit, recovered or cost")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    path = ROOT / "scenarios" / "default.toml"
    me = psutil.Process()
    load = [os.getloadavg()[0]]
    start, cpu0 = time.perf_counter(), me.cpu_times()
    workers_cpu = 0.0
    if args.workers == 1:
        result = alignsim.optimise(
            path,
            objective=args.objective,
            trials=args.trials,
            seed=args.seed,
            executor=SerialExecutor(),
        )
    else:
        with process_pool(args.workers) as pool:
            result = alignsim.optimise(
                path, objective=args.objective, trials=args.trials, seed=args.seed, executor=pool
            )
            for process in list(pool._processes.values()):  # type: ignore[attr-defined]
                times = psutil.Process(process.pid).cpu_times()
                workers_cpu += times.user + times.system
    seconds = time.perf_counter() - start
    cpu1 = me.cpu_times()
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system) + workers_cpu
    load.append(os.getloadavg()[0])
    figures = {
        "machine": machine(),
        "objective": result.objective,
        "search": result.method,
        "space": result.space_size,
        "candidates": result.evaluated,
        "policy_runs": result.played,
        "workers": args.workers,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "target_seconds": TARGET_SECONDS,
        "load_average": load,
        "summary": result.summary(),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"{result.method} search of {result.evaluated:,} of {result.space_size:,} candidates, "
        f"{result.played:,} policy runs on {args.workers} workers: {seconds:.0f} s "
        f"(CPU {cpu:.0f} s; target {TARGET_SECONDS:.0f} s; objective {result.objective}; "
        f"load {load[0]:.1f} then {load[1]:.1f}) on {figures['machine']}"
    )
    print(result.summary())


if __name__ == "__main__":
    main()
