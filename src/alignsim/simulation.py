"""One run: a scenario's lead stream played by one policy (scenario -> stream -> engine -> ledger)."""

from __future__ import annotations

from alignsim.engines import DEFAULT_ENGINE, make_plan
from alignsim.engines import engine as engine_named
from alignsim.ledger import Ledger, LedgerBook
from alignsim.scenario import Scenario
from alignsim.stream import LeadStream, sample


def simulate(
    scenario: Scenario,
    policy: str | None = None,
    *,
    seed: int | None = None,
    replication: int = 0,
    horizon: float | None = None,
    engine: str | None = None,
    stream: LeadStream | None = None,
) -> Ledger:
    """Play one policy over one replication's lead stream and return its ledger.

    policy defaults to the scenario's first; seed to the scenario's; horizon (hours, the
    measurement window; the run adds the scenario's warm-up and settle time) to the
    scenario's. Pass `stream` to reuse a stream already drawn (common random numbers).
    """
    name = policy if policy is not None else next(iter(scenario.policies))
    if name not in scenario.policies:
        raise KeyError(
            f"no policy {name!r} in scenario {scenario.name!r}; "
            f"it has {', '.join(scenario.policies)}"
        )
    engine = DEFAULT_ENGINE if engine is None else engine
    if stream is None:
        stream = sample(scenario, seed, replication, horizon=horizon)
    book = play(scenario, name, stream, engine=engine)
    return ledger(scenario, name, book, stream, engine=engine)


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
) -> LedgerBook:
    """The engine's arrays for one policy over a drawn stream: a ledger without its context.

    The engine plays until the end of the stream's run (warm-up, window and settle time).
    What `simulate` wraps; a batch run, which keeps only figures, stops here.
    """
    plan = make_plan(
        stream,
        scenario.team_for(policy),
        scenario.policies[policy],
        market=scenario.market,
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
) -> dict[str, Ledger]:
    """Play several policies (default: all) on the same lead stream: common random numbers."""
    names = list(scenario.policies) if policies is None else policies
    stream = sample(scenario, seed, replication, horizon=horizon)
    return {name: simulate(scenario, name, engine=engine, stream=stream) for name in names}
