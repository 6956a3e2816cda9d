"""The lead stream: every random number a run can need, drawn up front (MODEL.md section 2).

For a (scenario, seed, replication) the stream holds one row per lead created in the
horizon: who the buyer is (source, owner, fit, temperature, value), how long their windows
stay open, when they warm up, the chances to reach, qualify and win them at each
temperature, and the uniforms and normals that decide each attempt, review and call.
Engines are deterministic functions of (stream, team, policy).

How the draws are keyed, so that comparisons stay on common random numbers:
- each source draws from its own `SeedSequence(seed, spawn_key=(replication, source key,
  field))`, so changing one source's rate leaves every other source's leads unchanged;
- each field has its own sequence, so adding a field never shifts another;
- a block (one column per attempt, per routing, per touch) is drawn column by column, so a
  wider block (more attempts allowed) keeps the first columns identical.
Market draws never depend on a policy; a policy only transforms them.

The same seed gives the same bits on every x86-64 processor: numpy picks the loops of its
transcendental ufuncs (log, exp, log1p, power, ...) from the processor at run time (AVX-512
variants where it finds AVX-512, differing in the last bit), so no draw here or in a plan calls
them. Logarithms, exponentials and powers come from compiled loops over the C library's
functions (`alignsim.compiled.laws`), the normals from a compiled ziggurat
(`alignsim.compiled.ziggurat`), and numpy's bit generators and Poisson draws are C code that
calls the C library too. tests/test_golden.py pins the bits; tests/test_cpu_independence.py
refuses numpy's transcendental ufuncs while sampling.

Written by hand: `_seed_states` runs numpy's SeedSequence algorithm (fixed by numpy's
stream-compatibility policy) for every source and field at once, because building numpy's
own SeedSequence objects, about 15 microseconds each and 85 of them a stream, was a tenth of
drawing a year of leads. tests/test_stream.py holds it to numpy's SeedSequence.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.random.bit_generator import ISeedSequence

from alignsim.calendar import BusinessCalendar
from alignsim.scenario import MAX_HORIZON_WEEKS, OWNERS, TEMPERATURES, Policy, Scenario, Source
from alignsim.units import WEEK

# Field keys of the per-source seed sequences. Never renumber: that would change every stream.
_ARRIVALS, _THINNING, _FIT, _TEMPERATURE, _VALUE, _PATIENCE = 0, 1, 2, 3, 4, 5
_WARMING, _REPATIENCE, _CYCLE, _EPS_M, _EPS_S, _U_REACH = 6, 7, 8, 9, 10, 11
_U_ATTEMPT_TIME, _U_QUALIFY, _U_QUALIFY_TIME, _U_WIN = 12, 13, 14, 15
_U_ROUTING = 16
_U_RETENTION = 17


@dataclass(frozen=True, eq=False)
class LeadStream:
    """One row per lead, sorted by creation time (ties by source order); the row is the lead id.

    Times are hours from Monday 00:00 of week 1; durations are hours (inf: never);
    money is in the scenario's currency. Block fields have one column per attempt
    (`u_reach`, `u_attempt_time`, counted over the lead's whole life), per routing to sales
    (`eps_s`, `u_qualify`, `u_qualify_time`, `u_routing`: column 0 for the first routing,
    then one per recycle) or per marketing scoring (`eps_m`: column 0 at creation, then one
    per nurture touch). Every array is C-contiguous; the float ones are views of one buffer.
    """

    seed: int
    replication: int
    horizon: float
    """End of the run (h): warm-up, measurement window and settle time (MODEL.md 6.3)."""
    sources: tuple[str, ...]
    created: np.ndarray
    source: np.ndarray
    owner: np.ndarray
    fit: np.ndarray
    temperature: np.ndarray
    value: np.ndarray
    patience: np.ndarray
    warming: np.ndarray
    repatience: np.ndarray
    reach: np.ndarray
    qualify: np.ndarray
    win: np.ndarray
    cycle: np.ndarray
    eps_m: np.ndarray
    eps_s: np.ndarray
    u_reach: np.ndarray
    u_attempt_time: np.ndarray
    u_qualify: np.ndarray
    u_qualify_time: np.ndarray
    u_win: np.ndarray
    u_routing: np.ndarray
    window: tuple[float, float] = (0.0, math.inf)
    """The measurement window [start, end) in hours: its leads are the cohort."""
    first: int = 0
    """The row of the whole stream that this stream's row 0 is: nonzero for a window of a
    stream drawn in windows (`alignsim.stream_windows`)."""
    cache: dict = field(default_factory=dict, compare=False, repr=False)
    """What plans computed from these draws (durations by law), shared by the policies."""

    @property
    def cohort(self) -> np.ndarray:
        """Each lead's phase, int8: -1 created in the warm-up, 0 in the measurement window
        (the cohort every per-year figure counts), 1 in the settle time."""
        cached = self.cache.get("cohort")
        if cached is None:
            start, end = self.window
            cached = (self.created >= end).astype(np.int8) - (self.created < start)
            cached.flags.writeable = False
            self.cache["cohort"] = cached
        return cached

    @property
    def in_window(self) -> np.ndarray:
        """True for the cohort's leads (created in the measurement window)."""
        cached = self.cache.get("in_window")
        if cached is None:
            cached = self.cohort == 0
            cached.flags.writeable = False
            self.cache["in_window"] = cached
        return cached

    def __len__(self) -> int:
        return len(self.created)

    @property
    def max_attempts(self) -> int:
        """Attempts the stream has draws for over a lead's life."""
        return self.u_reach.shape[1]

    @property
    def max_routings(self) -> int:
        """Routings to sales the stream has draws for (1 + recycles)."""
        return self.eps_s.shape[1]

    @property
    def max_scorings(self) -> int:
        """Marketing scorings the stream has draws for (1 + nurture touches)."""
        return self.eps_m.shape[1]

    def to_frame(self) -> pd.DataFrame:
        """The stream as a table, blocks spread into numbered columns (`u_reach_0`, ...)."""
        columns: dict[str, np.ndarray | pd.Categorical] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, np.ndarray):
                continue
            if f.name == "source":
                columns["source"] = pd.Categorical.from_codes(value, categories=list(self.sources))
            elif f.name == "owner":
                columns["owner"] = pd.Categorical.from_codes(value, categories=list(OWNERS))
            elif f.name == "temperature":
                columns["temperature"] = pd.Categorical.from_codes(
                    value, categories=list(TEMPERATURES)
                )
            elif value.ndim == 2:
                names = (
                    TEMPERATURES if f.name in ("reach", "qualify", "win") else range(value.shape[1])
                )
                for k, name in enumerate(names):
                    columns[f"{f.name}_{name}"] = value[:, k]
            else:
                columns[f.name] = value
        frame = pd.DataFrame(columns)
        frame.index.name = "lead"
        return frame


