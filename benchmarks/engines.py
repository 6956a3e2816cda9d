"""Leads per second of the engines, in-process: median of several timed runs after a warm-up.

    python benchmarks/engines.py            # a readable table
    python benchmarks/engines.py --json     # one JSON object

Times the engine alone (the lead stream is drawn once, outside the timer) and, separately,
sampling the stream. Run it on an idle machine; the README quotes its figures.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import alignsim
from alignsim.engines import engine, make_plan

ROOT = Path(__file__).resolve().parents[1]


def leads_per_second(path: Path, policy: str | None, name: str, repeats: int) -> dict[str, float]:
    sc = alignsim.load(path)
    policy = policy or next(iter(sc.policies))
    stream = alignsim.sample(sc)
    plan = make_plan(stream, sc.team_for(policy), sc.policies[policy])
    play = engine(name)
    play(plan)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        play(plan)
        times.append(time.perf_counter() - start)
    sampling = []
    for _ in range(repeats):
        start = time.perf_counter()
        alignsim.sample(sc)
        sampling.append(time.perf_counter() - start)
    return {
        "leads": len(stream),
        "median_s": statistics.median(times),
        "leads_per_s": len(stream) / statistics.median(times),
        "sample_leads_per_s": len(stream) / statistics.median(sampling),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per case (median)")
    args = parser.parse_args()
    default = leads_per_second(ROOT / "scenarios/default.toml", "current", "simpy", args.repeats)
    erlang = leads_per_second(
        ROOT / "scenarios/validation/erlang-a.toml", None, "simpy", args.repeats
    )
    out = {
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
        f"Python {platform.python_version()}",
        "repeats": args.repeats,
        "simpy_leads_per_s": round(default["leads_per_s"]),
        "erlang_a_simpy_leads_per_s": round(erlang["leads_per_s"]),
        "default_leads": default["leads"],
        "erlang_a_leads": erlang["leads"],
        "sample_leads_per_s": round(default["sample_leads_per_s"]),
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"machine: {out['machine']}; median of {args.repeats} runs after a warm-up")
    print(f"{'case':<32}{'leads':>8}{'leads/s':>12}")
    print(
        f"{'simpy, default.toml (current)':<32}{default['leads']:>8,}{out['simpy_leads_per_s']:>12,}"
    )
    print(
        f"{'simpy, erlang-a.toml':<32}{erlang['leads']:>8,}{out['erlang_a_simpy_leads_per_s']:>12,}"
    )
    print(
        f"{'sampling the stream (default)':<32}{default['leads']:>8,}{out['sample_leads_per_s']:>12,}"
    )


if __name__ == "__main__":
    main()
