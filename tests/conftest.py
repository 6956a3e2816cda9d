"""Shared fixtures of the test suite: the repository's scenario files, the tiny hand-built
scenario and lead stream of the exact-trace tests, the tiny uncertain scenario of the batch
tests, and the command line run in this process; and the hypothesis profile (derandomized
when the environment variable CI is set).

Scenario files are found from the repository root, computed from this file's own path, so
the suite finds them from any working directory; finding none is a failure (an assertion at
collection), never a skip. A test that wants every shipped scenario asks for the argument
`shipped_scenario` (one case per file) or `shipped_policy` (one case per file and policy):
`pytest_generate_tests` below parametrizes it. No test module imports another: what several
modules share lives here, and a helper function is a fixture that returns the function.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

import alignsim
from alignsim.engines import engine as engine_named
from alignsim.engines import make_plan
from alignsim.stream import LeadStream

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")
"""Hypothesis in CI (the env var CI set): the same examples on every run, and a failure prints
the blob that replays it; local runs keep exploring new examples."""

ROOT = Path(__file__).resolve().parents[1]
"""The repository root: the folder above tests/."""

SCENARIO_DIR = ROOT / "scenarios"


def _shipped() -> list[Path]:
    """Every scenario file under scenarios/ (validation/ included), sorted; at least one."""
    found = sorted(SCENARIO_DIR.rglob("*.toml"))
    assert found, f"no scenario files (*.toml) under {SCENARIO_DIR}"
    return found


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One case per shipped scenario file, or per shipped scenario file and policy."""
    if "shipped_scenario" in metafunc.fixturenames:
        metafunc.parametrize("shipped_scenario", _shipped(), ids=lambda path: path.stem)
    if "shipped_policy" in metafunc.fixturenames:
        cases = [(path, name) for path in _shipped() for name in alignsim.load(path).policies]
        ids = [f"{path.stem}-{name}" for path, name in cases]
        metafunc.parametrize("shipped_policy", cases, ids=ids)


# ----------------------------------------------------------------- files of the repository


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (holds pyproject.toml, scenarios/, src/)."""
    assert (ROOT / "pyproject.toml").is_file(), f"{ROOT} is not the repository root"
    return ROOT


@pytest.fixture(scope="session")
def shipped_scenarios() -> list[Path]:
    """Every scenario file the repository ships (validation/ included), sorted."""
    return _shipped()


def _scenario_file(*parts: str) -> Path:
    path = SCENARIO_DIR.joinpath(*parts)
    assert path.is_file(), f"missing scenario file {path}"
    return path


@pytest.fixture(scope="session")
def default_toml() -> Path:
    """scenarios/default.toml: the mid-market B2B company, `current` against `aligned`."""
    return _scenario_file("default.toml")


@pytest.fixture(scope="session")
def finance_toml() -> Path:
    """scenarios/finance-uncertainty.toml: default with uncertain inputs, for batches."""
    return _scenario_file("finance-uncertainty.toml")


@pytest.fixture(scope="session")
def validation_dir() -> Path:
    """scenarios/validation/: the queueing-theory reductions (Erlang A and C)."""
    _scenario_file("validation", "erlang-a.toml")
    return SCENARIO_DIR / "validation"


# ------------------------------------------- the tiny scenario and stream of exact traces

TINY: dict[str, Any] = {
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
"""One sales-owned source of hot leads worth 1,000, one rep on duty around the clock, calls
of an hour that always reach the buyer and never qualify, buyers who never leave: policy `p`."""


def _tiny_scenario(**changes: Any) -> alignsim.Scenario:
    doc = copy.deepcopy(TINY)
    for path, value in changes.items():
        node = doc
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = copy.deepcopy(value)
    return alignsim.validate(doc, "tiny")


@pytest.fixture(scope="session")
def tiny_scenario() -> Callable[..., alignsim.Scenario]:
    """tiny_scenario(**changes): the tiny scenario with dotted-path changes, e.g.
    tiny_scenario(**{"team.reps": 2})."""
    return _tiny_scenario


def _tiny_stream(
    created: list[float],
    *,
    horizon: float = 336.0,
    attempts: int = 1,
    routings: int = 1,
    scorings: int = 1,
    **fields: Any,
) -> LeadStream:
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


@pytest.fixture(scope="session")
def tiny_stream() -> Callable[..., LeadStream]:
    """tiny_stream(created, *, horizon=336, attempts=1, routings=1, scorings=1, **fields): a
    stream of len(created) leads (times in hours) of the tiny scenario's source; every draw
    defaults to 'reached, not qualified, never lost', and `fields` replace columns."""
    return _tiny_stream


def _play(
    sc: alignsim.Scenario, st: LeadStream, policy: str = "p", engine: str = "simpy"
) -> pd.DataFrame:
    plan = make_plan(st, sc.team_for(policy), sc.policies[policy], market=sc.market)
    return engine_named(engine)(plan).frame()


@pytest.fixture(scope="session")
def play() -> Callable[..., pd.DataFrame]:
    """play(scenario, stream, policy="p", engine="simpy"): the ledger frame of one policy over
    a hand-built stream."""
    return _play


# ------------------------------------------------- the tiny uncertain scenario of batches

TINY_FINANCE: dict[str, Any] = {
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
"""One source of about 6 leads a day for 4 weeks, one rep on duty around the clock, deals
that close a day after the qualifying call: a run takes a few milliseconds. `aligned` makes
three attempts, `current` one; so `policies.current.sla.attempt_spacing` changes nothing (a
control input whose effect must come out as zero)."""


def _tiny_document(**top: Any) -> dict[str, Any]:
    doc = copy.deepcopy(TINY_FINANCE)
    for key, value in top.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


@pytest.fixture(scope="session")
def tiny_document() -> Callable[..., dict[str, Any]]:
    """tiny_document(**top): a fresh copy of the tiny uncertain scenario's document, with
    top-level keys replaced (None removes one)."""
    return _tiny_document


@pytest.fixture(scope="session")
def tiny_file() -> Callable[..., Path]:
    """tiny_file(folder, **top): the tiny document written as a scenario file in `folder`
    (JSON, which alignsim reads like TOML)."""

    def write(folder: Path, **top: Any) -> Path:
        path = folder / "tiny-finance.json"
        path.write_text(json.dumps(_tiny_document(**top)), encoding="utf-8")
        return path

    return write


# ------------------------------------------------------------------ the command line


@pytest.fixture
def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[[list[str | Path]], tuple[int | str | None, str, str]]]:
    """run_cli(args): exit code, stdout and stderr of `alignsim ARGS` through the same entry
    point, in this process: for checks that need no fresh process, without its two seconds
    of imports."""
    from alignsim import cli

    def run(args: list[str | Path]) -> tuple[int | str | None, str, str]:
        monkeypatch.setattr(sys, "argv", ["alignsim", *map(str, args)])
        monkeypatch.delenv("ALIGNSIM_DEBUG", raising=False)
        code: int | str | None = 0
        try:
            cli.main()
        except SystemExit as done:
            code = done.code
        out, err = capsys.readouterr()
        return code, out, err

    yield run