def source_key(name: str) -> int:
    """A stable number for a source name, part of its seed sequence's key."""
    return zlib.crc32(name.encode("utf-8"))


_MASK32 = 0xFFFFFFFF
# The constants of numpy's SeedSequence (numpy/random/bit_generator.pyx).
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R, _XSHIFT = 0xCA01F9DD, 0x4973F715, 16
_POOL = 4
_FIELDS = _U_RETENTION + 1


def _words(x: int) -> list[int]:
    """A non-negative integer as 32-bit words, least significant first (as SeedSequence reads it)."""
    if x < 0:
        raise ValueError(f"seeds and replications must be non-negative integers (got {x})")
    words = [x & _MASK32]
    while x := x >> 32:
        words.append(x & _MASK32)
    return words


def _hash_constants(start: int, mult: int, count: int) -> list[int]:
    """The running constant of SeedSequence's hash: start, start * mult, ... (mod 2**32)."""
    out = [start]
    for _ in range(count):
        out.append(out[-1] * mult & _MASK32)
    return out


def _seed_states(seed: int, replication: int, keys: list[int]) -> np.ndarray:
    """`SeedSequence(seed, spawn_key=(replication, key, field)).generate_state(4, np.uint64)`
    for every key and field, shape (keys, fields, 4).

    numpy builds a SeedSequence in about 15 microseconds and a stream needs one per source
    and field (85 on default.toml), so this runs numpy's algorithm, which its
    stream-compatibility policy keeps fixed, once for all of them: the words every sequence
    shares (the seed, padded to the pool size, and the replication) are mixed as plain
    integers, then the source key and the field are mixed into all the pools at once.
    tests/test_stream.py checks the result against numpy's SeedSequence.
    """
    run = _words(int(seed))
    common = run + [0] * (_POOL - len(run)) + _words(int(replication))
    rows = np.array([[key, field] for key in keys for field in range(_FIELDS)], dtype=np.uint32)
    consts = _hash_constants(_INIT_A, _MULT_A, _POOL * (len(common) + rows.shape[1]))

    def hashmix(value: int, t: int) -> int:  # the t-th hash of mix_entropy
        value = (value ^ consts[t]) * consts[t + 1] & _MASK32
        return value ^ value >> _XSHIFT

    def mix(x: int, y: int) -> int:
        result = (_MIX_MULT_L * x - _MIX_MULT_R * y) & _MASK32
        return result ^ result >> _XSHIFT

    pool = [hashmix(common[i], i) for i in range(_POOL)]
    t = _POOL
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src], t))
                t += 1
    for word in common[_POOL:]:
        for dst in range(_POOL):
            pool[dst] = mix(pool[dst], hashmix(word, t))
            t += 1
    # The per-sequence words, each mixed into the four pool words at once: a (4, rows) array.
    vector = np.array(pool, dtype=np.uint32)[:, None]
    for word in rows.T:
        xor = np.array(consts[t : t + _POOL], dtype=np.uint32)[:, None]
        times = np.array(consts[t + 1 : t + _POOL + 1], dtype=np.uint32)[:, None]
        hashed = (word ^ xor) * times
        hashed ^= hashed >> _XSHIFT
        vector = np.uint32(_MIX_MULT_L) * vector - np.uint32(_MIX_MULT_R) * hashed
        vector ^= vector >> _XSHIFT
        t += _POOL
    # generate_state(4, np.uint64): eight 32-bit words cycling over the pool, paired low-high.
    consts = _hash_constants(_INIT_B, _MULT_B, 2 * _POOL)
    pool_cycle = np.concatenate([vector, vector])
    state = (pool_cycle ^ np.array(consts[:-1], dtype=np.uint32)[:, None]) * np.array(
        consts[1:], dtype=np.uint32
    )[:, None]
    state ^= state >> _XSHIFT
    pairs = state.T.astype(np.uint64)
    out = pairs[:, 0::2] | pairs[:, 1::2] << np.uint64(32)
    return np.ascontiguousarray(out).reshape(len(keys), _FIELDS, 4)


