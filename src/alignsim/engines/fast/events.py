"""Where the fast engine's events wait, and which comes next (simpy's event queue, made fast).

Pending events are ordered like simpy's own queue, by (time, priority, sequence number): an
event scheduled d hours from now fires at `now + d`, computed with the same floating-point
operations as simpy's, so both engines see bit-identical instants. Four kinds of event skip the
event heap: arrivals (merged in from the stream, sorted by creation time); leads resumed in the
current instant (a rep took them, or a timeout of zero hours), which wait in a ring; attempt
spacings, which all last the same and so end in the order they began (a first-in first-out
lane); and the dispatch asked for in the current instant. Nurture touches a lead wakes for
wait weeks ahead, hundreds at a time, in a heap of their own, so that the event heap, popped
at every call, stays as small as the calls, routings and qualifications under way.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from alignsim.compiled import prefetch
from alignsim.engines.fast.heap import pop, push, sift_down
from alignsim.engines.fast.inputs import Leads, Params
from alignsim.engines.fast.state import (
    ARRIVAL,
    ARRIVED,
    CALL,
    COHORT_ALIVE,
    DISPATCH,
    DISPATCH_SEQ,
    FIRST_LOADED,
    FIRST_READY,
    LANE_COUNT,
    LANE_FIRST,
    LIFE,
    LOADED,
    LOADED_UNTIL,
    LOST,
    LOW,
    MORE,
    NEXT_ARRIVAL,
    NONE,
    NORMAL,
    ORDER,
    PENDING,
    READY_COUNT,
    RESUME,
    SEQ,
    SPACED,
    TOTAL,
    TOUCH,
    TOUCHING,
    State,
)

NO_SOURCE, ARRIVAL_SOURCE, HEAP_SOURCE, TOUCH_SOURCE, LANE_SOURCE = 0, 1, 2, 3, 4
"""Where the next event comes from (besides the ring and the dispatch asked for now)."""


@njit(cache=True)
def compact(events: np.ndarray, n: int, ticket_of: np.ndarray) -> int:
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
        sift_down(events, kept, i)
    if kept == len(events):
        raise RuntimeError("alignsim fast engine: the event heap is full of live rows (a bug)")
    return kept


@njit(cache=True, _nrt=False, inline="always")
def schedule(st: State, at: float, priority: float, payload: float, tag: float) -> None:
    """Put an event in the heap at time `at` with a simpy priority (NORMAL or LOW)."""
    count, clock = st.count, st.clock
    if count[PENDING] == len(st.events):
        count[PENDING] = compact(st.events, count[PENDING], st.ticket_of)
    push(st.events, count[PENDING], at, priority * ORDER + clock[SEQ], payload, tag)
    count[PENDING] += 1
    clock[SEQ] += 1.0


@njit(cache=True, _nrt=False, inline="always")
def resume_now(st: State, lead: int) -> None:
    """The lead continues in this instant, after the events before it (the ready ring)."""
    count = st.count
    st.ready[(count[FIRST_READY] + count[READY_COUNT]) % len(st.ready)] = lead
    count[READY_COUNT] += 1


@njit(cache=True, _nrt=False, inline="always")
def resume_at(st: State, lead: int, wake: float, now: float, horizon: float) -> None:
    """The lead's timeout ends at `wake` (the ring if now, the heap if inside the horizon)."""
    if wake == now:
        resume_now(st, lead)
    elif wake < horizon:
        schedule(st, wake, NORMAL, 4.0 * lead + RESUME, 0.0)


@njit(cache=True, _nrt=False, inline="always")
def after_step(st: State, p: Params, lead: int, step: int, wake: float, now: float) -> None:
    """Put the lead where its process waits: its timeout's end (`wake`; inf: none) in the ring,
    the touches' heap, the lane or the event heap, and, skip_lost, its window's closing."""
    count = st.count
    if wake == now:
        resume_now(st, lead)
    elif wake < p.horizon and step == TOUCH:
        push(st.touches_due, count[TOUCHING], wake, NORMAL * ORDER + st.clock[SEQ], 4.0 * lead, 0.0)
        count[TOUCHING] += 1
        st.clock[SEQ] += 1.0
    elif wake < p.horizon and step == SPACED:
        tail = (count[LANE_FIRST] + count[LANE_COUNT]) % len(st.lane_lead)
        st.lane_lead[tail] = lead
        st.lane_time[tail] = wake
        count[LANE_COUNT] += 1
    elif wake < p.horizon:
        schedule(st, wake, NORMAL, 4.0 * lead + RESUME, 0.0)
    if step == CALL and p.skip_lost:  # it joined the queue: its window may close meanwhile
        lost_at = now + (st.closes[lead] - now)
        if lost_at < p.horizon:
            schedule(st, lost_at, NORMAL, 4.0 * lead + LOST, float(st.ticket_of[lead]))


