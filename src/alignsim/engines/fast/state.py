"""The fast engine's state: what simpy keeps in processes, the sales floor and Marketing.

`State` is a named tuple of arrays, so numba passes it to every compiled step as it is. The
lead processes' local variables are per-lead arrays; the scalars the steps share (the floor's
free reps, the event heap's size, the sequence number...) sit in two small arrays, `count`
(integers) and `clock` (float hours and orders), indexed by the names below.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from alignsim.engines.fast.inputs import Leads, Params
from alignsim.units import WEEK

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
UNSEEN = 15  # work, before the attempt loop: routed, waiting for a rep to look (MODEL.md 6.2)

GO = -1.0
"""A step's wake time meaning: continue at the next step now, in the same event."""

# Event kinds in the heap (payload = 4 * lead + kind); NONE: no event is left.
RESUME = 0  # the lead's timeout ends (or a rep took it): continue at pc[lead]
LOOK = 1  # a rep looks at the inbound queue (tag -1: an inbound check; else the SLA reminder
# of the lead's routing `tag`)
LOST = 2  # skip_lost: the buyer's window closes while the lead waits (tag: its queue ticket)
DISPATCH = 3  # the sales floor's dispatch (payload 3, lead 0)
NONE = 4
MORE = 5  # (not in the heap) the next event is the arrival of a lead not loaded yet

NORMAL, LOW = 1.0, 2.0
"""SimPy priorities of ordinary events and of the dispatch."""
ORDER = 2.0**52
"""Heap order key = priority * ORDER + sequence number (exact in a float64)."""

# State.count: the shared integers.
PENDING = 0  # rows in the event heap
TOUCHING = 1  # rows in the heap of nurture touches
FIRST_READY = 2  # the ring of leads resumed in this instant: its first place
READY_COUNT = 3  # ... and its length
LANE_FIRST = 4  # the lane of attempt spacings: its first place
LANE_COUNT = 5  # ... and its length
FREE = 6  # SalesFloor.free: reps free
QUEUED = 7  # rows in the queue (live or withdrawn)
WAITING = 8  # leads waiting for a rep (SalesFloor._waiting)
TICKETS = 9  # queue tickets handed out
N_DUE = 10  # instants a dispatch is scheduled for (SalesFloor._dispatch_due)
ARRIVED = 11  # leads created so far
WEEK_NOW = 12  # Marketing.week(now)
ASKED = 13  # a step asked for SalesFloor._dispatch_at(now)
INBOX = 14  # leads in SalesFloor.inbox
LOADED = 15  # leads whose inputs are loaded (arrived or not): a played stream's first ones
TOTAL = 16  # leads in the stream
FIRST_LOADED = 17  # the lead whose slot is State.arrivals[0]
COHORT_ALIVE = 18  # leads of the cohort arrived and not done (counted when the plan stops early)
COUNTS = 19

# State.clock: the shared floats.
SEQ = 0  # the next event's sequence number
DISPATCH_SEQ = 1  # the dispatch asked for now: its sequence number (-1: none)
OPEN_UNTIL = 2  # the floor's hours as the dispatch last asked the calendar: open until,
CLOSED_UNTIL = 3  # or closed until,
OPENS_AT = 4  # opening then
WEEK_START = 5  # where Marketing.week(now) lies
WEEK_END = 6
ARRIVAL = 7  # simpy's clock when the previous arrival fired
NEXT_ARRIVAL = 8  # when the next lead arrives
LAST_LOOK = 9  # SalesFloor.last_look
CHECK_AT = 10  # SalesFloor.check_at
NOW = 11  # the instant `run` stopped at, to wait for more leads (and resumes from)
LOADED_UNTIL = 12  # when the first lead not loaded yet is created (inf: none left)
CLOCKS = 13

SLOT_BITS = 26
"""A queue row's lead column holds lead * 2**SLOT_BITS + slot: ordered by the lead (ties in
the queue go to the older lead), and it says the slot. Exact in a float64 for under 2**27
leads a run (the scenario's bound is 20 million) and 2**26 slots."""
SLOT_MASK = (1 << SLOT_BITS) - 1


