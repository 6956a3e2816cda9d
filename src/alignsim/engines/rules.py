"""The model's rules (MODEL.md section 3), each written once: small pure functions.

Both engines call these. The fast engine calls them compiled (numba inlines them into its
steps); the simpy engine calls the same functions from Python, so the reference engine keeps
the dynamics (processes, events, the sales floor) as prose and every formula lives here.
Each rule is tested against MODEL.md's formula, written out in tests/test_rules.py.

Times are hours from Monday 00:00 of week 1; scores are on the 0..1 scale of fit and
readiness. Temperatures are codes into `TEMPERATURES` (cold 0, warm 1, hot 2), disciplines
codes into `DISCIPLINES` (`Discipline`), outcomes the ledger's `Outcome`.

Compiled with `_nrt=False` where they allocate nothing (see alignsim.engines.fast), and
cached on disk under a key of every source file the engines compile
(alignsim.engines.compile_cache): an edit here can never leave stale compiled code.
"""

from __future__ import annotations

import math
from enum import IntEnum

import numpy as np
from numba import njit

from alignsim.compiled.calendar import add_business_hours, business_hours_between, next_clock_time
from alignsim.engines import compile_cache  # noqa: F401  (keys the cache before compiling)
from alignsim.ledger import Outcome
from alignsim.scenario import DISCIPLINES, TEMPERATURES
from alignsim.units import WEEK

HOT = TEMPERATURES.index("hot")
"""Temperature code of a hot buyer: the last of the warmings, and ready to buy."""


class Discipline(IntEnum):
    """The queue disciplines' codes: their index in `DISCIPLINES` (the names' one home)."""

    FIFO = DISCIPLINES.index("fifo")
    LIFO = DISCIPLINES.index("lifo")
    VALUE = DISCIPLINES.index("value")
    SLA = DISCIPLINES.index("sla")
    CHERRY_PICK = DISCIPLINES.index("cherry-pick")


# ---------------------------------------------------------------------------- scores (steps 2, 4)


@njit(cache=True, _nrt=False)
def readiness(temperature: int) -> float:
    """A buyer's readiness: cold 0, warm 0.5, hot 1."""
    return 0.5 * temperature


@njit(cache=True, _nrt=False)
def true_score(fit: float, temperature: int) -> float:
    """The true lead score z = 0.5 fit + 0.5 readiness, at the buyer's temperature now."""
    return 0.5 * fit + 0.5 * readiness(temperature)


@njit(cache=True, _nrt=False)
def marketing_calls_it_mql(z: float, sigma_m: float, eps_m: float, threshold: float) -> bool:
    """Marketing's scoring: an MQL iff z + sigma_m eps_m >= the MQL threshold in force."""
    return z + sigma_m * eps_m >= threshold


@njit(cache=True, _nrt=False)
def sales_accepts(z: float, sigma_s: float, eps_s: float, accept_threshold: float) -> bool:
    """Sales' review of a routed lead: a SAL iff z + sigma_s eps_s >= the accept threshold."""
    return z + sigma_s * eps_s >= accept_threshold


# ---------------------------------------------------------------------------- marketing's week


@njit(cache=True, _nrt=False)
def next_threshold(
    threshold: float, mqls: int, weekly_target: float, step: float, mql_volume: bool
) -> float:
    """The MQL threshold of the week after one with `mqls` MQLs (step 11): with an MQL-volume
    goal it moves a step down when the weekly target was missed, up when exceeded, within
    [0, 1]; otherwise it stays."""
    if mql_volume:
        if mqls < weekly_target:
            return max(0.0, threshold - step)
        if mqls > weekly_target:
            return min(1.0, threshold + step)
    return threshold


@njit(cache=True, _nrt=False)
def weekly_mql_target(mql_target: float) -> float:
    """The MQLs a week the volume goal asks for, from `goals.mql_target` (MQLs an hour)."""
    return mql_target * WEEK


@njit(cache=True, _nrt=False)
def feedback_learns(enabled: bool, floor: float, sigma_m: float) -> bool:
    """Whether sales' verdicts shrink marketing's noise at all (step 10): a feedback loop with
    a floor below the definition's noise."""
    return enabled and floor < sigma_m


@njit(cache=True, _nrt=False)
def learned_noise(sigma_m: float, floor: float, heard: int, half_life: float, half: float) -> float:
    """sigma_m after `heard` sales verdicts (step 10): floor + (sigma_m - floor) 0.5^(heard /
    half_life). `half` is 0.5, passed at run time: with a constant base LLVM rewrites the pow
    into an exp2 that rounds differently from libm's pow (which CPython calls)."""
    return floor + (sigma_m - floor) * half ** (heard / half_life)


