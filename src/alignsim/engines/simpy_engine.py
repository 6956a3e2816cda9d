"""The reference engine: each lead's life is a simpy process that reads like MODEL.md section 3.

It is written to be read, not to be fast. The fast engine is held to its ledger lead by lead.

Order within one instant (MODEL.md): arrivals, routings, window closings and reps coming free
are applied first; only then do free reps pick work. SimPy processes events at one time by
priority (URGENT 0, NORMAL 1), so the sales floor's dispatch runs at priority LOW = 2, after
every other event of its instant, including those scheduled during it.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Generator
from typing import Any

import simpy
from simpy.events import Event

from alignsim.engines.plan import Plan
from alignsim.ledger import LedgerBook
from alignsim.scenario import DISCIPLINES

LOW = 2
"""SimPy priority of the dispatch: after URGENT (0) and NORMAL (1) events of the same instant."""

SALES = 1


class _AtTheEndOfTheInstant(Event):
    """An event that fires `delay` hours from now, after every other event of that instant."""

    def __init__(self, env: simpy.Environment, delay: float = 0.0) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, LOW, delay)  # type: ignore[arg-type]


class SalesFloor:
    """The reps, their business hours, and the leads waiting for one of them.

    A lead waits with a priority key; a free rep, in business hours, takes the waiting lead
    with the smallest key. Keys end with the lead id, so ties break by lead id.
    """

    def __init__(self, env: simpy.Environment, plan: Plan) -> None:
        self.env = env
        self.calendar = plan.calendar
        self.free = plan.reps
        self._heap: list[tuple[Any, ...]] = []
        self._waiting: dict[int, Event] = {}
        self._tickets = itertools.count()
        self._dispatch_due: set[float] = set()

    def wait_for_rep(self, lead: int, key: tuple[float, ...]) -> Event:
        """Join the queue; the returned event fires when a rep takes this lead."""
        taken = self.env.event()
        self._waiting[lead] = taken
        heapq.heappush(self._heap, (*key, lead, next(self._tickets), taken))
        self._dispatch_at(self.env.now)
        return taken

    def withdraw(self, lead: int) -> None:
        """Leave the queue without being served (the buyer went elsewhere)."""
        self._waiting.pop(lead, None)

    def release(self) -> None:
        """A rep finishes an activity and is free again."""
        self.free += 1
        self._dispatch_at(self.env.now)

    def _dispatch_at(self, when: float) -> None:
        if when in self._dispatch_due:
            return
        self._dispatch_due.add(when)
        _AtTheEndOfTheInstant(self.env, when - self.env.now).callbacks.append(self._dispatch)

    def _dispatch(self, _: Event) -> None:
        now = self.env.now
        self._dispatch_due.discard(now)
        if not self._waiting or not self.free:
            return
        if not self.calendar.is_open(now):
            self._dispatch_at(self.calendar.next_open(now))
            return
        while self.free and self._heap:
            *_, lead, _ticket, taken = heapq.heappop(self._heap)
            if self._waiting.get(lead) is not taken:
                continue  # withdrawn earlier
            del self._waiting[lead]
            self.free -= 1
            taken.succeed()


class LeadFlow:
    """One policy playing one lead stream."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.s = plan.stream
        self.policy = plan.policy
        self.env = simpy.Environment()
        self.floor = SalesFloor(self.env, plan)
        self.book = LedgerBook(plan.stream)

    def run(self) -> LedgerBook:
        self.env.process(self.arrivals())
        self.env.run(until=self.plan.horizon)
        return self.book

    def arrivals(self) -> Generator[Event, Any, None]:
        """Leads are created at the stream's times, in lead-id order."""
        for lead, created in enumerate(self.s.created):
            yield self.env.timeout(created - self.env.now)
            self.env.process(self.life(lead))

    # ------------------------------------------------------------------ a lead's life

    def life(self, lead: int) -> Generator[Event, Any, None]:
        """Steps 1-8 of MODEL.md section 3 for one lead, created now."""
        book, now = self.book, self.env.now
        book.response_due[lead] = self.plan.response_due[lead]
        if self.s.owner[lead] == SALES:
            book.routed[lead] = book.accepted[lead] = now  # sales' own prospect: no review
            yield from self.work(lead)
            return
        if not self.marketing_calls_it_mql(lead):
            book.end(lead, "not_mql", now)
            return
        book.mql[lead] = now
        yield from self.hand_off()
        book.routed[lead] = self.env.now
        if not self.sales_accepts(lead):
            book.end(lead, "rejected", self.env.now)
            return
        book.accepted[lead] = self.env.now
        yield from self.work(lead)

    def marketing_calls_it_mql(self, lead: int) -> bool:
        d = self.policy.definition
        seen = self.plan.true_score[lead] + d.marketing_noise * self.s.eps_m[lead, 0]
        return bool(seen >= d.mql_threshold)

    def sales_accepts(self, lead: int) -> bool:
        d = self.policy.definition
        seen = self.plan.true_score[lead] + d.sales_noise * self.s.eps_s[lead, 0]
        return bool(seen >= d.accept_threshold)

    def hand_off(self) -> Generator[Event, Any, None]:
        """Realtime: after the routing delay. Batch: at the next export on a business day."""
        handoff, now = self.policy.handoff, self.env.now
        if handoff.mode == "realtime":
            yield self.env.timeout(handoff.routing_delay)
        else:
            yield self.env.timeout(self.plan.calendar.next_clock_time(now, handoff.times) - now)

    def window_closes_at(self, lead: int) -> float:
        return float(self.s.created[lead] + self.s.patience[lead])

    def work(self, lead: int) -> Generator[Event, Any, None]:
        """Steps 5-8: queue, contact attempts, qualification, opportunity."""
        book, sla = self.book, self.policy.sla
        skip_lost = self.plan.team.skip_lost_leads
        closes = self.window_closes_at(lead)
        deadline = self.plan.response_due[lead]
        for attempt in range(sla.max_attempts):
            if skip_lost and self.env.now >= closes:
                book.end(lead, "lost_to_competitor", self.env.now)
                return
            taken = self.floor.wait_for_rep(lead, self.queue_key(lead, deadline))
            if skip_lost:
                yield taken | self.env.timeout(closes - self.env.now)
                if not taken.triggered:
                    self.floor.withdraw(lead)
                    book.end(lead, "lost_to_competitor", self.env.now)
                    return
            else:
                yield taken
            called_at = self.env.now
            reached = yield from self.attempt(lead, closes)
            if reached:
                yield from self.qualify(lead)
                return
            if attempt == sla.max_attempts - 1:
                outcome = "unreached" if called_at < closes else "lost_to_competitor"
                book.end(lead, outcome, self.env.now)
                return
            if skip_lost and closes < self.env.now + sla.attempt_spacing:
                yield self.env.timeout(max(0.0, closes - self.env.now))
                book.end(lead, "lost_to_competitor", self.env.now)
                return
            yield self.env.timeout(sla.attempt_spacing)
            deadline = self.env.now  # a retry is due when its spacing ends

    def queue_key(self, lead: int, deadline: float) -> tuple[float, ...]:
        """The order in which reps take waiting leads (smallest first; lead id breaks ties)."""
        name = DISCIPLINES[self.plan.discipline]
        now = self.env.now
        if name == "fifo":
            return (now,)
        if name == "lifo":
            return (-now,)
        if name == "value":
            return (-self.s.value[lead],)
        if name == "sla":
            return (deadline,)
        return (0.0 if self.s.owner[lead] == SALES else 1.0, -self.s.value[lead])  # cherry-pick

    def spend_rep_time(self, lead: int, hours: float) -> simpy.Timeout:
        start = self.env.now
        self.book.rep_hours[lead] += max(0.0, min(start + hours, self.plan.horizon) - start)
        return self.env.timeout(hours)

    def attempt(self, lead: int, closes: float) -> Generator[Event, Any, bool]:
        """Step 6: one call by the rep who took the lead. True if the buyer was reached."""
        book, k = self.book, int(self.book.attempts[lead])  # k: this lead's attempt index
        now = self.env.now
        if book.attempts[lead] == 0:
            book.first_attempt[lead] = now
        book.attempts[lead] += 1
        temperature = self.s.temperature[lead]
        reached = now < closes and self.s.u_reach[lead, k] < self.s.reach[lead, temperature]
        yield self.spend_rep_time(lead, self.plan.attempt_time[lead, k])
        if reached:
            book.reached[lead] = self.env.now
        else:
            self.floor.release()
        return bool(reached)

    def qualify(self, lead: int) -> Generator[Event, Any, None]:
        """Steps 7-8: the same rep's qualification call, then the opportunity."""
        book, s = self.book, self.s
        temperature = s.temperature[lead]
        yield self.spend_rep_time(lead, self.plan.qualify_time[lead, 0])
        self.floor.release()
        now = self.env.now
        if not s.u_qualify[lead, 0] < s.qualify[lead, temperature]:
            book.end(lead, "disqualified", now)
            return
        book.sql[lead] = now
        closes = book.closed[lead] = now + s.cycle[lead]
        if closes >= self.plan.horizon:
            book.mark(lead, "open_opportunity")  # decided after the horizon
            return
        if s.u_win[lead] < s.win[lead, temperature]:
            book.end(lead, "won", closes)
            book.revenue[lead] = s.value[lead]
        else:
            book.end(lead, "lost_deal", closes)


def play(plan: Plan) -> LedgerBook:
    """Play one policy over one lead stream with the simpy reference engine."""
    return LeadFlow(plan).run()
