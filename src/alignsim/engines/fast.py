"""The fast engine: the reference engine's dynamics as one compiled event loop (numba).

It plays a `Plan` exactly like `alignsim.engines.simpy_engine.play` and fills the same
`LedgerBook`; tests/test_engine_equality.py holds the two to the same ledger, lead by lead.
Read simpy_engine.py first: this module follows it method by method, and each piece of the
loop below names the method it stands for.

How it works. Each lead's life (`LeadFlow.life` and what it calls) is a small state machine:
`pc[lead]` says where the lead's process continues when its next event comes, and the
process's local variables live in per-lead arrays. Pending events sit in a binary heap ordered
like simpy's own queue, by (time, priority, sequence number): an event scheduled d hours from
now fires at `now + d`, computed with the same floating-point operations as simpy's, so both
engines see bit-identical instants. Four kinds of event skip the heap: arrivals (merged in
from the stream, which is sorted by creation time), leads resumed in the current instant (a
rep took them, or a timeout of zero hours), which wait in a ring, the attempt spacings, which
all last the same and so end in the order they began (a first-in first-out lane), and the
dispatch asked for in the current instant. A nurture touch that must fail (it changes nothing
another lead sees) is counted without an event (see TOUCH_WAIT); the touches a lead wakes for
wait weeks ahead in a heap of their own, so the event heap holds only the work under way. On
the default scenario's aligned policy, a year of leads: 32k touches take 5k events, and the
lane carries 21k spacings.

Order within one instant. The only state leads share is the sales floor (reps, the queue)
and marketing's weekly counts, which are read by completed weeks only. Queue entries are
ordered by their key and lead id, and reps are only handed out by the dispatch, which runs at
simpy priority LOW, after every other event of its instant. So the events of one instant
that come before a dispatch commute, and the engine need not reproduce simpy's event ids: it
keeps the one order that matters, NORMAL events, then the dispatch, then the events the
dispatch caused (leads taken), then possibly another dispatch.

The helpers the loop calls (heaps, marketing's weeks, the calendar) are compiled with
`_nrt=False`, the option numba's own string helpers use for functions that allocate nothing:
without it each call increfs and decrefs its array arguments, with atomic instructions, which
cost about a tenth of the engine's time. Two more choices are for the processor rather than
the model: the event's lead is unsigned, so that numba indexes the per-lead arrays without the
wraparound of a negative index; and a lead that starts to wait (joins the queue, starts a call,
is handed to sales, starts a spacing) has the numbers its next step reads prefetched
(`alignsim.compiled.prefetch`), so that they arrive while it waits.

Hand-written because no library plays this model: the event loop is the engine. The heap is
written out (rather than `heapq`) because numba compiles typed arrays, not Python tuples.
Compilation happens at the first call to `play`, never at import, and is cached on disk
(numba `cache=True`, in this package's `__pycache__`, or numba's user cache directory when
that is not writable). numba's cache does not notice edits to fast_calendar.py or to
`compiled.prefetch` alone: after changing them, touch this file.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from alignsim.calendar import WEEK
from alignsim.compiled import prefetch as _prefetch
from alignsim.engines import rules
from alignsim.engines.fast_calendar import (
    calendar_arrays,
    next_clock_time,
    next_open,
    open_through,
)
from alignsim.engines.plan import Plan
from alignsim.engines.rules import (
    can_nurture,
    feedback_learns,
    learned_noise,
    marketing_calls_it_mql,
    next_threshold,
    next_warming,
    nurtures_not_ready,
    opportunity_outcome,
    qualifies,
    queue_key,
    reaches,
    sales_accepts,
    true_score,
    unreached_outcome,
    warm,
)
from alignsim.ledger import LedgerBook, Outcome
from alignsim.scenario import OWNERS

# Where a lead's process continues when its next event comes (pc[lead]).
LIFE = 0  # LeadFlow.life: the lead is created now
TO_SALES = 1  # to_sales: an MQL is made now
ROUTED = 2  # to_sales after hand_off: the lead reaches sales now
WORK = 3  # work: steps 5-8 begin
ATTEMPT = 4  # work, top of the attempt loop: join the queue
CALL = 5  # work, waiting for `taken`: the dispatch that hands it a rep starts its call
CALLED = 6  # attempt after its timeout: the call ends
SPACED = 7  # work after the attempt spacing
GONE = 8  # work, skip_lost: the window closed during the spacing
QUALIFY = 9  # qualify: the qualification call starts
QUALIFIED = 10  # qualify after its timeout
NURTURE = 11  # nurture: the lead enters nurture
TOUCH_WAIT = 12  # nurture, top of the touch loop
TOUCH = 13  # nurture after `every`: a touch
DONE = 14  # the process has ended (or waits for nothing)

# Event kinds in the heap (payload = 4 * lead + kind).
RESUME = 0  # the lead's timeout ends (or a rep took it): continue at pc[lead]
LOST = 2  # skip_lost: the buyer's window closes while the lead waits (tag: its queue ticket)
DISPATCH = 3  # the sales floor's dispatch (payload 3, lead 0)

NOTHING, ARRIVAL, HEAP, DISPATCH_NOW, LANE, TOUCHES = 0, 1, 2, 3, 4, 5
"""Where the next event comes from (besides the leads resumed in the current instant)."""

NORMAL, LOW = 1.0, 2.0
"""SimPy priorities of ordinary events and of the dispatch."""
ORDER = 2.0**52
"""Heap order key = priority * ORDER + sequence number (exact in a float64)."""
MARGIN = 1e-9
"""A nurture touch that falls short of the most lenient threshold by less is woken for, not
skipped: room for the rounding of a threshold moved week by week."""


class Leads(NamedTuple):
    """Per-lead inputs: the stream's draws and the plan's hours (one row per lead)."""

    created: np.ndarray
    sales_owned: np.ndarray
    fit: np.ndarray
    temperature: np.ndarray
    value: np.ndarray
    closes: np.ndarray
    warming: np.ndarray
    repatience: np.ndarray
    reach: np.ndarray
    qualify: np.ndarray
    win: np.ndarray
    cycle: np.ndarray
    eps_m: np.ndarray
    eps_s: np.ndarray
    u_reach: np.ndarray
    u_qualify: np.ndarray
    u_win: np.ndarray
    attempt_time: np.ndarray
    qualify_time: np.ndarray
    routing_delay: np.ndarray
    response_due: np.ndarray
    attempts_allowed: np.ndarray


class Rules(NamedTuple):
    """The team's and policy's scalars and small tables (hours, thresholds, switches)."""

    horizon: float
    reps: int
    discipline: int
    skip_lost: bool
    batch: bool
    clocks: np.ndarray
    spacing: float
    sla_wall_clock: bool
    sla_targets: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    cum: np.ndarray
    days: np.ndarray
    day_length: float
    week_length: float
    mql_threshold: float
    marketing_noise: float
    sales_noise: float
    accept_threshold: float
    learns: bool
    half_life: float
    noise_floor: float
    half: float
    mql_volume: bool
    weekly_target: float
    goal_step: float
    nurtures: bool
    touches: int
    max_recycles: int
    every: float
    speed: float
    nurture_not_mql: bool
    nurture_not_ready: bool
    rejected_nurture: bool
    weeks: int


class Book(NamedTuple):
    """The LedgerBook's arrays, filled in place."""

    mql: np.ndarray
    routed: np.ndarray
    accepted: np.ndarray
    response_due: np.ndarray
    first_attempt: np.ndarray
    attempts: np.ndarray
    reached: np.ndarray
    sql: np.ndarray
    closed: np.ndarray
    ended: np.ndarray
    outcome: np.ndarray
    revenue: np.ndarray
    rep_hours: np.ndarray
    recycles: np.ndarray
    touches: np.ndarray


