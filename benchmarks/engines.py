"""Leads per second of the engines, in-process: median of several timed runs after a warm-up.

    python benchmarks/engines.py            # a readable table
    python benchmarks/engines.py --json     # one JSON object

What is timed:
- `*_leads_per_s`: the engine alone, `play(plan)`: for the fast engine that includes turning the
  plan into arrays and allocating the ledger's arrays. The lead stream and the plan are built
  once, outside the timer (`plan_ms` and `frame_ms` say what building the plan and the ledger's
  DataFrame cost on default.toml; `fast_end_to_end_leads_per_s` times plan + engine + frame).
- `sample_leads_per_s`: drawing the lead stream.
- `million_lead_*`: a whole `alignsim.simulate` (stream, plan, fast engine, ledger frame) of
  about a million leads (the Erlang-A scenario over 238 weeks), in a fresh process, with its
  peak resident memory (ru_maxrss).
- `fast_first_call_*_s`: the first `play` in a fresh process, with an empty numba cache (the
  compilation) and with the cache that run left behind.
Run it on an idle machine; the README quotes its figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from common import child, machine

import alignsim
from alignsim.engines import engine, make_plan

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios/default.toml"
ERLANG_A = ROOT / "scenarios/validation/erlang-a.toml"
MILLION_HORIZON = 1_000_000 / 25.0
"""Hours in which the Erlang-A scenario (25 leads an hour) creates about a million leads."""


def median_seconds(run: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def leads_per_second(path: Path, policy: str | None, name: str, repeats: int) -> dict[str, float]:
    sc = alignsim.load(path)
    policy = policy or next(iter(sc.policies))
    stream = alignsim.sample(sc)
    plan = make_plan(stream, sc.team_for(policy), sc.policies[policy], market=sc.market)
    play = engine(name)
    play(plan)  # warm-up (and, for the fast engine, loading or compiling it)
    engine_s = median_seconds(lambda: play(plan), repeats)
    out = {"leads": len(stream), "median_s": engine_s, "leads_per_s": len(stream) / engine_s}
    if name == "fast":
        book = play(plan)

        def end_to_end() -> None:
            play(
                make_plan(stream, sc.team_for(policy), sc.policies[policy], market=sc.market)
            ).frame()

        out["plan_s"] = median_seconds(
            lambda: make_plan(stream, sc.team_for(policy), sc.policies[policy], market=sc.market),
            repeats,
        )
        out["frame_s"] = median_seconds(book.frame, repeats)
        out["end_to_end_leads_per_s"] = len(stream) / median_seconds(end_to_end, repeats)
    else:
        out["sample_leads_per_s"] = len(stream) / median_seconds(
            lambda: alignsim.sample(sc), repeats
        )
    return out


def million_lead_run() -> None:
    """Child process: one simulate() of about a million leads; prints leads, seconds, peak RSS."""
    sc = alignsim.load(ERLANG_A)
    start = time.perf_counter()
    ledger = alignsim.simulate(sc, horizon=MILLION_HORIZON, engine="fast")
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"leads": len(ledger), "s": seconds, "peak_rss_mb": peak_mb}))


def first_call() -> None:
    """Child process: import the fast engine and play a tiny plan; prints the seconds."""
    start = time.perf_counter()
    play = engine("fast")
    sc = alignsim.load(ERLANG_A)
    plan = make_plan(alignsim.sample(sc, horizon=1.0), sc.team_for("fifo"), sc.policies["fifo"])
    loaded = time.perf_counter()
    play(plan)
    print(json.dumps({"s": time.perf_counter() - loaded, "import_s": loaded - start}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per case (median)")
    parser.add_argument("--million", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--first-call", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.million:
        return million_lead_run()
    if args.first_call:
        return first_call()

    simpy = leads_per_second(DEFAULT, "current", "simpy", args.repeats)
    fast = leads_per_second(DEFAULT, "current", "fast", args.repeats)
    erlang_simpy = leads_per_second(ERLANG_A, None, "simpy", args.repeats)
    erlang_fast = leads_per_second(ERLANG_A, None, "fast", args.repeats)
    million = child(__file__, "million")
    with tempfile.TemporaryDirectory() as cache:
        cold = child(__file__, "first-call", {"NUMBA_CACHE_DIR": cache})
        warm = child(__file__, "first-call", {"NUMBA_CACHE_DIR": cache})
    out = {
        "machine": machine(),
        "repeats": args.repeats,
        "simpy_leads_per_s": round(simpy["leads_per_s"]),
        "fast_leads_per_s": round(fast["leads_per_s"]),
        "fast_speedup": round(fast["leads_per_s"] / simpy["leads_per_s"], 1),
        "erlang_a_simpy_leads_per_s": round(erlang_simpy["leads_per_s"]),
        "erlang_a_fast_leads_per_s": round(erlang_fast["leads_per_s"]),
        "erlang_a_speedup": round(erlang_fast["leads_per_s"] / erlang_simpy["leads_per_s"], 1),
        "default_leads": simpy["leads"],
        "erlang_a_leads": erlang_simpy["leads"],
        "sample_leads_per_s": round(simpy["sample_leads_per_s"]),
        "plan_ms": round(1e3 * fast["plan_s"], 2),
        "frame_ms": round(1e3 * fast["frame_s"], 2),
        "fast_engine_ms": round(1e3 * fast["median_s"], 2),
        "fast_end_to_end_leads_per_s": round(fast["end_to_end_leads_per_s"]),
        "million_lead_leads": million["leads"],
        "million_lead_s": round(million["s"], 2),
        "million_lead_peak_rss_mb": round(million["peak_rss_mb"]),
        "fast_first_call_cold_s": round(cold["s"], 2),
        "fast_first_call_warm_s": round(warm["s"], 2),
        "fast_import_s": round(warm["import_s"], 2),
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"machine: {out['machine']}; median of {args.repeats} runs after a warm-up")
    rows = [
        ("simpy, default.toml (current)", simpy["leads"], out["simpy_leads_per_s"]),
        ("fast, default.toml (current)", fast["leads"], out["fast_leads_per_s"]),
        ("fast + plan + frame, default", fast["leads"], out["fast_end_to_end_leads_per_s"]),
        ("simpy, erlang-a.toml", erlang_simpy["leads"], out["erlang_a_simpy_leads_per_s"]),
        ("fast, erlang-a.toml", erlang_fast["leads"], out["erlang_a_fast_leads_per_s"]),
        ("sampling the stream (default)", simpy["leads"], out["sample_leads_per_s"]),
    ]
    print(f"{'case':<34}{'leads':>10}{'leads/s':>14}")
    for label, leads, rate in rows:
        print(f"{label:<34}{leads:>10,}{rate:>14,}")
    print(
        f"fast vs simpy: {out['fast_speedup']}x on default.toml, {out['erlang_a_speedup']}x on "
        f"erlang-a.toml; default.toml: plan {out['plan_ms']} ms, engine "
        f"{out['fast_engine_ms']} ms, ledger frame {out['frame_ms']} ms"
    )
    print(
        f"{million['leads']:,} leads (erlang-a, 238 weeks), whole simulate: "
        f"{out['million_lead_s']} s, peak RSS {out['million_lead_peak_rss_mb']} MB"
    )
    print(
        f"fast engine first call: {out['fast_first_call_cold_s']} s with an empty numba cache, "
        f"{out['fast_first_call_warm_s']} s with it (import {out['fast_import_s']} s)"
    )


if __name__ == "__main__":
    main()
