"""The lead stream drawn in windows of rows: every window is the one-shot stream's rows, bit
for bit (alignsim.stream_windows)."""

from __future__ import annotations

import functools
import itertools
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alignsim
from alignsim.stream import LeadStream, retention_draws
from alignsim.stream_windows import StreamWindows, sample_windows

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(
    p.relative_to(ROOT).as_posix()
    for p in [*ROOT.glob("scenarios/*.toml"), *ROOT.glob("scenarios/validation/*.toml")]
)
LEADS = 1500
"""About how many leads each scenario's stream has here: the horizon is fitted to it."""
SEED, REPLICATION = 11, 3


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal dtype, shape and bytes (so NaN equals NaN and -0.0 differs from 0.0)."""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@functools.cache
def case(path: str) -> tuple[alignsim.Scenario, dict]:
    """The scenario and `sample`'s keywords: no warm-up or settle time, a horizon holding
    about LEADS leads, and wider blocks than its policies need."""
    sc = alignsim.load(ROOT / path)
    probe = alignsim.sample(sc, SEED, horizon=24.0, warmup=0.0, settle=0.0)
    hours = float(np.clip(24.0 * LEADS / max(len(probe), 1), 2.0, 12 * 168.0))
    widths = (probe.max_attempts + 2, probe.max_routings + 1, probe.max_scorings + 2)
    return sc, {"horizon": hours, "warmup": 0.0, "settle": 0.0, "widths": widths}


@functools.cache
def one_shot(path: str) -> LeadStream:
    sc, kwargs = case(path)
    return alignsim.sample(sc, SEED, REPLICATION, **kwargs)


def plan(name: str, n: int) -> list[int]:
    """Window sizes adding up to n rows."""
    if name == "whole":
        return [n]
    if name == "ones":  # one row at a time for the first rows, then the rest at once
        head = min(n, 120)
        return [1] * head + [n - head]
    cycle = {"sevens": [7], "thousands": [1000], "ragged": [0, 3, 250, 1, 64, 999, 2]}[name]
    sizes, total = [], 0
    for size in itertools.cycle(cycle):
        if total >= n:
            return sizes
        sizes.append(min(size, n - total))
        total += sizes[-1]
    raise AssertionError  # pragma: no cover


def draw_all(windows: StreamWindows, sizes: list[int]) -> list[LeadStream]:
    parts = []
    for size in sizes:
        parts.append(windows.draw(windows.drawn + size))
    return parts


def assert_windows_are_the_rows(full: LeadStream, parts: list[LeadStream]) -> None:
    first = 0
    for part in parts:
        assert part.first == first
        assert (part.seed, part.replication, part.horizon) == (
            full.seed,
            full.replication,
            full.horizon,
        )
        assert (part.window, part.sources, part.cache) == (full.window, full.sources, {})
        for f in fields(full):
            value = getattr(full, f.name)
            if isinstance(value, np.ndarray):
                got = getattr(part, f.name)
                assert got.flags.c_contiguous, f.name
                assert same_bits(got, value[first : first + len(part)]), (f.name, first)
        first += len(part)
    assert first == len(full)


@pytest.mark.parametrize("name", ["ones", "sevens", "thousands", "ragged", "whole"])
@pytest.mark.parametrize("path", SCENARIOS)
def test_windows_are_the_one_shot_streams_rows_bit_for_bit(path, name):
    sc, kwargs = case(path)
    full = one_shot(path)
    windows = sample_windows(sc, SEED, REPLICATION, **kwargs)
    assert_windows_are_the_rows(full, draw_all(windows, plan(name, len(full))))
    assert windows.drawn == len(windows) == len(full)


@pytest.mark.parametrize("path", SCENARIOS)
def test_the_whole_runs_columns_are_the_one_shot_streams(path):
    sc, kwargs = case(path)
    full = one_shot(path)
    windows = sample_windows(sc, SEED, REPLICATION, **kwargs)
    for key in ("created", "source", "owner"):
        assert same_bits(getattr(windows, key), getattr(full, key)), key
    assert (windows.seed, windows.replication, windows.horizon) == (SEED, REPLICATION, full.horizon)
    assert (windows.window, windows.sources, windows.drawn) == (full.window, full.sources, 0)


def test_windows_of_the_scenarios_own_seed_and_widths(default_toml):
    sc = alignsim.load(default_toml)
    full = alignsim.sample(sc, horizon=336.0)  # the scenario's seed, warm-up and settle time
    windows = sample_windows(sc, horizon=336.0)
    assert windows.seed == sc.seed
    assert_windows_are_the_rows(full, draw_all(windows, plan("ragged", len(full))))


def test_retention_draws_of_the_windows_joined_are_the_one_shot_streams():
    path = "scenarios/default.toml"
    sc, kwargs = case(path)
    full = one_shot(path)
    parts = draw_all(sample_windows(sc, SEED, REPLICATION, **kwargs), plan("ragged", len(full)))
    joined = replace(
        parts[0],
        cache={},
        **{
            f.name: np.concatenate([getattr(p, f.name) for p in parts])
            for f in fields(full)
            if isinstance(getattr(full, f.name), np.ndarray)
        },
    )
    assert same_bits(retention_draws(joined, 4), retention_draws(full, 4))


def test_a_windows_retention_draws_are_the_one_shot_streams_rows():
    path = "scenarios/default.toml"
    sc, kwargs = case(path)
    full = one_shot(path)
    windows = sample_windows(sc, SEED, REPLICATION, **kwargs)
    parts = draw_all(windows, plan("ragged", len(full)))
    whole = retention_draws(full, 3)
    for part in parts:
        got = windows.retention_draws(part, 3)
        assert same_bits(got, whole[part.first : part.first + len(part)]), part.first
    other = alignsim.sample(sc, SEED + 1, REPLICATION, **kwargs)
    with pytest.raises(ValueError, match="are not a window drawn from this stream"):
        windows.retention_draws(other, 3)


def test_a_window_cannot_end_past_the_stream_or_before_the_rows_drawn(default_toml):
    sc = alignsim.load(default_toml)
    windows = sample_windows(sc, 1, horizon=168.0, warmup=0.0, settle=0.0)
    n = len(windows)
    with pytest.raises(ValueError, match=f"the stream has {n} rows: a window cannot end at row"):
        windows.draw(n + 1)
    windows.draw(10)
    with pytest.raises(ValueError, match="rows up to 10 are drawn already"):
        windows.draw(9)
    assert windows.drawn == 10
    assert len(windows.draw(10)) == 0 and windows.drawn == 10


def test_sample_windows_checks_its_arguments_as_sample_does(default_toml):
    sc = alignsim.load(default_toml)
    with pytest.raises(ValueError, match="at most 520 weeks"):
        sample_windows(sc, horizon=521 * 168.0)
    with pytest.raises(ValueError, match="warmup and settle must be at least 0"):
        sample_windows(sc, horizon=168.0, settle=-1.0)


def test_a_stream_with_no_leads_has_one_empty_window(default_toml):
    sc = alignsim.load(default_toml)
    kwargs = {"horizon": 1e-9, "warmup": 0.0, "settle": 0.0}
    full = alignsim.sample(sc, 1, 0, **kwargs)
    windows = sample_windows(sc, 1, 0, **kwargs)
    assert len(windows) == 0
    assert_windows_are_the_rows(full, [windows.draw(0)])


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**64),
    replication=st.integers(0, 2**33),
    sizes=st.lists(st.integers(0, 400), max_size=12),
)
def test_any_windows_of_any_run_are_its_one_shot_streams_rows(seed, replication, sizes):
    sc, kwargs = case("scenarios/default.toml")
    kwargs = {**kwargs, "horizon": 2 * 168.0}
    full = alignsim.sample(sc, seed, replication, **kwargs)
    windows = sample_windows(sc, seed, replication, **kwargs)
    stops = [*np.minimum(np.cumsum(sizes, dtype=np.int64), len(full)).tolist(), len(full)]
    assert_windows_are_the_rows(full, [windows.draw(stop) for stop in stops])


@pytest.mark.parametrize("chunk", [1, 64, 1 << 16])
def test_skipping_normals_leaves_the_generator_where_numpys_normals_do(monkeypatch, chunk):
    from alignsim import stream_windows

    monkeypatch.setattr(stream_windows, "_CHUNK", chunk)
    n = 3000 if chunk < 64 else 150_000  # several chunks; a chunk of 1 word holds no wedge
    skipping, drawing = np.random.PCG64(chunk), np.random.PCG64(chunk)
    words = stream_windows._skip_normals(skipping, n)
    np.random.Generator(drawing).standard_normal(n)
    assert skipping.random_raw(3).tolist() == drawing.random_raw(3).tolist()
    assert n < words < 1.05 * n