class State(NamedTuple):
    """Everything the engine changes besides the ledger (see the module docstring)."""

    pc: np.ndarray
    """Where each lead's process continues (LIFE .. DONE), by slot (see `arrivals`)."""
    temperature: np.ndarray
    """LeadFlow.temperature: rises in nurture."""
    closes: np.ndarray
    """LeadFlow.closes: when the buyer's window closes; a warming opens a new one."""
    routing: np.ndarray
    """to_sales / work: the routing being worked (0: the first)."""
    deadline: np.ndarray
    """work: the deadline the sla discipline orders by (h)."""
    attempt: np.ndarray
    """work: the attempt loop's index."""
    called_at: np.ndarray
    """work: when the last call started (h)."""
    reaching: np.ndarray
    """attempt: whether the call under way reaches the buyer."""
    warms_at: np.ndarray
    """nurture: when the buyer warms next (h)."""
    engaged: np.ndarray
    """LeadFlow.engaged: when the buyer last engaged (created, warmed, recycled) (h)."""
    ticket_of: np.ndarray
    """SalesFloor._waiting: the lead's live queue ticket (-1: none)."""
    mqls: np.ndarray
    """Marketing.mqls: MQLs by week."""
    verdicts: np.ndarray
    """Marketing.verdicts: sales verdicts by week."""
    thresholds: np.ndarray
    """Marketing._thresholds: the MQL threshold of each week known so far."""
    known: np.ndarray
    """[weeks whose threshold is known]."""
    heard: np.ndarray
    """[weeks whose verdicts are summed, their verdicts]: completed weeks never change."""
    said: np.ndarray
    """[sigma_m for the weeks summed] (NaN: not yet computed): pow costs more than a scoring."""
    queue: np.ndarray
    """The floor's queue, a heap of (key, second key, lead, ticket); a lead has at most one row."""
    due: np.ndarray
    """SalesFloor._dispatch_due: instants a dispatch is scheduled for (first column)."""
    events: np.ndarray
    """The event heap: (time, priority * ORDER + sequence, 4 * lead + kind, tag)."""
    ready: np.ndarray
    """A ring of leads resumed in this instant (a rep took them, or a timeout of zero)."""
    lane_lead: np.ndarray
    """The lane: attempt spacings all last the same, so they end in the order they began."""
    lane_time: np.ndarray
    """... and when each ends."""
    touches_due: np.ndarray
    """A heap of the nurture touches leads wake for, weeks ahead (rows as in `events`)."""
    inbox: np.ndarray
    """SalesFloor.inbox: routed leads no rep has seen yet, in the order they were routed."""
    arrivals: np.ndarray
    """The slot of each loaded lead, in creation order from lead FIRST_LOADED: every per-lead
    array (inputs, state, book) is indexed by slot. Played at once, lead i's slot is i; played
    in windows (alignsim.engines.fast.windows), a resolved lead's slot is reused."""
    ident: np.ndarray
    """The lead in each slot (int64)."""
    count: np.ndarray
    """The shared integers (PENDING .. FIRST_LOADED)."""
    clock: np.ndarray
    """The shared floats (SEQ .. NEXT_ARRIVAL)."""


def new_state(leads: Leads, params: Params) -> State:
    """The state at time 0 of a stream played at once: nothing has happened, the first lead is
    due, lead i in slot i."""
    n, weeks = len(leads.created), params.weeks
    thresholds = np.zeros(weeks + 1)
    thresholds[0] = params.mql_threshold
    count = np.zeros(COUNTS, dtype=np.int64)
    count[FREE] = params.reps
    count[LOADED] = count[TOTAL] = n
    clock = np.zeros(CLOCKS)
    clock[DISPATCH_SEQ] = -1.0
    clock[OPEN_UNTIL] = clock[CLOSED_UNTIL] = clock[OPENS_AT] = -math.inf
    clock[LAST_LOOK] = clock[CHECK_AT] = -math.inf
    clock[WEEK_END] = WEEK
    clock[NEXT_ARRIVAL] = leads.created[0] + 0.0 if n > 0 else math.inf
    clock[LOADED_UNTIL] = math.inf
    return State(
        pc=np.full(n, DONE, dtype=np.int8),
        temperature=leads.temperature.copy(),
        closes=leads.closes.copy(),
        routing=np.zeros(n, dtype=np.int32),
        deadline=np.zeros(n),
        attempt=np.zeros(n, dtype=np.int32),
        called_at=np.zeros(n),
        reaching=np.zeros(n, dtype=np.bool_),
        warms_at=np.zeros(n),
        engaged=leads.created.copy(),
        ticket_of=np.full(n, -1, dtype=np.int32),
        mqls=np.zeros(weeks, dtype=np.int64),
        verdicts=np.zeros(weeks, dtype=np.int64),
        thresholds=thresholds,
        known=np.ones(1, dtype=np.int64),
        heard=np.zeros(2, dtype=np.int64),
        said=np.full(1, np.nan),
        queue=np.empty((n + 1, 4)),
        due=np.empty((64, 1)),
        # More rows than leads (see events.compact), and with inbound checks a row more per
        # lead: an SLA reminder that outlives its lead's wait (it fires and does nothing).
        events=np.empty((n + n // 2 + 64 + (n if len(params.checks) else 0), 4)),
        ready=np.empty(n + 1, dtype=np.int32),
        lane_lead=np.empty(n + 1, dtype=np.int32),
        lane_time=np.empty(n + 1),
        touches_due=np.empty((n + 1, 4)),
        inbox=np.empty(n + 1, dtype=np.int32),
        arrivals=np.arange(n, dtype=np.int32),
        ident=np.arange(n, dtype=np.int64),
        count=count,
        clock=clock,
    )
