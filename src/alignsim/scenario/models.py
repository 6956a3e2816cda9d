"""The scenario schema: one market, one team and named policies (MODEL.md section 1).

Pydantic models of a validated scenario, frozen: everything downstream receives a `Scenario`
and never reads a file or validates again. Reading files is `files.py`; turning pydantic's
errors into sentences is `errors.py`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from alignsim.calendar import BusinessCalendar, parse_clock, parse_days
from alignsim.distributions import (
    AmountDist,
    Duration,
    DurationDist,
    DurationMixture,
    Exponential,
    Never,
    StrictModel,
    rare_upper_bound,
)
from alignsim.scenario.search import Optimise
from alignsim.scenario.uncertainty import Uncertainty
from alignsim.units import parse_rate

TEMPERATURES = ("cold", "warm", "hot")
"""Temperatures in order of readiness; a lead's code is its index (cold 0, warm 1, hot 2)."""

READINESS = np.array([0.0, 0.5, 1.0])
"""Readiness of each temperature, the second half of the true lead score."""

OWNERS = ("marketing", "sales")
DISCIPLINES = ("fifo", "lifo", "value", "sla", "cherry-pick")

MAX_ATTEMPTS = 12
"""Cap on `sla.max_attempts`: the width of the per-attempt block of the lead stream."""

MAX_HORIZON_WEEKS = 520
WEEK_HOURS = 168.0
MAX_EXPECTED_LEADS = 20_000_000
"""Most leads a run may create; the stream draws up to (peak intensity / mean) times more
candidates before thinning by the weekly profile and campaigns, and those count too."""

MAX_DEAL_VALUE = 1e12
"""Largest deal value a law may give (at its one-in-a-million quantile): sums over 20 million
leads stay exact to the cent in a float and print as money."""

MAX_PROFILE_WEIGHT = 1e6
"""Largest weight of a weekly profile (weights are relative: only their ratios matter)."""

Probability = Annotated[float, Field(ge=0, le=1)]
Rate = Annotated[
    float,
    BeforeValidator(parse_rate),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d+(\.\d+)?\s*/\s*(hour|h|day|d|week|w|month|year)$"}
    ),
]
"""Events per hour, written like "120/week"."""
ClockTime = Annotated[
    float,
    BeforeValidator(parse_clock),
    WithJsonSchema({"type": "string", "pattern": r"^\d\d:\d\d$"}),
]
"""A time of day written like "17:00"; hours after midnight once parsed."""
Days = Annotated[
    tuple[int, ...],
    BeforeValidator(parse_days),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
]


# --------------------------------------------------------------------------- market


def _same_for_all(value: Any) -> Any:
    if isinstance(value, int | float | str | list) and not isinstance(value, bool):
        return {t: value for t in TEMPERATURES}
    return value


FitLine = Probability | tuple[Probability, Probability]
"""A chance, either the same for every fit or a pair [at fit 0, at fit 1] (linear between)."""


class RateTable(StrictModel):
    """A chance by temperature, optionally rising with fit: `{cold = [0.02, 0.1], warm = 0.3, hot = 0.5}`.

    A single number or pair applies to every temperature.
    """

    cold: FitLine
    warm: FitLine
    hot: FitLine

    def by_temperature(self, fit: np.ndarray) -> np.ndarray:
        """Chance for each lead (rows) at each temperature (columns cold, warm, hot)."""
        out = np.empty((len(fit), 3))
        for k, name in enumerate(TEMPERATURES):
            line = getattr(self, name)
            lo, hi = (line, line) if isinstance(line, float | int) else line
            out[:, k] = lo + (hi - lo) * fit
        return out


ByTemperature = Annotated[RateTable, BeforeValidator(_same_for_all)]


class TemperatureMix(StrictModel):
    """Shares of new leads arriving cold, warm and hot; they add up to 1."""

    cold: Probability = 0.0
    warm: Probability = 0.0
    hot: Probability = 0.0

    @model_validator(mode="after")
    def _adds_up(self) -> TemperatureMix:
        total = self.cold + self.warm + self.hot
        if abs(total - 1) > 1e-9:
            raise ValueError(f"shares of cold, warm and hot must add up to 1 (got {total:.6g})")
        return self

    @property
    def shares(self) -> np.ndarray:
        return np.array([self.cold, self.warm, self.hot])