@njit(cache=True, _nrt=False, inline="always")
def next_event(ld: Leads, p: Params, st: State, now: float) -> tuple[float, np.uint32, int, float]:
    """The next event: (time, lead, kind, tag); kind NONE when none is left before the horizon.

    The order is simpy's: the next arrival before anything else of its instant, then NORMAL
    events (leads resumed now first), then the dispatch asked for now. The lead is an unsigned
    integer: numba then indexes arrays with it as it is, where a signed index gets, for every
    array the step may read, the wraparound of a negative index.
    """
    count, clock = st.count, st.clock
    if count[ARRIVED] < count[TOTAL] and clock[NEXT_ARRIVAL] >= p.horizon:
        count[ARRIVED] = count[TOTAL]  # the stream goes on past the horizon
    if count[READY_COUNT] > 0:  # a lead resumed in this instant: NORMAL, before the dispatch
        lead = np.uint32(st.ready[count[FIRST_READY]])
        last = len(st.ready) - 1
        count[FIRST_READY] = count[FIRST_READY] + 1 if count[FIRST_READY] < last else 0
        count[READY_COUNT] -= 1
        return now, lead, RESUME, 0.0
    source, at, order = NO_SOURCE, math.inf, 0.0
    if count[ARRIVED] < count[TOTAL]:
        source, at, order = ARRIVAL_SOURCE, clock[NEXT_ARRIVAL], -1.0
    events, touches_due = st.events, st.touches_due
    if count[PENDING] > 0 and events[0, 0] < at:
        source, at, order = HEAP_SOURCE, events[0, 0], events[0, 1]
    if count[TOUCHING] > 0 and (
        touches_due[0, 0] < at or (touches_due[0, 0] == at and touches_due[0, 1] < order)
    ):  # (a touch is NORMAL: before a dispatch of its instant in the event heap)
        source, at, order = TOUCH_SOURCE, touches_due[0, 0], touches_due[0, 1]
    if count[LANE_COUNT] > 0:  # a spacing ends: NORMAL, before a dispatch of its instant
        t_lane = st.lane_time[count[LANE_FIRST]]
        if t_lane < at or (t_lane == at and order > NORMAL * ORDER):
            source, at, order = LANE_SOURCE, t_lane, NORMAL * ORDER
    dispatch_seq = clock[DISPATCH_SEQ]
    if dispatch_seq >= 0.0 and (now < at or (now == at and LOW * ORDER + dispatch_seq < order)):
        clock[DISPATCH_SEQ] = -1.0
        return now, np.uint32(0), DISPATCH, 0.0
    if source == ARRIVAL_SOURCE:
        if count[ARRIVED] == count[LOADED]:  # its inputs are not loaded yet: nothing changed
            return now, np.uint32(0), MORE, 0.0
        return arrive(ld, p, st)
    if source == HEAP_SOURCE:
        at, _, payload, tag = pop(events, count[PENDING])
        count[PENDING] -= 1
        return at, np.uint32(int(payload) >> 2), int(payload) & 3, tag
    if source == TOUCH_SOURCE:
        at, _, payload, tag = pop(touches_due, count[TOUCHING])
        count[TOUCHING] -= 1
        return at, np.uint32(int(payload) >> 2), RESUME, 0.0
    if source == LANE_SOURCE:
        return at, take_from_lane(st), RESUME, 0.0
    return now, np.uint32(0), NONE, 0.0


@njit(cache=True, _nrt=False, inline="always")
def arrive(ld: Leads, p: Params, st: State) -> tuple[float, np.uint32, int, float]:
    """The next lead is created (its process starts at LIFE): the event (time, slot, RESUME)."""
    count, clock = st.count, st.clock
    now = clock[NEXT_ARRIVAL]
    lead = np.uint32(st.arrivals[count[ARRIVED] - count[FIRST_LOADED]])
    st.pc[lead] = LIFE
    if p.stops_early and in_cohort(ld, p, lead):
        count[COHORT_ALIVE] += 1
    count[ARRIVED] += 1
    clock[ARRIVAL] = now
    if count[ARRIVED] < count[LOADED]:
        following = st.arrivals[count[ARRIVED] - count[FIRST_LOADED]]
        clock[NEXT_ARRIVAL] = now + (ld.created[following] - now)
    elif count[ARRIVED] < count[TOTAL]:
        clock[NEXT_ARRIVAL] = now + (clock[LOADED_UNTIL] - now)
    return now, lead, RESUME, 0.0


@njit(cache=True, _nrt=False, inline="always")
def in_cohort(ld: Leads, p: Params, lead: int) -> bool:
    """Whether the lead was created in the measurement window (the cohort)."""
    return p.cohort_start <= ld.created[lead] < p.cohort_end


@njit(cache=True, _nrt=False, inline="always")
def take_from_lane(st: State) -> np.uint32:
    """The lead whose attempt spacing ends first; the next one's state is fetched meanwhile."""
    count = st.count
    lead = np.uint32(st.lane_lead[count[LANE_FIRST]])
    last = len(st.lane_lead) - 1
    count[LANE_FIRST] = count[LANE_FIRST] + 1 if count[LANE_FIRST] < last else 0
    count[LANE_COUNT] -= 1
    if count[LANE_COUNT] > 0:
        after = st.lane_lead[count[LANE_FIRST]]
        prefetch(st.pc, after)
        prefetch(st.closes, after)
        prefetch(st.attempt, after)
        prefetch(st.deadline, after)
    return lead
