"""The compiled fast engine: built once per machine, said aloud when it is, loaded before work.

numba compiles the fast engine and the stream's compiled helpers at their first use and keeps
the machine code on disk (next to the sources in __pycache__, or in $NUMBA_CACHE_DIR); later
processes load it in well under a second. Compiling takes about 15 s on an idle 2-core
machine, and a newcomer's first command would look hung without a word, so:

- `announce_compiling()` registers a numba event listener: the first time a process starts
  compiling one of alignsim's functions, and stderr is a terminal, one line on stderr says
  so. numba calls it (through the `numba_extensions` entry point in pyproject.toml) before it
  loads or compiles anything, so every way in (the CLI, a notebook, a pool worker) gets it.
- `warm()` plays a one-week scenario with the fast engine, so that every compiled function is
  on disk (compiled, the first time on a machine) and loaded in this process. `alignsim warm`,
  `make demo` and `make test` call it up front; a pool's forkserver calls it before forking
  workers (alignsim.batch.forkserver), so the workers start with the engine loaded.
- `write_bytecode()` writes the package's bytecode (`compileall`) for `alignsim warm`. Python
  writes it at the first import anyway, except where PYTHONDONTWRITEBYTECODE is set (many
  containers and CI images set it): there every process would compile alignsim's 100
  modules from source, about 0.15 s of each `alignsim compare` (1.55 against 1.40 s here).

Loading this module imports nothing heavy: numba only when `announce_compiling` runs (numba
runs it once it is loaded anyway), alignsim's engine only in `warm`.
"""

from __future__ import annotations

import copy
import sys
from typing import Any

__all__ = ["MESSAGE", "announce_compiling", "warm", "write_bytecode"]

MESSAGE = "alignsim: compiling the fast engine, once per machine, about 15 s"
"""What a terminal's user reads when a process starts compiling."""

_state = {"registered": False, "said": False}


def _say_once(data: dict[str, Any], stream: Any = None) -> bool:
    """Print MESSAGE for the first compilation of an alignsim function, on a terminal."""
    if _state["said"]:
        return False
    function = getattr(data.get("dispatcher"), "py_func", None)
    if not getattr(function, "__module__", "").startswith("alignsim."):
        return False  # another package's numba function: not ours to announce
    _state["said"] = True
    stream = sys.stderr if stream is None else stream
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return False
    print(MESSAGE, file=stream, flush=True)
    return True


def announce_compiling() -> None:
    """From now on, the first compilation of an alignsim function says so on a terminal.

    Also the `numba_extensions` entry point: numba calls it once, before its first compile.
    """
    if _state["registered"]:
        return
    from numba.core import event

    class _Listener(event.Listener):
        def on_start(self, ev: event.Event) -> None:
            _say_once(ev.data or {})

        def on_end(self, ev: event.Event) -> None:
            pass

    event.register("numba:compile", _Listener())
    _state["registered"] = True


def write_bytecode() -> bool:
    """Write the bytecode of every alignsim module beside it (`__pycache__`), where missing or
    stale; Python reads it whatever PYTHONDONTWRITEBYTECODE says. False when some could not be
    written (a read-only installation: each process then compiles those modules itself)."""
    import compileall
    from pathlib import Path

    package = Path(__file__).resolve().parent
    return bool(compileall.compile_dir(package, quiet=2, workers=1))


def warm(windows: bool = True) -> None:
    """Load the fast engine's compiled code into this process, compiling it if this machine
    has none: a week of a small scenario, both policies, with two sources and with one (a
    single source's draws are laid out contiguously: numba compiles that case apart), played
    at once and, with `windows`, in windows too (the windowed draw's compiled passes: about
    0.25 s of loading, which a pool's forkserver skips; only runs of millions of leads, seconds
    each, play in windows, and a worker loads those passes at its first such run)."""
    announce_compiling()
    from alignsim.comparison import compare
    from alignsim.scenario import validate
    from alignsim.simulation import simulate_all

    one_source = copy.deepcopy(_SCENARIO)
    del one_source["market"]["sources"]["outbound"]
    for doc in (_SCENARIO, one_source):
        scenario = validate(doc, "warm-up")
        compare(scenario, replications=1, horizon=168.0, engine="fast")
        if windows:
            simulate_all(scenario, horizon=168.0, engine="fast", windows=16)


