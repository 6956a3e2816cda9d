"""How fast the workshop page answers a control change: p50 and p95 over 50 changes.

    python benchmarks/workshop.py                 # the page's functions, a readable summary
    python benchmarks/workshop.py --json          # one JSON object
    python benchmarks/workshop.py --apptest       # the whole page through Streamlit's AppTest

A facilitator's walk: from the played policy's own setting, each change moves one lever one
stop (a slider one step, a switch over), in a fixed pseudo-random order that never returns to
a setting already answered, so every change is a cache miss (moving back would be answered
from the page's cache in milliseconds). The first answer, which draws the lead streams and
plays the baseline, is timed apart.

Default mode times what the page computes for a change: `alignsim.workshop.figures.answer`
(the paired comparison, the headline and the sentence) with the funnel's and the causes'
chart specifications, then, timed apart, the split by lever on the first 10 replications
(`figures.split`) with its chart, which the page computes after the headline shows. Wall and
CPU time are both given: the machine is shared.
`--apptest` times the whole script rerun (`AppTest.run`) after setting one widget, which adds
Streamlit's own work; neither includes the browser drawing the charts.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

from common import machine

import alignsim
from alignsim.engines import DEFAULT_ENGINE
from alignsim.scenario import MAX_ATTEMPTS, read_document
from alignsim.workshop import charts, controls, figures

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "src" / "alignsim" / "workshop" / "app.py"


def _moves(levers: controls.Levers, ch: controls.Choices) -> list[controls.Levers]:
    """Every setting one stop away from `levers`."""
    out = []

    def step(field: str, stops: list[Any]) -> None:
        value = getattr(levers, field)
        at = stops.index(value) if value in stops else 0
        for k in (at - 1, at + 1):
            if 0 <= k < len(stops):
                out.append(dataclasses.replace(levers, **{field: stops[k]}))

    step("sla", list(ch.sla))
    step("attempts", list(range(1, MAX_ATTEMPTS + 1)))
    step("reps", list(range(1, ch.max_reps + 1)))
    for field in ("mql_threshold", "accept_threshold"):
        at = round(getattr(levers, field) / 0.05)
        out += [
            dataclasses.replace(levers, **{field: round(k * 0.05, 2)})
            for k in (at - 1, at + 1)
            if 0 <= k <= 20
        ]
    flips = {
        "handoff": {"realtime": "batch", "batch": "realtime"},
        "definition": {"shared": "subjective", "subjective": "shared"},
        "rejected": {"discard": "nurture", "nurture": "discard"},
        "others": {ch.policy: ch.baseline, ch.baseline: ch.policy},
    }
    for field, flip in flips.items():
        if field == "rejected" and not levers.nurture:
            continue
        out.append(dataclasses.replace(levers, **{field: flip[getattr(levers, field)]}))
    out.append(dataclasses.replace(levers, cherry_pick=not levers.cherry_pick))
    # Nurture off makes rejects discarded, as the page does.
    rejected = levers.rejected if not levers.nurture else "discard"
    out.append(dataclasses.replace(levers, nurture=not levers.nurture, rejected=rejected))
    return out


def walk(
    doc: dict[str, Any], ch: controls.Choices, start: controls.Levers, changes: int, seed: int
) -> list[controls.Levers]:
    """`changes` lever settings, each one stop from the last, none answered before."""
    rng = random.Random(seed)
    seen = {controls.overrides(doc, ch, start)}
    path, here = [], start
    while len(path) < changes:
        options = [m for m in _moves(here, ch) if controls.overrides(doc, ch, m) not in seen]
        if not options:
            raise RuntimeError("the walk ran out of new settings")
        here = rng.choice(options)
        seen.add(controls.overrides(doc, ch, here))
        path.append(here)
    return path


def opening(path: str | Path) -> tuple[dict[str, Any], str, str, Any, controls.Levers]:
    """What a facilitator opens: the scenario document, its label, the played policy (the
    first that is not the baseline), the page's controls and their opening setting."""
    doc = read_document(path)
    label = Path(path).name
    scenario = alignsim.validate(doc, label)
    policy = next(n for n in scenario.policies if n != scenario.baseline_policy)
    ch = controls.choices(doc, scenario, policy, label)
    return doc, label, policy, ch, controls.levers_of(scenario, ch, policy)


def time_functions(args: argparse.Namespace) -> dict[str, Any]:
    doc, label, policy, ch, start = opening(args.scenario)
    hours = args.weeks * 168.0

    def answer(levers: controls.Levers) -> tuple[float, float, float, float]:
        """Wall and CPU seconds of the headline (with the funnel and causes charts), then of
        the split by lever (with its chart), as the page computes them one after the other."""
        sets = controls.overrides(doc, ch, levers)
        kw = {"horizon": hours, "engine": args.engine}
        began, cpu = time.perf_counter(), time.process_time()
        got = figures.answer(doc, label, policy, sets, replications=args.replications, **kw)
        charts.funnel_chart(got.result).to_dict()
        charts.causes_chart(got.result).to_dict()
        head, head_cpu = time.perf_counter() - began, time.process_time() - cpu
        began, cpu = time.perf_counter(), time.process_time()
        k = min(args.replications, figures.LEVER_REPLICATIONS)
        charts.lever_chart(figures.split(doc, label, policy, sets, replications=k, **kw)).to_dict()
        return head, head_cpu, time.perf_counter() - began, time.process_time() - cpu

    first = answer(start)[0]
    runs = [answer(levers) for levers in walk(doc, ch, start, args.changes, args.seed)]
    return {
        "first_s": first,
        "times_s": [r[0] for r in runs],
        "cpu_s": [r[1] for r in runs],
        "split_s": [r[2] for r in runs],
        "split_cpu_s": [r[3] for r in runs],
    }


