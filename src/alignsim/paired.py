"""The paired replication: a baseline and a policy played on one replication's lead stream.

MODEL.md section 4. Every app that prices a policy against a baseline (`compare`, `sweep`,
`batch`, the report, the workshop) is a loop over `play_pair`: replication r draws ONE lead
stream (`alignsim.sample(scenario, seed, r)`) and plays both policies on it (common random
numbers), so the revenue lost per replication is paired. A `Pairing` carries what such a loop
plays; a `PairedRun` is one replication's figures (money in the scenario's currency, of the
cohort of the window, counts of leads), with the engines' books and, when asked, the ledgers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alignsim import economics, metrics
from alignsim.leaks import attribution
from alignsim.ledger import Ledger, LedgerBook
from alignsim.scenario import Scenario
from alignsim.simulation import ledger, play, play_in_windows
from alignsim.stream import LeadStream, sample

__all__ = ["PairedRun", "Pairing", "Side", "money", "play_pair", "play_side"]


@dataclass(frozen=True)
class Pairing:
    """What a paired comparison plays: `policy` against `baseline` of `scenario`, over
    replications 0 .. replications-1 of the root `seed`, `horizon` hours (None: the
    scenario's), on `engine` (None: alignsim's default)."""

    scenario: Scenario
    baseline: str
    policy: str
    replications: int = 30
    seed: int = 0
    horizon: float | None = None
    engine: str | None = None
    windows: int | None = None
    """Leads a window holds when the pair is played in windows (`alignsim.simulate`'s
    `windows`: None, automatic from WINDOWED_FROM candidate leads; 0, never)."""

    @classmethod
    def of(
        cls,
        scenario: Scenario,
        baseline: str | None = None,
        policy: str | None = None,
        replications: int = 30,
        seed: int | None = None,
        horizon: float | None = None,
        engine: str | None = None,
    ) -> Pairing:
        """The pairing `compare` plays, its defaults filled in and checked.

        baseline defaults to the scenario's baseline policy; policy to the first other policy
        (the baseline itself when there is no other); seed to the scenario's. Raises KeyError
        for an unknown policy and ValueError for fewer than one replication.
        """
        base = scenario.baseline_policy if baseline is None else baseline
        if policy is None:
            others = [name for name in scenario.policies if name != base]
            policy = others[0] if others else base
        for name in (base, policy):
            if name not in scenario.policies:
                raise KeyError(
                    f"no policy {name!r} in scenario {scenario.name!r}; "
                    f"it has {', '.join(scenario.policies)}"
                )
        if replications < 1:
            raise ValueError(f"replications must be at least 1 (got {replications})")
        root = scenario.seed if seed is None else int(seed)
        return cls(scenario, base, policy, replications, root, horizon, engine)

    @property
    def horizon_h(self) -> float:
        """The measurement window, in hours (the run adds the scenario's warm-up and settle
        time; every figure counts the cohort of leads created in the window)."""
        return float(self.scenario.horizon if self.horizon is None else self.horizon)

    @property
    def windowed(self) -> bool:
        """Whether each replication is drawn and played in windows of arrivals (runs too
        large to hold at once): both policies on each window in turn, the same figures."""
        from alignsim.engines import DEFAULT_ENGINE
        from alignsim.simulation import plays_in_windows

        engine = DEFAULT_ENGINE if self.engine is None else self.engine
        return plays_in_windows(self.scenario, self.horizon, engine, self.windows)

    def stream(self, replication: int, widths: tuple[int, int, int] = (0, 0, 0)) -> LeadStream:
        """Replication r's lead stream (with at least `widths` columns, see `sample`)."""
        return sample(self.scenario, self.seed, replication, horizon=self.horizon, widths=widths)


@dataclass(frozen=True)
class Side:
    """One policy's run on a stream: the engine's book, the cohort's revenue and marketing's
    funnel, and how many of the cohort's leads were still open at the end of the run."""

    book: LedgerBook
    """The engine's book: its cohort's rows final; played `cohort_only`, the other leads' rows
    stand where they were when the cohort was done (alignsim.simulation.play)."""
    revenue: float
    funnel: dict[str, int]
    unresolved: int = 0


def play_side(
    pairing: Pairing, policy: str, stream: LeadStream, *, cohort_only: bool = True
) -> Side:
    """Play one policy of the pairing's scenario on a drawn stream (every figure of a Side is
    the cohort's; cohort_only=False plays the other leads to the end of the run too)."""
    book = play(pairing.scenario, policy, stream, engine=pairing.engine, cohort_only=cohort_only)
    return _side(book)


def _side(book: LedgerBook) -> Side:
    still = np.isin(book.outcome, metrics.UNRESOLVED_CODES) & book.stream.in_window
    return Side(book, metrics.revenue(book), metrics.funnel_counts(book), int(still.sum()))


