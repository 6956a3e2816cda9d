"""The lead stream drawn in windows of rows, bit for bit the stream `sample` draws at once.

`sample` holds every random number of a run at once, about 450 bytes a lead: ten million
leads would not fit in 4 GB. `sample_windows` draws the creation times and sources of the
whole run (10 bytes a lead, needed once anyway to put the leads in order), then hands out the
other fields a window of rows at a time (`StreamWindows.draw`), each window equal to the same
rows of `sample`'s stream, so an engine playing the windows one after another plays the same
run.

Why the bits line up. Every field of a source comes from its own PCG64 (`alignsim.stream`'s
keys); a uniform is one 64-bit word, so a source's k-th lead (in its creation order) takes
word k of a one-column field and word c * m + k of column c of a block (m: the source's leads
over the whole run; a block is drawn column after column). The stream is a stable sort of the
sources' creation times, so a window of rows holds, for each source, a run of consecutive
leads of its creation order: counting each source's leads in the rows drawn so far says
where its run starts. Each (source, field, column) keeps a bit generator positioned at its
next lead's word, and a window draws its run's words from it. Standard normals (the scoring
and routing noise) take one word or more each (numpy's ziggurat), so column c of a block of
normals starts where column c - 1's m normals ended: one compiled pass over the words finds
each column's start without keeping the normals (`alignsim.compiled.skip_normals`). The laws
map each uniform on its own, so they are applied window by window.

Hand-written because no library draws a bit generator's normals from a given word on, nor
cuts a stream keyed per source and field into windows of rows.
"""

from __future__ import annotations

import operator

import numpy as np

from alignsim.compiled.rows import DOUBLE
from alignsim.scenario import OWNERS, Scenario, Source
from alignsim.stream import (
    _CYCLE,
    _EPS_M,
    _EPS_S,
    _FIT,
    _PATIENCE,
    _REPATIENCE,
    _TEMPERATURE,
    _U_ATTEMPT_TIME,
    _U_QUALIFY,
    _U_QUALIFY_TIME,
    _U_REACH,
    _U_RETENTION,
    _U_ROUTING,
    _U_WIN,
    _VALUE,
    _WARMING,
    LeadStream,
    _arrivals,
    _Draw,
    _Generators,
    _Run,
)

_BACK = 2**128
"""PCG64's period: advancing by _BACK - k steps back k words."""

_CHUNK = 1 << 16
"""Words drawn at a time while skipping normals (half a megabyte: it stays in the cache)."""


