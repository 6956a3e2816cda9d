"""Runs per second of a Monte Carlo batch: the issue's target is 10,000 runs in 2 minutes.

    python benchmarks/batch.py                      # 10,000 runs, all cores, a readable line
    python benchmarks/batch.py --runs 400 --json    # a shorter batch; extrapolated to 10,000
    python benchmarks/batch.py --workers 1 --engine simpy --horizon 13w
    python benchmarks/batch.py --memory --runs 2000  # peak memory after 10% and 100% of the runs

Each run of scenarios/finance-uncertainty.toml (the default company with uncertain inputs)
draws its inputs, samples a year of leads (about 11,000) and plays both policies on them, as
`alignsim batch` does. The time is the whole batch as a user waits for it: starting the worker
processes, the runs, and writing nothing (no --out). With --repeats N the median of N batches
is reported. Run it on an idle machine; the README quotes its figures.

--memory checks that memory stays flat in the number of runs: in this process (one worker), it
plays a tenth of the runs, notes the peak resident memory, plays all of them, and notes it
again. A run keeps figures only, so the two peaks should be the same give or take the run table.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path

from common import machine

from alignsim.batch.api import monte_carlo
from alignsim.batch.executors import SerialExecutor, cores, process_pool
from alignsim.engines import DEFAULT_ENGINE, ENGINES
from alignsim.units import parse_duration

ROOT = Path(__file__).resolve().parents[1]
TARGET_RUNS = 10_000
TARGET_SECONDS = 120.0


def one_batch(path: Path, runs: int, workers: int, engine: str, horizon: float | None) -> float:
    """Seconds for one batch, pool start-up included."""
    start = time.perf_counter()
    if workers == 1:
        monte_carlo(path, runs=runs, executor=SerialExecutor(), engine=engine, horizon=horizon)
    else:
        with process_pool(workers) as pool:
            monte_carlo(path, runs=runs, executor=pool, engine=engine, horizon=horizon)
    return time.perf_counter() - start


def peak_mb() -> float:
    """This process's peak resident memory so far (MB; Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory(path: Path, runs: int, engine: str, horizon: float | None) -> dict[str, object]:
    """Peak memory after a tenth of the runs and after all of them, played in this process."""
    peaks = {}
    for count in (max(1, runs // 10), runs):
        monte_carlo(path, runs=count, executor=SerialExecutor(), engine=engine, horizon=horizon)
        peaks[count] = round(peak_mb(), 1)
    return {"scenario": path.name, "engine": engine, "peak_mb_after_runs": peaks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenario", type=Path, default=ROOT / "scenarios" / "finance-uncertainty.toml"
    )
    parser.add_argument("--runs", type=int, default=TARGET_RUNS)
    parser.add_argument("--workers", type=int, default=cores())
    parser.add_argument(
        "--engine", choices=ENGINES, default="fast" if "fast" in ENGINES else DEFAULT_ENGINE
    )
    parser.add_argument("--horizon", help='run length, e.g. "13w" (default: the scenario\'s)')
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--memory", action="store_true", help="peak memory, not speed")
    args = parser.parse_args()
    horizon = None if args.horizon is None else parse_duration(args.horizon)
    if args.memory:
        print(json.dumps(memory(args.scenario, args.runs, args.engine, horizon), indent=2))
        return
    # Warm-up: numba compiles the fast engine once per process; the pool's workers do it too,
    # inside the timed batch, as they would for a user.
    monte_carlo(
        args.scenario, runs=1, executor=SerialExecutor(), engine=args.engine, horizon=horizon
    )
    times = [
        one_batch(args.scenario, args.runs, args.workers, args.engine, horizon)
        for _ in range(args.repeats)
    ]
    seconds = statistics.median(times)
    rate = args.runs / seconds
    out = {
        "scenario": args.scenario.name,
        "runs": args.runs,
        "workers": args.workers,
        "engine": args.engine,
        "horizon": args.horizon or "scenario's",
        "repeats": args.repeats,
        "seconds": round(seconds, 2),
        "runs_per_s": round(rate, 2),
        "seconds_for_10000_runs": round(TARGET_RUNS / rate, 1),
        "extrapolated": args.runs != TARGET_RUNS,
        "target_met": TARGET_RUNS / rate <= TARGET_SECONDS,
        "machine": machine(),
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    guess = " (extrapolated)" if out["extrapolated"] else ""
    print(
        f"{args.runs:,} runs of {out['scenario']} ({args.engine} engine, {args.workers} workers): "
        f"{seconds:.1f} s, {rate:.1f} runs/s; 10,000 runs: {out['seconds_for_10000_runs']:.0f} s"
        f"{guess}, target {TARGET_SECONDS:.0f} s {'met' if out['target_met'] else 'not met'}"
    )


if __name__ == "__main__":
    main()
