"""One run: a scenario's lead stream played by one policy (scenario -> stream -> engine -> ledger)."""

from __future__ import annotations

from alignsim.engines import DEFAULT_ENGINE, make_plan
from alignsim.engines import engine as engine_named
from alignsim.ledger import Ledger, LedgerBook
from alignsim.scenario import Policy, Scenario, Team
from alignsim.scenario.models import candidate_leads
from alignsim.stream import LeadStream, sample

WINDOWED_FROM = 2_000_000
"""Leads (drawn before thinning) from which `simulate` has the fast engine play the stream in
windows of arrivals: the same ledger, with memory for the leads alive at once instead of all
(alignsim.engines.fast.windows). Below it, playing at once is a little faster."""


def simulate(
    scenario: Scenario,
    policy: str | None = None,
    *,
    seed: int | None = None,
    replication: int = 0,
    horizon: float | None = None,
    engine: str | None = None,
    stream: LeadStream | None = None,
    windows: int | None = None,
) -> Ledger:
    """Play one policy over one replication's lead stream and return its ledger.

    policy defaults to the scenario's first; seed to the scenario's; horizon (hours, the
    measurement window; the run adds the scenario's warm-up and settle time) to the
    scenario's. Pass `stream` to reuse a stream already drawn (common random numbers).
    windows: leads the fast engine draws and plays at a time (the same ledger; for runs too
    large to hold at once); 0 plays the whole stream at once; default: windows of
    `alignsim.engines.fast.windows.WINDOW_LEADS` from WINDOWED_FROM candidate leads.
    A ledger played in windows keeps, of its stream, the columns a ledger shows.
    """
    name = policy if policy is not None else next(iter(scenario.policies))
    if name not in scenario.policies:
        raise KeyError(
            f"no policy {name!r} in scenario {scenario.name!r}; "
            f"it has {', '.join(scenario.policies)}"
        )
    engine = DEFAULT_ENGINE if engine is None else engine
    if stream is None and plays_in_windows(scenario, horizon, engine, windows):
        whole, (book,) = play_in_windows(scenario, [name], seed, replication, horizon, windows)
        return ledger(scenario, name, book, whole, engine=engine)
    if stream is None:
        stream = sample(scenario, seed, replication, horizon=horizon)
    book = play(scenario, name, stream, engine=engine)
    return ledger(scenario, name, book, stream, engine=engine)


def plays_in_windows(
    scenario: Scenario, horizon: float | None, engine: str, windows: int | None
) -> bool:
    """Whether `simulate` plays the stream in windows (see its `windows`)."""
    if windows is not None and windows < 0:
        raise ValueError(f"windows must be 0 (at once) or a number of leads (got {windows})")
    if windows is not None and windows > 0 and engine != "fast":
        raise ValueError(f"only the fast engine plays a stream in windows (engine {engine!r})")
    if windows is not None:
        return windows > 0
    if engine != "fast":
        return False
    return candidate_leads(scenario, scenario.run_hours(horizon)) > WINDOWED_FROM


def play_in_windows(
    scenario: Scenario,
    policies: list[str],
    seed: int | None,
    replication: int,
    horizon: float | None,
    windows: int | None,
    *,
    cohort_only: bool = False,
) -> tuple[LeadStream, list[LedgerBook]]:
    """Replication r's stream drawn in windows (`windows` leads each, default WINDOW_LEADS),
    each window played by every policy in turn with the fast engine: the stream as its ledgers
    need it (`alignsim.engines.fast.windows.ledger_stream`) and each policy's book."""
    plays = [(scenario.team_for(name), scenario.policies[name]) for name in policies]
    return play_teams_in_windows(
        scenario, plays, seed, replication, horizon, windows, cohort_only=cohort_only
    )


def play_teams_in_windows(
    scenario: Scenario,
    plays: list[tuple[Team, Policy]],
    seed: int | None,
    replication: int,
    horizon: float | None,
    windows: int | None,
    *,
    widths: tuple[int, int, int] = (0, 0, 0),
    cohort_only: bool = False,
) -> tuple[LeadStream, list[LedgerBook]]:
    """`play_in_windows` for (team, policy) pairs the scenario need not name (the coalitions of
    a split by lever), on the scenario's stream: its warm-up and settle time, and at least
    `widths` columns (`sample`), so every lead draws what it draws for the scenario's own."""
    from alignsim.engines.fast.windows import WINDOW_LEADS, ledger_stream, play_windows_together
    from alignsim.stream_windows import sample_windows

    drawn = sample_windows(scenario, seed, replication, horizon=horizon, widths=widths)
    whole = ledger_stream(drawn)
    books = play_windows_together(
        drawn,
        whole,
        plays,
        scenario.market,
        window=windows or WINDOW_LEADS,
        cohort_only=cohort_only,
    )
    return whole, books


def ledger(
    scenario: Scenario,
    policy: str,
    book: LedgerBook,
    stream: LeadStream,
    *,
    engine: str | None = None,
) -> Ledger:
    """An engine's book for `policy` on `stream`, with its context: the ledger `simulate` returns.

    Its horizon is the stream's measurement window (the run's warm-up and settle time are in
    the stream)."""
    start, end = stream.window
    team = scenario.team_for(policy)
    return Ledger(
        book=book,
        scenario=scenario.name,
        policy=policy,
        seed=stream.seed,
        replication=stream.replication,
        horizon=min(end, stream.horizon) - start,
        currency=scenario.currency,
        reps=team.reps,
        calendar=team.hours.calendar,
        engine=DEFAULT_ENGINE if engine is None else engine,
        meta={"scenario_digest": scenario.digest()},
    )


def play(
    scenario: Scenario,
    policy: str,
    stream: LeadStream,
    *,
    engine: str | None = None,
    cohort_only: bool = False,
) -> LedgerBook:
    """The engine's arrays for one policy over a drawn stream: a ledger without its context.

    The engine plays until the end of the stream's run (warm-up, window and settle time), or,
    cohort_only, until every lead of the cohort is done: the cohort's rows are the same, the
    other leads' are left where they stand (for figures of the cohort, which every per-year
    figure is: `Plan.until_cohort_resolved`). What `simulate` wraps; a batch run, which keeps
    only figures, stops here.
    """
    plan = make_plan(
        stream,
        scenario.team_for(policy),
        scenario.policies[policy],
        market=scenario.market,
        until_cohort_resolved=cohort_only,
    )
    return engine_named(engine)(plan)


def simulate_all(
    scenario: Scenario,
    policies: list[str] | None = None,
    *,
    seed: int | None = None,
    replication: int = 0,
    horizon: float | None = None,
    engine: str | None = None,
    windows: int | None = None,
) -> dict[str, Ledger]:
    """Play several policies (default: all) on the same lead stream: common random numbers.
    Played in windows (see `simulate`), every policy plays each window as it is drawn."""
    names = list(scenario.policies) if policies is None else policies
    engine = DEFAULT_ENGINE if engine is None else engine
    if plays_in_windows(scenario, horizon, engine, windows):
        whole, books = play_in_windows(scenario, names, seed, replication, horizon, windows)
        return {
            name: ledger(scenario, name, book, whole, engine=engine)
            for name, book in zip(names, books, strict=True)
        }
    stream = sample(scenario, seed, replication, horizon=horizon)
    return {name: simulate(scenario, name, engine=engine, stream=stream) for name in names}
