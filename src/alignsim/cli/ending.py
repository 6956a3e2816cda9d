"""How the `alignsim` command ends: its exit code, without the interpreter's teardown.

A Python process that has loaded numpy, pandas, numba and LLVM spends about 0.25 s at exit
freeing their objects one by one (measured after `alignsim compare`: 0.24-0.28 s between the
command's last line and the process's end), work the operating system does at once when the
process ends. So once the console script's command is done (`leave_with`), the handler
registered here flushes the standard streams and ends the process (`os._exit`). It is
registered when `alignsim.cli` loads, before anything else can register one, and exit handlers
run last registered first: every handler of the libraries (multiprocessing's pools and
forkserver, logging, temporary files) has run by then. A process that calls `alignsim.cli.main`
and goes on (a test, a notebook) never calls `leave_with` and exits as usual.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys

_code: list[int] = []
"""The exit code to end with, once the command is done."""


def _end() -> None:
    if not _code:
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(_code[0])


atexit.register(_end)


def leave_with(code: object) -> None:
    """End the process with this exit code (SystemExit's: None is 0, an int itself, anything
    else 1) once every exit handler has run, skipping the interpreter's teardown."""
    _code.append(0 if code is None else code if isinstance(code, int) else 1)
