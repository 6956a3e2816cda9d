"""The reference engine: each lead's life is a simpy process that reads like MODEL.md section 3.

It is written to be read, not to be fast. The fast engine is held to its ledger lead by lead.
The processes, events and the sales floor are written here; every formula they apply (scores,
queue keys, deadlines, nurture, outcomes) is a function of alignsim.engines.rules, the same
compiled code the fast engine runs, called from Python.

Order within one instant (MODEL.md): arrivals, routings, window closings and reps coming free
are applied first; only then do free reps pick work. SimPy processes events at one time by
priority (URGENT 0, NORMAL 1), so the sales floor's dispatch runs at priority LOW = 2, after
every other event of its instant, including those scheduled during it.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy
from simpy.events import Event

from alignsim.compiled.calendar import calendar_arrays
from alignsim.engines import rules
from alignsim.engines.plan import Plan
from alignsim.ledger import OUTCOMES, LedgerBook
from alignsim.scenario import OWNERS, Policy
from alignsim.units import WEEK

LOW = 2
"""SimPy priority of the dispatch: after URGENT (0) and NORMAL (1) events of the same instant."""

SALES = OWNERS.index("sales")


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
        self.inbox: dict[int, Event] = {}
        """Marketing leads routed to sales that no rep has seen yet (MODEL.md 6.2)."""
        self.last_look = -math.inf
        """When a rep last looked at the inbound queue."""
        self.check_at = -math.inf
        """The inbound check a look is scheduled for."""

    def look(self) -> None:
        """A rep looks at the inbound queue: every lead routed so far is seen and joins the
        queue in this instant."""
        self.last_look = self.env.now
        inbox, self.inbox = self.inbox, {}
        for seen in inbox.values():
            seen.succeed()

    def unseen(self, lead: int) -> Event:
        """A routed lead waits in the inbound queue; the event fires when a rep looks."""
        seen = self.env.event()
        self.inbox[lead] = seen
        return seen

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


class Marketing:
    """Marketing's week, kept by the Monday (MODEL.md steps 10 and 11).

    Counts the MQLs marketing delivers and the sales verdicts (reviews of routed marketing
    leads) it receives, by week. Every Monday 00:00 the MQL threshold moves a step towards the
    weekly MQL target (`goals.marketing = "mql_volume"`, kept within [0, 1]) and, with a
    feedback loop, the definition noise is recomputed from all verdicts before that Monday.
    Only finished weeks count, so the order of events within an instant never matters.
    """

    def __init__(self, policy: Policy, horizon: float) -> None:
        weeks = int(horizon // WEEK) + 2
        self.policy = policy
        self.mqls = np.zeros(weeks, dtype=np.int64)
        self.verdicts = np.zeros(weeks, dtype=np.int64)
        self._thresholds = [policy.definition.mql_threshold]

    @staticmethod
    def week(t: float) -> int:
        return int(t // WEEK)

    def count_mql(self, t: float) -> None:
        self.mqls[self.week(t)] += 1

    def count_verdict(self, t: float) -> None:
        self.verdicts[self.week(t)] += 1

    def threshold(self, t: float) -> float:
        """The MQL threshold in force at time t."""
        goals, week = self.policy.goals, self.week(t)
        volume = goals.marketing == "mql_volume"
        target = rules.weekly_mql_target(goals.mql_target) if goals.mql_target else 0.0
        while len(self._thresholds) <= week:
            done = len(self._thresholds) - 1  # the week that just ended
            self._thresholds.append(
                rules.next_threshold(
                    self._thresholds[-1], int(self.mqls[done]), target, goals.step, volume
                )
            )
        return self._thresholds[week]

    def noise(self, t: float) -> float:
        """Marketing's definition noise sigma_m in force at time t."""
        sigma = self.policy.definition.marketing_noise
        feedback = self.policy.feedback
        if feedback is None or not rules.feedback_learns(feedback.enabled, feedback.floor, sigma):
            return sigma
        heard = int(self.verdicts[: self.week(t)].sum())
        return rules.learned_noise(sigma, feedback.floor, heard, feedback.half_life, 0.5)


