"""The lead stream: shaping of arrivals, the SLA clock, and the draws its keys promise."""

from __future__ import annotations

import zlib
from dataclasses import fields

import numpy as np
import pytest
from scipy import stats

import alignsim
from alignsim.distributions import BETA_QUANTILE_ERROR
from alignsim.engines import make_plan
from alignsim.engines.plan import response_due
from alignsim.stream import _seed_states, source_key


@pytest.fixture(scope="module")
def sampled(tiny_scenario):
    """sampled(weeks=40, **changes): the tiny scenario at 100 leads a week with changes, and
    its stream."""

    def make(weeks: int = 40, **changes):
        sc = tiny_scenario(
            **{"market.sources.web.rate": "100/week", "horizon": f"{weeks}w", **changes}
        )
        # No warm-up or settle time: the stream is the window (campaigns date from its start).
        return sc, alignsim.sample(sc, seed=3, warmup=0.0, settle=0.0)

    return make


def test_weekly_profile_shapes_arrivals_and_keeps_the_weekly_total(sampled):
    profile = [1, 1, 1, 1, 1, 0, 0]  # weekdays only
    _, st = sampled(**{"market.sources.web.weekly_profile": profile})
    days = (st.created // 24 % 7).astype(int)
    assert not np.any(days >= 5)
    expected = 100 * 40
    assert abs(len(st) - expected) <= 4 * np.sqrt(expected)


def test_a_campaign_multiplies_arrivals_inside_its_window_only(sampled):
    campaign = [{"start": "10w", "duration": "2w", "multiplier": 3}]
    _, st = sampled(**{"market.sources.web.campaigns": campaign})
    inside = np.sum((st.created >= 10 * 168) & (st.created < 12 * 168))
    before = np.sum(st.created < 10 * 168)
    assert abs(inside - 600) <= 4 * np.sqrt(600)  # 3 x 100/week x 2 weeks
    assert abs(before - 1000) <= 4 * np.sqrt(1000)


@pytest.mark.parametrize(
    ("measured_in", "due"),
    [("wall_clock", 4 * 24 + 20.0), ("business_hours", 7 * 24 + 12.0)],
)
def test_the_sla_clock_counts_business_or_wall_hours(tiny_scenario, measured_in, due):
    sc = tiny_scenario(
        **{
            "team.hours": {"open": "09:00", "close": "17:00", "days": "Mon-Fri"},
            "policies.p.sla.first_response": "4h",
            "policies.p.sla.measured_in": measured_in,
        }
    )
    st = alignsim.sample(sc, seed=1, horizon=2 * 168.0)
    friday_4pm = np.array([4 * 24 + 16.0])
    plan = make_plan(st, sc.team, sc.policies["p"])
    got = response_due(plan.policy, plan.calendar, friday_4pm, np.array([2]))
    assert got[0] == pytest.approx(due)  # Friday 16:00 + 4h: Friday 20:00, or Monday 12:00


def test_sample_refuses_a_horizon_beyond_the_cap(tiny_scenario):
    sc = tiny_scenario()
    with pytest.raises(ValueError, match="at most 520 weeks"):
        alignsim.sample(sc, horizon=521 * 168.0)


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**32, 2**64 + 7, 2**130 + 3])
@pytest.mark.parametrize("replication", [0, 3, 2**33])
def test_seed_states_are_numpys_seed_sequences(seed, replication):
    names = ["web", "content", "a source with a long name"]
    states = _seed_states(seed, replication, [source_key(name) for name in names])
    for i, name in enumerate(names):
        for field in range(states.shape[1]):
            sequence = np.random.SeedSequence(
                seed, spawn_key=(replication, source_key(name), field)
            )
            assert np.array_equal(states[i, field], sequence.generate_state(4, np.uint64))


def test_the_stream_draws_what_its_keys_say(default_toml):
    """Each source's rows hold, in order, the draws of SeedSequence(seed, spawn_key=
    (replication, crc32(source), field)), blocks column by column, through the laws."""
    sc = alignsim.load(default_toml)
    seed, rep = 5, 2
    st = alignsim.sample(sc, seed, rep, horizon=6 * 168.0)
    market = sc.market
    for index, (name, src) in enumerate(market.sources.items()):
        rows = st.source == index
        n = int(rows.sum())
        assert n > 0

        def draws(field, width=None, normal=False, name=name, n=n):
            key = (rep, zlib.crc32(name.encode()), field)
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))
            draw = rng.standard_normal if normal else rng.random
            return draw(n) if width is None else draw((width, n)).T

        for key, (field, normal) in {
            "eps_m": (9, True),
            "eps_s": (10, True),
            "u_reach": (11, False),
            "u_attempt_time": (12, False),
            "u_qualify": (13, False),
            "u_qualify_time": (14, False),
            "u_routing": (16, False),
        }.items():
            got = getattr(st, key)[rows]
            assert np.array_equal(got, draws(field, got.shape[1], normal)), (name, key)
        assert np.array_equal(st.u_win[rows], draws(15))
        assert np.array_equal(st.value[rows], src.value.from_uniform(draws(4)))
        assert np.array_equal(st.cycle[rows], market.cycle.from_uniform(draws(8)))
        fit = np.clip(stats.beta.ppf(draws(2), src.fit.a, src.fit.b), 0.0, 1.0)
        assert np.abs(st.fit[rows] - fit).max() <= BETA_QUANTILE_ERROR
        shares = np.cumsum(src.temperature.shares)[:-1]
        temperature = np.searchsorted(shares, draws(3), side="right")
        assert np.array_equal(st.temperature[rows], temperature)
        patience_law = [market.patience.cold, market.patience.warm, market.patience.hot]
        warming_law = [market.warming.cold_to_warm, market.warming.warm_to_hot]
        u_patience, u_warming, u_repatience = draws(5), draws(6, 2), draws(7, 2)
        for k in range(3):
            at = temperature == k
            want = patience_law[k].from_uniform(u_patience[at])
            assert np.array_equal(st.patience[rows][at], want)
            for step in range(2 - k):  # warming from k + step to k + step + 1
                warming = warming_law[k + step].from_uniform(u_warming[at, step])
                repatience = patience_law[k + step + 1].from_uniform(u_repatience[at, step])
                assert np.array_equal(st.warming[rows][at, step], warming)
                assert np.array_equal(st.repatience[rows][at, step], repatience)
            assert np.isinf(st.warming[rows][at, 2 - k :]).all()
            assert np.isinf(st.repatience[rows][at, 2 - k :]).all()