class _State(ISeedSequence):
    """A SeedSequence's generated state, handed to PCG64 in place of the sequence."""

    def __init__(self, state: np.ndarray) -> None:
        self.state = np.ascontiguousarray(state, dtype=np.uint64)  # PCG64 reads its buffer

    def generate_state(self, n_words: int, dtype: type = np.uint32) -> np.ndarray:
        if n_words != 4 or np.dtype(dtype) != np.uint64:
            raise ValueError("only PCG64's seeding (4 words of 64 bits) is stored")
        return self.state


class _Generators:
    """The generators of one (seed, replication): one per source and field, as keyed above."""

    def __init__(self, seed: int, replication: int, sources: list[str]) -> None:
        self._index = {name: i for i, name in enumerate(sources)}
        self._states = _seed_states(seed, replication, [source_key(name) for name in sources])

    def __call__(self, source: str, field: int) -> np.random.Generator:
        return np.random.Generator(self.bits(source, field))

    def bits(self, source: str, field: int) -> np.random.PCG64:
        """The bit generator under `self(source, field)`, for draws made from its raw words."""
        return np.random.PCG64(_State(self._states[self._index[source], field]))


def _intensity_factor(
    src: Source, calendar: BusinessCalendar, t: np.ndarray, offset: float = 0.0
) -> np.ndarray:
    """Relative arrival intensity at wall-clock times t >= 0 (weekly profile times campaigns,
    whose starts count from `offset`, the measurement window's start)."""
    factor = np.ones_like(t)
    if src.weekly_profile is not None:
        w = np.asarray(src.weekly_profile, dtype=float)
        days = np.arange(7) if src.arrivals == "always" else np.asarray(calendar.days)
        total = w[days].sum()
        if total > 0:
            norm = np.zeros(7)
            norm[days] = w[days] * len(days) / total
            factor = norm[(t / 24.0).astype(np.intp) % 7]  # t >= 0: truncating is flooring
    for c in src.campaigns:
        begin = offset + c.start
        active = (t >= begin) & (t < begin + c.duration)
        factor = np.where(active, factor * c.multiplier, factor)
    return factor