def play(plan: Plan) -> LedgerBook:
    """Play one policy over one lead stream with the fast engine (compiled at first use)."""
    book = LedgerBook(plan.stream)
    _run(_leads(plan), _rules(plan), _book(book))
    return book


def _frozen(a: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    """A read-only, contiguous view (or copy) of `a` as `dtype`.

    Every input reaches numba read-only, so its type, hence the compiled code, never depends
    on whether a caller's array happened to be writeable (plans share read-only columns).
    """
    view = np.ascontiguousarray(a, dtype=dtype).view()
    view.flags.writeable = False
    return view


def _leads(plan: Plan) -> Leads:
    s = plan.stream
    return Leads(
        created=_frozen(s.created),
        sales_owned=_frozen(s.owner == OWNERS.index("sales"), np.bool_),
        fit=_frozen(s.fit),
        temperature=_frozen(s.temperature, np.int8),
        value=_frozen(s.value),
        closes=_frozen(s.created + s.patience),
        warming=_frozen(s.warming),
        repatience=_frozen(s.repatience),
        reach=_frozen(s.reach),
        qualify=_frozen(s.qualify),
        win=_frozen(s.win),
        cycle=_frozen(s.cycle),
        eps_m=_frozen(s.eps_m),
        eps_s=_frozen(s.eps_s),
        u_reach=_frozen(s.u_reach),
        u_qualify=_frozen(s.u_qualify),
        u_win=_frozen(s.u_win),
        attempt_time=_frozen(plan.attempt_time),
        qualify_time=_frozen(plan.qualify_time),
        routing_delay=_frozen(plan.routing_delay),
        response_due=_frozen(plan.response_due),
        attempts_allowed=_frozen(plan.attempts_allowed, np.int32),
    )


def _rules(plan: Plan) -> Rules:
    policy, team = plan.policy, plan.team
    d, goals, feedback, nurture = policy.definition, policy.goals, policy.feedback, policy.nurture
    cal = calendar_arrays(plan.calendar)
    learns = feedback is not None and feedback_learns(
        feedback.enabled, feedback.floor, d.marketing_noise
    )
    return Rules(
        horizon=float(plan.horizon),
        reps=int(team.reps),
        discipline=int(plan.discipline),
        skip_lost=bool(team.skip_lost_leads),
        batch=policy.handoff.mode == "batch",
        clocks=np.array(sorted({float(c) for c in policy.handoff.times})),
        spacing=float(policy.sla.attempt_spacing),
        sla_wall_clock=policy.sla.measured_in == "wall_clock",
        sla_targets=_frozen(policy.sla.target_hours()),
        starts=cal.starts,
        ends=cal.ends,
        cum=cal.cum,
        days=cal.days,
        day_length=cal.length,
        week_length=cal.per_week,
        mql_threshold=float(d.mql_threshold),
        marketing_noise=float(d.marketing_noise),
        sales_noise=float(d.sales_noise),
        accept_threshold=float(d.accept_threshold),
        learns=bool(learns),
        half_life=float(feedback.half_life) if feedback is not None else 1.0,
        noise_floor=float(feedback.floor) if feedback is not None else 0.0,
        half=0.5,
        mql_volume=goals.marketing == "mql_volume",
        weekly_target=float(goals.mql_target * WEEK) if goals.mql_target is not None else 0.0,
        goal_step=float(goals.step),
        nurtures=bool(policy.nurtures),
        touches=int(nurture.touches) if nurture is not None else 0,
        max_recycles=int(nurture.max_recycles) if nurture is not None else 0,
        every=float(nurture.every) if nurture is not None else 1.0,
        speed=1.0 - nurture.lift if nurture is not None else 1.0,
        nurture_not_mql=bool(nurture is not None and nurture.not_mql),
        nurture_not_ready=bool(nurture is not None and nurture.not_ready),
        rejected_nurture=policy.rejected == "nurture",
        weeks=int(plan.horizon // WEEK) + 2,
    )


def _book(book: LedgerBook) -> Book:
    return Book(**{name: getattr(book, name) for name in Book._fields})


# ---------------------------------------------------------------------------- binary heaps


@njit(cache=True, _nrt=False)
def _row_less(a0: float, a1: float, a2: float, heap: np.ndarray, j: int) -> bool:
    """(a0, a1, a2) < heap[j, :3], lexicographically (the fourth column rides along)."""
    if a0 != heap[j, 0]:
        return a0 < heap[j, 0]
    if a1 != heap[j, 1]:
        return a1 < heap[j, 1]
    return a2 < heap[j, 2]


@njit(cache=True, _nrt=False)
def _push(heap: np.ndarray, n: int, a0: float, a1: float, a2: float, a3: float) -> None:
    """Add a row to a min-heap of n rows (room for one more), ordered by its first three columns."""
    i = n
    while i > 0:
        parent = (i - 1) >> 1
        if not _row_less(a0, a1, a2, heap, parent):
            break
        for c in range(4):
            heap[i, c] = heap[parent, c]
        i = parent
    heap[i, 0], heap[i, 1], heap[i, 2], heap[i, 3] = a0, a1, a2, a3


@njit(cache=True, _nrt=False)
def _sift_down(heap: np.ndarray, n: int, i: int) -> None:
    """Move row i of a heap of n rows down to its place."""
    a0, a1, a2, a3 = heap[i, 0], heap[i, 1], heap[i, 2], heap[i, 3]
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        if child + 1 < n and not _row_less(
            heap[child, 0], heap[child, 1], heap[child, 2], heap, child + 1
        ):
            child += 1
        if _row_less(a0, a1, a2, heap, child):
            break
        for c in range(4):
            heap[i, c] = heap[child, c]
        i = child
    heap[i, 0], heap[i, 1], heap[i, 2], heap[i, 3] = a0, a1, a2, a3


@njit(cache=True, _nrt=False)
def _pop(heap: np.ndarray, n: int) -> tuple[float, float, float, float]:
    """Remove and return the smallest of n rows (the caller then counts n - 1)."""
    top = (heap[0, 0], heap[0, 1], heap[0, 2], heap[0, 3])
    n -= 1
    if n > 0:
        for c in range(4):
            heap[0, c] = heap[n, c]
        _sift_down(heap, n, np.int64(0))  # (not a literal 0: one compiled version)
    return top


@njit(cache=True)
def _compact(events: np.ndarray, n: int, ticket_of: np.ndarray) -> int:
    """Drop the LOST timeouts of queue tickets no longer live from a full event heap; returns
    the rows left, in heap order again.

    The event heap never grows: a lead has at most one live row in it (a pending timeout, or
    the LOST of the wait it is in), so with room for more rows than leads, compacting always
    frees room. (Growing instead would reassign the array in the loop, which numba pays for
    with atomic reference counting at every pass.)
    """
    kept = 0
    for i in range(n):
        payload = int(events[i, 2])
        if payload & 3 != LOST or ticket_of[payload >> 2] == events[i, 3]:
            for c in range(4):
                events[kept, c] = events[i, c]
            kept += 1
    for i in range(kept // 2 - 1, -1, -1):
        _sift_down(events, kept, i)
    if kept == len(events):
        raise RuntimeError("alignsim fast engine: the event heap is full of live rows (a bug)")
    return kept


@njit(cache=True, _nrt=False)
def _holds(due: np.ndarray, n: int, when: float) -> bool:
    """Whether the set due[:n, 0] holds the instant `when` (SalesFloor._dispatch_due)."""
    i = 0
    while i < n and due[i, 0] != when:
        i += 1
    return i < n


# ---------------------------------------------------------------------------- marketing


@njit(cache=True, _nrt=False)
def _threshold(
    week: int,
    thresholds: np.ndarray,
    known: np.ndarray,
    mqls: np.ndarray,
    mql_volume: bool,
    weekly_target: float,
    step: float,
) -> float:
    """Marketing.threshold: the MQL threshold in force in a week, moved each Monday by the goal."""
    while known[0] <= week:
        done = known[0] - 1
        thresholds[known[0]] = next_threshold(
            thresholds[done], mqls[done], weekly_target, step, mql_volume
        )
        known[0] += 1
    return thresholds[week]


@njit(cache=True, _nrt=False)
def _noise(
    week: int,
    verdicts: np.ndarray,
    heard: np.ndarray,
    said: np.ndarray,
    learns: bool,
    sigma: float,
    floor: float,
    half: float,
    half_life: float,
) -> float:
    """Marketing.noise: sigma_m in a week, from the sales verdicts of the weeks before it.

    heard = [weeks summed, their verdicts]: completed weeks never change, so the sum grows.
    said = [sigma_m for the weeks summed] (NaN: not yet computed), as pow costs more than the
    rest of a scoring.
    """
    if not learns:
        return sigma
    if heard[0] < week or math.isnan(said[0]):
        while heard[0] < week:
            heard[1] += verdicts[heard[0]]
            heard[0] += 1
        said[0] = learned_noise(sigma, floor, heard[1], half_life, half)
    return said[0]


# ---------------------------------------------------------------------------- the event loop


@njit(cache=True)
def _run(leads: Leads, r: Rules, book: Book) -> None:
    # Arrays are taken out of the tuples once: reading a tuple's array inside the loop would
    # cost a reference-count increment and decrement (atomic) at every use.
    created, sales_owned, fit, born_as = (
        leads.created,
        leads.sales_owned,
        leads.fit,
        leads.temperature,
    )
    value, closes0, warming, repatience = leads.value, leads.closes, leads.warming, leads.repatience
    reach, qualify, win, cycle = leads.reach, leads.qualify, leads.win, leads.cycle
    eps_m, eps_s, u_reach, u_qualify, u_win = (
        leads.eps_m,
        leads.eps_s,
        leads.u_reach,
        leads.u_qualify,
        leads.u_win,
    )
    attempt_time, qualify_time, routing_delay = (
        leads.attempt_time,
        leads.qualify_time,
        leads.routing_delay,
    )
    plan_due, attempts_allowed = leads.response_due, leads.attempts_allowed
    mql, routed, accepted, response_due = book.mql, book.routed, book.accepted, book.response_due
    first_attempt, attempts, reached_at, sql = (
        book.first_attempt,
        book.attempts,
        book.reached,
        book.sql,
    )
    closed, ended, outcome, revenue = book.closed, book.ended, book.outcome, book.revenue
    rep_hours, recycles, touches = book.rep_hours, book.recycles, book.touches
    clocks, sla_targets = r.clocks, r.sla_targets
    starts, ends, cum, days = r.starts, r.ends, r.cum, r.days
    learns, sigma_m, noise_floor, half, half_life = (
        r.learns,
        r.marketing_noise,
        r.noise_floor,
        r.half,
        r.half_life,
    )
    mql_volume, mql_target, goal_step = r.mql_volume, r.weekly_target, r.goal_step
    n = len(created)
    horizon = r.horizon

    # The lead processes' state: where each continues, and LeadFlow's per-lead variables.
    pc = np.full(n, DONE, dtype=np.int8)
    temperature = born_as.copy()  # LeadFlow.temperature: rises in nurture
    closes = closes0.copy()  # LeadFlow.closes: a warming opens a new window
    routing = np.zeros(n, dtype=np.int32)  # to_sales / work: the routing being worked
    deadline = np.zeros(n)  # work: the SLA key's deadline
    attempt = np.zeros(n, dtype=np.int32)  # work: the attempt loop's index
    called_at = np.zeros(n)  # work: when the last call started
    reaching = np.zeros(n, dtype=np.bool_)  # attempt: did the call under way reach the buyer
    warms_at = np.zeros(n)  # nurture: when the buyer warms next
    ticket_of = np.full(n, -1, dtype=np.int32)  # SalesFloor._waiting: the live queue ticket

    # Marketing's weeks (Marketing.mqls, .verdicts, ._thresholds) and the sum of verdicts heard.
    mqls = np.zeros(r.weeks, dtype=np.int64)
    verdicts = np.zeros(r.weeks, dtype=np.int64)
    thresholds = np.zeros(r.weeks + 1)
    thresholds[0] = r.mql_threshold
    known = np.ones(1, dtype=np.int64)
    heard = np.zeros(2, dtype=np.int64)
    said = np.full(1, np.nan)

    # The sales floor: free reps, the queue (key, second key, lead, ticket), pending dispatches.
    free = r.reps
    # A lead has at most one row in the queue (live, or withdrawn and not yet popped).
    queue = np.empty((n + 1, 4))
    queued = np.int64(0)  # (np.int64: a literal 0 would compile the heap functions twice)
    waiting = 0
    tickets = 0
    due = np.empty((64, 1))  # SalesFloor._dispatch_due: instants a dispatch is scheduled for
    n_due = np.int64(0)

    # The event heap: (time, priority * ORDER + sequence, 4 * lead + kind, tag). Two kinds of
    # event never enter it, as they fall in the current instant: leads resumed now (taken by a
    # rep, or a zero-length timeout) wait in a ring `ready`, and a dispatch asked for now is
    # `dispatch_seq` (its sequence number; -1: none). Both keep their place in simpy's order:
    # NORMAL events of this instant first, in any order, then the dispatch.
    events = np.empty((n + n // 2 + 64, 4))  # more rows than leads: see _compact
    pending = np.int64(0)
    seq = 0.0
    ready = np.empty(n + 1, dtype=np.int32)
    first_ready, ready_count = 0, 0
    # Attempt spacings all last the same, so they end in the order they began (the clock never
    # goes back): they wait in a first-in first-out lane (a ring of leads and their wake times)
    # instead of the heap. A lead waits in at most one place at a time: n + 1 places suffice.
    lane_lead = np.empty(n + 1, dtype=np.int32)
    lane_time = np.empty(n + 1)
    lane_first, lane_count = 0, 0
    # Nurture touches a lead wakes for wait weeks ahead, hundreds at a time: they have a heap
    # of their own, so that the event heap, popped at every call, stays as small as the calls,
    # routings and qualifications under way.
    touches_due = np.empty((n + 1, 4))
    touching = np.int64(0)
    dispatch_seq = -1.0
    week, week_start, week_end = 0, 0.0, WEEK  # Marketing.week(now), and where that week lies
    # The floor's hours as the dispatch last asked the calendar (the clock never goes back):
    # open until open_until, or closed until closed_until, opening at opens_at.
    open_until, closed_until, opens_at = -math.inf, -math.inf, -math.inf

    arrived = 0
    arrival = 0.0  # simpy's clock when the previous arrival fired
    next_arrival = created[0] + 0.0 if n > 0 else math.inf

    now = 0.0
    while True:
        # ------------------------------------------------------------ the next event
        if arrived < n and next_arrival >= horizon:
            arrived = n  # the stream goes on past the horizon
        # The smallest of: the next arrival (before anything else of its instant), the heap's
        # first event, and the dispatch asked for now.
        source, at, order = NOTHING, math.inf, 0.0
        if arrived < n:
            source, at, order = ARRIVAL, next_arrival, -1.0
        if pending > 0 and events[0, 0] < at:
            source, at, order = HEAP, events[0, 0], events[0, 1]
        if touching > 0 and (
            touches_due[0, 0] < at or (touches_due[0, 0] == at and touches_due[0, 1] < order)
        ):  # (a touch is NORMAL: before a dispatch of its instant in the event heap)
            source, at, order = TOUCHES, touches_due[0, 0], touches_due[0, 1]
        if lane_count > 0:  # a spacing ends: NORMAL, before a dispatch of its instant
            t_lane = lane_time[lane_first]
            if t_lane < at or (t_lane == at and order > NORMAL * ORDER):
                source, at, order = LANE, t_lane, NORMAL * ORDER
        if dispatch_seq >= 0.0 and (now < at or (now == at and LOW * ORDER + dispatch_seq < order)):
            source = DISPATCH_NOW
        # The event's lead is an unsigned integer: numba then indexes arrays with it as it is,
        # where a signed index gets, for every array the step may read, the wraparound of a
        # negative index (a tenth of the engine's time on the default scenario).
        if ready_count > 0:  # a lead resumed in this instant: NORMAL, before the dispatch
            lead, kind, tag = np.uint32(ready[first_ready]), RESUME, 0.0
            first_ready = first_ready + 1 if first_ready < n else 0
            ready_count -= 1
        elif source == ARRIVAL:
            now = next_arrival
            lead, kind, tag = np.uint32(arrived), RESUME, 0.0
            pc[lead] = LIFE
            arrived += 1
            arrival = now
            if arrived < n:
                next_arrival = arrival + (created[arrived] - arrival)
        elif source == HEAP:
            now, _, payload, tag = _pop(events, pending)
            pending -= 1
            lead, kind = np.uint32(int(payload) >> 2), int(payload) & 3
        elif source == TOUCHES:
            now, _, payload, tag = _pop(touches_due, touching)
            touching -= 1
            lead, kind = np.uint32(int(payload) >> 2), RESUME
        elif source == LANE:
            now = at
            lead, kind, tag = np.uint32(lane_lead[lane_first]), RESUME, 0.0
            lane_first = lane_first + 1 if lane_first < n else 0
            lane_count -= 1
            if lane_count > 0:  # the next spacing to end: its lead's state, fetched meanwhile
                after = lane_lead[lane_first]
                _prefetch(pc, after)
                _prefetch(closes, after)
                _prefetch(attempt, after)
                _prefetch(deadline, after)
        elif source == DISPATCH_NOW:
            lead, kind, tag = np.uint32(0), DISPATCH, 0.0
            dispatch_seq = -1.0
        else:
            break
        if not week_start <= now < week_end:
            week = int(now // WEEK)
            week_start = week * WEEK
            week_end = week_start + WEEK

        # ------------------------------------------------------------ SalesFloor._dispatch
        if kind == DISPATCH:
            keep = np.int64(0)
            for i in range(n_due):  # discard now; instants passed can never be asked again
                if due[i, 0] > now:
                    due[keep, 0] = due[i, 0]
                    keep += 1
            n_due = keep
            if waiting == 0 or free == 0:
                continue
            if now > open_until and now > closed_until:  # ask the calendar
                open_until = open_through(now, starts, ends)
                if now > open_until:
                    opens_at = next_open(now, starts, ends)
                    # Closed at every instant before opens_at: stepped back an ulp, as the
                    # opening was rounded (see open_through).
                    closed_until = np.nextafter(opens_at, -math.inf)
            if now <= closed_until:  # closed
                when = opens_at
                if not _holds(due, n_due, when):
                    if n_due == len(due):
                        raise RuntimeError("alignsim fast engine: too many dispatches pending")
                    due[n_due, 0] = when
                    n_due += 1
                    at = now + (when - now)
                    if at < horizon:
                        if pending == len(events):
                            pending = _compact(events, pending, ticket_of)
                        _push(events, pending, at, LOW * ORDER + seq, float(DISPATCH), 0.0)
                        pending += 1
                        seq += 1.0
                continue
            while free > 0 and queued > 0:
                _, _, taker, ticket = _pop(queue, queued)
                queued -= 1
                lead = np.uint32(taker)
                if ticket_of[lead] != ticket:
                    continue  # withdrawn earlier
                ticket_of[lead] = -1
                waiting -= 1
                free -= 1
                # taken.succeed(): the lead's `work` resumes in this instant, after the dispatch,
                # and starts its call (`attempt`). That touches only the lead's own state, so it
                # commutes with the other events of the instant and is done here, at once.
                called_at[lead] = now
                k = attempts[lead]
                if k == 0:
                    first_attempt[lead] = now
                attempts[lead] += 1
                reaching[lead] = reaches(
                    now, closes[lead], u_reach[lead, k], reach[lead, temperature[lead]]
                )
                hours = attempt_time[lead, k]  # spend_rep_time
                rep_hours[lead] += max(0.0, min(now + hours, horizon) - now)
                pc[lead] = CALLED
                if reaching[lead]:  # what the qualification will read, fetched during the call
                    route = routing[lead]
                    _prefetch(qualify_time, lead * qualify_time.shape[1] + route)
                    _prefetch(u_qualify, lead * u_qualify.shape[1] + route)
                    _prefetch(qualify, lead * 3 + temperature[lead])
                    _prefetch(reached_at, lead)
                    _prefetch(win, lead * 3 + temperature[lead])
                    _prefetch(u_win, lead)
                    _prefetch(cycle, lead)
                ends_at = now + hours
                if ends_at == now:
                    ready[(first_ready + ready_count) % (n + 1)] = lead
                    ready_count += 1
                elif ends_at < horizon:
                    if pending == len(events):
                        pending = _compact(events, pending, ticket_of)
                    _push(events, pending, ends_at, NORMAL * ORDER + seq, 4.0 * lead + RESUME, 0.0)
                    pending += 1
                    seq += 1.0
            continue

        # ------------------------------------------------------------ work, skip_lost branch
        if kind == LOST:
            if ticket_of[lead] != tag:
                continue  # taken before its window closed: the timeout no longer matters
            ticket_of[lead] = -1  # SalesFloor.withdraw
            waiting -= 1
            outcome[lead] = Outcome.LOST_TO_COMPETITOR
            ended[lead] = now
            pc[lead] = DONE
            continue

        # ------------------------------------------------------------ the lead's process
        wake = math.inf  # when the process's next timeout ends (inf: it waits for no timeout)
        spaced = False  # that timeout is an attempt spacing (it waits in the lane)
        lost_at = math.inf  # skip_lost: when its window closes while it waits in the queue
        dispatch = False  # SalesFloor._dispatch_at(now) was asked for
        step = pc[lead]
        while True:
            if step == LIFE:
                response_due[lead] = plan_due[lead]
                if sales_owned[lead]:
                    routed[lead] = now
                    accepted[lead] = now
                    routing[lead] = 0
                    deadline[lead] = plan_due[lead]
                    step = WORK
                    continue
                # marketing_calls_it_mql
                sigma = _noise(
                    week, verdicts, heard, said, learns, sigma_m, noise_floor, half, half_life
                )
                z = true_score(fit[lead], temperature[lead])
                bar = _threshold(week, thresholds, known, mqls, mql_volume, mql_target, goal_step)
                if marketing_calls_it_mql(z, sigma, eps_m[lead, touches[lead]], bar):
                    mqls[week] += 1
                    if math.isnan(mql[lead]):
                        mql[lead] = now
                    step = TO_SALES
                    continue
                if r.nurture_not_mql and can_nurture(
                    r.nurtures, touches[lead], r.touches, recycles[lead], r.max_recycles
                ):
                    step = NURTURE
                    continue
                outcome[lead] = Outcome.NOT_MQL
                ended[lead] = now
                step = DONE
                break

            if step == TO_SALES:
                route = recycles[lead]
                routing[lead] = route
                outcome[lead] = Outcome.IN_QUEUE
                if route == 0:
                    deadline[lead] = plan_due[lead]
                else:
                    deadline[lead] = rules.response_due(
                        now,
                        temperature[lead],
                        sla_targets,
                        r.sla_wall_clock,
                        starts,
                        ends,
                        cum,
                        r.day_length,
                        r.week_length,
                    )
                if r.batch:  # hand_off
                    wake = now + (next_clock_time(now, clocks, days) - now)
                else:
                    wake = now + routing_delay[lead, route]
                _prefetch(eps_s, lead * eps_s.shape[1] + route)  # what sales' review reads
                _prefetch(routed, lead)
                _prefetch(accepted, lead)
                step = ROUTED
                break

            if step == ROUTED:
                if math.isnan(routed[lead]):
                    routed[lead] = now
                # sales_accepts
                verdicts[week] += 1
                route = routing[lead]
                z = true_score(fit[lead], temperature[lead])
                if not sales_accepts(z, r.sales_noise, eps_s[lead, route], r.accept_threshold):
                    if r.rejected_nurture and can_nurture(
                        r.nurtures, touches[lead], r.touches, recycles[lead], r.max_recycles
                    ):
                        step = NURTURE
                        continue
                    outcome[lead] = Outcome.REJECTED
                    ended[lead] = now
                    step = DONE
                    break
                if math.isnan(accepted[lead]):
                    accepted[lead] = now
                step = WORK
                continue

            if step == WORK:
                attempt[lead] = 0
                step = ATTEMPT
                continue

            if step == ATTEMPT:
                window = closes[lead]
                if r.skip_lost and now >= window:
                    outcome[lead] = Outcome.LOST_TO_COMPETITOR
                    ended[lead] = now
                    step = DONE
                    break
                # SalesFloor.wait_for_rep, with queue_key
                key, key2 = queue_key(
                    r.discipline, now, value[lead], deadline[lead], sales_owned[lead]
                )
                ticket_of[lead] = tickets
                # What the dispatch that hands it a rep will read, fetched while it waits.
                k = attempts[lead]
                _prefetch(u_reach, lead * u_reach.shape[1] + k)
                _prefetch(attempt_time, lead * attempt_time.shape[1] + k)
                _prefetch(reach, lead * 3 + temperature[lead])
                _prefetch(rep_hours, lead)
                _prefetch(called_at, lead)
                _push(queue, queued, key, key2, float(lead), float(tickets))
                queued += 1
                tickets += 1
                waiting += 1
                dispatch = True
                if r.skip_lost:
                    lost_at = now + (window - now)
                step = CALL
                break

            if step == CALLED:
                if reaching[lead]:
                    if math.isnan(reached_at[lead]):
                        reached_at[lead] = now
                    step = QUALIFY
                    continue
                free += 1  # SalesFloor.release
                dispatch = True
                window = closes[lead]
                if attempt[lead] == attempts_allowed[lead] - 1:
                    outcome[lead] = unreached_outcome(called_at[lead], window)
                    ended[lead] = now
                    step = DONE
                    break
                if r.skip_lost and window < now + r.spacing:
                    wake = now + max(0.0, window - now)
                    step = GONE
                    break
                wake = now + r.spacing
                spaced = True
                step = SPACED
                break

            if step == SPACED:
                deadline[lead] = now  # a retry is due when its spacing ends
                attempt[lead] += 1
                step = ATTEMPT
                continue

            if step == GONE:
                outcome[lead] = Outcome.LOST_TO_COMPETITOR
                ended[lead] = now
                step = DONE
                break

            if step == QUALIFY:
                hours = qualify_time[lead, routing[lead]]  # spend_rep_time
                rep_hours[lead] += max(0.0, min(now + hours, horizon) - now)
                wake = now + hours
                step = QUALIFIED
                break

            if step == QUALIFIED:
                free += 1  # SalesFloor.release
                dispatch = True
                heat = temperature[lead]
                route = routing[lead]
                if not qualifies(u_qualify[lead, route], qualify[lead, heat]):
                    if nurtures_not_ready(
                        r.nurture_not_ready, heat, sales_owned[lead]
                    ) and can_nurture(
                        r.nurtures, touches[lead], r.touches, recycles[lead], r.max_recycles
                    ):
                        step = NURTURE
                        continue
                    outcome[lead] = Outcome.DISQUALIFIED
                    ended[lead] = now
                    step = DONE
                    break
                sql[lead] = now
                close = now + cycle[lead]
                closed[lead] = close
                result = opportunity_outcome(close, horizon, u_win[lead], win[lead, heat])
                outcome[lead] = result
                if result != Outcome.OPEN_OPPORTUNITY:  # else decided after the horizon
                    ended[lead] = close
                if result == Outcome.WON:
                    revenue[lead] = value[lead]
                step = DONE
                break

            if step == NURTURE:
                outcome[lead] = Outcome.IN_NURTURE
                warmed = temperature[lead] - born_as[lead]
                warms_at[lead] = next_warming(now, r.speed, warming, lead, warmed)
                step = TOUCH_WAIT
                continue

            if step == TOUCH_WAIT:
                # The touches to come, looked at now. A touch that fails changes nothing another
                # lead sees, so the ones that must fail are counted here without an event. This
                # week's are scored as they will be (its threshold and noise are set by the
                # weeks before); a later week's against the most lenient threshold and noise the
                # weeks in between can bring (the threshold falls at most a step a week once
                # within [0, 1], where a bar outside it is brought at once; the noise never
                # rises). The lead wakes at the first touch that passes or may pass.
                sigma = _noise(
                    week, verdicts, heard, said, learns, sigma_m, noise_floor, half, half_life
                )
                bar = _threshold(week, thresholds, known, mqls, mql_volume, mql_target, goal_step)
                quietest = noise_floor if learns else sigma_m
                t = now  # when the last touch counted happened
                ahead, next_week = 0, week_end  # weeks from this one to the touch's, and the
                # start of the week after the touch's (week starts are exact: whole hours)
                while touches[lead] < r.touches:
                    at_touch = t + r.every
                    if at_touch >= horizon:
                        break
                    warm(
                        lead,
                        at_touch,
                        temperature,
                        born_as,
                        warms_at,
                        closes,
                        warming,
                        repatience,
                        r.speed,
                    )
                    z = true_score(fit[lead], temperature[lead])
                    eps = eps_m[lead, touches[lead] + 1]
                    while at_touch >= next_week:  # int(at_touch // WEEK) - week, without fmod
                        ahead += 1
                        next_week += WEEK
                    lowest = bar
                    if mql_volume and ahead > 0:  # a step a week, but kept within [0, 1]
                        lowest = min(bar, max(0.0, min(bar, 1.0) - goal_step * ahead))
                    loudest = sigma if eps > 0 or ahead == 0 else quietest
                    if marketing_calls_it_mql(z, loudest, eps, lowest - MARGIN):
                        wake = at_touch
                        break
                    touches[lead] += 1
                    t = at_touch
                if wake < math.inf:
                    step = TOUCH
                elif touches[lead] == r.touches:
                    outcome[lead] = Outcome.NURTURE_EXPIRED
                    ended[lead] = t
                    step = DONE
                else:
                    step = DONE  # still in nurture at the horizon
                break

            if step == TOUCH:
                warm(
                    lead, now, temperature, born_as, warms_at, closes, warming, repatience, r.speed
                )
                touches[lead] += 1
                # marketing_calls_it_mql, at this touch's scoring
                sigma = _noise(
                    week, verdicts, heard, said, learns, sigma_m, noise_floor, half, half_life
                )
                z = true_score(fit[lead], temperature[lead])
                bar = _threshold(week, thresholds, known, mqls, mql_volume, mql_target, goal_step)
                if marketing_calls_it_mql(z, sigma, eps_m[lead, touches[lead]], bar):
                    mqls[week] += 1
                    if math.isnan(mql[lead]):
                        mql[lead] = now
                    recycles[lead] += 1
                    step = TO_SALES
                    continue
                step = TOUCH_WAIT
                continue

            break  # DONE: nothing left to do
        pc[lead] = step

        # ------------------------------------------------------------ what the step scheduled
        if wake == now:
            ready[(first_ready + ready_count) % (n + 1)] = lead
            ready_count += 1
        elif wake < horizon and step == TOUCH:
            _push(touches_due, touching, wake, NORMAL * ORDER + seq, 4.0 * lead + RESUME, 0.0)
            touching += 1
            seq += 1.0
        elif wake < horizon and spaced:
            tail = (lane_first + lane_count) % (n + 1)
            lane_lead[tail] = lead
            lane_time[tail] = wake
            lane_count += 1
        elif wake < horizon:
            if pending == len(events):
                pending = _compact(events, pending, ticket_of)
            _push(events, pending, wake, NORMAL * ORDER + seq, 4.0 * lead + RESUME, 0.0)
            pending += 1
            seq += 1.0
        if lost_at < horizon:
            if pending == len(events):
                pending = _compact(events, pending, ticket_of)
            _push(
                events,
                pending,
                lost_at,
                NORMAL * ORDER + seq,
                4.0 * lead + LOST,
                float(ticket_of[lead]),
            )
            pending += 1
            seq += 1.0
        # SalesFloor._dispatch_at(now). A dispatch acts only if, when it runs, a lead waits and
        # a rep is free; the last change into that state is a join or a release that finds it
        # so. So asking only then runs the same dispatches, minus the ones that would do nothing.
        # While the floor is closed and the dispatch at its opening is already asked for, a
        # dispatch now would find it so and do nothing: it is not asked for.
        if (
            dispatch
            and waiting > 0
            and free > 0
            and not _holds(due, n_due, now)
            and not (now <= closed_until and _holds(due, n_due, opens_at))
        ):
            if n_due == len(due):
                raise RuntimeError("alignsim fast engine: too many dispatches pending")
            due[n_due, 0] = now
            n_due += 1
            dispatch_seq = seq
            seq += 1.0
