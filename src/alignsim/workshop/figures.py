"""What the workshop page shows for one setting of the levers: the revenue lost a year against
the baseline with its 95% interval, the two funnels, and the causes.

The comparison is `alignsim.compare`'s, a loop over `alignsim.paired.play_pair`: replication r
plays the baseline and the policy on the r-th lead stream (common random numbers), the revenue
lost is the paired mean with a t interval, the attribution is alignsim.leaks's. The result is a
`Comparison`, so its summary, attribution and `alignsim.plots` read as usual.

Why not call `compare` itself: it draws every stream and replays the baseline on each call,
while a lever only ever changes the played policy. A `Bench` keeps, per scenario document,
seed, horizon and engine, the streams and the baseline's runs. A stream is drawn once, with
as many per-attempt, per-routing and per-touch columns as any lever setting can need
(`sample(..., widths=...)`); the
stream draws those columns one by one, so a policy reads exactly the draws `sample` would
have given it, and the plans it shares on the stream (durations by law) serve every setting.
A lever change then costs one policy run per replication. tests/test_workshop.py holds the
result equal to `compare`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import threading
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from alignsim import economics, metrics
from alignsim.comparison import Comparison, collect
from alignsim.levers import GROUPS, MONEY_ONLY, LeverSplit, shapley
from alignsim.overrides import apply_overrides
from alignsim.paired import PairedRun, Pairing, Side, play_pair, play_side
from alignsim.plots import style
from alignsim.scenario import MAX_ATTEMPTS, Nurture, Scenario, validate
from alignsim.simulation import play
from alignsim.stream import LeadStream, block_widths

__all__ = [
    "HOURS_PER_YEAR",
    "Bench",
    "biggest_cause",
    "digest",
    "evaluate",
    "headline",
    "interval_per_year",
    "money",
    "money_line",
]

HOURS_PER_YEAR = 52 * 168.0
"""What "per year" scales a horizon's figures to (as `alignsim compare` does)."""

CAUSE_MEANING = {
    "response delay": "buyers bought elsewhere before a rep called them",
    "too few contact attempts": "reps stopped calling before they reached the buyer",
    "definition mismatch": "leads never counted as MQLs or sales rejected them, because "
    "the two teams judge leads differently",
    "no nurture": "leads that were not ready yet were dropped instead of nurtured until they were",
    "capacity / goal conflict": "leads were still waiting for a rep, who was busy with other work",
    "deal luck and timing": "the deals were lost or had not closed yet",
}
"""What each cause of revenue lost means, in the words of the room."""


