"""A retry is owed like a first response (docs/model.md, decisions): exact traces.

Under the `sla` queue a lead waits in order of when its response falls due. A retry whose
spacing ends at t falls due at t plus the SLA's target for the buyer's temperature, as a fresh
lead created at t does; so a fresh lead that came in before the spacing ended goes first, and
one that came in after it goes second. Tiny hand-built streams (tests/conftest.py: one rep on
duty around the clock, calls of an hour), played by both engines.
"""

from __future__ import annotations

import pytest

ENGINES = ["simpy", "fast"]
NOT_REACHED, REACHED = [0.0] * 3, [1.0] * 3


def retrying(tiny_scenario):
    """One rep, the `sla` queue, a 4-hour first response, two calls an hour apart."""
    return tiny_scenario(
        **{
            "policies.p.queue": "sla",
            "policies.p.sla.first_response": "4h",
            "policies.p.sla.max_attempts": 2,
            "policies.p.sla.attempt_spacing": "1h",
        }
    )


def played(play, tiny_scenario, tiny_stream, fresh_at: float, engine: str):
    """Lead 0 (created 0:00) is not reached at 0:00-1:00, so its retry is ready at 2:00 and
    owed by 6:00; lead 1 (created 1:30, reached) keeps the rep busy from 1:30 to 2:30; lead 2
    is fresh, created at `fresh_at` and owed 4 hours later."""
    st = tiny_stream([0.0, 1.5, fresh_at], reach=[NOT_REACHED, REACHED, REACHED], attempts=2)
    return play(retrying(tiny_scenario), st, engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_fresh_lead_owed_before_the_retry_is_called_first(
    play, tiny_scenario, tiny_stream, engine
):
    frame = played(play, tiny_scenario, tiny_stream, 1.8, engine)  # owed by 5:48, before 6:00
    assert frame["response_due"].tolist() == [4.0, 5.5, 5.8]
    assert frame["first_attempt"].tolist() == [0.0, 1.5, 2.5]
    assert frame["attempts"].tolist() == [2, 1, 1]
    assert frame["ended"].tolist()[0] == 3.5 + 1.0  # the retry waits for the fresh lead's call


@pytest.mark.parametrize("engine", ENGINES)
def test_a_retry_owed_before_a_fresh_lead_is_called_first(play, tiny_scenario, tiny_stream, engine):
    frame = played(play, tiny_scenario, tiny_stream, 2.2, engine)  # owed by 6:12, after 6:00
    assert frame["first_attempt"].tolist() == [0.0, 1.5, 3.5]
    assert frame["ended"].tolist()[0] == 2.5 + 1.0  # the retry is called as the rep frees up