@dataclass(frozen=True)
class PairedRun:
    """One replication's figures: the baseline and the policy on the same leads."""

    replication: int
    stream: LeadStream
    baseline: Side
    policy: Side
    lost_by_cause: np.ndarray
    """Revenue lost by cause, in the order of alignsim.leaks.CAUSES (sums to revenue_lost)."""
    leads_by_cause: np.ndarray
    """Leads charged to each cause, in both directions."""
    ledgers: tuple[Ledger, Ledger] | None = None
    """The baseline's and the policy's ledgers, when asked for."""
    by_lever: np.ndarray | None = None
    """Revenue lost by lever group (order of alignsim.levers.GROUPS), when split."""
    money_by_lever: np.ndarray | None = None
    """Lifetime value lost (row 0) and gross profit lost (row 1) by lever group, currency
    over the horizon, when split."""

    @property
    def revenue_lost(self) -> float:
        """Baseline minus policy revenue of the cohort (currency per window)."""
        return self.baseline.revenue - self.policy.revenue

    def row(self) -> dict[str, float | int]:
        """`Comparison`'s row: replication, revenue_baseline, revenue_policy, revenue_lost,
        then baseline_<stage> and policy_<stage> for every funnel stage, then
        baseline_unresolved and policy_unresolved (cohort leads open at the end of the run)."""
        out: dict[str, float | int] = {
            "replication": self.replication,
            "revenue_baseline": self.baseline.revenue,
            "revenue_policy": self.policy.revenue,
            "revenue_lost": self.revenue_lost,
        }
        for role, side in (("baseline", self.baseline), ("policy", self.policy)):
            for stage, count in side.funnel.items():
                out[f"{role}_{stage}"] = count
        for role, side in (("baseline", self.baseline), ("policy", self.policy)):
            out[f"{role}_unresolved"] = side.unresolved
        return out


def play_pair(
    pairing: Pairing,
    replication: int,
    *,
    stream: LeadStream | None = None,
    baseline: Side | None = None,
    ledgers: bool = False,
) -> PairedRun:
    """Play the baseline and the policy on replication r's stream and return its figures.

    stream: the replication's stream when already drawn (else drawn here); baseline: the
    baseline's run on it when already played (the workshop keeps them); ledgers: also wrap
    both books as ledgers (for a report's speed to lead).
    """
    if stream is None and baseline is None and pairing.windowed:
        stream, base, other = _in_windows(pairing, replication, cohort_only=not ledgers)
        return _paired(pairing, replication, stream, base, other, ledgers)
    if stream is None:
        stream = pairing.stream(replication)
    cohort_only = not ledgers  # a ledger shows every lead: played to the end of the run
    if baseline is None:
        base = play_side(pairing, pairing.baseline, stream, cohort_only=cohort_only)
    else:
        base = baseline
    other = play_side(pairing, pairing.policy, stream, cohort_only=cohort_only)
    return _paired(pairing, replication, stream, base, other, ledgers)


def _in_windows(
    pairing: Pairing, replication: int, *, cohort_only: bool
) -> tuple[LeadStream, Side, Side]:
    """Replication r drawn and played in windows: the ledgers' stream, and both sides."""
    whole, (base, other) = play_in_windows(
        pairing.scenario,
        [pairing.baseline, pairing.policy],
        pairing.seed,
        replication,
        pairing.horizon,
        pairing.windows,
        cohort_only=cohort_only,
    )
    return whole, _side(base), _side(other)


def _paired(
    pairing: Pairing,
    replication: int,
    stream: LeadStream,
    base: Side,
    other: Side,
    ledgers: bool,
) -> PairedRun:
    amount, leads = attribution(base.book, other.book)
    kept = None
    if ledgers:
        sc, engine = pairing.scenario, pairing.engine
        kept = (
            ledger(sc, pairing.baseline, base.book, stream, engine=engine),
            ledger(sc, pairing.policy, other.book, stream, engine=engine),
        )
    return PairedRun(replication, stream, base, other, amount, leads, kept)


def money(
    pairing: Pairing,
    paired: PairedRun,
    *,
    mask: np.ndarray | None = None,
    window_h: float | None = None,
) -> economics.PairMoney:
    """One replication's money figures (alignsim.economics.FIGURES): what the policy loses a
    year against the baseline in bookings, lifetime value and gross profit, and the return on
    moving to the baseline (the programme's cost counts when the two policies differ).

    mask: the leads to count (default the cohort of the measurement window); window_h: the
    hours the figures cover, which are scaled to a year and for which the reps are paid
    (default the window's length)."""
    sc = pairing.scenario
    start, end = paired.stream.window
    window = min(end, paired.stream.horizon) - start if window_h is None else window_h
    sides = [
        economics.policy_money(sc, name, side.book, paired.stream, window_h=window, mask=mask)
        for name, side in ((pairing.baseline, paired.baseline), (pairing.policy, paired.policy))
    ]
    differ = sc.policies[pairing.baseline] != sc.policies[pairing.policy]
    return economics.pair_money(sc, *sides, window, programme=differ)