def _max_factor(src: Source, calendar: BusinessCalendar) -> float:
    bound = 1.0
    if src.weekly_profile is not None:
        w = np.asarray(src.weekly_profile, dtype=float)
        days = np.arange(7) if src.arrivals == "always" else np.asarray(calendar.days)
        total = w[days].sum()
        if total > 0:
            bound = float(w[days].max() * len(days) / total)
    for c in src.campaigns:
        bound *= max(1.0, c.multiplier)
    return bound


def _in_business_hours(calendar: BusinessCalendar, x: np.ndarray) -> np.ndarray:
    """`calendar.add_business_hours_array(0.0, x)`: offsets on the business-hours axis as
    wall-clock times, by the compiled calendar (the same values, tests/test_engine_equality.py;
    numpy's twenty passes cost a tenth of a millisecond for a thousand leads)."""
    from alignsim.compiled.calendar import add_business_hours_each, calendar_arrays

    cal = calendar_arrays(calendar)
    return add_business_hours_each(
        np.zeros(len(x)), x, cal.starts, cal.ends, cal.cum, cal.length, cal.per_week
    )


def _arrivals(
    src: Source,
    name: str,
    calendar: BusinessCalendar,
    horizon: float,
    rng: _Generators,
    offset: float = 0.0,
) -> np.ndarray:
    """Creation times of one source's leads over [0, horizon): a Poisson process, thinned by
    its shape (campaigns dated from `offset`)."""
    if src.arrivals == "always":
        length, rate = horizon, src.rate
    else:
        length = calendar.business_hours_between(0.0, horizon)
        rate = src.rate * WEEK / calendar.hours_per_week
    bound = _max_factor(src, calendar)
    arrivals = rng(name, _ARRIVALS)
    count = arrivals.poisson(rate * length * bound)
    x = np.sort(arrivals.random(count)) * length
    t = x if src.arrivals == "always" else _in_business_hours(calendar, x)
    t = t[t < horizon]
    if bound > 1.0 or src.weekly_profile is not None or src.campaigns:
        keep = rng(name, _THINNING).random(len(t)) * bound < _intensity_factor(
            src, calendar, t, offset
        )
        t = t[keep]
    return t


class _Law(Protocol):
    def from_uniform(self, u: np.ndarray) -> np.ndarray: ...


