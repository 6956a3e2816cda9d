"""A tiny scenario with uncertain inputs for the batch tests (no tests here).

One source of about 6 leads a day for 4 weeks, one rep on duty around the clock, deals that
close a day after the qualifying call: a run takes a few milliseconds. `aligned` makes three
attempts, `current` one; so `policies.current.sla.attempt_spacing` changes nothing (a control
input whose effect must come out as zero).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

_DOC: dict[str, Any] = {
    "name": "tiny-finance",
    "currency": "EUR",
    "horizon": "4w",
    "seed": 11,
    "market": {
        "sources": {
            "web": {
                "rate": "6/day",
                "fit": 0.5,
                "temperature": {"hot": 1.0},
                "value": {"dist": "uniform", "low": 500, "high": 1500},
            }
        },
        "patience": {
            "cold": {"dist": "never"},
            "warm": {"dist": "never"},
            "hot": {"dist": "exponential", "mean": "2d"},
        },
        "reach": 0.5,
        "qualify": 0.5,
        "win": 0.5,
        "cycle": "1d",
    },
    "team": {
        "reps": 1,
        "hours": {"open": "00:00", "close": "24:00", "days": "Mon-Sun"},
        "attempt_time": "20m",
        "qualify_time": "30m",
    },
    "policies": {
        "aligned": {
            "queue": "fifo",
            "definition": {
                "marketing_noise": 0,
                "sales_noise": 0,
                "mql_threshold": 0,
                "accept_threshold": 0,
            },
            "sla": {"first_response": "1h", "max_attempts": 3, "attempt_spacing": "4h"},
        },
        "current": {
            "queue": "lifo",
            "definition": {
                "marketing_noise": 0,
                "sales_noise": 0,
                "mql_threshold": 0,
                "accept_threshold": 0,
            },
            "sla": {"first_response": "1h", "max_attempts": 1, "attempt_spacing": "1d"},
        },
    },
    "uncertainty": {
        "market.win": {"dist": "pert", "low": 0.3, "mode": 0.5, "high": 0.6},
        "market.sources.web.rate": {
            "dist": "triangular",
            "low": "4/day",
            "mode": "6/day",
            "high": "9/day",
        },
        "team.reps": {"dist": "discrete", "values": [1, 2], "weights": [0.7, 0.3]},
        "policies.current.sla.attempt_spacing": {"dist": "uniform", "low": "1h", "high": "3d"},
        "correlations": [
            {"between": ["market.win", "market.sources.web.rate"], "rho": -0.5},
        ],
    },
}


def tiny_document(**top: Any) -> dict[str, Any]:
    """A fresh copy of the tiny document, with top-level keys replaced (None removes one)."""
    doc = copy.deepcopy(_DOC)
    for key, value in top.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def tiny_file(folder: Path, **top: Any) -> Path:
    """The tiny document written as a scenario file (JSON, which alignsim reads like TOML)."""
    path = folder / "tiny-finance.json"
    path.write_text(json.dumps(tiny_document(**top)), encoding="utf-8")
    return path
