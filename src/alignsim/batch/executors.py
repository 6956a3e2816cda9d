"""Where runs are played: one seam, a `concurrent.futures.Executor`.

`completed(executor, setup, chunks)` submits chunks of runs to any Executor and yields each
chunk's figures as it finishes, keeping only a few chunks in flight (so a precision stop wastes
little work and memory stays flat). The executors alignsim makes:

- `SerialExecutor()`: plays each chunk in the calling process, at submit time;
- `process_pool(workers)`: a local `ProcessPoolExecutor` whose workers are forked from a
  forkserver that has imported alignsim and loaded the compiled engine once
  (alignsim.batch.forkserver), so they start warm and share no threads; the forkserver and
  the workers end when the process that made the pool dies (alignsim.batch.orphans);
- `dask_executor(address)`: a `dask.distributed` client's executor; `"local"` starts a
  `LocalCluster` on this machine. Dask is the optional extra `alignsim[dask]`.

Any other Executor works too (a user's own Dask client's `get_executor()`, a thread pool).
Results never depend on the executor: a chunk's figures are a function of its runs alone, and
the caller commits chunks in their order (see `alignsim.batch.api`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.forkserver
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from alignsim.batch.orphans import exit_with_parent

if TYPE_CHECKING:  # the runs' modules (the stream, the engines) load when chunks are played
    import numpy as np

    from alignsim.batch.runs import Chunk
    from alignsim.batch.setup import Setup

__all__ = [
    "STARTING",
    "SerialExecutor",
    "completed",
    "cores",
    "dask_executor",
    "in_flight",
    "process_pool",
    "start_forkserver",
]

STARTING = "starting workers"
"""What a progress bar says until the first chunk of runs lands (workers take seconds to
start; "0% ?run/s" reads like a hang)."""


class SerialExecutor(Executor):
    """Plays each submitted call at once, in this process; its futures are done on return."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to whoever reads the future, as a pool would
            future.set_exception(error)
        return future


def cores() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def start_forkserver() -> Any:
    """Start the forkserver a local pool's workers are forked from, loading alignsim and the
    compiled engine (alignsim.batch.forkserver), and return its multiprocessing context; None
    where the platform has no forkserver. Idempotent: a command calls it before its own
    set-up (reading the scenario, drawing the design) so the two overlap on two cores."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["alignsim.batch.forkserver"])
    multiprocessing.forkserver.ensure_running()
    return context


def process_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A local pool of worker processes (default: one per core), started warm.

    The forkserver starts now (it keeps running for later pools of this process) and loads
    alignsim and the compiled engine while the caller prepares the batch.
    """
    workers = cores() if workers is None else workers
    context = start_forkserver() or multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=exit_with_parent
    )


@contextlib.contextmanager
def dask_executor(address: str, workers: int | None = None) -> Iterator[Executor]:
    """A Dask client's executor for the scheduler at `address` ("local": a new LocalCluster).

    Raises ImportError without dask.distributed, OSError when the scheduler cannot be reached.
    """
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if address == "local":
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=cores() if workers is None else workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(Client(address, timeout="10s"))
        # pure=False: every chunk is a distinct task even if its arguments repeat.
        yield client.get_executor(pure=False)


def in_flight(executor: Executor) -> int:
    """How many chunks to keep submitted: twice what the executor can play at once."""
    if isinstance(executor, SerialExecutor):
        return 1
    workers = getattr(executor, "_max_workers", None)
    client = getattr(executor, "_client", None)
    if client is not None and hasattr(client, "nthreads"):
        workers = sum(client.nthreads().values()) or None
    return 2 * (workers or cores())


def completed(
    executor: Executor, setup: Setup, chunks: Iterable[Chunk], window: int | None = None
) -> Iterator[tuple[Chunk, np.ndarray]]:
    """Submit the chunks, at most `window` at a time, and yield (chunk, figures) as they finish.

    Closing the generator early cancels the chunks not yet started.
    """
    from alignsim.batch.runs import play_chunk

    window = in_flight(executor) if window is None else max(1, window)
    pending: dict[Future[np.ndarray], Chunk] = {}
    queue = iter(chunks)
    try:
        while True:
            while len(pending) < window:
                chunk = next(queue, None)
                if chunk is None:
                    break
                pending[executor.submit(play_chunk, setup, chunk)] = chunk
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: pending[f].index):
                chunk = pending.pop(future)
                yield chunk, future.result()
    finally:
        for future in pending:
            future.cancel()
