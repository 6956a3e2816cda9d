"""The answers the workshop page serves, computed once for every session of the server.

Streamlit runs each browser's session as a thread of one server process; these functions are
what a session calls when a control moves, cached in Streamlit's process-wide resource cache
(`st.cache_resource`), so 20 rooms on the same scenario share every answer, and 20 sessions
asking for the same setting at once wait for the one that computes it (Streamlit holds a lock
per key). Beneath them, the bench of `alignsim.workshop.figures` shares the lead streams,
the baseline's runs and the coalitions of the split by lever between settings. The split
plays in the background (`split_later`): a session's script run does not wait for it, so a
control moved meanwhile is answered at once.

Why the resource cache and not `st.cache_data`: the data cache pickles every value on the way
in and out, and an answer keeps the first replication's two ledgers with their lead stream
(about 34 MB pickled for 13 weeks of `default.toml`, warm-up and settle included); shared
objects cost only the played policy's arrays (about 2 MB), the stream being the bench's. The
page only reads what these return.

Kept apart from the page's script (`app.py`, which Streamlit runs top to bottom) so that the
load benchmark (`benchmarks/workshop_load.py`) calls exactly what the page calls.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import streamlit as st

from alignsim.comparison import Comparison
from alignsim.workshop import figures

__all__ = ["MAX_ANSWERS", "answer", "split_later"]

MAX_ANSWERS = 256
"""Answers (and splits) kept: about 2 MB each beyond the shared streams, LRU."""


@st.cache_resource(max_entries=MAX_ANSWERS, show_spinner=False)
def answer(
    key: str,
    label: str,
    policy: str,
    sets: tuple[str, ...],
    replications: int,
    horizon: float,
    engine: str | None,
    _doc: dict[str, Any],
) -> figures.Answer:
    """The page's answer for one lever setting, keyed on plain values (`_doc` is not hashed:
    `key` is its digest)."""
    return figures.answer(
        _doc,
        label,
        policy,
        sets,
        replications=replications,
        horizon=horizon,
        engine=engine,
    )


_SPLITS = ThreadPoolExecutor(8, "alignsim-splits")
"""Where the splits by lever play, apart from the sessions' script runs; their coalitions go
on to the bench's lower-priority pool, a thread per core. These threads keep
the sessions' priority: they hold the GIL more than they play, and a starved thread that holds
the GIL would hold up every session."""


@st.cache_resource(max_entries=MAX_ANSWERS, show_spinner=False)
def split_later(
    key: str,
    label: str,
    policy: str,
    sets: tuple[str, ...],
    replications: int,
    horizon: float,
    engine: str | None,
    _doc: dict[str, Any],
) -> Future[Comparison]:
    """The split by lever for one lever setting, keyed like `answer`, played in the
    background: the same future for every session that asks."""
    return _SPLITS.submit(
        figures.split,
        _doc,
        label,
        policy,
        sets,
        replications=replications,
        horizon=horizon,
        engine=engine,
    )