def _apply(law: _Law, targets: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
    """Write law(u[rows]) to out[rows] for each (out, rows, u), with one call of the law."""
    x = law.from_uniform(np.concatenate([u[rows] for _, rows, u in targets]))
    start = 0
    for out, rows, _ in targets:
        out[rows] = x[start : start + len(rows)]
        start += len(rows)


def block_widths(policy: Policy) -> tuple[int, int, int]:
    """Columns a policy needs: attempts over a life, routings (1 + recycles), scorings."""
    recycles = policy.nurture.max_recycles if policy.nurtures else 0  # type: ignore[union-attr]
    touches = policy.nurture.touches if policy.nurtures else 0  # type: ignore[union-attr]
    return policy.sla.max_attempts * (1 + recycles), 1 + recycles, 1 + touches


def sample(
    scenario: Scenario,
    seed: int | None = None,
    replication: int = 0,
    *,
    horizon: float | None = None,
    widths: tuple[int, int, int] = (0, 0, 0),
    warmup: float | None = None,
    settle: float | None = None,
) -> LeadStream:
    """Draw the lead stream of one replication of a scenario.

    The run is a warm-up, the measurement window and a settle time (docs/model.md): leads
    arrive over all three; the stream's `window` marks the cohort. horizon (hours) is the
    window's length, default the scenario's; warmup and settle (hours) default to the
    scenario's (`Scenario.warmup_hours`, `settle_hours`); the warm-up is rounded up to whole
    weeks so the window starts on a Monday. Dated campaigns start counting at the window's
    start. seed defaults to the scenario's. Replication r is the
    r-th child of the root seed: `SeedSequence(seed, spawn_key=(r, ...))`. widths: at least
    this many (attempts, routings, scorings) columns per lead, beyond what the scenario's
    policies need (`block_widths`), for policies played on the stream that are not in the
    scenario (the workshop's lever settings, the coalitions of a split by lever). The columns
    are drawn one by one, so a wider stream holds the same draws in its first columns.
    """
    run = _Run.of(scenario, seed, horizon, widths, warmup, settle)
    market = scenario.market
    sources = list(market.sources.items())
    rng = _Generators(run.seed, replication, list(market.sources))
    calendar = scenario.team.hours.calendar
    created = [_arrivals(src, name, calendar, run.horizon, rng, run.opens) for name, src in sources]
    draw = _Draw(rng, sources, created, *run.widths)
    return draw.stream(run, replication, market)


@dataclass(frozen=True)
class _Run:
    """What `sample`'s arguments make of a run: its seed, its phases (h) and block widths."""

    seed: int
    opens: float
    """End of the warm-up, start of the measurement window (h)."""
    length: float
    """The measurement window's length (h)."""
    horizon: float
    """End of the run: warm-up, window and settle time (h)."""
    widths: tuple[int, int, int]
    """Columns drawn per lead: attempts, routings, scorings."""

    @classmethod
    def of(
        cls,
        scenario: Scenario,
        seed: int | None,
        horizon: float | None,
        widths: tuple[int, int, int],
        warmup: float | None,
        settle: float | None,
    ) -> _Run:
        """`sample`'s arguments checked and resolved against the scenario's defaults."""
        seed = scenario.seed if seed is None else int(seed)
        length = scenario.horizon if horizon is None else float(horizon)
        if not 0 < length <= MAX_HORIZON_WEEKS * WEEK:
            raise ValueError(
                f"horizon must be positive and at most {MAX_HORIZON_WEEKS} weeks (got {length} h)"
            )
        opens = scenario.warmup_hours() if warmup is None else math.ceil(warmup / WEEK) * WEEK
        after = scenario.settle_hours() if settle is None else float(settle)
        if opens < 0 or after < 0:
            raise ValueError(f"warmup and settle must be at least 0 (got {opens} h and {after} h)")
        needs = [block_widths(p) for p in scenario.policies.values()] + [widths]
        attempts, routings, scorings = (max(w[i] for w in needs) for i in range(3))
        return cls(seed, opens, length, opens + length + after, (attempts, routings, scorings))

    @property
    def window(self) -> tuple[float, float]:
        """The measurement window [start, end) in hours."""
        return (float(self.opens), float(self.opens + self.length))


class _Draw:
    """The fields of one stream, drawn source by source and put in stream order.

    Every field is drawn source by source, each source's leads in one run ("source order"),
    then put in the stream's order (created, then source) once: a stable sort keeps equal
    times in source order. The float fields share one allocation (columns: 0 for a vector).
    The allocator keeps so large a block for the next stream rather than hand it back to the
    system and fault it in again page by page: about 1,000 page faults, 2.5 ms of a 52-week
    stream here.
    """

    def __init__(
        self,
        rng: _Generators,
        sources: list[tuple[str, Source]],
        created_by_source: list[np.ndarray],
        attempts: int,
        routings: int,
        scorings: int,
    ) -> None:
        self.rng, self.sources = rng, sources
        self.ends = np.cumsum([len(c) for c in created_by_source])
        self.spans = [
            (name, src, end - len(c), end)
            for (name, src), c, end in zip(sources, created_by_source, self.ends, strict=True)
        ]
        self.created = np.concatenate(created_by_source)
        self.order = np.argsort(self.created, kind="stable")
        self.rank = np.empty(len(self.order), dtype=np.int64)  # source order -> stream row
        self.rank[self.order] = np.arange(len(self.order))
        self.allocate(len(self.order), attempts, routings, scorings)

    def allocate(self, n: int, attempts: int, routings: int, scorings: int) -> None:
        """The fields' places for n leads: float fields in one buffer, columns as given."""
        self.n = n
        widths = {
            "created": 0, "fit": 0, "value": 0, "patience": 0, "warming": 2, "repatience": 2,
            "reach": 3, "qualify": 3, "win": 3, "cycle": 0, "eps_m": scorings, "eps_s": routings,
            "u_reach": attempts, "u_attempt_time": attempts, "u_qualify": routings,
            "u_qualify_time": routings, "u_win": 0, "u_routing": routings,
        }  # fmt: skip
        buffer = np.empty(n * sum(max(w, 1) for w in widths.values()))
        self.out: dict[str, np.ndarray] = {}
        offset = 0
        for key, width in widths.items():
            size = n * max(width, 1)
            self.out[key] = buffer[offset : offset + size].reshape((n, width) if width else n)
            offset += size

    def in_stream_order(self, drawn: np.ndarray, key: str) -> np.ndarray:
        """Rows of source order put in stream order, into the field's place in the buffer."""
        # The indices are all valid; under the default mode="raise" numpy would gather into
        # a temporary first and then copy it to `out`.
        return drawn.take(self.order, axis=0, out=self.out[key], mode="clip")

    def uniforms(self, field: int) -> np.ndarray:
        """The field's uniforms, one per lead, in source order."""
        drawn = np.empty(self.n)
        for name, _, start, end in self.spans:
            self.rng(name, field).random(out=drawn[start:end])
        return drawn

    def block(self, key: str, field: int, normal: bool = False) -> np.ndarray:
        """The field's block in stream order, drawn column by column: each source's
        `random((width, m))` or `standard_normal((width, m))` made from its generator's words
        and written to its leads' rows in one compiled pass."""
        from alignsim.compiled import normal_rows, uniform_rows

        out = self.out[key]
        width = out.shape[1]
        for name, _, start, end in self.spans:
            bits = self.rng.bits(name, field)
            count = width * (end - start)
            rows = self.rank[start:end]
            if not normal:  # one word a uniform
                uniform_rows(bits.random_raw(count), rows, out)
                continue
            raw = bits.random_raw(count + count // 16 + 64)  # about 1.022 words a normal
            while normal_rows(raw, rows, out) < 0:
                raw = np.concatenate([raw, bits.random_raw(count // 16 + 64)])
        return out

    def columns(self, field: int, width: int) -> np.ndarray:
        """The field's uniforms as (width, n) columns in stream order, drawn column by column."""
        drawn = np.empty((width, self.n))
        for name, _, start, end in self.spans:
            drawn[:, start:end] = self.rng(name, field).random((width, end - start))
        return drawn.take(self.order, axis=1)

    def per_source(self, key: str, field: int, law: Callable[[Source], _Law]) -> np.ndarray:
        """The field in stream order, each source mapping its uniforms with its own law."""
        drawn = self.uniforms(field)
        for _, src, start, end in self.spans:
            drawn[start:end] = law(src).from_uniform(drawn[start:end])
        return self.in_stream_order(drawn, key)

    def buyers(self) -> tuple[np.ndarray, np.ndarray]:
        """Each lead's temperature (cold, warm, hot: the shares' edges passed) and source, in
        stream order; also puts the creation times in place."""
        temperature = np.zeros(self.n, dtype=np.int8)
        u = self.uniforms(_TEMPERATURE)
        for _, src, start, end in self.spans:
            for edge in np.cumsum(src.temperature.shares)[:-1]:
                temperature[start:end] += u[start:end] >= edge
        counts = np.diff(self.ends, prepend=0)
        source = np.repeat(np.arange(len(self.sources), dtype=np.int16), counts)
        self.in_stream_order(self.created, "created")
        return temperature[self.order], source[self.order]

    def market_fields(self, market: Any, temperature: np.ndarray) -> np.ndarray:
        """Fit, value, patience, warming and repatience, the cycle and the win uniform, in
        stream order; returns the fit.

        The market's laws map each uniform on its own, so each law is applied once, to every
        uniform it takes: a buyer's patience at arrival and the fresh patience (repatience) of
        each warming step, and the warming times. A field a buyer never needs stays inf."""
        out = self.out
        fit = np.clip(self.per_source("fit", _FIT, lambda src: src.fit), 0.0, 1.0, out=out["fit"])
        self.per_source("value", _VALUE, lambda src: src.value)
        u_patience = self.uniforms(_PATIENCE)[self.order]
        u_warming, u_repatience = self.columns(_WARMING, 2), self.columns(_REPATIENCE, 2)
        cold, warm, hot = (np.flatnonzero(temperature == k) for k in range(len(TEMPERATURES)))
        patience, warming, repatience = out["patience"], out["warming"], out["repatience"]
        warming.fill(np.inf)
        repatience.fill(np.inf)
        _apply(market.patience.cold, [(patience, cold, u_patience)])
        _apply(
            market.patience.warm,
            [(patience, warm, u_patience), (repatience[:, 0], cold, u_repatience[0])],
        )
        _apply(
            market.patience.hot,
            [
                (patience, hot, u_patience),
                (repatience[:, 0], warm, u_repatience[0]),
                (repatience[:, 1], cold, u_repatience[1]),
            ],
        )
        _apply(market.warming.cold_to_warm, [(warming[:, 0], cold, u_warming[0])])
        _apply(
            market.warming.warm_to_hot,
            [(warming[:, 0], warm, u_warming[0]), (warming[:, 1], cold, u_warming[1])],
        )
        return fit

    def stream(self, run: _Run, replication: int, market: Any, first: int = 0) -> LeadStream:
        """Every field drawn and put in stream order: the stream, its row 0 being row `first`
        of the whole stream."""
        temperature, source = self.buyers()
        fit = self.market_fields(market, temperature)
        for key in ("reach", "qualify", "win"):
            np.clip(getattr(market, key).by_temperature(fit), 0.0, 1.0, out=self.out[key])
        self.blocks(market)
        owners = np.array([OWNERS.index(src.owner) for _, src in self.sources], dtype=np.int8)
        return LeadStream(
            seed=run.seed,
            replication=replication,
            horizon=run.horizon,
            window=run.window,
            first=first,
            sources=tuple(name for name, _ in self.sources),
            source=source,
            owner=owners[source],
            temperature=temperature,
            **self.out,
        )

    def blocks(self, market: Any) -> None:
        """The cycle, the win uniform and the per-scoring, per-routing, per-attempt blocks."""
        self.out["cycle"][:] = market.cycle.from_uniform(self.uniforms(_CYCLE)[self.order])
        self.in_stream_order(self.uniforms(_U_WIN), "u_win")
        self.block("eps_m", _EPS_M, normal=True)
        self.block("eps_s", _EPS_S, normal=True)
        self.block("u_reach", _U_REACH)
        self.block("u_attempt_time", _U_ATTEMPT_TIME)
        self.block("u_qualify", _U_QUALIFY)
        self.block("u_qualify_time", _U_QUALIFY_TIME)
        self.block("u_routing", _U_ROUTING)


def retention_draws(stream: LeadStream, years: int) -> np.ndarray:
    """The renewal uniforms of a stream's leads: shape (leads, years), column k deciding
    whether a customer won from the lead renews into contract year k + 1 (column 0 is the
    renewal after the first year; a policy's retention chance r renews when u < r).

    Drawn on demand from the stream's seed, replication and sources, with the field key
    `_U_RETENTION`, so every other field keeps its bits (tests/test_golden.py): each source's
    leads in creation order take its `random((years, m))`, drawn column by column, so more
    years keep the first columns. A source's rows of the stream are its leads in creation
    order (the stream is a stable sort of the sources' creation times). Kept in the stream's
    cache. For a window of a stream drawn in windows, `StreamWindows.retention_draws`.
    """
    key = ("retention", years)
    if key not in stream.cache:
        rng = _Generators(stream.seed, stream.replication, list(stream.sources))
        out = np.empty((len(stream), years))
        for code, name in enumerate(stream.sources):
            rows = np.flatnonzero(stream.source == code)
            out[rows] = rng(name, _U_RETENTION).random((years, len(rows))).T
        stream.cache[key] = out
    return stream.cache[key]
