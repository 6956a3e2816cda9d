"""No orphans: a pool's processes end when the process that started them dies, however it dies.

A local pool (alignsim.batch.executors.process_pool) has a forkserver and worker processes. If
the parent is killed with SIGKILL it cannot tell them to stop, and they used to idle on for
hours, holding their memory. So each of them calls `exit_with_parent()` when it starts:

- on Linux the kernel sends the process SIGKILL when its parent dies (prctl
  PR_SET_PDEATHSIG, called through ctypes); the forkserver's parent is the process that
  started the pool, a worker's parent is the forkserver, so the whole tree goes within
  milliseconds of the parent (strictly, the kernel signals when the thread that started the
  process ends: a pool made in a thread that ends before the process does loses its
  forkserver, and the next pool starts a new one);
- elsewhere a daemon thread polls os.getppid() twice a second and ends the process when the
  parent has changed (the process was re-parented because its parent died).

A worker holds only the figures of the chunk it is playing, which the parent would have
committed; there is nothing to clean up, so it is killed outright.

Written by hand: the standard library has no parent-death hook and python-prctl, the one
wrapper of prctl, is unmaintained and needs a C compiler; this is one libc call.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

__all__ = ["exit_with_parent"]

PR_SET_PDEATHSIG = 1
"""prctl option from <linux/prctl.h>: the signal this process gets when its parent dies."""

POLL_SECONDS = 0.5
"""How often the watchdog thread (not on Linux) looks at the parent."""


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os._exit(1)  # the parent died: no clean-up to run, nothing to flush


def _death_signal() -> bool:
    """Ask the kernel for SIGKILL when the parent dies; False where that cannot be done."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def exit_with_parent() -> None:
    """End this process when its parent process dies (see the module's docstring)."""
    parent = os.getppid()
    if _death_signal():
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)
        return
    threading.Thread(target=_watch, args=(parent,), name="exit-with-parent", daemon=True).start()
