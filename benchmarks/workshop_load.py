"""Many rooms at once: the workshop server's answers with 20 sessions moving controls together.

    python benchmarks/workshop_load.py                       # 20 sessions, a readable summary
    python benchmarks/workshop_load.py --sessions 10 --json  # one JSON object
    python benchmarks/workshop_load.py --think 0             # no pause: the server saturated

Streamlit serves each browser's session as a thread of one server process. Here each session
is a thread of this process that does what the page's script does on a control change, with
the page's own caches (`alignsim.workshop.served`, Streamlit's process-wide resource cache,
over the benches of `alignsim.workshop.figures`): the answer (`served.answer`, the headline,
then the funnel's and the causes' chart specifications), then the split by lever on the first
10 replications (`served.split_later` and its chart), which the page plays in the background
after the headline shows.
What Streamlit adds (the script rerun, the websocket) and what the browser does (drawing the
charts) are left out: this is the server's computing, which 20 sessions share on its cores.

Every session opens on the played policy as written (the first answer, shared by all), then
walks its own way (`benchmarks/workshop.py`'s walk, one lever one stop at a time, a seed per
session, so some settings meet across sessions as they would in rooms). A room reads each
headline for a think time drawn uniformly in [think/2, 3 think/2] seconds, then moves the next
control; the split by lever plays in the background meanwhile (`served.split_later`, as the
page does), so the next headline does not wait for it. Rooms do not click at the same instant:
each session's first change comes at a uniform time within the first think time. The streams and the baseline are drawn before the clock starts (a server that
has answered once); `--cold` starts them with the sessions. After the walks, the splits still
playing get `--drain` seconds to finish; those that do not are counted as unfinished.

Reported: p50 and p95 of the seconds from a control change to the headline (`answer`) and of
the CPU seconds the session's thread spent on it (`answer_cpu`: the rest is waiting for a core,
the GIL, or another session computing the same answer), of the seconds to the chart by lever
(`split`, in the background), and of the CPU seconds the process used per
change, with the machine's load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import threading
import time
from concurrent.futures import Future, wait
from pathlib import Path
from typing import Any

from common import machine
from workshop import _p95, opening, walk

import alignsim
from alignsim.comparison import Comparison
from alignsim.engines import DEFAULT_ENGINE
from alignsim.scenario import read_document
from alignsim.workshop import charts, controls, figures, served

ROOT = Path(__file__).resolve().parents[1]


def _cpu() -> float:
    """CPU seconds this process has used (every thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Room:
    """One session: its walk through the levers and the seconds each change took."""

    def __init__(self, args: argparse.Namespace, seat: int, start: controls.Levers) -> None:
        self.args = args
        self.doc = read_document(args.scenario)
        self.label = Path(args.scenario).name
        scenario = alignsim.validate(self.doc, self.label)
        self.policy = next(n for n in scenario.policies if n != scenario.baseline_policy)
        self.ch = controls.choices(self.doc, scenario, self.policy, self.label)
        self.key = figures.digest(self.doc)
        self.walk = walk(self.doc, self.ch, start, args.changes, seed=1000 + seat)
        self.rng = random.Random(seat)
        self.answers: list[float] = []
        self.splits: list[float] = []
        self.answer_cpu: list[float] = []
        self.pending: list[Future[Comparison]] = []
        self.error: BaseException | None = None

    def change(self, levers: controls.Levers, clicked: float | None = None) -> float:
        """What the page computes on a control change: the answer, then the split. The
        headline is timed from the click (default: now); returns when it showed."""
        a = self.args
        sets = controls.overrides(self.doc, self.ch, levers)
        hours = a.weeks * 168.0
        began, cpu = time.perf_counter(), time.thread_time()
        clicked = began if clicked is None else clicked
        got = served.answer(
            self.key, self.label, self.policy, sets, a.replications, hours, a.engine, self.doc
        )
        charts.funnel_chart(got.result).to_dict()
        charts.causes_chart(got.result).to_dict()
        shown = time.perf_counter()
        self.answers.append(shown - clicked)
        self.answer_cpu.append(time.thread_time() - cpu)
        k = min(a.replications, figures.LEVER_REPLICATIONS)
        pending = served.split_later(
            self.key, self.label, self.policy, sets, k, hours, a.engine, self.doc
        )

        def drawn(done: Future[Comparison]) -> None:
            charts.lever_chart(done.result()).to_dict()
            self.splits.append(time.perf_counter() - began)

        pending.add_done_callback(drawn)
        self.pending.append(pending)
        return shown

    def __call__(self, go: threading.Barrier) -> None:
        """The room: read the headline for a think time, then move the next control (the
        split by lever plays in the background meanwhile, as on the page)."""
        try:
            go.wait()
            clicked = time.perf_counter() + self.rng.uniform(0.0, self.args.think)
            time.sleep(max(0.0, clicked - time.perf_counter()))
            for levers in self.walk:
                shown = self.change(levers, clicked)
                think = self.args.think
                clicked = shown + (self.rng.uniform(think / 2, 3 * think / 2) if think else 0.0)
                time.sleep(max(0.0, clicked - time.perf_counter()))
        except BaseException as error:  # reported by the main thread
            self.error = error


def run(args: argparse.Namespace) -> dict[str, Any]:
    _doc, label, _policy, _ch, start = opening(args.scenario)
    rooms = [Room(args, seat, start) for seat in range(args.sessions)]
    began = time.perf_counter()
    if not args.cold:  # the server's first answer: streams, baseline and first split
        rooms[0].change(start)
        rooms[0].pending.pop().result()
        time.sleep(0.1)
        rooms[0].answers.clear()
        rooms[0].answer_cpu.clear()
        rooms[0].splits.clear()
    first = time.perf_counter() - began
    go = threading.Barrier(args.sessions + 1)
    threads = [threading.Thread(target=room, args=(go,)) for room in rooms]
    for thread in threads:
        thread.start()
    go.wait()
    began, cpu, load = time.perf_counter(), _cpu(), os.getloadavg()[0]
    for thread in threads:
        thread.join()
    walked = time.perf_counter() - began
    futures = [pending for room in rooms for pending in room.pending]
    wait(futures, timeout=args.drain)
    time.sleep(0.1)  # the futures' callbacks have recorded their times
    unfinished = sum(not f.done() for f in futures)
    for f in futures:
        f.cancel()
    wall, cpu = time.perf_counter() - began, _cpu() - cpu
    for room in rooms:
        if room.error is not None:
            raise RuntimeError(f"a session failed: {room.error!r}") from room.error
    answers = sorted(t for room in rooms for t in room.answers)
    splits = sorted(t for room in rooms for t in room.splits)
    answer_cpu = sorted(t for room in rooms for t in room.answer_cpu)
    benches = list(figures._BENCHES.values())
    return {
        "machine": machine(),
        "load_average_1min_before": round(load, 2),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "scenario": label,
        "engine": args.engine or DEFAULT_ENGINE,
        "replications": args.replications,
        "weeks": args.weeks,
        "sessions": args.sessions,
        "changes_per_session": args.changes,
        "think_s": args.think,
        "warm": not args.cold,
        "first_answer_s": round(first, 2),
        "answer_p50_s": round(statistics.median(answers), 3),
        "answer_p95_s": round(_p95(answers), 3),
        "answer_max_s": round(answers[-1], 3),
        "answer_cpu_p50_s": round(statistics.median(answer_cpu), 3),
        "answer_cpu_p95_s": round(_p95(answer_cpu), 3),
        "split_p50_s": round(statistics.median(splits), 3) if splits else None,
        "split_p95_s": round(_p95(splits), 3) if splits else None,
        "splits_unfinished": unfinished,
        "walks_s": round(walked, 1),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "cpu_per_change_s": round(cpu / len(answers), 3),
        "cores_used": round(cpu / wall, 2),
        "computed": dict(sum((b.computed for b in benches), start=type(benches[0].computed)()))
        if benches
        else {},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "default.toml"))
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions")
    parser.add_argument("--changes", type=int, default=8, help="control changes per session")
    parser.add_argument("--think", type=float, default=20.0, help="mean pause between changes")
    parser.add_argument("--replications", type=int, default=30, help="paired replications")
    parser.add_argument("--weeks", type=int, default=13, help="weeks simulated")
    parser.add_argument("--engine", default=None, help=f"engine (default: {DEFAULT_ENGINE})")
    parser.add_argument("--cold", action="store_true", help="no answer before the sessions")
    parser.add_argument(
        "--drain", type=float, default=600.0, help="most seconds to wait for splits after the walks"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    out = run(args)
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(
        f"{out['sessions']} sessions x {out['changes_per_session']} changes (think "
        f"{out['think_s']:g} s), {out['scenario']}, {out['replications']} x {out['weeks']} weeks, "
        f"{out['engine']} engine; {out['machine']}, load {out['load_average_1min_before']:.1f} "
        f"-> {out['load_average_1min_after']:.1f}"
    )
    print(
        f"headline: p50 {out['answer_p50_s']:.2f} s, p95 {out['answer_p95_s']:.2f} s, max "
        f"{out['answer_max_s']:.2f} s (its thread's CPU: p50 {out['answer_cpu_p50_s']:.2f} s, "
        f"p95 {out['answer_cpu_p95_s']:.2f} s); chart by lever: p50 {out['split_p50_s']} s, p95 "
        f"{out['split_p95_s']} s ({out['splits_unfinished']} unfinished after the drain)"
    )
    print(
        f"{out['wall_s']:.0f} s wall, {out['cpu_s']:.0f} s CPU ({out['cores_used']:.2f} cores, "
        f"{out['cpu_per_change_s']:.2f} s a change); computed: {out['computed']}"
    )


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # splits still playing after the drain would hold the exit until they end
