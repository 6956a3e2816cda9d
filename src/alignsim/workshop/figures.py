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

import dataclasses
import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from alignsim import economics
from alignsim.comparison import Comparison, collect
from alignsim.overrides import apply_overrides
from alignsim.paired import Pairing, Side, play_pair, play_side
from alignsim.scenario import MAX_ATTEMPTS, Nurture, Scenario, validate
from alignsim.stream import LeadStream, block_widths

__all__ = [
    "HOURS_PER_YEAR",
    "Bench",
    "biggest_cause",
    "digest",
    "evaluate",
    "headline",
    "interval_per_year",
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
    """Lead streams and baseline runs of one scenario, seed, horizon and engine, drawn once and
    shared by every lever setting (thread-safe: the page serves several visitors)."""

    def __init__(self, scenario: Scenario, seed: int, horizon: float, engine: str | None) -> None:
        self.scenario = scenario
        self.seed = seed
        self.horizon = horizon
        self.engine = engine
        self.widest = _widest(scenario)
        base = scenario.baseline_policy
        self._pairing = Pairing(scenario, base, base, 1, seed, horizon, engine)
        self._streams: dict[int, LeadStream] = {}
        self._baselines: dict[int, Side] = {}
        self._lock = threading.Lock()

    def stream(self, r: int) -> LeadStream:
        """Replication r's stream."""
        with self._lock:
            if r not in self._streams:
                self._streams[r] = self._pairing.stream(r, self.widest)
            return self._streams[r]

    def baseline(self, r: int) -> Side:
        """The baseline's run on replication r's stream."""
        stream = self.stream(r)
        with self._lock:
            if r not in self._baselines:
                self._baselines[r] = play_side(self._pairing, self.scenario.baseline_policy, stream)
            return self._baselines[r]

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


_BENCHES: OrderedDict[tuple[Any, ...], Bench] = OrderedDict()
_BENCHES_LOCK = threading.Lock()
MAX_LEADS_PER_ANSWER = 1_000_000
"""Most leads (all replications together) the page plays for one answer: 30 replications
of a 13-week window of the default scenario, with its 42-week warm-up and 44-week settle
time, are about 640,000."""

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
) -> Comparison:
    """Revenue lost by `policy` of the document with `sets` applied, against the baseline.

    The same result as `alignsim.compare(validate(apply_overrides(doc, sets)), policy=policy,
    ...)`; horizon in hours (default: the scenario's). Bad overrides raise ScenarioError.
    """
    if replications < 1:
        raise ValueError(f"replications must be at least 1 (got {replications})")
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
    runs = (
        play_pair(pairing, r, stream=bench.stream(r), baseline=bench.baseline(r))
        for r in range(replications)
    )
    return collect(pairing, runs)


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


def _unit(amount: float) -> tuple[float, str, int]:
    size = abs(amount)
    if size >= 1e9:
        return 1e9, " bn", 2
    if size >= 1e6:
        return 1e6, " M", 2
    if size >= 1e3:
        return 1e3, " k", 0
    return 1.0, "", 0


def money(amount: float, currency: str) -> str:
    """'EUR 2.95 M', 'EUR 840 k', 'EUR 950', '-EUR 1.20 M'."""
    size, unit, digits = _unit(amount)
    sign = "-" if amount < 0 and round(abs(amount) / size, digits) != 0 else ""
    return f"{sign}{currency} {abs(amount) / size:,.{digits}f}{unit}"


def headline(result: Comparison) -> str:
    """The page's headline: "Revenue lost per year against the aligned policy: EUR 2.95 M
    (95% interval 2.20 to 3.70 M)"."""
    mean, low, high = interval_per_year(result)
    cur = result.currency
    text = f"Revenue lost per year against the {result.baseline} policy: {money(mean, cur)}"
    if low is None or high is None:
        return f"{text} (one replication: no interval)"
    size, unit, digits = _unit(max(abs(low), abs(high), abs(mean)))
    return f"{text} (95% interval {low / size:,.{digits}f} to {high / size:,.{digits}f}{unit})"


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
class Answer:
    """Everything the page shows for one setting of the levers."""

    result: Comparison
    headline: str
    sentence: str
    interval: tuple[float, float | None, float | None]
    """Revenue lost a year: mean, 95% interval low and high."""


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
) -> Answer:
    """The page's answer to one setting of the levers (`evaluate`, then its sentences)."""
    result = evaluate(
        doc,
        label,
        policy,
        sets,
        replications=replications,
        horizon=horizon,
        seed=seed,
        engine=engine,
    )
    return Answer(result, headline(result), biggest_cause(result), interval_per_year(result))
