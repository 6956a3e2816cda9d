"""benchmarks/leads.py's count of leads in flight, which its table reads the cost per lead by."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

BENCHMARKS = str(Path(__file__).resolve().parents[1] / "benchmarks")
sys.path.insert(0, BENCHMARKS)
try:
    from leads import in_flight
finally:  # the benchmarks' module names (batch, stream...) stay out of the other tests' way
    sys.path.remove(BENCHMARKS)


def test_hand_cases() -> None:
    nan = np.nan
    assert in_flight(np.array([]), np.array([])) == 0
    # one ends as the next is created: never two at once
    assert in_flight(np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0])) == 1
    # a lead still open at the run's end stays alive
    assert in_flight(np.array([0.0, 1.0, 5.0]), np.array([nan, 2.0, 6.0])) == 2
    assert in_flight(np.array([0.0, 0.0, 0.0]), np.array([4.0, 4.0, 4.0])) == 3


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20) | st.none()), max_size=40))
def test_equals_counting_at_every_instant(leads: list[tuple[int, int | None]]) -> None:
    created = np.array([float(c) for c, _ in leads])
    ended = np.array([np.nan if d is None else float(c + d) for c, d in leads])
    alive = [
        sum(c <= t and not (e <= t) for c, e in zip(created, ended, strict=True)) for t in created
    ]
    assert in_flight(created, ended) == max(alive, default=0)
