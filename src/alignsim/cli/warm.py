"""`alignsim warm`: build the fast engine's compiled cache now, once per machine.

`make demo` and `make test` run it up front, so that the first simulation does not pause to
compile; on a machine that has the cache it only loads it (about a second). It also writes
the package's bytecode, which Python does not where PYTHONDONTWRITEBYTECODE is set.
"""

from __future__ import annotations

import time

import typer

__all__ = ["warm_command"]


def warm_command() -> None:
    """Compile the fast engine once for this machine (about 15 s), or load it if compiled."""
    from alignsim.warm import warm, write_bytecode

    start = time.perf_counter()
    warm()
    written = write_bytecode()
    note = "" if written else "; alignsim's bytecode could not all be written (read-only)"
    typer.echo(f"fast engine ready ({time.perf_counter() - start:.1f} s{note})")
