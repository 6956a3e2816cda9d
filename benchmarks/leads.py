"""Cost per lead and peak memory of one run as the run grows from ten thousand to ten million leads.

    python benchmarks/leads.py                 # 10k, 100k, 1M, 10M leads; a readable table
    python benchmarks/leads.py --largest 1e6   # stop at a million
    python benchmarks/leads.py --json
    python benchmarks/leads.py --weeks 520     # a ten-year window: the rates scaled 4.4x less

Each case is `default.toml` with every source's rate and the reps (the team's and any policy's)
scaled by the same factor, so the floor stays as busy and a lead lives as long whatever the size
(a large B2C lead flow has a large team); the run is the scenario's (warm-up, a year, settle
time), or with `--weeks` a longer window at rates scaled less (ten million leads over ten years
keep fewer leads in flight at once than over one). One `alignsim.simulate` of one policy
(`aligned`, the heavier, and `current`) in a fresh process: the stream drawn, planned and
played, the ledger's arrays filled (no DataFrame). `cpu_us_per_lead` is the process's CPU time
over that call divided by the leads, after a warm-up on a one-week run (compilation done);
`peak_rss_mb` is the process's peak resident memory (ru_maxrss), interpreter and libraries
included. `in_flight` is the most leads alive at once (created, not yet ended), read off the
ledger: the engine's working set (a lead's draws, plan and state, about 600 bytes) grows with
it, and past the processor's caches so does the cost of each event. `mode` says how the run
was played: at once, or in windows of arrivals (`alignsim.simulate`'s `windows`; automatic
above `alignsim.simulation.WINDOWED_FROM` candidate leads); every size is played in windows,
and with `--at-once` the sizes up to a million also at once. Median of `--repeats` processes.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from common import machine

import alignsim
from alignsim.engines.fast.windows import WINDOW_LEADS

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios/default.toml"
SIZES = (10_000, 100_000, 1_000_000, 10_000_000)


def scaled(factor: float) -> alignsim.Scenario:
    """default.toml with every source's rate and every reps count multiplied by `factor`."""

    sc = alignsim.load(DEFAULT)
    market = sc.market.model_copy(
        update={
            "sources": {
                name: src.model_copy(update={"rate": src.rate * factor})
                for name, src in sc.market.sources.items()
            }
        }
    )
    reps = max(1, round(sc.team.reps * factor))
    policies = {}
    for name, policy in sc.policies.items():
        if policy.team is not None and policy.team.reps is not None:
            team = policy.team.model_copy(update={"reps": max(1, round(policy.team.reps * factor))})
            policy = policy.model_copy(update={"team": team})
        policies[name] = policy
    return sc.model_copy(
        update={
            "market": market,
            "team": sc.team.model_copy(update={"reps": reps}),
            "policies": policies,
        }
    )


def one_run(leads: int, policy: str, windows: int | None, weeks: float | None) -> None:
    """Child process: one simulate() of about `leads` leads over a window of `weeks` (default
    the scenario's), the rates scaled to match; prints its JSON figures."""
    default = alignsim.load(DEFAULT)
    hours = None if weeks is None else weeks * 168.0
    base = len(alignsim.sample(default)) * default.run_hours(hours) / default.run_hours()
    sc = scaled(leads / base)
    alignsim.simulate(sc, policy, horizon=168.0, engine="fast", windows=windows)  # warm-up
    start_cpu, start = time.process_time(), time.perf_counter()
    ledger = alignsim.simulate(sc, policy, horizon=hours, engine="fast", windows=windows)
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = len(ledger)
    print(
        json.dumps(
            {
                "leads": n,
                "policy": policy,
                "weeks": weeks or default.horizon / 168.0,
                "mode": "windows" if _windowed(sc, windows, hours) else "at once",
                "cpu_us_per_lead": cpu / n * 1e6,
                "wall_s": wall,
                "peak_rss_mb": peak,
                "in_flight": in_flight(ledger.book.stream.created, ledger.book.ended),
            }
        )
    )


def in_flight(created: np.ndarray, ended: np.ndarray) -> int:
    """The most leads alive at once: created and not yet ended (a lead still open at the run's
    end is alive to it). The engine's working set grows with it, not with the run's length."""
    ends = np.where(np.isnan(ended), np.inf, ended)
    times = np.concatenate([created, ends])
    steps = np.concatenate([np.ones(len(created), np.int64), -np.ones(len(ends), np.int64)])
    order = np.lexsort((steps, times))  # an end before a creation at the same instant
    return int(np.cumsum(steps[order]).max(initial=0))


def _windowed(sc: alignsim.Scenario, windows: int | None, hours: float | None) -> bool:
    from alignsim.simulation import plays_in_windows

    return plays_in_windows(sc, hours, "fast", windows)


def measure(
    leads: int, policy: str, windows: int | None, repeats: int, weeks: float | None = None
) -> dict[str, object]:
    import subprocess

    runs = []
    for _ in range(repeats):
        args = [sys.executable, __file__, "--child", str(leads), policy, str(windows), str(weeks)]
        done = subprocess.run(args, check=True, capture_output=True, text=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    out: dict[str, object] = dict(runs[0])
    for key in ("cpu_us_per_lead", "wall_s", "peak_rss_mb"):
        out[key] = statistics.median(float(r[key]) for r in runs)
    out["in_flight"] = statistics.median(int(r["in_flight"]) for r in runs)
    out["bytes_per_lead"] = float(out["peak_rss_mb"]) * 2**20 / int(out["leads"])  # type: ignore[arg-type]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--largest", type=float, default=SIZES[-1])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--policies", default="aligned,current")
    parser.add_argument(
        "--at-once", action="store_true", help="also play each size up to 1M leads at once"
    )
    parser.add_argument(
        "--weeks",
        type=float,
        default=None,
        help="the measurement window in weeks (default the scenario's 52; at most 520), the "
        "rates scaled so the run still has the size asked for",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        leads, policy, windows, weeks = args.child
        one_run(
            int(leads),
            policy,
            None if windows == "None" else int(windows),
            None if weeks == "None" else float(weeks),
        )
        return
    rows = []
    for size in (s for s in SIZES if s <= args.largest):
        for policy in args.policies.split(","):
            modes = [WINDOW_LEADS, 0] if args.at_once and size <= 1_000_000 else [WINDOW_LEADS]
            for windows in modes:
                rows.append(measure(size, policy, windows, args.repeats, args.weeks))
                if not args.json:
                    r = rows[-1]
                    print(
                        f"{r['leads']:>11,} leads  {r['policy']:<8} {r['mode']:<8} "
                        f"{r['cpu_us_per_lead']:5.2f} us of CPU a lead  "
                        f"peak {r['peak_rss_mb']:7.0f} MB ({r['bytes_per_lead']:5.0f} B a lead)  "
                        f"{r['wall_s']:6.1f} s  {r['in_flight']:>9,.0f} in flight",
                        flush=True,
                    )
    if args.json:
        print(json.dumps({"machine": machine(), "runs": rows}))
    else:
        print(f"machine: {machine()}; median of {args.repeats} fresh processes per row")


if __name__ == "__main__":
    main()
