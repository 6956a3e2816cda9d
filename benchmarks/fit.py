"""Seconds to fit 100,000 leads and 10,000 opportunities (issue 17's target: 30 s).

    python benchmarks/fit.py            # a readable table
    python benchmarks/fit.py --json     # one JSON object

The exports are made first (not timed): default.toml's `aligned` policy over 470 weeks,
written as a Salesforce export, cut to the first 100,000 leads and the first 10,000
opportunities. What is timed: `alignsim.fit(leads, opportunities)` (reading and checking the
CSVs, cleaning, every estimate, the decay and cycle fits, building and validating the
scenario, calibrating the chances by simulating the current policy), after one warm-up fit
(imports, lifelines' first compile, the engine's), several times; the same without the
calibration (`calibrate=False`), to show its share; and
the fit report without its simulated headline (`replications=0`) once. Wall-clock seconds
and the process's CPU seconds (what a busy shared machine does not inflate) are reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
from common import machine

import alignsim
from alignsim.fit.export import write_export

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios/default.toml"
LEADS, DEALS = 100_000, 10_000


def make_exports(folder: Path) -> tuple[Path, Path, int, int]:
    """The Salesforce export of about 100,000 leads and 10,000 opportunities."""
    scenario = alignsim.load(DEFAULT)
    ledger = alignsim.simulate(scenario, "aligned", seed=1, horizon=470 * 168.0)
    leads_path, deals_path = write_export(ledger, folder, "salesforce")
    leads = pd.read_csv(leads_path, dtype=str, keep_default_na=False).head(LEADS)
    deals = pd.read_csv(deals_path, dtype=str, keep_default_na=False).head(DEALS)
    leads.to_csv(leads_path, index=False)
    deals.to_csv(deals_path, index=False)
    return leads_path, deals_path, len(leads), len(deals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        leads, deals, n_leads, n_deals = make_exports(Path(tmp))
        alignsim.fit(leads, deals)  # warm-up
        times, cpu = [], []
        for _ in range(args.repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            result = alignsim.fit(leads, deals)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        flat = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            alignsim.fit(leads, deals, calibrate=False)
            flat.append(time.perf_counter() - start)
        start = time.perf_counter()
        result.report(Path(tmp) / "fit.html", replications=0)
        report_s = time.perf_counter() - start
    out = {
        "machine": machine(),
        "leads": n_leads,
        "opportunities": n_deals,
        "fit_s_min": min(times),
        "fit_s_median": statistics.median(times),
        "fit_cpu_s_median": statistics.median(cpu),
        "fit_without_calibration_s_median": statistics.median(flat),
        "calibration_replications": result.calibration.replications if result.calibration else 0,
        "report_s": report_s,
        "target_s": 30.0,
    }
    if args.json:
        print(json.dumps(out))
        return
    print(f"{machine()}")
    print(f"fit {n_leads:,} leads and {n_deals:,} opportunities: "
          f"median {out['fit_s_median']:.2f} s, min {out['fit_s_min']:.2f} s "
          f"of {args.repeats} (target 30 s), CPU {out['fit_cpu_s_median']:.2f} s; without the "
          f"calibration {out['fit_without_calibration_s_median']:.2f} s; report without its headline {report_s:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
