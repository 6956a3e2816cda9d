"""CPU seconds and peak memory of drawing a lead stream in windows of rows against at once.

    python benchmarks/stream_windows.py            # a readable table
    python benchmarks/stream_windows.py --json     # one JSON object
    python benchmarks/stream_windows.py --ten-million   # also 10 million leads, windowed only

What is measured, each in a fresh process (so the peak is the draw's own):
- `sample(...)`, the whole stream at once, and `sample_windows(...)` drawn in windows of
  100,000 rows (each window dropped before the next, as an engine playing them would), on
  about a million leads: default.toml with every source's rate times 10 over 400 weeks (five
  sources, 17 scorings, 6 attempts: the widest stream shipped) and the Erlang-A scenario over
  238 weeks (one source, one column a block);
- CPU seconds (`time.process_time`) and the peak resident memory the draw added (ru_maxrss
  after, minus the resident memory before), plus, for the windowed draw, the CPU seconds of
  `sample_windows` itself (arrivals, sort, and finding where each column of normals starts).
Median of interleaved repeats; on a shared machine read the CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
import tomllib
from pathlib import Path

from common import child, machine, rss_mb

import alignsim
from alignsim.stream_windows import sample_windows

ROOT = Path(__file__).resolve().parents[1]
WINDOW = 100_000
"""Rows a window."""


def scenario(case: str) -> tuple[alignsim.Scenario, dict]:
    """The scenario of a case and the keywords of its draw."""
    if case == "erlang_a":
        return alignsim.load(ROOT / "scenarios/validation/erlang-a.toml"), {
            "horizon": 1_000_000 / 25.0
        }
    times = {"default_x10": 10, "default_x100": 100}[case]
    doc = tomllib.loads((ROOT / "scenarios/default.toml").read_text())
    for src in doc["market"]["sources"].values():
        count, unit = src["rate"].split("/")
        src["rate"] = f"{float(count) * times}/{unit}"
    kwargs = {"horizon": 400 * 168.0, "warmup": 0.0, "settle": 0.0}
    return alignsim.validate(doc, f"default.toml, rates x{times}"), kwargs


def measure(case: str, how: str) -> None:
    """Child process: one draw of a case, at once or windowed; prints leads, CPU s, memory."""
    sc, kwargs = scenario(case)
    small = {**kwargs, "horizon": 24.0}
    alignsim.sample(sc, **small)  # imports, compiled loops and tables outside the measure
    warm = sample_windows(sc, **small)
    warm.draw(len(warm))
    before = rss_mb()
    start = time.process_time()
    setup = 0.0
    if how == "once":
        leads = len(alignsim.sample(sc, None, 1, **kwargs))
    else:
        windows = sample_windows(sc, None, 1, **kwargs)
        setup = time.process_time() - start
        leads = len(windows)
        while windows.drawn < leads:
            window = windows.draw(min(leads, windows.drawn + WINDOW))
            del window
    seconds = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"leads": leads, "cpu_s": seconds, "setup_s": setup, "mb": peak - before}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved pairs per case")
    parser.add_argument("--ten-million", action="store_true", help="also 10M leads, windowed")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # case:how
    args = parser.parse_args()
    if args.measure:
        return measure(*args.measure.split(":"))
    out: dict[str, object] = {"machine": machine(), "load_average": round(os.getloadavg()[0], 2)}
    cases = ["default_x10", "erlang_a"]
    for case in cases:
        rows: dict[str, list[dict]] = {"once": [], "windows": []}
        for _ in range(args.repeats):
            for how in rows:
                rows[how].append(child(__file__, f"measure={case}:{how}"))
        for how, runs in rows.items():
            out[f"{case}_{how}_leads"] = runs[0]["leads"]
            for key in ("cpu_s", "setup_s", "mb"):
                out[f"{case}_{how}_{key}"] = round(statistics.median(r[key] for r in runs), 2)
    if args.ten_million:
        run = child(__file__, "measure=default_x100:windows")
        out |= {f"default_x100_windows_{k}": round(v, 2) for k, v in run.items()}
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"machine: {out['machine']}; load average {out['load_average']}")
    print(f"{'case':<26}{'leads':>12}{'CPU s':>8}{'setup s':>9}{'peak MB':>9}")
    for case in [*cases, "default_x100"]:
        for how in ("once", "windows"):
            if f"{case}_{how}_leads" in out:
                print(
                    f"{case + ' ' + how:<26}{out[f'{case}_{how}_leads']:>12,}"
                    f"{out[f'{case}_{how}_cpu_s']:>8}{out[f'{case}_{how}_setup_s']:>9}"
                    f"{out[f'{case}_{how}_mb']:>9}"
                )


if __name__ == "__main__":
    sys.exit(main())