class Campaign(StrictModel):
    """A dated burst: arrivals multiplied by `multiplier` on [start, start + duration)."""

    start: Duration
    duration: Duration
    multiplier: float = Field(ge=0, le=100)


class Source(StrictModel):
    """Where leads come from and what buyers they bring."""

    rate: Rate = Field(description='Mean arrivals, e.g. "120/week".')
    arrivals: Literal["always", "business_hours"] = Field(
        "always",
        description="Around the clock, or only in the team's base business hours "
        "(the weekly total is the same).",
    )
    owner: Literal["marketing", "sales"] = "marketing"
    fit: AmountDist = Field(description="Fit with the ideal customer profile, in [0, 1].")
    temperature: TemperatureMix
    value: AmountDist = Field(description="Deal value in the scenario's currency.")
    weekly_profile: list[Annotated[float, Field(ge=0, le=MAX_PROFILE_WEIGHT)]] | None = Field(
        None, description="Relative arrival weights Monday..Sunday (7 numbers)."
    )
    campaigns: list[Campaign] = []

    @field_validator("fit")
    @classmethod
    def _fit_in_unit_interval(cls, dist: Any) -> Any:
        lo, hi = dist.support()
        if lo < 0 or hi > 1:
            raise ValueError(f"fit must stay within [0, 1] (this law ranges over [{lo}, {hi}])")
        return dist

    @field_validator("value")
    @classmethod
    def _value_positive(cls, dist: Any) -> Any:
        if dist.support()[0] < 0:
            raise ValueError("deal values must not be negative")
        try:
            top = rare_upper_bound(dist)
        except OverflowError:
            top = math.inf
        if not top <= MAX_DEAL_VALUE:  # NaN too
            raise ValueError(
                f"deal values must stay under {MAX_DEAL_VALUE:.0e} (this law gives {top:.3g} "
                "once in a million leads)"
            )
        return dist

    def peak(self, days: tuple[int, ...] | None = None) -> float:
        """Highest arrival intensity over the mean (weekly profile times campaigns), as the
        stream bounds it; `days` are the business days when arrivals are in business hours."""
        bound = 1.0
        if self.weekly_profile is not None:
            open_days = list(range(7)) if days is None else list(days)
            weights = [self.weekly_profile[d] for d in open_days]
            if sum(weights) > 0:
                bound = max(weights) * len(weights) / sum(weights)
        for campaign in self.campaigns:
            bound *= max(1.0, campaign.multiplier)
        return bound

    @field_validator("weekly_profile")
    @classmethod
    def _seven(cls, w: list[float] | None) -> list[float] | None:
        if w is not None and (len(w) != 7 or sum(w) <= 0):
            raise ValueError("expected 7 weights, Monday to Sunday, not all zero")
        return w


class Patience(StrictModel):
    """How long a buyer's window stays open, by temperature at the time it opens."""

    cold: DurationDist
    warm: DurationDist
    hot: DurationDist