@pytest.mark.parametrize("seed", [0, 7, 2**40 + 1])
def test_the_compiled_normals_are_numpys_word_for_word(seed):
    """The stream's normals come from a compiled ziggurat fed with the bit generator's words:
    numpy's values bit for bit, the same words used, past the last layer (|x| > 3.654) too."""
    from alignsim.compiled import standard_normals

    shape = (5, 200_000)  # about 260 draws from the tail, 12,000 from the wedges
    want = np.random.Generator(np.random.PCG64(seed)).standard_normal(shape)
    assert (np.abs(want) > 3.6541528853610088).sum() > 100
    raw = np.random.PCG64(seed).random_raw(want.size * 11 // 10)
    got = np.empty(shape)
    used = standard_normals(raw, got)
    assert np.array_equal(got, want)
    numpy_gen = np.random.Generator(np.random.PCG64(seed))
    numpy_gen.standard_normal(shape)
    assert numpy_gen.bit_generator.random_raw() == raw[used]
    # Too few words: it says so, and a longer supply gives the same values.
    assert standard_normals(raw[: want.size], got) == -1
    view = np.empty((3, 10))[:, 2:9]  # a block's columns: rows of a wider array
    assert standard_normals(raw, view) > 0
    assert np.array_equal(view, want.ravel()[:21].reshape(3, 7))


def test_blocks_are_written_straight_to_their_rows():
    """A source's block, drawn column after column, lands in its leads' rows: numpy's
    `random((width, m))` and `standard_normal((width, m))` transposed into those rows."""
    from alignsim.compiled import normal_rows, uniform_rows

    width, m = 4, 3000
    rows = np.random.default_rng(1).permutation(2 * m)[:m]  # the source's leads among others
    out = np.full((2 * m, width), np.nan)
    uniform_rows(np.random.PCG64(8).random_raw(width * m), rows, out)
    want = np.random.Generator(np.random.PCG64(8)).random((width, m))
    assert np.array_equal(out[rows], want.T)
    assert np.isnan(np.delete(out, rows, axis=0)).all()
    raw = np.random.PCG64(9).random_raw(2 * width * m)
    assert normal_rows(raw, rows, out) > 0
    want = np.random.Generator(np.random.PCG64(9)).standard_normal((width, m))
    assert np.array_equal(out[rows], want.T)
    assert normal_rows(raw[: width * m], rows, out) == -1  # too few words: it says so


def test_the_stream_is_sorted_and_its_fields_are_contiguous_arrays(default_toml):
    sc = alignsim.load(default_toml)
    st = alignsim.sample(sc, 1, 0, horizon=4 * 168.0)
    n = len(st)
    assert np.array_equal(np.lexsort((st.source, st.created)), np.arange(n))
    dtypes = {"source": np.int16, "owner": np.int8, "temperature": np.int8}
    widths = {"warming": 2, "repatience": 2, "reach": 3, "qualify": 3, "win": 3}
    widths |= {"eps_m": st.max_scorings, "eps_s": st.max_routings, "u_routing": st.max_routings}
    widths |= {"u_qualify": st.max_routings, "u_qualify_time": st.max_routings}
    widths |= {"u_reach": st.max_attempts, "u_attempt_time": st.max_attempts}
    assert (st.max_attempts, st.max_routings, st.max_scorings) == (6, 2, 17)
    for f in fields(st):
        value = getattr(st, f.name)
        if isinstance(value, np.ndarray):
            assert value.flags.c_contiguous, f.name
            assert value.dtype == dtypes.get(f.name, np.float64), f.name
            width = widths.get(f.name)
            assert value.shape == ((n,) if width is None else (n, width)), f.name


def test_a_stream_may_have_no_leads(default_toml):
    sc = alignsim.load(default_toml)
    st = alignsim.sample(sc, 1, 0, horizon=1e-9, warmup=0.0, settle=0.0)
    assert len(st) == 0
    assert st.eps_m.shape == (0, 17) and st.u_reach.shape == (0, 6)
