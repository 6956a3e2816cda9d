"""A stream played in windows of arrivals gives the ledger of the stream played at once.

The fast engine plays a window's leads in slots that resolved leads give back
(alignsim.engines.fast.windows); these tests hold the ledger it fills to the one the same
engine fills playing the whole stream at once, lead by lead and bit for bit, with windows of
one lead and slots so few that they must grow, on every shipped scenario, on the lever cases
of the engine-equality tests and on random small policies and streams.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import alignsim
from alignsim.engines import engine, make_plan
from alignsim.engines.fast import windows
from alignsim.engines.fast.inputs import Book, leads, params
from alignsim.engines.fast.state import State, new_state
from alignsim.engines.fast.windows import ledger_stream, play_windows
from alignsim.ledger import LedgerBook
from alignsim.simulation import plays_in_windows
from alignsim.stream import LeadStream

from .test_engine_equality import LEVERS, lever_case, small_cases  # noqa: F401  (a fixture)


class Sliced:
    """A stream already drawn, handed out in windows (what StreamWindows does by drawing)."""

    def __init__(self, stream: LeadStream) -> None:
        self.stream, self.drawn = stream, 0
        for name in (
            "seed",
            "replication",
            "horizon",
            "window",
            "sources",
            "created",
            "source",
            "owner",
        ):
            setattr(self, name, getattr(stream, name))

    def __len__(self) -> int:
        return len(self.stream)

    def draw(self, stop: int) -> LeadStream:
        start, self.drawn = self.drawn, stop
        rows = {
            f.name: np.ascontiguousarray(getattr(self.stream, f.name)[start:stop])
            for f in dataclasses.fields(self.stream)
            if isinstance(getattr(self.stream, f.name), np.ndarray)
        }
        return dataclasses.replace(self.stream, **rows, first=start, cache={})


def differences(at_once: LedgerBook, windowed: LedgerBook) -> list[str]:
    """The ledger columns that differ in any bit."""
    return [
        name
        for name in Book._fields
        if getattr(at_once, name).tobytes() != getattr(windowed, name).tobytes()
    ]


def played_both_ways(
    sc: alignsim.Scenario,
    policy: str,
    stream: LeadStream,
    window: int,
    slots: int | None,
    horizon: float | None = None,
) -> tuple[LedgerBook, LedgerBook]:
    team, chosen = sc.team_for(policy), sc.policies[policy]
    at_once = engine("fast")(make_plan(stream, team, chosen, horizon, market=sc.market))
    drawn = Sliced(stream)
    whole = ledger_stream(drawn)  # type: ignore[arg-type]
    windowed = play_windows(
        drawn,
        whole,
        team,
        chosen,
        sc.market,
        horizon=horizon,
        window=window,
        slots=slots,  # type: ignore[arg-type]
    )
    for name in ("fit", "value", "temperature"):
        assert getattr(whole, name).tobytes() == getattr(stream, name).tobytes(), name
    return at_once, windowed


def test_every_shipped_scenario_gives_the_same_ledger_in_windows(shipped_scenario):
    sc = alignsim.load(shipped_scenario)
    stream = alignsim.sample(sc, horizon=min(sc.horizon, 13 * 168.0))
    for policy in sc.policies:
        for window, slots in ((97, 40), (5000, 5000)):
            at_once, windowed = played_both_ways(sc, policy, stream, window, slots)
            assert differences(at_once, windowed) == [], (shipped_scenario, policy, window)


@pytest.mark.parametrize("lever", list(LEVERS))
def test_levers_give_the_same_ledger_in_windows_of_one_lead(lever_case, lever):  # noqa: F811
    for seed in range(6):
        sc, stream = lever_case(seed, **LEVERS[lever])
        at_once, windowed = played_both_ways(sc, "p", stream, window=1, slots=1)
        assert differences(at_once, windowed) == [], (lever, seed)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases())
def test_random_small_cases_give_the_same_ledger_in_windows(lever_case, case):  # noqa: F811
    seed, options, share = case
    sc, stream = lever_case(seed, **options)
    window = 1 + seed % 4
    at_once, windowed = played_both_ways(
        sc, "p", stream, window, slots=1 + seed % 3, horizon=share * sc.horizon
    )
    assert differences(at_once, windowed) == []


def test_the_ledger_of_a_stream_played_in_windows_keeps_what_a_ledger_shows(lever_case):  # noqa: F811
    sc, stream = lever_case(2, **LEVERS[next(iter(LEVERS))])
    whole = ledger_stream(Sliced(stream))  # type: ignore[arg-type]
    assert len(whole) == len(stream) and whole.window == stream.window
    assert whole.max_attempts == whole.max_scorings == 0  # no plan can be made from it
    assert np.isnan(whole.patience).all()
    with pytest.raises(ValueError, match="the stream has draws for"):
        make_plan(whole, sc.team_for("p"), sc.policies["p"])


def test_a_window_must_hold_a_lead(lever_case):  # noqa: F811
    sc, stream = lever_case(0)
    drawn = Sliced(stream)
    with pytest.raises(ValueError, match="at least one lead"):
        play_windows(drawn, ledger_stream(drawn), sc.team_for("p"), sc.policies["p"], window=0)  # type: ignore[arg-type]


def test_a_slot_waits_for_the_sla_reminder_of_its_last_lead(tiny_scenario, tiny_stream):
    """A (warm, 10:00) and B (hot, 10:02) wait unseen for the 09:00 check; B's reminder at 10:17
    makes a rep look, both are called and end unreached. A's reminder (11:00) is still pending
    when C (cold, 10:30) arrives: were A's slot given to C, the reminder would find C unseen in
    it and make a rep look at 11:00; C waits for its own reminder at 14:30."""
    sc = tiny_scenario(
        **{
            "team.inbound_checks": ["09:00"],
            "team.reps": 3,
            "team.attempt_time": "0m",
            "policies.p.sla.first_response": {"cold": "4h", "warm": "1h", "hot": "15m"},
        }
    )
    stream = tiny_stream(
        [10.0, 10.0 + 2 / 60, 10.5],
        owner=[0, 0, 0],
        temperature=[1, 2, 0],
        reach=np.zeros((3, 3)),
    )
    at_once, windowed = played_both_ways(sc, "p", stream, window=1, slots=1)
    assert list(at_once.first_attempt) == pytest.approx([10 + 17 / 60, 10 + 17 / 60, 14.5])
    assert differences(at_once, windowed) == []


def test_simulate_in_windows_gives_the_ledger_of_a_run_played_at_once(default_toml):
    sc = alignsim.load(default_toml)
    at_once = alignsim.simulate_all(sc, replication=1, horizon=13 * 168.0, windows=0)
    windowed = alignsim.simulate_all(sc, replication=1, horizon=13 * 168.0, windows=1500)
    for policy, ledger in at_once.items():
        assert differences(ledger.book, windowed[policy].book) == [], policy
        assert ledger.frame.equals(windowed[policy].frame), policy
        assert ledger.window == windowed[policy].window
        assert ledger.run_end == windowed[policy].run_end


def test_large_runs_play_in_windows_by_default(default_toml):
    sc = alignsim.load(default_toml)
    assert not plays_in_windows(sc, None, "fast", None)
    busy = sc.model_copy(
        update={
            "market": sc.market.model_copy(
                update={
                    "sources": {
                        name: src.model_copy(update={"rate": src.rate * 100})
                        for name, src in sc.market.sources.items()
                    }
                }
            )
        }
    )
    assert plays_in_windows(busy, None, "fast", None)
    assert not plays_in_windows(busy, None, "fast", 0)
    assert not plays_in_windows(busy, None, "simpy", None)


def test_windows_are_a_count_of_leads_for_the_fast_engine(default_toml):
    sc = alignsim.load(default_toml)
    with pytest.raises(ValueError, match="0 \\(at once\\) or a number of leads"):
        alignsim.simulate(sc, windows=-1)
    with pytest.raises(ValueError, match="only the fast engine"):
        alignsim.simulate(sc, engine="simpy", windows=100)


def test_a_loaded_slot_starts_as_new_state_starts_its_lead(lever_case):  # noqa: F811
    """Every per-lead array of the engine's state is one the windows reset (a new one must be
    added to windows._PER_SLOT), to the value new_state gives a lead."""
    sc, stream = lever_case(1, **LEVERS["nurture with warming and recycles"])
    plan = make_plan(stream, sc.team_for("p"), sc.policies["p"], market=sc.market)
    ld, p = leads(plan), params(plan)
    fresh = new_state(ld, p)
    n = len(stream)
    per_lead = {f for f in State._fields if getattr(fresh, f).shape[:1] == (n,)}
    assert per_lead == {*windows._PER_SLOT, "arrivals"}
    ring = windows._Slots(ld, LedgerBook(stream), p, 2 * n)
    for f in windows._PER_SLOT:
        getattr(ring.st, f)[:] = 7
    ring.load(stream, ld, n, np.inf)
    slots = ring.st.arrivals
    for f in windows._PER_SLOT:
        assert getattr(ring.st, f)[slots].tobytes() == getattr(fresh, f).tobytes(), f
    at_once = LedgerBook(stream)
    for f in Book._fields:
        assert getattr(ring.bk, f)[slots].tobytes() == getattr(at_once, f).tobytes(), f


def test_a_stream_without_leads_plays_in_windows(lever_case):  # noqa: F811
    sc, stream = lever_case(0, leads=0)
    at_once, windowed = played_both_ways(sc, "p", stream, window=4, slots=None)
    assert len(windowed.outcome) == 0 and differences(at_once, windowed) == []


def test_a_pair_played_in_windows_gives_the_figures_of_a_pair_played_at_once(default_toml):
    from alignsim.paired import Pairing, money, play_pair

    sc = alignsim.load(default_toml)
    at_once = Pairing.of(sc, replications=2, horizon=13 * 168.0)
    windowed = dataclasses.replace(at_once, windows=700)
    assert windowed.windowed and not dataclasses.replace(at_once, windows=0).windowed
    for r in range(2):
        a, b = play_pair(at_once, r), play_pair(windowed, r)
        assert a.row() == b.row()
        assert a.lost_by_cause.tobytes() == b.lost_by_cause.tobytes()
        assert a.leads_by_cause.tobytes() == b.leads_by_cause.tobytes()
        np.testing.assert_equal(
            dataclasses.asdict(money(at_once, a)), dataclasses.asdict(money(windowed, b))
        )
        assert len(b.stream) == len(a.stream) and b.stream.max_scorings == 0
    a, b = play_pair(at_once, 0, ledgers=True), play_pair(windowed, 0, ledgers=True)
    assert a.ledgers is not None and b.ledgers is not None
    for x, y in zip(a.ledgers, b.ledgers, strict=True):
        assert x.frame.equals(y.frame)


def test_a_stream_played_until_its_cohorts_are_done_is_drawn_no_further(default_toml):
    from alignsim.stream_windows import sample_windows

    sc = alignsim.load(default_toml)
    drawn = sample_windows(sc, horizon=13 * 168.0)
    whole = ledger_stream(drawn)
    plays = [(sc.team_for("current"), sc.policies["current"])]
    (book,) = windows.play_windows_together(
        drawn, whole, plays, sc.market, window=500, cohort_only=True
    )
    assert drawn.drawn < len(drawn)
    assert (
        np.isnan(whole.fit[drawn.drawn :]).all() and (whole.temperature[drawn.drawn :] == -1).all()
    )
    at_once = engine("fast")(
        make_plan(alignsim.sample(sc, horizon=13 * 168.0), *plays[0], market=sc.market)
    )
    cohort = whole.in_window
    assert [
        f
        for f in Book._fields
        if getattr(book, f)[cohort].tobytes() != getattr(at_once, f)[cohort].tobytes()
    ] == []


def test_a_comparison_played_in_windows_splits_by_lever_as_one_played_at_once(
    default_toml, monkeypatch
):
    """The coalitions of a pair played in windows are played in windows too, a few at a time
    on the stream drawn again: the split by lever (bookings and money) is the at-once split to
    the bit. Four coalitions a pass here (two by default), the last pass holding fewer."""
    from alignsim import levers
    from alignsim.comparison import run
    from alignsim.paired import Pairing

    monkeypatch.setattr(levers, "WINDOWED_COALITIONS", 4)
    sc = alignsim.load(default_toml)
    at_once = Pairing.of(sc, replications=3, horizon=4 * 168.0)
    windowed = dataclasses.replace(at_once, windows=900)
    assert windowed.windowed
    split = levers.LeverSplit.of(at_once)
    assert len(split.coalitions) - 2 > levers.WINDOWED_COALITIONS  # several passes
    a, b = run(at_once, lever_replications=2), run(windowed, lever_replications=2)
    assert b.lever_replications == 2
    assert a.levers.equals(b.levers) and a.money_levers.equals(b.money_levers)
    assert a.rows.equals(b.rows)
    assert b.by_lever()["amount"].abs().sum() > 0
    assert run(windowed, lever_replications=None).lever_replications == 0  # unless asked


def test_compare_splits_runs_played_in_windows_by_lever_when_asked(
    run_cli, default_toml, monkeypatch
):
    from alignsim import simulation

    monkeypatch.setattr(simulation, "WINDOWED_FROM", 2_000)  # the default's week is windowed
    args = ["compare", default_toml, "--horizon", "1w", "--replications", "2"]
    code, out, err = run_cli([*args, "--lever-replications", "1"])
    assert code == 0, err
    assert "further passes over each stream" in err
    assert "Revenue lost by lever" in out
    code, out, err = run_cli(args)
    assert code == 0, err
    assert "not split by lever unless asked" in err and "Revenue lost by lever" not in out