class Warming(StrictModel):
    """Spontaneous warming: how long a buyer stays cold before turning warm, and warm before hot."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    cold_to_warm: DurationDist = {"dist": "never"}  # type: ignore[assignment]
    warm_to_hot: DurationDist = {"dist": "never"}  # type: ignore[assignment]


class Hours(StrictModel):
    """Business hours: open to close on the listed days."""

    open: ClockTime = 9.0
    close: ClockTime = 17.0
    days: Days = (0, 1, 2, 3, 4)

    @model_validator(mode="after")
    def _ordered(self) -> Hours:
        if not self.open < self.close:
            raise ValueError("open must be before close")
        return self

    @property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(self.open, self.close, self.days)


class Market(StrictModel):
    """What no policy changes: sources, buyers and the chances to reach, qualify and win."""

    sources: dict[str, Source] = Field(min_length=1)
    patience: Patience
    reach: ByTemperature = Field(
        description="Chance one attempt reaches a buyer whose window is open."
    )
    qualify: ByTemperature = Field(description="Chance a reached buyer qualifies (SQL).")
    win: ByTemperature = Field(description="Chance an opportunity is won.")
    cycle: DurationDist = Field(description="Sales-cycle length, from SQL to close.")
    warming: Warming = Warming()
    contact_decay: DurationDist | None = Field(
        None,
        description="How a buyer's responsiveness fades after they engaged (MODEL.md 6.1): the "
        "survival curve D(t) = P(law > t) of an exponential, `never`, or a mixture of those; "
        "an attempt t hours after engagement reaches with chance reach * D(t). Absent: no decay.",
    )

    buyer_hours: Hours | None = Field(
        None,
        description="When buyers are at work (open, close, days): the contact decay counts "
        "only these hours, so a form filled at 22:00 and called at 09:05 the next morning is "
        "65 minutes old if buyers start at 08:00. Absent: every hour counts (the wall clock).",
    )

    @field_validator("contact_decay")
    @classmethod
    def _sum_of_exponentials(cls, law: DurationDist | None) -> DurationDist | None:
        parts = law.components if isinstance(law, DurationMixture) else [law]
        if law is not None and not all(isinstance(c, Exponential | Never) for c in parts):
            raise ValueError(
                'must be "exponential", "never" or a mixture of those (its survival curve is '
                "a sum of exponentials)"
            )
        return law

    def decay_terms(self) -> tuple[np.ndarray, np.ndarray]:
        """The contact decay as D(t) = sum_k weight_k exp(-t / mean_k): (weights, means in
        hours; inf for `never`, the floor). Empty arrays without decay (D = 1)."""
        law = self.contact_decay
        if law is None:
            return np.zeros(0), np.zeros(0)
        parts = law.components if isinstance(law, DurationMixture) else [law]
        weights = [1.0 if c.weight is None or len(parts) == 1 else c.weight for c in parts]
        return np.array(weights, dtype=float), np.array([c.mean() for c in parts], dtype=float)


# --------------------------------------------------------------------------- team


class Team(StrictModel):
    """The sales reps who answer leads."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    reps: int = Field(ge=1, le=10_000)
    hours: Hours = Hours()
    attempt_time: DurationDist = Field(
        "10m",
        description="Rep time for one contact attempt.",  # type: ignore[arg-type]
    )
    qualify_time: DurationDist = Field(
        "30m",
        description="Rep time for the qualification call after a buyer is reached.",  # type: ignore[arg-type]
    )
    skip_lost_leads: bool = Field(
        False, description="Drop a lead from the queue when its buyer's window closes."
    )
    inbound_checks: list[ClockTime] | None = Field(
        None,
        min_length=1,
        description="Clock times on business days when reps look at the inbound queue, e.g. "
        '["09:00", "13:30"] (MODEL.md 6.2): a routed marketing lead waits unseen until the next '
        "look (or an alert, or its SLA falling due). Absent: reps see every lead at once.",
    )

    @field_validator("inbound_checks")
    @classmethod
    def _checks_within_the_day(cls, times: list[float] | None) -> list[float] | None:
        if times is not None and any(t >= 24 for t in times):
            raise ValueError('a check time must be before midnight (use "00:00" for midnight)')
        return times


class TeamOverride(StrictModel):
    """A policy's changes to the team (hiring is a lever); unset fields keep the scenario's."""

    reps: int | None = Field(None, ge=1, le=10_000)
    hours: Hours | None = None
    attempt_time: DurationDist | None = None
    qualify_time: DurationDist | None = None
    skip_lost_leads: bool | None = None
    inbound_checks: list[ClockTime] | None = Field(None, min_length=1)


# --------------------------------------------------------------------------- policy


class Definition(StrictModel):
    """The lead definitions: how noisily each side sees the true lead score, and its bar."""

    marketing_noise: float = Field(
        ge=0, le=5, description="sigma_m: objective ~0.05, subjective ~0.25."
    )
    sales_noise: float = Field(ge=0, le=5, description="sigma_s, sales' view from the record.")
    mql_threshold: float = Field(
        ge=-2, le=3, description="Marketing's bar on its view of the score."
    )
    accept_threshold: float = Field(ge=-2, le=3, description="Sales' bar to accept (SAL).")


