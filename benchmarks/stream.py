"""Milliseconds to draw a lead stream, in-process: min and median of several timed draws.

    python benchmarks/stream.py            # a readable table
    python benchmarks/stream.py --json     # one JSON object

What is timed:
- `sample(scenario, seed, replication, horizon=...)` on default.toml (52 and 13 weeks) and
  finance-uncertainty.toml (52 weeks), a new replication each time, after a warm-up draw
  (wall-clock and, `cpu_*`, the thread's CPU time: on a shared machine the CPU time is what
  other processes disturb least)
  (the first draw of a process builds the quantile tables of the scenario's laws: the
  `first_sample_s` of a fresh process). Each stream is dropped before the next is drawn, as
  in a batch of runs.
- `million_lead_*`: `sample` alone of about a million leads (the Erlang-A scenario over 238
  weeks) in a fresh process: seconds and the peak resident memory it added (ru_maxrss
  after, minus the resident memory before).
Run it on an idle machine, or read the minimum.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from pathlib import Path

from common import child, machine, rss_mb

import alignsim

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios/default.toml"
FINANCE = ROOT / "scenarios/finance-uncertainty.toml"
ERLANG_A = ROOT / "scenarios/validation/erlang-a.toml"
MILLION_HORIZON = 1_000_000 / 25.0
"""Hours in which the Erlang-A scenario (25 leads an hour) creates about a million leads."""


def draw_times(path: Path, weeks: int, repeats: int) -> dict[str, float]:
    """Min and median milliseconds (wall-clock and CPU) of `repeats` draws, each a new
    replication."""
    sc = alignsim.load(path)
    horizon = weeks * 168.0
    stream = alignsim.sample(sc, sc.seed, 0, horizon=horizon)  # warm-up: the laws' tables
    leads = len(stream)
    times, cpu = [], []
    for replication in range(1, repeats + 1):
        stream = None
        start, start_cpu = time.perf_counter(), time.thread_time()
        stream = alignsim.sample(sc, sc.seed, replication, horizon=horizon)
        times.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    return {
        "leads": leads,
        "min_ms": round(1e3 * min(times), 2),
        "median_ms": round(1e3 * statistics.median(times), 2),
        "cpu_median_ms": round(1e3 * statistics.median(cpu), 2),
    }


def million_lead_sample() -> None:
    """Child process: one sample() of about a million leads; prints leads, seconds, memory."""
    sc = alignsim.load(ERLANG_A)
    alignsim.sample(sc, horizon=1.0)  # imports and tables outside the measure
    before = rss_mb()
    start = time.perf_counter()
    stream = alignsim.sample(sc, horizon=MILLION_HORIZON)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    out = {"leads": len(stream), "s": seconds, "peak_added_mb": peak_mb - before}
    print(json.dumps(out))


def first_sample() -> None:
    """Child process: the first sample() of default.toml (52 weeks) in a fresh process."""
    sc = alignsim.load(DEFAULT)
    start = time.perf_counter()
    alignsim.sample(sc, horizon=52 * 168.0)
    print(json.dumps({"s": time.perf_counter() - start}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=15, help="timed draws per case")
    parser.add_argument("--million", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--first", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.million:
        return million_lead_sample()
    if args.first:
        return first_sample()

    cases = {
        "default_52w": draw_times(DEFAULT, 52, args.repeats),
        "default_13w": draw_times(DEFAULT, 13, args.repeats),
        "finance_52w": draw_times(FINANCE, 52, args.repeats),
    }
    first = child(__file__, "first")
    million = child(__file__, "million")
    out = {
        "machine": machine(),
        "load_average": round(os.getloadavg()[0], 2),
        "repeats": args.repeats,
        **{f"{case}_{key}": value for case, row in cases.items() for key, value in row.items()},
        "first_sample_s": round(first["s"], 2),
        "million_lead_leads": million["leads"],
        "million_lead_s": round(million["s"], 2),
        "million_lead_peak_added_mb": round(million["peak_added_mb"]),
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(
        f"machine: {out['machine']}; load average {out['load_average']}; "
        f"{args.repeats} draws per case after a warm-up"
    )
    print(f"{'case':<28}{'leads':>10}{'min ms':>10}{'median ms':>12}{'CPU median ms':>16}")
    for case, row in cases.items():
        print(
            f"{case:<28}{row['leads']:>10,}{row['min_ms']:>10}{row['median_ms']:>12}"
            f"{row['cpu_median_ms']:>16}"
        )
    print(f"first sample() of a process (default.toml, 52 weeks): {out['first_sample_s']} s")
    print(
        f"{million['leads']:,} leads (erlang-a, 238 weeks): sample() {out['million_lead_s']} s, "
        f"peak memory added {out['million_lead_peak_added_mb']} MB"
    )


if __name__ == "__main__":
    main()