def digest(doc: Mapping[str, Any]) -> str:
    """A short hash of a raw scenario document (its cache key)."""
    text = json.dumps(doc, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _widest(scenario: Scenario) -> tuple[int, int, int]:
    """Block widths (attempts, routings, scorings) no lever setting can exceed: any attempts
    up to the cap, with the nurture table of any policy or the schema's default one."""
    tables = [p.nurture for p in scenario.policies.values() if p.nurture is not None]
    tables.append(Nurture())
    recycles = max(t.max_recycles for t in tables)
    touches = max(t.touches for t in tables)
    widths = [block_widths(p) for p in scenario.policies.values()]
    return (
        max(MAX_ATTEMPTS * (1 + recycles), *(w[0] for w in widths)),
        max(1 + recycles, *(w[1] for w in widths)),
        max(1 + touches, *(w[2] for w in widths)),
    )


class Bench:
    """Lead streams, baseline runs and the coalitions' revenue of one scenario, seed, horizon
    and engine, computed once and shared by every lever setting and every session of the page
    (the sessions of a Streamlit server are threads of one process).

    Each value has its own lock: sessions asking for the same stream wait for the one that draws
    it, while other streams and runs are computed meanwhile on the other cores (the compiled
    engine releases the GIL)."""

    def __init__(self, scenario: Scenario, seed: int, horizon: float, engine: str | None) -> None:
        self.scenario = scenario
        self.seed = seed
        self.horizon = horizon
        self.engine = engine
        self.widest = _widest(scenario)
        base = scenario.baseline_policy
        self._pairing = Pairing(scenario, base, base, 1, seed, horizon, engine)
        self._values: dict[tuple[Any, ...], Any] = {}
        self._revenues: deque[tuple[Any, ...]] = deque()  # coalition keys, oldest first
        self._computing: dict[tuple[Any, ...], threading.Lock] = {}
        self._lock = threading.Lock()
        self.computed: Counter[str] = Counter()
        """How many values of each kind ("stream", "baseline", "coalition") were computed:
        what the sessions did not share."""

    def _once(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """The value under `key`, computed by the first session that asks for it."""
        with self._lock:
            if key in self._values:
                return self._values[key]
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = make()
            with self._lock:
                self._values[key] = value
                self._computing.pop(key, None)
                self.computed[key[0]] += 1
                if key[0] == "coalition":
                    self._revenues.append(key)
                    if len(self._revenues) > MAX_COALITION_REVENUES:
                        del self._values[self._revenues.popleft()]
            return value

    def stream(self, r: int) -> LeadStream:
        """Replication r's stream."""
        return self._once(("stream", r), lambda: self._pairing.stream(r, self.widest))

    def baseline(self, r: int) -> Side:
        """The baseline's run on replication r's stream."""
        policy = self.scenario.baseline_policy
        return self._once(("baseline", r), lambda: play_side(self._pairing, policy, self.stream(r)))

    def revenue(self, r: int, coalition: Scenario, digest: bytes | None = None) -> float:
        """Revenue (currency, the window's cohort) of a coalition's one policy "coalition" on
        replication r's stream; the same coalition in another setting or session is played
        once. digest: `coalition_digest(coalition)`, when known."""
        digest = coalition_digest(coalition) if digest is None else digest

        def make() -> float:
            stream = self.stream(r)
            played = _SPLIT_POOL.submit(play, coalition, "coalition", stream, engine=self.engine)
            book = played.result()
            return float(metrics.revenue(book))

        return self._once(("coalition", r, digest), make)

    def fits(self, scenario: Scenario) -> bool:
        """Whether a changed scenario can reuse these streams and baseline runs: the same
        market, team and baseline policy, and no wider blocks."""
        base = self.scenario.baseline_policy
        return (
            scenario.market == self.scenario.market
            and scenario.team == self.scenario.team
            and scenario.baseline_policy == base
            and scenario.policies[base] == self.scenario.policies[base]
            and all(n <= w for n, w in zip(_needs(scenario), self.widest, strict=True))
        )


def _needs(scenario: Scenario) -> tuple[int, int, int]:
    widths = [block_widths(p) for p in scenario.policies.values()]
    return (max(w[0] for w in widths), max(w[1] for w in widths), max(w[2] for w in widths))


SPLIT_NICE = 10
"""How much lower than the sessions' threads the coalitions of the splits by lever are
scheduled (Linux nice levels): a room's headline is computed first, other rooms' splits after."""


def lower_priority() -> None:
    """Run this thread at SPLIT_NICE (on Linux a thread has its own nice level; elsewhere the
    split shares the priority of the sessions)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), SPLIT_NICE)


_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
_SPLIT_POOL = ThreadPoolExecutor(_CORES or 1, "alignsim-split", initializer=lower_priority)
"""Where every session's coalitions are played: a thread per core, at a lower priority, so
that a headline never waits behind the splits by lever of other rooms (the split shows after
the headline; the page's answer is the headline). On Linux a nice-10 thread gets about a tenth
of a core that a session's thread also wants, and all of a core nobody else wants."""

_FAN_OUT = ThreadPoolExecutor(4 * (_CORES or 1), "alignsim-split-fan")
"""Where a replication's coalitions are asked for at once (each waits for its play on
`_SPLIT_POOL`), so that one room's split keeps every core busy instead of one."""

MAX_COALITION_REVENUES = 200_000
"""Coalition revenues a bench keeps (a number and a 16-byte key each, about 20 MB)."""

_BENCHES: OrderedDict[tuple[Any, ...], Bench] = OrderedDict()
_BENCHES_LOCK = threading.Lock()
MAX_LEADS_PER_ANSWER = 1_000_000
"""Most leads (all replications together) the page plays for one answer: 30 replications
of a 13-week window of the default scenario, with its 42-week warm-up and 44-week settle
time, are about 640,000."""

LEVER_REPLICATIONS = 10
"""Replications the page splits the loss by lever on (the first ones): each plays 2^g - 2
policies more for the g lever groups that differ; 10 of 13 weeks of the default scenario take
about 0.6 s on the fast engine."""

MAX_BENCHES = 2
"""Benches kept: each holds its streams and baseline runs in memory (about 3 MB per
replication of 13 weeks of the default scenario)."""


def bench_for(key: str, scenario: Scenario, seed: int, horizon: float, engine: str | None) -> Bench:
    """The bench of a scenario document (by its digest `key`), made on first use."""
    ident = (key, seed, horizon, engine)
    with _BENCHES_LOCK:
        if ident in _BENCHES:
            _BENCHES.move_to_end(ident)
            return _BENCHES[ident]
        bench = _BENCHES[ident] = Bench(scenario, seed, horizon, engine)
        while len(_BENCHES) > MAX_BENCHES:
            _BENCHES.popitem(last=False)
        return bench


def evaluate(
    doc: Mapping[str, Any],
    label: str,
    policy: str,
    sets: tuple[str, ...] = (),
    *,
    replications: int = 30,
    horizon: float | None = None,
    seed: int | None = None,
    engine: str | None = None,
    lever_replications: int = 0,
    ledgers: bool = True,
) -> Comparison:
    """Revenue lost by `policy` of the document with `sets` applied, against the baseline.

    The same result as `alignsim.compare(validate(apply_overrides(doc, sets)), policy=policy,
    lever_replications=...)`; horizon in hours (default: the scenario's); the first
    replication's ledgers are kept unless `ledgers` is False. Bad overrides raise
    ScenarioError.
    """
    if replications < 1:
        raise ValueError(f"replications must be at least 1 (got {replications})")
    lever_replications = min(max(0, lever_replications), replications)
    original = validate(doc, label)
    scenario = validate(apply_overrides(dict(doc), list(sets)), label) if sets else original
    if policy not in scenario.policies:
        raise KeyError(f"no policy {policy!r} in {label}")
    root = scenario.seed if seed is None else int(seed)
    hours = float(scenario.horizon if horizon is None else horizon)
    bench = bench_for(digest(doc), original, root, hours, engine)
    if not bench.fits(scenario):
        raise ValueError("these overrides change more than the played policy")
    pairing = Pairing(scenario, scenario.baseline_policy, policy, replications, root, hours, engine)
    split = LeverSplit.of(pairing) if lever_replications else None
    if split is not None and any(n > w for n, w in zip(split.widths, bench.widest, strict=True)):
        split = None  # cannot happen for the levers' settings: the bench is drawn widest

    digests = [coalition_digest(c) for c in split.coalitions] if split is not None else []

    def one(r: int) -> PairedRun:
        paired = play_pair(
            pairing,
            r,
            stream=bench.stream(r),
            baseline=bench.baseline(r),
            ledgers=ledgers and r == 0,
        )
        if split is None or r >= lever_replications:
            return paired
        amounts = dict(zip(split.players, _shapley(bench, split, paired, digests), strict=True))
        by_lever = np.array([amounts.get(g, 0.0) for g in GROUPS])
        return dataclasses.replace(paired, by_lever=by_lever)

    return collect(pairing, (one(r) for r in range(replications)))


def coalition_digest(coalition: Scenario) -> bytes:
    """What identifies a coalition's play on a bench: its one policy (the bench fixes the rest)."""
    text = coalition.policies["coalition"].model_dump_json()
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _shapley(
    bench: Bench, split: LeverSplit, paired: PairedRun, digests: list[bytes]
) -> np.ndarray:
    """The players' Shapley values of revenue lost on one replication, as
    `LeverSplit.values`, with each coalition's revenue from the bench (played once for every
    setting and session that shares it). Coalitions that differ only in a MONEY_ONLY group
    play alike."""
    top = len(split.coalitions) - 1
    drop = sum(1 << i for i, p in enumerate(split.players) if p in MONEY_ONLY)
    known = {0: paired.baseline.revenue, top & ~drop: paired.policy.revenue}
    r = paired.replication
    asked = {
        m: _FAN_OUT.submit(bench.revenue, r, split.coalitions[m], digests[m])
        for m in sorted({m & ~drop for m in range(top + 1)} - known.keys())
    }
    known |= {m: future.result() for m, future in asked.items()}
    return shapley(np.array([known[m & ~drop] for m in range(top + 1)]))


def interval_per_year(result: Comparison) -> tuple[float, float | None, float | None]:
    """Revenue lost a year: mean and 95% interval (None with one replication)."""
    lost = result.summary(unit="per_run")["revenue_lost"]
    scale = HOURS_PER_YEAR / result.horizon_h
    low, high = lost["ci_low"], lost["ci_high"]
    return (
        lost["mean"] * scale,
        None if low is None else low * scale,
        None if high is None else high * scale,
    )


def money(amount: float, currency: str) -> str:
    """Money as a room reads it: 3 significant figures ('EUR 2.95 M', 'EUR 840 k', 'EUR 9,510');
    an amount that rounds to nothing reads 'EUR 0', never '-EUR 0'."""
    if math.isfinite(amount) and abs(amount) < 0.5:
        return f"{currency} 0"
    return style.money(amount, currency)


@dataclasses.dataclass(frozen=True)
class Headline:
    """The page's headline in three lines: what the number is, the number, its interval."""

    label: str
    """"Revenue current loses a year against aligned" (or "earns more" when negative)."""
    number: str
    """"EUR 2.95 M a year", always a positive amount: the label carries the direction."""
    interval: str
    """"95% interval: EUR 2.20 M to EUR 3.70 M", in the label's direction."""

    @property
    def text(self) -> str:
        """The three lines as one sentence (the page's alt text and its tests)."""
        return f"{self.label}: {self.number} ({self.interval})"


def headline(result: Comparison) -> Headline:
    """The headline of a comparison: revenue lost a year, with its 95% interval. A negative
    loss is said the other way round ("current earns more than aligned by EUR 48 k a year")."""
    mean, low, high = interval_per_year(result)
    cur, policy, base = result.currency, result.policy, result.baseline
    gains = mean < 0 and money(mean, cur) != money(0.0, cur)
    if gains:
        label = f"{policy} earns more than {base} by"
        mean, low, high = -mean, None if high is None else -high, None if low is None else -low
    else:
        label = f"Revenue {policy} loses a year against {base}"
    number = f"{money(mean, cur)} a year"
    if low is None or high is None:
        return Headline(label, number, "one replication: no interval")
    return Headline(label, number, f"95% interval: {money(low, cur)} to {money(high, cur)}")


def biggest_cause(result: Comparison) -> str:
    """One plain sentence naming the biggest cause of the revenue lost (or gained)."""
    scale = HOURS_PER_YEAR / result.horizon_h
    causes = result.by_leak()
    mean, low, high = interval_per_year(result)
    cur = result.currency
    amounts = causes.set_index("cause")["amount"] * scale
    if not amounts.abs().any():
        return f"{result.policy} wins exactly the deals {result.baseline} wins: nothing is lost."
    if mean >= 0:
        cause = str(amounts.idxmax())
        share = float(amounts[cause] / mean) if mean > 0 else math.nan
        part = f", {share:.0%} of the loss" if math.isfinite(share) and 0 < share <= 5 else ""
        sentence = (
            f"The biggest cause is {cause}: {money(float(amounts[cause]), cur)} a year{part}; "
            f"{CAUSE_MEANING[cause]}."
        )
    else:
        cause = str(amounts.idxmin())
        sentence = (
            f"These settings earn more than {result.baseline}; the biggest gain is on "
            f"{cause}: {money(-float(amounts[cause]), cur)} a year."
        )
    if low is not None and high is not None and low <= 0 <= high:
        sentence += " The interval includes zero: more replications would tell."
    return sentence


def money_line(result: Comparison) -> str:
    """The line a CFO reads (alignsim.economics.cfo_sentence): what moving to the baseline
    returns a year in gross profit, what the programme costs and when it pays back."""
    frame = result.money()
    return economics.cfo_sentence(
        result.summary()["money"],
        result.currency,
        result.economics_years,
        result.baseline,
        frame.attrs["not_paid_back"],
    )


@dataclasses.dataclass(frozen=True)
class Activity:
    """What the played policy's reps did on the first replication: the figures the page quotes
    when a control changes nothing."""

    response_h: float | None
    """Median time from MQL to a rep's first call on accepted leads (business hours)."""
    within_sla: float | None
    """Share of accepted leads called within their response target (None: no target due)."""
    busy: float
    """Share of the reps' on-duty hours spent on leads."""


def activity(result: Comparison) -> Activity | None:
    """The played policy's activity, from the first replication's ledger (None: not kept)."""
    book = result.ledgers.get(result.policy)
    if book is None:
        return None
    speed = metrics.speed_to_lead(book)
    return Activity(speed["median_business_h"], speed["within_sla"], metrics.utilisation(book))


def split(
    doc: Mapping[str, Any],
    label: str,
    policy: str,
    sets: tuple[str, ...] = (),
    *,
    replications: int = LEVER_REPLICATIONS,
    horizon: float | None = None,
    seed: int | None = None,
    engine: str | None = None,
) -> Comparison:
    """The loss split by lever on the first `replications` replications: a comparison over
    those alone, each split (`Comparison.by_lever`); the same streams as the headline's. It
    keeps no ledgers (the chart by lever reads only the split)."""
    return evaluate(
        doc,
        label,
        policy,
        sets,
        replications=replications,
        horizon=horizon,
        seed=seed,
        engine=engine,
        lever_replications=replications,
        ledgers=False,
    )


@dataclasses.dataclass(frozen=True)
class Answer:
    """Everything the page shows for one setting of the levers."""

    result: Comparison
    headline: Headline
    sentence: str
    interval: tuple[float, float | None, float | None]
    """Revenue lost a year: mean, 95% interval low and high."""
    activity: Activity | None
    """What the played policy's reps did (first replication)."""


def answer(
    doc: Mapping[str, Any],
    label: str,
    policy: str,
    sets: tuple[str, ...] = (),
    *,
    replications: int = 30,
    horizon: float | None = None,
    seed: int | None = None,
    engine: str | None = None,
    lever_replications: int = 0,
) -> Answer:
    """The page's answer to one setting of the levers (`evaluate`, with the split by lever on
    the first `lever_replications` if asked, then its sentences). The page asks for the split
    apart (`split`), so the headline shows before the split is played."""
    result = evaluate(
        doc,
        label,
        policy,
        sets,
        replications=replications,
        horizon=horizon,
        seed=seed,
        engine=engine,
        lever_replications=lever_replications,
    )
    return Answer(
        result,
        headline(result),
        biggest_cause(result),
        interval_per_year(result),
        activity(result),
    )