class Handoff(StrictModel):
    """How MQLs reach sales: in real time after a routing delay, or in batches at clock times."""

    mode: Literal["realtime", "batch"] = "realtime"
    routing_delay: DurationDist = Field(
        "0s",
        validate_default=True,
        description='Realtime: delay before the lead reaches sales, e.g. "10m" or a '
        "distribution (an inbox nobody watches).",
    )
    times: list[ClockTime] = Field(
        [17.0],
        min_length=1,
        description='Batch: export clock times on business days, e.g. ["17:00"].',
    )

    @field_validator("times")
    @classmethod
    def _within_the_day(cls, times: list[float]) -> list[float]:
        if any(t >= 24 for t in times):
            raise ValueError('an export time must be before midnight (use "00:00" for midnight)')
        return times


class FirstResponse(StrictModel):
    """Response target by temperature."""

    cold: Duration
    warm: Duration
    hot: Duration


class SLA(StrictModel):
    """The service-level agreement: first-response target, attempts required and their spacing."""

    first_response: Annotated[FirstResponse, BeforeValidator(_same_for_all)] = Field(
        description='Target from MQL to first attempt: "4h", or by temperature.'
    )
    measured_in: Literal["business_hours", "wall_clock"] = Field(
        "business_hours",
        description="Count the first-response target in the team's business hours (the usual "
        "SLA) or around the clock.",
    )
    max_attempts: int = Field(1, ge=1, le=MAX_ATTEMPTS)
    attempt_spacing: Duration = Field(24.0, description="Wait after a failed attempt.")

    def target_hours(self) -> np.ndarray:
        """First-response target (hours) for cold, warm, hot."""
        f = self.first_response
        return np.array([f.cold, f.warm, f.hot])


MAX_NURTURE_TOUCHES = 52
"""Most nurture touches a lead can get over its life (the stream holds one score per touch)."""

MAX_RECYCLES = 4
"""Most times one lead can be handed back to sales from nurture."""


class Nurture(StrictModel):
    """Marketing's nurture track for leads that are not ready yet (MODEL.md step 9).

    A nurtured lead is touched every `every`; at each touch marketing re-scores it and an MQL
    goes back to sales (a recycle). While nurtured the buyer warms up `lift` sooner than on
    their own (a warming time w becomes (1 - lift) w). A lead gets at most `max` of nurture
    over its life, in touches of `every`, and at most `max_recycles` recycles.
    """

    enabled: bool = True
    every: Duration = Field(336.0, description='Time between touches, e.g. "2w".')
    max: Duration = Field(
        26 * 168.0, description='Most nurture a lead gets over its life, e.g. "26w".'
    )
    lift: float = Field(
        0.3, ge=0, lt=1, description="Share by which nurture shortens each warming time."
    )
    max_recycles: int = Field(2, ge=0, le=MAX_RECYCLES)
    not_mql: bool = Field(True, description="Leads that are not MQLs at creation are nurtured.")
    not_ready: bool = Field(
        True, description="Cold and warm leads that fail qualification are nurtured."
    )

    @model_validator(mode="after")
    def _touches(self) -> Nurture:
        if self.every <= 0:
            raise ValueError("every must be longer than zero")
        if self.touches > MAX_NURTURE_TOUCHES:
            raise ValueError(
                f"max allows {self.touches} touches of every; at most {MAX_NURTURE_TOUCHES}"
            )
        return self

    @property
    def touches(self) -> int:
        """Most touches a lead gets over its life."""
        return math.floor(self.max / self.every + 1e-9)


class Feedback(StrictModel):
    """Sales' verdicts fed back to marketing (MODEL.md step 10).

    Every Monday marketing's definition noise becomes
    floor + (sigma_m - floor) * 0.5 ** (verdicts / half_life), counting the sales reviews of
    marketing leads made before that Monday.
    """

    enabled: bool = True
    half_life: float = Field(
        200.0, gt=0, description="Sales verdicts that halve the distance to the floor."
    )
    floor: float = Field(0.05, ge=0, le=5, description="The noise a shared definition keeps.")