# ---------------------------------------------------------------------------- the queue (step 5)


@njit(cache=True, _nrt=False)
def queue_key(
    discipline: int, now: float, value: float, deadline: float, sales_owned: bool
) -> tuple[float, float]:
    """The order in which reps take waiting leads: smallest key first, then the second key
    (the lead id breaks remaining ties). fifo: oldest wait first; lifo: newest; value: largest
    deal; sla: earliest response deadline; cherry-pick: sales' own leads, then largest deal."""
    if discipline == Discipline.FIFO:
        return now, 0.0
    if discipline == Discipline.LIFO:
        return -now, 0.0
    if discipline == Discipline.VALUE:
        return -value, 0.0
    if discipline == Discipline.SLA:
        return deadline, 0.0
    return 0.0 if sales_owned else 1.0, -value


@njit(cache=True, _nrt=False)
def response_due(
    start: float,
    temperature: int,
    targets: np.ndarray,
    wall_clock: bool,
    starts: np.ndarray,
    ends: np.ndarray,
    cum: np.ndarray,
    length: float,
    per_week: float,
) -> float:
    """When the SLA's first response falls due for a lead that became an MQL (or sales' own
    lead) at `start`: the target for its temperature (`targets`, cold/warm/hot hours) later,
    on the wall clock or in business hours of the calendar (`CalendarArrays`)."""
    target = targets[temperature]
    if wall_clock:
        return start + target
    return add_business_hours(start, target, starts, ends, cum, length, per_week)


@njit(cache=True, nogil=True)
def response_due_each(
    start: np.ndarray,
    temperature: np.ndarray,
    targets: np.ndarray,
    wall_clock: bool,
    starts: np.ndarray,
    ends: np.ndarray,
    cum: np.ndarray,
    length: float,
    per_week: float,
) -> np.ndarray:
    """`response_due` of every lead (a plan's deadlines, one per lead)."""
    out = np.empty(len(start))
    for i in range(len(start)):
        out[i] = response_due(
            start[i], temperature[i], targets, wall_clock, starts, ends, cum, length, per_week
        )
    return out


# ---------------------------------------------------------------------------- looks (MODEL.md 6.2)


@njit(cache=True, _nrt=False)
def waits_for_a_look(checks: np.ndarray, sales_owned: bool) -> bool:
    """Whether a lead routed to sales waits unseen in the inbound queue until a rep looks:
    marketing's leads, when reps look at set times (`checks`: the team's inbound checks; empty
    when looks are continuous or the policy alerts reps at every routing, which is the same:
    each routing is then a look that reveals every lead routed so far). Sales' own prospects
    and retries never wait for a look: the rep already knows the lead."""
    return len(checks) > 0 and not sales_owned


@njit(cache=True, _nrt=False)
def looks(now: float, due: float, checks: np.ndarray, days: np.ndarray) -> tuple[float, float]:
    """The looks a marketing lead routed at `now` with its first response due at `due` waits
    for: (the next inbound check, at or after now on a business day; the look its SLA
    triggers: at its due time, or now if already due, when that comes before the check, else
    inf). A look reveals every lead routed so far; a look at `now` reveals this lead at once."""
    check = next_clock_time(now, checks, days)
    if due < check:
        return check, max(due, now)
    return check, math.inf


# ---------------------------------------------------------------------------- calls (steps 6-8)


@njit(cache=True, _nrt=False)
def reaches(now: float, closes: float, u_reach: float, reach_rate: float) -> bool:
    """An attempt started at `now` reaches the buyer iff the window (closing at `closes`) is
    still open and the attempt's uniform is below the reach rate."""
    return now < closes and u_reach < reach_rate


@njit(cache=True, _nrt=False)
def contact_decay(age: float, weights: np.ndarray, means: np.ndarray) -> float:
    """The market's contact decay D at `age` hours after the lead engaged (MODEL.md 6.1):
    sum_k weights[k] exp(-age / means[k]), a survival curve (a `never` component, mean inf,
    is the floor). No components: no decay, D = 1. exp is libm's (math.exp compiled)."""
    if len(weights) == 0:
        return 1.0
    d = 0.0
    for k in range(len(weights)):
        d += weights[k] * math.exp(-age / means[k])
    return d


