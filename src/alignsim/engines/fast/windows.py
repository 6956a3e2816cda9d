"""A lead stream played by the fast engine in windows of arrivals, in slots resolved leads free.

Why: played at once, a run holds every lead's draws (about 450 bytes a lead on default.toml),
its plan (about 100) and the engine's per-lead state and heaps (about 250): ten million leads
would need 9 GB. Played in windows, the engine holds only the leads loaded and not yet
resolved (on default.toml at most 1-6% of a run's leads are alive at once), and the run keeps
the ledger (about 130 bytes a lead).

How the numbers stay the same: every per-lead array the engine reads or writes (inputs, state,
its ledger rows) is indexed by a slot, and `State.arrivals` says which slot each loaded lead
arrives in. The engine stops before the arrival of the first lead not loaded (`run` returns
True), which changes nothing; this module then gives the slots of resolved leads back (their
ledger rows copied out), draws the next window of the stream (`StreamWindows.draw`), plans it
and loads it into free slots, and calls `run` again. Nothing in the engine depends on where a
lead's numbers live except two things, both kept: the queue breaks ties by lead, not slot
(`SLOT_BITS`), and a slot is reused only when nothing can still wake its lead (no pending event,
touch, spacing or look names it; a withdrawn queue row and a skip_lost timeout are checked
against the lead's ticket, which the slot's next lead never shares).
tests/test_windows.py holds the ledgers to the stream played at once, lead by lead.

Hand-written because no library pages a discrete-event model's state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from alignsim.compiled import move_rows
from alignsim.engines.fast.inputs import Book, Leads, Params, book, leads, params
from alignsim.engines.fast.loop import run
from alignsim.engines.fast.state import (
    ARRIVED,
    DONE,
    FIRST_LOADED,
    FIRST_READY,
    INBOX,
    LANE_COUNT,
    LANE_FIRST,
    LOADED,
    LOADED_UNTIL,
    LOOK,
    NEXT_ARRIVAL,
    PENDING,
    QUEUED,
    READY_COUNT,
    RESUME,
    SLOT_MASK,
    TOTAL,
    TOUCHING,
    State,
    new_state,
)
from alignsim.engines.plan import make_plan
from alignsim.ledger import LedgerBook
from alignsim.scenario import Market, Policy, Team
from alignsim.stream import LeadStream

WINDOW_LEADS = 1 << 16
"""Leads drawn and loaded at a time (a window): about 40 MB of draws on default.toml."""

_PER_SLOT = (
    "pc", "temperature", "closes", "routing", "deadline", "attempt", "called_at", "reaching",
    "warms_at", "engaged", "ticket_of", "ident",
)  # fmt: skip
"""The State arrays with one row per slot."""


class Windows(Protocol):
    """A stream drawn in windows of rows (alignsim.stream_windows.StreamWindows)."""

    seed: int
    replication: int
    horizon: float
    window: tuple[float, float]
    sources: tuple[str, ...]
    created: np.ndarray
    source: np.ndarray
    owner: np.ndarray
    drawn: int

    def __len__(self) -> int: ...

    def draw(self, stop: int) -> LeadStream: ...


class _Slots:
    """The engine's inputs, state and ledger rows for `capacity` slots, and which are taken."""

    def __init__(self, first: Leads, ledger: LedgerBook, p: Params, capacity: int) -> None:
        self.p = p
        self.capacity = capacity
        self.base = {f: _grown(a[:0], capacity) for f, a in first._asdict().items()}
        self.ld = _read_only(self.base)
        self.bk = Book(**{f: _grown(a[:0], capacity) for f, a in book(ledger)._asdict().items()})
        self.st = new_state(self.ld, p)
        self.st.count[LOADED] = 0
        self.taken = np.zeros(capacity, dtype=np.bool_)

    def grow(self, capacity: int) -> None:
        """Room for `capacity` slots: every slot keeps its number, the heaps their rows."""
        old, st = self.capacity, self.st
        self.capacity = capacity
        self.base = {f: _grown(a, capacity) for f, a in self.base.items()}
        self.ld = _read_only(self.base)
        self.bk = Book(**{f: _grown(a, capacity) for f, a in self.bk._asdict().items()})
        self.taken = _grown(self.taken, capacity)
        self.taken[old:] = False
        grown = new_state(self.ld, self.p)
        count = st.count
        for f in _PER_SLOT:  # (the new slots as new_state leaves them: DONE, no ticket)
            getattr(grown, f)[:old] = getattr(st, f)
        for f, rows in (("queue", QUEUED), ("events", PENDING), ("touches_due", TOUCHING)):
            getattr(grown, f)[: count[rows]] = getattr(st, f)[: count[rows]]
        grown.inbox[: count[INBOX]] = st.inbox[: count[INBOX]]
        lane = _lane(st)
        grown.lane_lead[: len(lane)] = st.lane_lead[lane]
        grown.lane_time[: len(lane)] = st.lane_time[lane]
        count[LANE_FIRST] = 0
        if count[READY_COUNT]:
            raise RuntimeError("alignsim fast engine: leads were ready when the engine stopped")
        count[FIRST_READY] = 0
        shared = ("mqls", "verdicts", "thresholds", "known", "heard", "said", "due", "arrivals")
        self.st = grown._replace(**{f: getattr(st, f) for f in (*shared, "count", "clock")})

    def release(self, ledger: LedgerBook) -> None:
        """Give back the slots of leads nothing can wake any more, their ledger rows copied out."""
        st, count = self.st, self.st.count
        busy = (st.pc != DONE) | (st.ident >= count[ARRIVED])
        busy[_named_slots(st)] = True
        done = np.flatnonzero(self.taken & ~busy)
        _copy_out(self.bk, done, st.ident[done], ledger)
        self.taken[done] = False
        _drop_withdrawn(st)

    def load(self, stream: LeadStream, ld: Leads, total: int, created_next: float) -> None:
        """Put a window's leads in free slots; the engine will arrive them in order."""
        st, count, clock = self.st, self.st.count, self.st.clock
        slots = np.flatnonzero(~self.taken)[: len(stream)]
        for f, a in ld._asdict().items():
            move_rows(self.base[f], slots, a)
        _reset(st, self.bk, slots, ld, stream)
        self.taken[slots] = True
        if count[ARRIVED] != count[LOADED]:
            raise RuntimeError("alignsim fast engine: loaded before the loaded leads arrived")
        self.st = st._replace(arrivals=slots.astype(np.int32))
        count[FIRST_LOADED] = stream.first
        count[LOADED] = stream.first + len(stream)
        count[TOTAL] = total
        clock[LOADED_UNTIL] = created_next
        if stream.first == 0:
            clock[NEXT_ARRIVAL] = stream.created[0] + 0.0 if len(stream) else math.inf