class Goals(StrictModel):
    """What each team is paid for (MODEL.md step 11)."""

    marketing: Literal["none", "mql_volume"] = "none"
    mql_target: Rate | None = Field(
        None, description='MQLs a week marketing must deliver, e.g. "60/week".'
    )
    step: float = Field(
        0.05, gt=0, le=1, description="How far the MQL threshold moves each Monday."
    )
    sales: Literal["none", "quota"] = "none"
    min_value: float = Field(
        0.0, ge=0, description="Quota: marketing leads under this value get one attempt."
    )

    @model_validator(mode="after")
    def _target(self) -> Goals:
        if self.marketing == "mql_volume" and self.mql_target is None:
            raise ValueError('mql_target is required with marketing = "mql_volume"')
        return self


class PostSale(StrictModel):
    """Work after the deal (MODEL.md 6.5): with `joint = true` marketing and sales share post-sale
    growth and retention work, which cuts the yearly churn of the policy's customers by
    `churn_cut` (their retention chance r becomes 1 - (1 - r) * (1 - churn_cut)). The effect is
    an assumption, grade C: the alignment surveys (MarketingProfs / Marketo) report aligned
    firms keep customers "36% better" without saying how that was measured."""

    joint: bool = False
    churn_cut: float = Field(
        0.25, ge=0, le=1, description="Share of the yearly churn that joint post-sale work removes."
    )


class Policy(StrictModel):
    """What a company chooses: definitions, handoff, SLA, queue discipline, what happens to rejects."""

    description: str = ""
    definition: Definition
    handoff: Handoff = Handoff()
    sla: SLA
    queue: Literal["fifo", "lifo", "value", "sla", "cherry-pick"] = "fifo"
    rejected: Literal["discard", "nurture"] = Field(
        "discard",
        description='"discard": a rejected lead ends as rejected; "nurture": back to marketing.',
    )
    alerts: bool = Field(
        False,
        description="A CRM notification on assignment: reps look at the inbound queue when a "
        "lead is routed, so no marketing lead waits unseen (MODEL.md 6.2).",
    )
    nurture: Nurture | None = None
    feedback: Feedback | None = None
    goals: Goals = Goals()
    team: TeamOverride | None = None
    post_sale: PostSale = PostSale()

    @model_validator(mode="after")
    def _nurture_needed(self) -> Policy:
        if self.rejected == "nurture" and not self.nurtures:
            raise ValueError('rejected = "nurture" needs a [nurture] table with enabled = true')
        return self

    @property
    def nurtures(self) -> bool:
        return self.nurture is not None and self.nurture.enabled

    @property
    def learns(self) -> bool:
        return self.feedback is not None and self.feedback.enabled

    @property
    def discipline(self) -> str:
        """The queue discipline in effect: a sales quota means cherry-picking."""
        return "cherry-pick" if self.goals.sales == "quota" else self.queue

    def retention(self, economics: Economics) -> float:
        """The yearly retention chance of this policy's customers (post-sale work included)."""
        r = economics.retention
        return 1.0 - (1.0 - r) * (1.0 - self.post_sale.churn_cut) if self.post_sale.joint else r


# --------------------------------------------------------------------------- economics

MAX_MONEY = 1e12
"""Upper bound of every money figure of [economics] (currency)."""
Money = Annotated[float, Field(ge=0, le=MAX_MONEY)]
MAX_ECONOMICS_YEARS = 20


class Programme(StrictModel):
    """The alignment programme's cost (tooling, a RevOps hire): carried by the baseline, the
    policy one moves TO, and counted only when the two policies differ."""

    one_off: Money = Field(0.0, description="Paid once, when the programme starts (currency).")
    yearly: Money = Field(0.0, description="Paid every year the programme runs (currency).")


