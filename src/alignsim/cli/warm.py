"""`alignsim warm`: build the fast engine's compiled cache now, once per machine.

`make demo` and `make test` run it up front, so that the first simulation does not pause to
compile; on a machine that has the cache it only loads it (about a second).
"""

from __future__ import annotations

import time

import typer

__all__ = ["warm_command"]


def warm_command() -> None:
    """Compile the fast engine once for this machine (about 15 s), or load it if compiled."""
    from alignsim.warm import warm

    start = time.perf_counter()
    warm()
    typer.echo(f"fast engine ready ({time.perf_counter() - start:.1f} s)")
