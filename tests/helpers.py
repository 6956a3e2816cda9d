"""Small hand-built streams and scenarios for exact-trace tests of the engines."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

import alignsim
from alignsim.engines import engine as engine_named
from alignsim.engines import make_plan
from alignsim.stream import LeadStream

BASE: dict[str, Any] = {
    "name": "tiny",
    "horizon": "2w",
    "market": {
        "sources": {
            "web": {
                "rate": "1/day",
                "owner": "sales",
                "fit": 0.5,
                "temperature": {"hot": 1.0},
                "value": 1000,
            }
        },
        "patience": {
            "cold": {"dist": "never"},
            "warm": {"dist": "never"},
            "hot": {"dist": "never"},
        },
        "reach": 1.0,
        "qualify": 0.0,
        "win": 0.0,
        "cycle": "1d",
    },
    "team": {
        "reps": 1,
        "hours": {"open": "00:00", "close": "24:00", "days": "Mon-Sun"},
        "attempt_time": "1h",
        "qualify_time": "0m",
    },
    "policies": {
        "p": {
            "queue": "fifo",
            "definition": {
                "marketing_noise": 0,
                "sales_noise": 0,
                "mql_threshold": 0,
                "accept_threshold": 0,
            },
            "sla": {"first_response": "1h", "max_attempts": 1, "measured_in": "wall_clock"},
        }
    },
}


def scenario(**changes: Any) -> alignsim.Scenario:
    """The tiny scenario with dotted-path changes, e.g. scenario(**{"team.reps": 2})."""
    doc = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = doc
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = copy.deepcopy(value)
    return alignsim.validate(doc, "tiny")


def stream(
    created: list[float],
    *,
    horizon: float = 336.0,
    attempts: int = 1,
    routings: int = 1,
    scorings: int = 1,
    **fields: Any,
) -> LeadStream:
    """A stream of len(created) leads; every draw defaults to 'reached, not qualified, never lost'."""
    n = len(created)
    cols = {
        "created": np.asarray(created, dtype=float),
        "source": np.zeros(n, dtype=np.int16),
        "owner": np.ones(n, dtype=np.int8),
        "fit": np.full(n, 0.5),
        "temperature": np.full(n, 2, dtype=np.int8),
        "value": np.full(n, 1000.0),
        "patience": np.full(n, np.inf),
        "warming": np.full((n, 2), np.inf),
        "repatience": np.full((n, 2), np.inf),
        "reach": np.ones((n, 3)),
        "qualify": np.zeros((n, 3)),
        "win": np.zeros((n, 3)),
        "cycle": np.full(n, 24.0),
        "eps_m": np.zeros((n, scorings)),
        "eps_s": np.zeros((n, routings)),
        "u_reach": np.full((n, attempts), 0.5),
        "u_attempt_time": np.full((n, attempts), 0.5),
        "u_qualify": np.full((n, routings), 0.5),
        "u_qualify_time": np.full((n, routings), 0.5),
        "u_win": np.full(n, 0.5),
        "u_routing": np.full((n, routings), 0.5),
    }
    for key, value in fields.items():
        arr = np.asarray(value, dtype=cols[key].dtype)
        cols[key] = arr.reshape(cols[key].shape) if arr.size == cols[key].size else arr
    return LeadStream(seed=0, replication=0, horizon=horizon, sources=("web",), **cols)


def play(sc: alignsim.Scenario, st: LeadStream, policy: str = "p", engine: str = "simpy"):
    """The ledger frame of one policy over a hand-built stream."""
    plan = make_plan(st, sc.team_for(policy), sc.policies[policy])
    return engine_named(engine)(plan).frame()