class Economics(StrictModel):
    """Money (MODEL.md 6.5): margin, costs and the revenue cycle of a won customer.

    A won deal's value is its first-year contract (bookings). The customer renews each year
    with chance `retention` (a policy's post-sale work may raise it) and a renewed contract
    grows by `expansion` a year, over `years` contract years; lifetime value discounts year k
    of a deal by (1 + discount_rate)^k from its close. Every default is an assumption of a
    typical mid-market B2B software firm except retention (SaaS Capital, grade B).
    """

    gross_margin: Probability = Field(0.75, description="Gross margin on revenue, 0..1.")
    rep_cost: Money = Field(
        100_000.0, description="Fully loaded cost of one rep a year (currency)."
    )
    lead_cost: dict[str, Money] = Field(
        {}, description="Cost per lead by source, as marketing reports it (currency; default 0)."
    )
    touch_cost: Money = Field(0.0, description="Cost of one nurture touch (currency).")
    programme: Programme = Programme()
    discount_rate: float = Field(0.10, ge=0, le=1, description="Yearly discount rate, 0..1.")
    years: int = Field(3, ge=1, le=MAX_ECONOMICS_YEARS, description="Contract years counted.")
    retention: Probability = Field(0.90, description="Chance a customer renews, each year.")
    expansion: float = Field(
        0.0, ge=-1, le=1, description="Yearly growth of a renewed contract (0.1 = 10%)."
    )


# --------------------------------------------------------------------------- scenario