def time_apptest(args: argparse.Namespace) -> dict[str, Any]:
    from streamlit.testing.v1 import AppTest

    from alignsim.workshop.sources import SCENARIO_ENV

    os.environ[SCENARIO_ENV] = str(Path(args.scenario).resolve())
    if args.engine:
        os.environ["ALIGNSIM_WORKSHOP_ENGINE"] = args.engine
    at = AppTest.from_file(str(APP), default_timeout=600)
    at.session_state["replications"] = args.replications
    at.session_state["weeks"] = args.weeks
    began = time.perf_counter()
    at.run()
    first = time.perf_counter() - began
    if at.exception or at.error:
        raise RuntimeError(f"the page failed: {at.exception or [e.value for e in at.error]}")
    doc = read_document(args.scenario)
    label = Path(args.scenario).name
    scenario = alignsim.validate(doc, label)
    policy = next(n for n in scenario.policies if n != scenario.baseline_policy)
    ch = controls.choices(doc, scenario, policy, label)
    start = controls.levers_of(scenario, ch, policy)
    keys = {
        "sla": ("select_slider", "lever_sla"),
        "handoff": ("radio", "lever_handoff"),
        "attempts": ("slider", "lever_attempts"),
        "definition": ("radio", "lever_definition"),
        "mql_threshold": ("slider", "lever_mql"),
        "accept_threshold": ("slider", "lever_accept"),
        "rejected": ("radio", "lever_rejected"),
        "nurture": ("toggle", "lever_nurture"),
        "cherry_pick": ("toggle", "lever_cherry"),
        "reps": ("slider", "lever_reps"),
        "others": ("radio", "lever_others"),
    }
    times, computing, here = [], [], start
    for levers in walk(doc, ch, start, args.changes, args.seed):
        field = next(f for f in keys if getattr(levers, f) != getattr(here, f))
        kind, key = keys[field]
        value = getattr(levers, field)
        widget = getattr(at, kind)(key=key)
        widget.set_value(controls.sla_label(value) if field == "sla" else value)
        began = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - began)
        computing.append(at.session_state["answer_seconds"])
        if at.exception or at.error:
            raise RuntimeError(f"the page failed: {at.exception or [e.value for e in at.error]}")
        here = levers
    return {"first_s": first, "times_s": times, "computing_s": computing}


def _p95(ordered: list[float]) -> float:
    """The 95th percentile of sorted values (nearest rank)."""
    return ordered[min(len(ordered) - 1, max(0, math.ceil(0.95 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "default.toml"))
    parser.add_argument("--changes", type=int, default=50, help="control changes timed")
    parser.add_argument("--replications", type=int, default=30, help="paired replications")
    parser.add_argument("--weeks", type=int, default=13, help="weeks simulated")
    parser.add_argument("--engine", default=None, help=f"engine (default: {DEFAULT_ENGINE})")
    parser.add_argument("--seed", type=int, default=7, help="seed of the walk")
    parser.add_argument("--apptest", action="store_true", help="time the page via AppTest")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    got = time_apptest(args) if args.apptest else time_functions(args)
    times = sorted(got["times_s"])
    p95 = _p95(times)
    out = {
        "machine": machine(),
        "load_average_1min": os.getloadavg()[0],
        "mode": "AppTest.run" if args.apptest else "figures.answer + chart specs",
        "scenario": Path(args.scenario).name,
        "engine": args.engine or DEFAULT_ENGINE,
        "replications": args.replications,
        "weeks": args.weeks,
        "changes": len(times),
        "first_answer_s": round(got["first_s"], 3),
        "p50_s": round(statistics.median(times), 3),
        "p95_s": round(p95, 3),
        "max_s": round(times[-1], 3),
    }
    for name in ("cpu_s", "split_s", "split_cpu_s"):  # the machine is shared: CPU time too
        if name in got:
            values = sorted(got[name])
            stem = name.removesuffix("_s")
            out[f"{stem}_p50_s"] = round(statistics.median(values), 3)
            out[f"{stem}_p95_s"] = round(_p95(values), 3)
    if "computing_s" in got:  # the page's own figure: the answer, inside the rerun
        computing = sorted(got["computing_s"])
        out["answer_p50_s"] = round(statistics.median(computing), 3)
        out["answer_p95_s"] = round(_p95(computing), 3)
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(
        f"{out['mode']}: {out['scenario']}, {out['replications']} paired replications of "
        f"{out['weeks']} weeks, {out['engine']} engine; {out['machine']}, "
        f"load {out['load_average_1min']:.1f}"
    )
    print(f"first answer (draws the streams, plays the baseline): {out['first_answer_s']:.2f} s")
    print(
        f"{out['changes']} control changes, each a cache miss: p50 {out['p50_s']:.2f} s, "
        f"p95 {out['p95_s']:.2f} s, max {out['max_s']:.2f} s"
    )
    if "split_p50_s" in out:
        print(
            f"headline CPU time: p50 {out['cpu_p50_s']:.2f} s, p95 {out['cpu_p95_s']:.2f} s; "
            f"split by lever after it: p50 {out['split_p50_s']:.2f} s, p95 "
            f"{out['split_p95_s']:.2f} s (CPU p50 {out['split_cpu_p50_s']:.2f} s, p95 "
            f"{out['split_cpu_p95_s']:.2f} s)"
        )
    if "answer_p50_s" in out:
        print(
            f"of which the answer itself (timed by the page): p50 {out['answer_p50_s']:.2f} s, "
            f"p95 {out['answer_p95_s']:.2f} s"
        )


if __name__ == "__main__":
    main()