_SCENARIO: dict[str, Any] = {
    "name": "warm-up",
    "horizon": "1w",
    "seed": 1,
    "market": {
        "sources": {
            "web": {
                "rate": "60/week",
                "arrivals": "always",
                "weekly_profile": [1.2, 1.2, 1.1, 1.1, 1.0, 0.2, 0.2],
                "owner": "marketing",
                "fit": {"dist": "beta", "a": 2, "b": 3},
                "temperature": {"cold": 0.5, "warm": 0.3, "hot": 0.2},
                "value": {"dist": "lognormal", "median": 20000, "p90": 60000},
            },
            "outbound": {
                "rate": "20/week",
                "arrivals": "business_hours",
                "owner": "sales",
                "fit": {"dist": "beta", "a": 5, "b": 2},
                "temperature": {"cold": 0.3, "warm": 0.5, "hot": 0.2},
                "value": 40000,
            },
        },
        "patience": {
            "hot": {
                "dist": "mixture",
                "components": [
                    {"weight": 0.2, "dist": "exponential", "mean": "10m"},
                    {"weight": 0.8, "dist": "exponential", "mean": "3w"},
                ],
            },
            "warm": {"dist": "exponential", "mean": "2w"},
            "cold": {
                "dist": "mixture",
                "components": [
                    {"weight": 0.2, "dist": "exponential", "mean": "1d"},
                    {"weight": 0.8, "dist": "never"},
                ],
            },
        },
        "warming": {
            "cold_to_warm": {"dist": "gamma", "mean": "4w", "cv": 0.8},
            "warm_to_hot": {"dist": "gamma", "mean": "2w", "cv": 0.8},
        },
        "reach": {"cold": [0.15, 0.35], "warm": [0.35, 0.5], "hot": [0.45, 0.6]},
        "qualify": 0.5,
        "win": 0.2,
        "cycle": {"dist": "lognormal", "median": "45d", "p90": "90d"},
    },
    "team": {
        "reps": 2,
        "hours": {"open": "09:00", "close": "17:00", "days": "Mon-Fri"},
        "attempt_time": {"dist": "gamma", "mean": "8m", "cv": 0.5},
        "qualify_time": {"dist": "exponential", "mean": "25m"},  # a plain exponential's loop
        "inbound_checks": ["09:00", "13:30"],
    },
    "policies": {
        "current": {
            "queue": "lifo",
            "rejected": "discard",
            "definition": {
                "marketing_noise": 0.25,
                "sales_noise": 0.25,
                "mql_threshold": 0.35,
                "accept_threshold": 0.55,
            },
            "handoff": {"mode": "batch", "times": ["17:00"]},
            "sla": {"first_response": "8h", "max_attempts": 2, "attempt_spacing": "2d"},
            "goals": {
                "marketing": "mql_volume",
                "mql_target": "30/week",
                "step": 0.01,
                "sales": "quota",
                "min_value": 8000,
            },
        },
        "aligned": {
            "queue": "sla",
            "rejected": "nurture",
            "definition": {
                "marketing_noise": 0.05,
                "sales_noise": 0.05,
                "mql_threshold": 0.4,
                "accept_threshold": 0.4,
            },
            "handoff": {"mode": "realtime", "routing_delay": "2m"},
            "sla": {
                "first_response": {"hot": "15m", "warm": "1h", "cold": "4h"},
                "max_attempts": 6,
                "attempt_spacing": "1d",
            },
            "nurture": {"every": "2d", "max": "4w", "lift": 0.3, "max_recycles": 1},
            "feedback": {"half_life": 200, "floor": 0.03},
        },
    },
}
"""A small scenario with every kind of law and lever the shipped scenarios use (tests/test_warm.py:
after `warm()`, playing each shipped scenario loads no further compiled code)."""


if __name__ == "__main__":
    warm()