class Scenario(StrictModel):
    """One company: a market, a team and the named policies it may run."""

    name: str
    description: str = ""
    currency: str = "EUR"
    horizon: Duration = Field(
        52 * 168.0,
        description='The measurement window, e.g. "52w": the leads created in it are the '
        "cohort every per-year figure counts.",
    )
    warmup: Literal["auto"] | Duration = Field(
        "auto",
        description='Simulated time before the window, e.g. "20w" (rounded up to whole weeks), '
        'or "auto": whole weeks covering the longest nurture plus the 95th percentile of the '
        "sales cycle, at least 4 weeks.",
    )
    settle: Literal["auto"] | Duration = Field(
        "auto",
        description='Simulated time after the window, e.g. "30w", or "auto": whole weeks '
        "covering the longest a cohort lead can still need reps (nurture, the attempts and "
        "a week) plus the 95th percentile of the sales cycle, at least 2 weeks.",
    )
    seed: int = Field(0, ge=0, lt=2**63)
    market: Market
    team: Team
    policies: dict[str, Policy] = Field(min_length=1)
    baseline: str | None = Field(
        None,
        description='The policy others are compared against; default "aligned" if there is '
        "one, else the first policy.",
    )
    uncertainty: Uncertainty | None = None
    economics: Economics = Economics()
    optimise: Optimise | None = None

    @property
    def baseline_policy(self) -> str:
        """Name of the policy that revenue lost is measured against."""
        if self.baseline is not None:
            return self.baseline
        return "aligned" if "aligned" in self.policies else next(iter(self.policies))

    @model_validator(mode="after")
    def _sizes(self) -> Scenario:
        if self.baseline is not None and self.baseline not in self.policies:
            raise ValueError(
                f"baseline {self.baseline!r} is not one of the policies "
                f"({', '.join(self.policies)})"
            )
        if not 0 < self.horizon <= MAX_HORIZON_WEEKS * 168:
            raise ValueError(f"horizon must be positive and at most {MAX_HORIZON_WEEKS}w")
        unknown = sorted(set(self.economics.lead_cost) - set(self.market.sources))
        if unknown:  # worded as a field's line: the path, then what is wrong with it
            raise ValueError(
                f"economics.lead_cost.{unknown[0]}: not a source of the market "
                f"({', '.join(self.market.sources)})"
            )
        for name in ("warmup", "settle"):
            hours = getattr(self, name)
            if hours != "auto" and not 0 <= hours <= MAX_HORIZON_WEEKS * 168:
                raise ValueError(f"{name} must be at least 0 and at most {MAX_HORIZON_WEEKS}w")
        expected = candidate_leads(self, self.horizon)
        if not expected <= MAX_EXPECTED_LEADS:
            raise ValueError(
                f"the sources would create about {expected:,.0f} leads over the horizon "
                f"(at most {MAX_EXPECTED_LEADS:,} per run), counting the peaks of weekly "
                "profiles and campaigns"
            )
        return self

    def warmup_hours(self) -> float:
        """Hours simulated before the measurement window: whole weeks, so the window starts on
        a Monday 00:00 (MODEL.md 6.3). "auto": the longest nurture of a policy that nurtures
        plus the sales cycle's 95th percentile (queues fill in days, a nurture pool in its
        `max`, a pipeline in a cycle), at least 4 weeks."""
        if self.warmup != "auto":
            return math.ceil(self.warmup / WEEK_HOURS) * WEEK_HOURS
        need = self._longest_nurture() + self._cycle_p95()
        return max(4, math.ceil(need / WEEK_HOURS)) * WEEK_HOURS

    def settle_hours(self) -> float:
        """Hours simulated after the window, for the cohort's last leads to resolve. "auto":
        whole weeks covering the longest nurture, a full set of attempts and a week (the
        longest a cohort lead can still need reps), plus the sales cycle's 95th percentile
        (so its opportunities close: an opportunity still open at the end of the run is shown
        as `open_opportunity`, not counted as won), at least 2 weeks."""
        if self.settle != "auto":
            return float(self.settle)
        attempts = max(p.sla.max_attempts * p.sla.attempt_spacing for p in self.policies.values())
        need = self._longest_nurture() + attempts + WEEK_HOURS + self._cycle_p95()
        return max(2, math.ceil(need / WEEK_HOURS)) * WEEK_HOURS

    def run_hours(self, horizon: float | None = None) -> float:
        """Simulated hours of one run: warm-up, the window (`horizon`, default the
        scenario's) and the settle time."""
        window = self.horizon if horizon is None else float(horizon)
        return self.warmup_hours() + window + self.settle_hours()

    def _longest_nurture(self) -> float:
        return max((p.nurture.max for p in self.policies.values() if p.nurtures), default=0.0)

    def _cycle_p95(self) -> float:
        return float(self.market.cycle.from_uniform(np.array([0.95]))[0])

    def team_for(self, policy: str) -> Team:
        """The team a policy plays with: the scenario's, with the policy's overrides."""
        override = self.policies[policy].team
        if override is None:
            return self.team
        changes = {
            name: getattr(override, name)
            for name in override.model_fields_set
            if getattr(override, name) is not None
        }
        return self.team.model_copy(update=changes)

    def digest(self) -> str:
        """A short hash of the validated content, to tie outputs to their scenario."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    _source: tuple[dict[str, Any], str] | None = PrivateAttr(None)
    """With uncertain inputs: the document this was validated from, and its digest then."""

    def document(self) -> dict[str, Any] | None:
        """A copy of the document (a file's, extends resolved) this scenario was validated from.

        Kept for scenarios with an [uncertainty] table, whose drawn values a batch writes into
        the document, and with an [optimise] table, whose candidates are written into it. None for other scenarios, and for a copy changed since (`model_copy`).
        """
        if self._source is None or self._source[1] != self.digest():
            return None
        return copy.deepcopy(self._source[0])


def schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format, for editors."""
    out = Scenario.model_json_schema(mode="validation")
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = "alignsim scenario"
    return out


def expected_leads(scenario: Scenario) -> float:
    """Mean number of leads a run creates (ignores weekly profiles and campaigns)."""
    return sum(s.rate for s in scenario.market.sources.values()) * scenario.horizon


def candidate_leads(scenario: Scenario, hours: float) -> float:
    """Leads the stream draws over `hours` before thinning: each source's mean rate times its
    peak intensity (weekly profile and campaigns), on the calendar that shapes it."""
    calendars: list[tuple[int, ...] | None] = [scenario.team.hours.days] + [
        scenario.team_for(name).hours.days for name in scenario.policies
    ]
    total = 0.0
    for src in scenario.market.sources.values():
        days = [None] if src.arrivals == "always" else calendars
        total += src.rate * hours * max(src.peak(d) for d in days)
    return total