def _skip_normals(bits: np.random.PCG64, n: int) -> int:
    """Move bits past the words its next n standard normals would use; return their count."""
    from alignsim.compiled import skip_normals

    skipped = 0
    while n:
        size = min(_CHUNK, n + n // 16 + 64)
        done = 0
        while not done:  # raw too short for one normal (a long run in the tail): more words
            raw = bits.random_raw(size)
            done, used = skip_normals(raw, n)
            bits.advance((used - size) % _BACK)
            size *= 2
        n -= done
        skipped += used
    return skipped


_NORMALS = (_EPS_M, _EPS_S)


class _Cursors:
    """One bit generator per (source, field, column), each at the word its next lead takes.

    A column of uniforms starts at word c * m of its field (m: the source's leads over the
    run); a column of normals where the previous column's m normals end, found by skipping
    them once."""

    def __init__(
        self, rng: _Generators, names: list[str], counts: list[int], widths: dict[int, int]
    ) -> None:
        self.bits: list[dict[int, list[np.random.PCG64]]] = []
        for name, m in zip(names, counts, strict=True):
            columns: dict[int, list[np.random.PCG64]] = {}
            for field, width in widths.items():
                starts = [c * m for c in range(width)]
                if field in _NORMALS:
                    walker = rng.bits(name, field)
                    for c in range(1, width):
                        starts[c] = starts[c - 1] + _skip_normals(walker, m)
                columns[field] = []
                for start in starts:
                    bits = rng.bits(name, field)
                    bits.advance(start)
                    columns[field].append(bits)
            self.bits.append(columns)

    def uniforms(self, source: int, field: int, out: np.ndarray, column: int = 0) -> None:
        """The source's next len(out) uniforms of a field's column, into out."""
        raw = self.bits[source][field][column].random_raw(len(out))
        np.multiply(raw >> 11, DOUBLE, out=out)  # numpy's next_double, as uniform_rows

    def uniform_block(self, source: int, field: int, rows: np.ndarray, out: np.ndarray) -> None:
        """The source's next len(rows) leads' uniforms of every column, to out's rows."""
        from alignsim.compiled import uniform_rows

        count = len(rows)
        uniform_rows(
            np.concatenate([bits.random_raw(count) for bits in self.bits[source][field]]),
            rows,
            out,
        )

    def normal_block(self, source: int, field: int, rows: np.ndarray, out: np.ndarray) -> None:
        """The source's next len(rows) leads' normals of every column, to out's rows."""
        from alignsim.compiled import normal_rows

        count = len(rows)
        for c, bits in enumerate(self.bits[source][field]):
            raw = bits.random_raw(count + count // 16 + 64)  # about 1.022 words a normal
            while (used := normal_rows(raw, rows, out[:, c : c + 1])) < 0:
                raw = np.concatenate([raw, bits.random_raw(count // 16 + 64)])
            bits.advance((used - len(raw)) % _BACK)


class _WindowDraw(_Draw):
    """`_Draw` over a window of rows: "source order" is the window's leads grouped by source
    (each group in creation order), and the uniforms come from the cursors."""

    def __init__(
        self,
        cursors: _Cursors,
        sources: list[tuple[str, Source]],
        created: np.ndarray,
        source: np.ndarray,
        widths: tuple[int, int, int],
    ) -> None:
        self.cursors, self.sources = cursors, sources
        n = len(source)
        self.ends = np.cumsum(np.bincount(source, minlength=len(sources)))
        self.spans = [
            (name, src, int(start), int(end))
            for (name, src), start, end in zip(
                sources, np.concatenate([[0], self.ends[:-1]]), self.ends, strict=True
            )
        ]
        self.rank = np.argsort(source, kind="stable")  # source order -> the window's row
        self.order = np.empty(n, dtype=np.int64)
        self.order[self.rank] = np.arange(n)
        self.created = created[self.rank]
        self.allocate(n, *widths)

    def uniforms(self, field: int) -> np.ndarray:
        drawn = np.empty(self.n)
        for j, (_, _, start, end) in enumerate(self.spans):
            self.cursors.uniforms(j, field, drawn[start:end])
        return drawn

    def columns(self, field: int, width: int) -> np.ndarray:
        drawn = np.empty((width, self.n))
        for j, (_, _, start, end) in enumerate(self.spans):
            for c in range(width):
                self.cursors.uniforms(j, field, drawn[c, start:end], c)
        return drawn.take(self.order, axis=1)

    def block(self, key: str, field: int, normal: bool = False) -> np.ndarray:
        out = self.out[key]
        for j, (_, _, start, end) in enumerate(self.spans):
            if end > start and out.shape[1]:
                fill = self.cursors.normal_block if normal else self.cursors.uniform_block
                fill(j, field, self.rank[start:end], out)
        return out


class StreamWindows:
    """A run's lead stream, drawn a window of rows at a time (`draw`), in order.

    Holds the whole run's creation times (`created`, h), sources (`source`, codes into
    `sources`) and owners (`owner`, codes into OWNERS) in stream order, 11 bytes a lead, and
    one bit generator per source, field and column; a window's other fields are drawn when
    it is asked for. Each window equals the same rows of `sample`'s stream bit for bit.
    """

    def __init__(self, scenario: Scenario, replication: int, run: _Run) -> None:
        market = self._market = scenario.market
        self._sources = list(market.sources.items())
        self._run = run
        self.replication = replication
        self.sources = tuple(market.sources)
        rng = self._rng = _Generators(run.seed, replication, list(market.sources))
        calendar = scenario.team.hours.calendar
        by_source = [
            _arrivals(src, name, calendar, run.horizon, rng, run.opens)
            for name, src in self._sources
        ]
        counts = self._counts = [len(c) for c in by_source]
        created = np.concatenate(by_source)
        del by_source
        order = np.argsort(created, kind="stable")
        self.created: np.ndarray = created.take(order)
        """Each lead's creation time (h), in stream order."""
        del created
        codes = np.arange(len(self._sources), dtype=np.int16)
        self.source: np.ndarray = np.repeat(codes, counts).take(order)
        """Each lead's source, int16 codes into `sources`, in stream order."""
        del order
        owners = np.array([OWNERS.index(src.owner) for _, src in self._sources], dtype=np.int8)
        self.owner: np.ndarray = owners[self.source]
        """Each lead's owner at creation, int8 codes into OWNERS, in stream order."""
        attempts, routings, scorings = run.widths
        widths = {
            _TEMPERATURE: 1, _FIT: 1, _VALUE: 1, _PATIENCE: 1, _WARMING: 2, _REPATIENCE: 2,
            _CYCLE: 1, _U_WIN: 1, _EPS_M: scorings, _EPS_S: routings, _U_REACH: attempts,
            _U_ATTEMPT_TIME: attempts, _U_QUALIFY: routings, _U_QUALIFY_TIME: routings,
            _U_ROUTING: routings,
        }  # fmt: skip
        self._cursors = _Cursors(rng, list(self.sources), counts, widths)
        self.drawn = 0
        """Rows drawn so far: the next window starts here."""
        self._taken = np.zeros(len(counts), dtype=np.int64)
        """Each source's leads in the rows drawn so far."""
        self._before: dict[int, np.ndarray] = {}
        """For each window drawn, by its first row: each source's leads in the rows before."""

    @property
    def seed(self) -> int:
        return self._run.seed

    @property
    def horizon(self) -> float:
        """End of the run (h): warm-up, measurement window and settle time."""
        return self._run.horizon

    @property
    def window(self) -> tuple[float, float]:
        """The measurement window [start, end) in hours."""
        return self._run.window

    def __len__(self) -> int:
        return len(self.created)

    def draw(self, stop: int) -> LeadStream:
        """The rows [drawn, stop) of the stream as a LeadStream (its `first` is drawn); then
        drawn is stop. Windows come in order; an empty one is allowed."""
        stop = operator.index(stop)
        if stop > len(self):
            raise ValueError(f"the stream has {len(self)} rows: a window cannot end at row {stop}")
        if stop < self.drawn:
            raise ValueError(
                f"windows are drawn in order and rows up to {self.drawn} are drawn already: "
                f"a window cannot end at row {stop}"
            )
        first = self.drawn
        self._before[first] = self._taken
        rows = slice(first, stop)
        draw = _WindowDraw(
            self._cursors, self._sources, self.created[rows], self.source[rows], self._run.widths
        )
        stream = draw.stream(self._run, self.replication, self._market, first)
        self._taken = self._taken + np.bincount(stream.source, minlength=len(self._counts))
        self.drawn = stop
        return stream

    def retention_draws(self, window: LeadStream, years: int) -> np.ndarray:
        """The renewal uniforms of a window's leads, shape (leads, years): the window's rows
        of `alignsim.stream.retention_draws` of the whole stream (which, given a window,
        would take it for a whole stream)."""
        before = self._before.get(window.first)
        ours = (window.seed, window.replication, window.sources) == (
            self.seed,
            self.replication,
            self.sources,
        )
        if before is None or not ours or window.first + len(window) > self.drawn:
            raise ValueError(
                f"rows {window.first} to {window.first + len(window)} are not a window drawn "
                "from this stream"
            )
        out = np.empty((len(window), years))
        for code, (name, m) in enumerate(zip(self.sources, self._counts, strict=True)):
            rows = np.flatnonzero(window.source == code)
            for year in range(years):  # column `year` of random((years, m)): word year * m + k
                bits = self._rng.bits(name, _U_RETENTION)
                bits.advance(year * m + int(before[code]))
                out[rows, year] = (bits.random_raw(len(rows)) >> 11) * DOUBLE
        return out


def sample_windows(
    scenario: Scenario,
    seed: int | None = None,
    replication: int = 0,
    *,
    horizon: float | None = None,
    widths: tuple[int, int, int] = (0, 0, 0),
    warmup: float | None = None,
    settle: float | None = None,
) -> StreamWindows:
    """The lead stream `sample(scenario, seed, replication, ...)` would draw, the arguments
    meaning the same, to be drawn a window of rows at a time (`StreamWindows.draw`)."""
    run = _Run.of(scenario, seed, horizon, widths, warmup, settle)
    return StreamWindows(scenario, replication, run)