@njit(cache=True, _nrt=False)
def decay_age(
    engaged: float, now: float, starts: np.ndarray, cum: np.ndarray, day: float, week: float
) -> float:
    """How old the buyer's engagement is to the contact decay at `now` (h): the buyers' working
    hours since `engaged` (`market.buyer_hours`, as arrays of the compiled calendar), or every
    hour (the wall clock) when the market names none (`starts` empty). A buyer's
    responsiveness fades while they are at work, not while they sleep (README, model)."""
    if len(starts) == 0:
        return now - engaged
    return business_hours_between(engaged, now, starts, cum, day, week)


@njit(cache=True, _nrt=False)
def reach_chance(reach_rate: float, age: float, weights: np.ndarray, means: np.ndarray) -> float:
    """The chance an attempt reaches a buyer whose window is open: the reach rate times the
    contact decay at `age` (decay_age: hours since the lead engaged, created, warmed or
    recycled). Without decay it is the reach rate itself (the same bits as before decay)."""
    if len(weights) == 0:
        return reach_rate
    return reach_rate * contact_decay(age, weights, means)


@njit(cache=True, _nrt=False)
def unreached_outcome(called_at: float, closes: float) -> int:
    """A lead whose last allowed attempt (started at `called_at`) failed: `unreached` if the
    window was still open, else `lost_to_competitor` (the slow response lost it)."""
    return Outcome.UNREACHED if called_at < closes else Outcome.LOST_TO_COMPETITOR


@njit(cache=True, _nrt=False)
def qualifies(u_qualify: float, qualify_rate: float) -> bool:
    """The qualification call makes an SQL iff its uniform is below the qualify rate."""
    return u_qualify < qualify_rate


@njit(cache=True, _nrt=False)
def opportunity_outcome(close: float, horizon: float, u_win: float, win_rate: float) -> int:
    """An opportunity closing at `close`: open at the horizon if it closes after it, else won
    iff its uniform is below the win rate, else lost."""
    if close >= horizon:
        return Outcome.OPEN_OPPORTUNITY
    if u_win < win_rate:
        return Outcome.WON
    return Outcome.LOST_DEAL


# ---------------------------------------------------------------------------- nurture (step 9)


@njit(cache=True, _nrt=False)
def can_nurture(
    enabled: bool, touches: int, max_touches: int, recycles: int, max_recycles: int
) -> bool:
    """A lead enters nurture only when the policy nurtures and it has touches and recycles left."""
    return enabled and touches < max_touches and recycles < max_recycles


@njit(cache=True, _nrt=False)
def nurtures_not_ready(not_ready: bool, temperature: int, sales_owned: bool) -> bool:
    """A disqualified lead goes to nurture (`nurture.not_ready`) only if not yet hot and
    marketing's: nurture is marketing's track, sales' own prospects end at disqualification."""
    return not_ready and temperature < HOT and not sales_owned


@njit(cache=True, _nrt=False)
def nurture_speed(lift: float) -> float:
    """How much nurture shortens the market's warming times: 1 - nurture.lift."""
    return 1.0 - lift


@njit(cache=True, _nrt=False)
def next_warming(after: float, speed: float, warming: np.ndarray, lead: int, warmed: int) -> float:
    """When a buyer in nurture warms next, `warmed` warmings after its creation temperature:
    the market's spontaneous warming time (`warming[lead, warmed]`) shortened by `speed`
    (1 - nurture.lift), after `after`; never after the second warming."""
    if warmed < 2:
        return after + speed * warming[lead, warmed]
    return math.inf


@njit(cache=True, _nrt=False)
def warm(
    lead: int,
    t: float,
    temperature: np.ndarray,
    born_as: np.ndarray,
    warms_at: np.ndarray,
    closes: np.ndarray,
    warming: np.ndarray,
    repatience: np.ndarray,
    speed: float,
    engaged: np.ndarray,
) -> None:
    """Warm a nurtured buyer up to time t: each warming due raises its temperature, opens
    a new buyer window with a fresh stored patience (`repatience`) and re-engages the buyer
    (`engaged`: the contact decay starts again)."""
    warmed = temperature[lead] - born_as[lead]
    while warms_at[lead] <= t:
        temperature[lead] += 1
        closes[lead] = warms_at[lead] + repatience[lead, warmed]
        engaged[lead] = warms_at[lead]
        warmed += 1
        warms_at[lead] = next_warming(warms_at[lead], speed, warming, lead, warmed)