class LeadFlow:
    """One policy playing one lead stream."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.s = plan.stream
        self.policy = plan.policy
        self.env = simpy.Environment()
        self.floor = SalesFloor(self.env, plan)
        self.book = LedgerBook(plan.stream)
        self.marketing = Marketing(plan.policy, plan.horizon)
        self.temperature = plan.stream.temperature.astype(np.int64)
        """Each buyer's temperature now: it rises as they warm up in nurture."""
        self.closes = plan.stream.created + plan.stream.patience
        """When each buyer's current window closes (a warming opens a new one)."""
        self.warms_at = np.full(len(plan.stream), math.inf)
        """When each buyer in nurture warms next."""
        self.engaged = plan.stream.created.astype(float)
        """When each buyer last engaged (created, warmed, recycled): the contact decay's start."""
        self.hours = calendar_arrays(plan.calendar)
        self.buyers = plan.buyer_clock()
        """When buyers are at work, as the compiled calendar's arrays (empty: wall clock)."""

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
        """MODEL.md section 3 for one lead, created now."""
        book, now = self.book, self.env.now
        book.response_due[lead] = self.plan.response_due[lead]
        if self.s.owner[lead] == SALES:
            book.routed[lead] = book.accepted[lead] = now  # sales' own prospect: no review
            yield from self.work(lead, 0, self.plan.response_due[lead])
            return
        if self.marketing_calls_it_mql(lead):
            yield from self.to_sales(lead)
        elif (
            self.policy.nurture is not None
            and self.policy.nurture.not_mql
            and self.can_nurture(lead)
        ):
            yield from self.nurture(lead)
        else:
            book.end(lead, "not_mql", now)

    def true_score(self, lead: int) -> float:
        """The true score z at the buyer's temperature now."""
        return rules.true_score(self.s.fit[lead], self.temperature[lead])

    def marketing_calls_it_mql(self, lead: int) -> bool:
        """Step 2, and step 9 at each nurture touch: marketing scores the lead."""
        now, book = self.env.now, self.book
        scoring = book.touches[lead]  # 0 at creation, then one per touch
        noise, eps = self.marketing.noise(now), self.s.eps_m[lead, scoring]
        if not rules.marketing_calls_it_mql(
            self.true_score(lead), noise, eps, self.marketing.threshold(now)
        ):
            return False
        self.marketing.count_mql(now)
        if np.isnan(book.mql[lead]):
            book.mql[lead] = now
        return True

    def to_sales(self, lead: int) -> Generator[Event, Any, None]:
        """Steps 3-4 for an MQL made now: handoff, sales' review, then the queue."""
        book, routing = self.book, int(self.book.recycles[lead])
        book.mark(lead, "in_queue")
        deadline = self.plan.response_due[lead] if routing == 0 else self.due_from_now(lead)
        yield from self.hand_off(lead, routing)
        now = self.env.now
        if np.isnan(book.routed[lead]):
            book.routed[lead] = now
        if not self.sales_accepts(lead, routing):
            if self.policy.rejected == "nurture" and self.can_nurture(lead):
                yield from self.nurture(lead)
            else:
                book.end(lead, "rejected", now)
            return
        if np.isnan(book.accepted[lead]):
            book.accepted[lead] = now
        yield from self.work(lead, routing, deadline)

    def sales_accepts(self, lead: int, routing: int) -> bool:
        """Step 4: sales' view of the record; each review is a verdict marketing hears."""
        d = self.policy.definition
        self.marketing.count_verdict(self.env.now)
        eps = self.s.eps_s[lead, routing]
        return rules.sales_accepts(self.true_score(lead), d.sales_noise, eps, d.accept_threshold)

    def hand_off(self, lead: int, routing: int) -> Generator[Event, Any, None]:
        """Realtime: after the routing delay. Batch: at the next export on a business day."""
        handoff, now = self.policy.handoff, self.env.now
        if handoff.mode == "realtime":
            yield self.env.timeout(self.plan.routing_delay[lead, routing])
        else:
            yield self.env.timeout(self.plan.calendar.next_clock_time(now, handoff.times) - now)

    def can_nurture(self, lead: int) -> bool:
        """A lead enters nurture only with touches and recycles left."""
        nurture, book = self.policy.nurture, self.book
        return nurture is not None and rules.can_nurture(
            nurture.enabled,
            book.touches[lead],
            nurture.touches,
            book.recycles[lead],
            nurture.max_recycles,
        )

    def nurture(self, lead: int) -> Generator[Event, Any, None]:
        """Step 9: touches every `every`; the buyer warms (sooner); an MQL is recycled."""
        nurture, s, book = self.policy.nurture, self.s, self.book
        assert nurture is not None
        book.mark(lead, "in_nurture")
        speed = rules.nurture_speed(nurture.lift)
        warmed = int(self.temperature[lead] - s.temperature[lead])  # warmings so far
        self.warms_at[lead] = rules.next_warming(self.env.now, speed, s.warming, lead, warmed)
        while book.touches[lead] < nurture.touches:
            yield self.env.timeout(nurture.every)
            rules.warm(
                lead,
                self.env.now,
                self.temperature,
                s.temperature,
                self.warms_at,
                self.closes,
                s.warming,
                s.repatience,
                speed,
                self.engaged,
            )
            book.touches[lead] += 1
            if self.marketing_calls_it_mql(lead):
                book.recycles[lead] += 1
                self.engaged[lead] = self.env.now  # the buyer responded: re-engaged
                yield from self.to_sales(lead)
                return
        book.end(lead, "nurture_expired", self.env.now)

    def work(self, lead: int, routing: int, deadline: float) -> Generator[Event, Any, None]:
        """Steps 5-8: queue, contact attempts, qualification, opportunity."""
        book, sla = self.book, self.policy.sla
        skip_lost = self.plan.team.skip_lost_leads
        if rules.waits_for_a_look(self.plan.checks, self.s.owner[lead] == SALES):
            yield from self.wait_for_a_look(lead, deadline)
        closes = float(self.closes[lead])
        allowed = int(self.plan.attempts_allowed[lead])
        for attempt in range(allowed):
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
                yield from self.qualify(lead, routing)
                return
            if attempt == allowed - 1:
                book.end(lead, OUTCOMES[rules.unreached_outcome(called_at, closes)], self.env.now)
                return
            if skip_lost and closes < self.env.now + sla.attempt_spacing:
                yield self.env.timeout(max(0.0, closes - self.env.now))
                book.end(lead, "lost_to_competitor", self.env.now)
                return
            yield self.env.timeout(sla.attempt_spacing)
            deadline = self.due_from_now(lead)  # a retry is owed like a first response

    def due_from_now(self, lead: int) -> float:
        """When a response owed from now falls due: a recycled lead's first response, or a
        retry whose spacing just ended (the SLA's target for the buyer's temperature)."""
        sla, cal = self.policy.sla, self.hours
        return rules.response_due(
            self.env.now,
            self.temperature[lead],
            sla.target_hours(),
            sla.measured_in == "wall_clock",
            cal.starts,
            cal.ends,
            cal.cum,
            cal.length,
            cal.per_week,
        )

    def wait_for_a_look(self, lead: int, deadline: float) -> Generator[Event, Any, None]:
        """MODEL.md 6.2: a routed marketing lead is unseen until a rep looks at the inbound
        queue: at the next inbound check, or when its first response falls due before that.
        A look now (one of those, or one already made in this instant) sees it at once."""
        floor, now = self.floor, self.env.now
        check, due = rules.looks(now, deadline, self.plan.checks, self.hours.days)
        if min(check, due) <= now or floor.last_look == now:
            floor.look()
            return
        seen = floor.unseen(lead)
        if floor.check_at != check:  # one look per inbound check, for every lead it sees
            floor.check_at = check
            self.env.timeout(check - now).callbacks.append(lambda _: floor.look())
        if due < check:  # the SLA's reminder, if nobody has looked by then

            def reminder(_: Event) -> None:
                if floor.inbox.get(lead) is seen:  # still unseen, in this routing
                    floor.look()

            self.env.timeout(due - now).callbacks.append(reminder)
        yield seen

    def queue_key(self, lead: int, deadline: float) -> tuple[float, ...]:
        """The order in which reps take waiting leads (smallest first; lead id breaks ties)."""
        owned = self.s.owner[lead] == SALES
        return rules.queue_key(
            self.plan.discipline, self.env.now, self.s.value[lead], deadline, owned
        )

    def spend_rep_time(self, lead: int, hours: float) -> simpy.Timeout:
        start = self.env.now
        self.book.rep_hours[lead] += max(0.0, min(start + hours, self.plan.horizon) - start)
        return self.env.timeout(hours)

    def attempt(self, lead: int, closes: float) -> Generator[Event, Any, bool]:
        """Step 6: one call by the rep who took the lead. True if the buyer was reached: the
        window is open and the uniform falls below reach times the contact decay (6.1)."""
        book, k = self.book, int(self.book.attempts[lead])  # k: this lead's attempt index
        now = self.env.now
        if book.attempts[lead] == 0:
            book.first_attempt[lead] = now
        book.attempts[lead] += 1
        temperature = self.temperature[lead]
        plan = self.plan
        buyers = self.buyers  # the contact decay's clock: the buyers' working hours
        age = rules.decay_age(
            self.engaged[lead], now, buyers.starts, buyers.cum, buyers.length, buyers.per_week
        )
        chance = rules.reach_chance(
            self.s.reach[lead, temperature], age, plan.decay_weights, plan.decay_means
        )
        reached = rules.reaches(now, closes, self.s.u_reach[lead, k], chance)
        yield self.spend_rep_time(lead, self.plan.attempt_time[lead, k])
        if reached:
            if np.isnan(book.reached[lead]):
                book.reached[lead] = self.env.now
        else:
            self.floor.release()
        return bool(reached)

    def qualify(self, lead: int, routing: int) -> Generator[Event, Any, None]:
        """Steps 7-8: the same rep's qualification call, then the opportunity."""
        book, s = self.book, self.s
        temperature = self.temperature[lead]
        yield self.spend_rep_time(lead, self.plan.qualify_time[lead, routing])
        self.floor.release()
        now = self.env.now
        if not rules.qualifies(s.u_qualify[lead, routing], s.qualify[lead, temperature]):
            nurture = self.policy.nurture
            owned = s.owner[lead] == SALES
            if (
                nurture is not None
                and rules.nurtures_not_ready(nurture.not_ready, temperature, owned)
                and self.can_nurture(lead)
            ):
                yield from self.nurture(lead)
            else:
                book.end(lead, "disqualified", now)
            return
        book.sql[lead] = now
        closes = book.closed[lead] = now + s.cycle[lead]
        outcome = OUTCOMES[
            rules.opportunity_outcome(
                closes, self.plan.horizon, s.u_win[lead], s.win[lead, temperature]
            )
        ]
        if outcome == "open_opportunity":
            book.mark(lead, outcome)  # decided after the horizon
            return
        book.end(lead, outcome, closes)
        if outcome == "won":
            book.revenue[lead] = s.value[lead]


def play(plan: Plan) -> LedgerBook:
    """Play one policy over one lead stream with the simpy reference engine."""
    return LeadFlow(plan).run()
