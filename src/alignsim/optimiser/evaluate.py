"""Playing candidate policies on common replications, in parallel, with a checkpoint.

A task is one replication and a few candidate policies: the worker draws replication r's lead
stream once (`alignsim.sample(scenario, seed, r)`, the r-th child of the root seed, kept in a
small per-process cache) and plays each policy on it, returning each one's FIGURES a year:
its revenue (bookings) and its gross profit before the reps' pay (`alignsim.economics`:
gross margin x lifetime value minus the leads' and the nurture touches' cost; the reps a
candidate adds are paid in its programme cost, so they are not paid twice).
Every candidate is thus played on the same streams (common random numbers) and a value depends
on the policy and r only, never on the worker or the order: results are stored by
(candidate, replication), so any executor and any number of workers give the same bits.

With a folder, each finished task is written to DIR/evaluated/ (one JSON file, written to a
temporary name and renamed) and a resumed search reads them back instead of playing again.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alignsim import economics, metrics
from alignsim.batch.checkpoint import FolderError, atomic_write
from alignsim.batch.executors import in_flight
from alignsim.batch.runs import HOURS_PER_YEAR
from alignsim.scenario import Policy, Scenario
from alignsim.simulation import play
from alignsim.stream import LeadStream, sample

__all__ = ["FIGURES", "Context", "Evaluator", "play_task"]

FIGURES = ("revenue", "profit")
"""What a play yields, a year: revenue (bookings) and profit (gross profit before the reps'
pay, on lifetime value)."""

CHUNK = 32
"""Candidates per task."""

_STREAMS: OrderedDict[tuple[Any, ...], LeadStream] = OrderedDict()
_KEEP = 4


@dataclass(frozen=True)
class Context:
    """What every task shares: the scenario (its streams), root seed, horizon, engine and
    the stream widths the widest candidate needs."""

    scenario: Scenario
    seed: int
    horizon: float | None
    engine: str | None
    widths: tuple[int, int, int]
    tag: str = ""
    """The scenario's digest: tells apart the streams of scenarios that share a name."""

    @property
    def to_year(self) -> float:
        hours = self.scenario.horizon if self.horizon is None else self.horizon
        return HOURS_PER_YEAR / float(hours)


def _stream(context: Context, replication: int) -> LeadStream:
    key = (context.tag, context.seed, replication, context.horizon, context.widths)
    if key not in _STREAMS:
        _STREAMS[key] = sample(
            context.scenario,
            context.seed,
            replication,
            horizon=context.horizon,
            widths=context.widths,
        )
        while len(_STREAMS) > _KEEP:
            _STREAMS.popitem(last=False)
    _STREAMS.move_to_end(key)
    return _STREAMS[key]


def play_task(
    context: Context, replication: int, policies: Sequence[Policy]
) -> list[tuple[float, float]]:
    """Each policy's FIGURES a year (revenue, profit) on replication r's stream."""
    stream = _stream(context, replication)
    out = []
    for policy in policies:
        scenario = context.scenario.model_copy(update={"policies": {"candidate": policy}})
        book = play(scenario, "candidate", stream, engine=context.engine, cohort_only=True)
        money = economics.policy_money(scenario, "candidate", book, stream)
        before_reps = money.gross_profit + money.rep_cost
        out.append((metrics.revenue(book) * context.to_year, before_reps * context.to_year))
    return out


def _name(key: Hashable) -> Any:
    return list(key) if isinstance(key, tuple) else key


class Evaluator:
    """FIGURES a year of candidates (keys) on replications, played once each and stored.

    `policy_of(key)` gives a key's policy; keys are tuples (candidates) or strings ("from",
    "baseline").
    """

    def __init__(self, context: Context, policy_of: Any, executor: Executor, folder: Path | None):
        self.context = context
        self.policy_of = policy_of
        self.executor = executor
        self.folder = None if folder is None else Path(folder) / "evaluated"
        self.store: dict[tuple[Hashable, int], tuple[float, float]] = {}
        self.played = 0
        if self.folder is not None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise FolderError(f"cannot create {self.folder} ({error.strerror})") from None
            for path in sorted(self.folder.glob("*.json")):
                task = json.loads(path.read_text(encoding="utf-8"))
                pairs = zip(task["revenue"], task["profit"], strict=True)
                for key, value in zip(task["keys"], pairs, strict=True):
                    name = tuple(key) if isinstance(key, list) else key
                    self.store[(name, int(task["replication"]))] = (
                        float(value[0]),
                        float(value[1]),
                    )

    def figures(
        self, keys: Sequence[Hashable], replications: Sequence[int], figure: str
    ) -> np.ndarray:
        """One of FIGURES a year: one row per key, one column per replication."""
        column = FIGURES.index(figure)
        tasks = []
        for r in replications:
            missing = list(dict.fromkeys(k for k in keys if (k, r) not in self.store))
            tasks += [(r, missing[i : i + CHUNK]) for i in range(0, len(missing), CHUNK)]
        self._play(tasks)
        return np.array([[self.store[(k, r)][column] for r in replications] for k in keys])

    def revenues(self, keys: Sequence[Hashable], replications: Sequence[int]) -> np.ndarray:
        """Revenue a year: one row per key, one column per replication."""
        return self.figures(keys, replications, "revenue")

    def _play(self, tasks: list[tuple[int, list[Hashable]]]) -> None:
        window = in_flight(self.executor)
        pending: dict[Future[list[tuple[float, float]]], tuple[int, list[Hashable]]] = {}
        queue = iter(tasks)
        try:
            while True:
                while len(pending) < window:
                    task = next(queue, None)
                    if task is None:
                        break
                    policies = [self.policy_of(k) for k in task[1]]
                    future = self.executor.submit(play_task, self.context, task[0], policies)
                    pending[future] = task
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    self._keep(*pending.pop(future), future.result())
        finally:
            for future in pending:
                future.cancel()

    def _keep(
        self, replication: int, keys: list[Hashable], played: list[tuple[float, float]]
    ) -> None:
        for key, value in zip(keys, played, strict=True):
            self.store[(key, replication)] = value
        self.played += len(keys)
        if self.folder is not None:
            task = {
                "replication": replication,
                "keys": [_name(k) for k in keys],
                "revenue": [v[0] for v in played],
                "profit": [v[1] for v in played],
            }
            text = json.dumps(task)
            digest = hashlib.sha256(text.encode()).hexdigest()[:16]
            path = self.folder / f"r{replication:07d}-{digest}.json"
            atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