def play_windows(
    windows: Windows,
    ledger_stream: LeadStream,
    team: Team,
    policy: Policy,
    market: Market | None = None,
    *,
    horizon: float | None = None,
    window: int = WINDOW_LEADS,
    slots: int | None = None,
) -> LedgerBook:
    """Play one policy over a stream drawn window by window, up to `horizon` (h; default the
    stream's end), `window` leads drawn at a time, in `slots` slots to begin with (default four
    windows, at most one a lead; more as needed). The ledger (over `ledger_stream`, the whole
    stream's columns a ledger shows, filled in as windows are drawn) is the one the stream
    played at once gives."""
    plays = [(team, policy)]
    return play_windows_together(
        windows, ledger_stream, plays, market, horizon=horizon, window=window, slots=slots
    )[0]


def play_windows_together(
    windows: Windows,
    ledger_stream: LeadStream,
    plays: Sequence[tuple[Team, Policy]],
    market: Market | None = None,
    *,
    horizon: float | None = None,
    window: int = WINDOW_LEADS,
    slots: int | None = None,
    cohort_only: bool = False,
) -> list[LedgerBook]:
    """Play several (team, policy) on one stream drawn window by window, each window drawn
    once for all (common random numbers, as `play_windows` for each). cohort_only: each play
    stops once its cohort is done (`Plan.until_cohort_resolved`), and the stream is drawn only
    as far as a play still needs it: the rows never drawn read NaN (fit, value) and -1
    (temperature) in `ledger_stream`."""
    if window < 1:
        raise ValueError(f"a window holds at least one lead (got {window})")
    n = len(windows)
    ledgers = [LedgerBook(ledger_stream) for _ in plays]
    rings: list[_Slots] = []
    room = min(max(4 * window, 1024) if slots is None else max(slots, 1), max(n, 1))
    playing = list(range(len(plays)))
    while playing:
        start = windows.drawn
        if rings:
            room = min(_room(rings[i], ledgers[i], min(window, n - start)) for i in playing)
        stream = windows.draw(min(start + window, start + room, n))
        fill_columns(ledger_stream, stream)
        stop = stream.first + len(stream)
        created_next = windows.created[stop] if stop < n else math.inf
        for i in list(playing):
            team, policy = plays[i]
            plan = make_plan(
                stream, team, policy, horizon, market=market, until_cohort_resolved=cohort_only
            )
            if len(rings) < len(plays):
                rings.append(_Slots(leads(plan), ledgers[i], params(plan), room))
            ring = rings[i]
            ring.load(stream, leads(plan), n, created_next)
            if not (run(ring.ld, ring.p, ring.bk, ring.st) and stop < n):
                playing.remove(i)
    for ring, ledger in zip(rings, ledgers, strict=True):
        taken = np.flatnonzero(ring.taken)
        _copy_out(ring.bk, taken, ring.st.ident[taken], ledger)
    if cohort_only:  # the rows no play needed are not drawn
        rest = slice(windows.drawn, n)
        ledger_stream.fit[rest] = ledger_stream.value[rest] = np.nan
        ledger_stream.temperature[rest] = -1
    while windows.drawn < n and not cohort_only:  # leads after the plans' horizon: unplayed
        fill_columns(ledger_stream, windows.draw(min(windows.drawn + window, n)))
    return ledgers


