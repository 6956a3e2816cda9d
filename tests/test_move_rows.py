"""`alignsim.compiled.move_rows`, the fast engine's slot copies, against numpy's `dst[to] = src[at]`."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignsim.compiled import move_rows

DTYPES = (np.float64, np.int8, np.int32, np.int64, np.bool_)


def arrays(rng: np.random.Generator, n: int, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    return (rng.random((n, *shape)) * 100).astype(dtype)


@settings(max_examples=200, deadline=None)
@given(
    n_dst=st.integers(0, 40),
    n_src=st.integers(0, 40),
    shape=st.sampled_from([(), (1,), (3,), (2, 2), (0,)]),
    dtype=st.sampled_from(DTYPES),
    with_at=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_same_rows_as_numpy(n_dst, n_src, shape, dtype, with_at, seed) -> None:
    rng = np.random.default_rng(seed)
    count = min(n_dst, n_src)
    to = rng.permutation(n_dst)[:count]  # distinct destinations, as slots are
    at = rng.integers(0, n_src, count) if with_at and n_src else None
    src = arrays(rng, n_src if with_at else count, shape, dtype)
    dst = arrays(rng, n_dst, shape, dtype)
    expected = dst.copy()
    expected[to] = src[at] if at is not None else src
    move_rows(dst, to, src, at)
    assert np.array_equal(dst, expected)


def test_a_strided_destination_takes_numpy_s_way() -> None:
    dst = np.zeros((6, 4))[:, ::2]  # rows not contiguous
    move_rows(dst, np.array([4, 1]), np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert dst.tolist() == [[0, 0], [3, 4], [0, 0], [0, 0], [1, 2], [0, 0]]


def test_mismatched_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="move_rows"):
        move_rows(np.zeros(4), np.array([0, 1]), np.zeros(3))
    with pytest.raises(ValueError, match="move_rows"):
        move_rows(np.zeros(4), np.array([0]), np.zeros(1, dtype=np.int8))
    with pytest.raises(ValueError, match="move_rows"):
        move_rows(np.zeros((4, 2)), np.array([0]), np.zeros((1, 3)))