def _room(ring: _Slots, ledger: LedgerBook, needed: int) -> int:
    """Free slots in a ring once its resolved leads give theirs back, grown to `needed`."""
    ring.release(ledger)
    free = ring.capacity - int(ring.taken.sum())
    if free < needed:
        ring.grow(max(2 * ring.capacity, ring.capacity - free + needed))
        free = ring.capacity - int(ring.taken.sum())
    return free


def ledger_stream(windows: Windows) -> LeadStream:
    """The whole stream as its ledger needs it: every lead's creation, source and owner now,
    fit, temperature and value as windows are drawn (`fill_columns`). The draws the engine
    alone reads are not kept: those fields read NaN and the blocks have no columns."""
    n = len(windows)
    missing, no_columns = np.broadcast_to(np.float64(np.nan), (n,)), np.empty((n, 0))
    return LeadStream(
        seed=windows.seed,
        replication=windows.replication,
        horizon=windows.horizon,
        sources=windows.sources,
        created=windows.created,
        source=windows.source,
        owner=windows.owner,
        fit=np.empty(n),
        temperature=np.empty(n, dtype=np.int8),
        value=np.empty(n),
        patience=missing,
        warming=no_columns,
        repatience=no_columns,
        reach=no_columns,
        qualify=no_columns,
        win=no_columns,
        cycle=missing,
        eps_m=no_columns,
        eps_s=no_columns,
        u_reach=no_columns,
        u_attempt_time=no_columns,
        u_qualify=no_columns,
        u_qualify_time=no_columns,
        u_win=missing,
        u_routing=no_columns,
        window=windows.window,
    )


def fill_columns(ledger_stream: LeadStream, window: LeadStream) -> None:
    """Copy a window's columns the ledger shows into the whole stream's."""
    rows = slice(window.first, window.first + len(window))
    for f in ("fit", "value", "temperature"):
        getattr(ledger_stream, f)[rows] = getattr(window, f)


def _read_only(base: dict[str, np.ndarray]) -> Leads:
    views = {}
    for f, a in base.items():
        views[f] = a.view()
        views[f].flags.writeable = False
    return Leads(**views)


def _grown(a: np.ndarray, capacity: int) -> np.ndarray:
    out = np.empty((capacity, *a.shape[1:]), a.dtype)
    out[: len(a)] = a
    return out


def _named_slots(st: State) -> np.ndarray:
    """Slots some pending event, touch, spacing or look still names (a skip_lost timeout and a
    check's look, tagged -1, name none: the first is checked against the lead's ticket)."""
    count = st.count
    events = st.events[: count[PENDING]]
    kind = events[:, 2].astype(np.int64) & 3
    wakes = (kind == RESUME) | ((kind == LOOK) & (events[:, 3] >= 0))
    return np.concatenate(
        [
            events[wakes, 2].astype(np.int64) >> 2,
            st.touches_due[: count[TOUCHING], 2].astype(np.int64) >> 2,
            st.lane_lead[_lane(st)].astype(np.int64),
            st.inbox[: count[INBOX]].astype(np.int64),
        ]
    )


def _lane(st: State) -> np.ndarray:
    """The places of the lane's spacings in its ring, first to end first."""
    count = st.count
    return (count[LANE_FIRST] + np.arange(count[LANE_COUNT])) % len(st.lane_lead)


def _drop_withdrawn(st: State) -> None:
    """Keep only the queue's live rows, sorted (a sorted array is a heap; the rows are totally
    ordered by key, second key and lead, so they are taken in the same order)."""
    count = st.count
    rows = st.queue[: count[QUEUED]]
    slot = rows[:, 2].astype(np.int64) & SLOT_MASK
    live = rows[st.ticket_of[slot] == rows[:, 3]]
    live = live[np.lexsort((live[:, 2], live[:, 1], live[:, 0]))]
    st.queue[: len(live)] = live
    count[QUEUED] = len(live)


def _copy_out(bk: Book, slots: np.ndarray, leads_: np.ndarray, ledger: LedgerBook) -> None:
    """Copy slots' ledger rows to their leads' rows of the run's ledger."""
    for f, a in bk._asdict().items():
        move_rows(getattr(ledger, f), leads_, a, slots)


def _reset(st: State, bk: Book, slots: np.ndarray, ld: Leads, stream: LeadStream) -> None:
    """Slots as new_state and a new LedgerBook have them, for a window's leads."""
    first = stream.first
    st.pc[slots] = DONE
    st.temperature[slots] = ld.temperature
    st.closes[slots] = ld.closes
    st.engaged[slots] = ld.created
    st.ticket_of[slots] = -1
    st.ident[slots] = np.arange(first, first + len(slots))
    for f in ("routing", "deadline", "attempt", "called_at", "reaching", "warms_at"):
        getattr(st, f)[slots] = 0
    for rows, fresh in zip(bk, book(LedgerBook(stream)), strict=True):
        move_rows(rows, slots, fresh)
