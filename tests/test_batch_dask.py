"""A Dask worker killed mid-batch: the batch still completes, byte-identical to the serial one.

A LocalCluster on loopback with two worker processes plays the batch; once a worker is
playing a chunk, a thread kills that worker's process with SIGKILL. Dask's nanny starts a new
worker and the scheduler plays the lost chunks again; alignsim commits chunks in their order,
so runs.parquet must be the same bytes as a serial batch's. The simpy engine keeps the
workers' start-up short (no compiled engine to load).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from alignsim.batch.api import monte_carlo

distributed = pytest.importorskip("distributed")

OPTIONS: dict[str, Any] = {
    "runs": 24,
    "chunk_size": 2,
    "seed": 8,
    "engine": "simpy",
    "horizon": 26 * 168.0,  # half a year: a chunk takes long enough to be killed mid-play
    "progress": False,
}


def kill_a_busy_worker(cluster: Any, killed: list[int], stop: threading.Event) -> None:
    """SIGKILL the process of the first worker seen playing a chunk."""
    while not stop.is_set():
        for worker in list(cluster.scheduler.workers.values()):
            if worker.processing and worker.pid:
                time.sleep(0.05)  # into the chunk
                os.kill(worker.pid, signal.SIGKILL)
                killed.append(worker.pid)
                return
        time.sleep(0.05)


def test_a_worker_killed_mid_batch_changes_no_byte(tmp_path: Path, tiny_document) -> None:
    monte_carlo(tiny_document(), out=tmp_path / "serial", **OPTIONS)
    killed: list[int] = []
    stop = threading.Event()
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        killer = threading.Thread(target=kill_a_busy_worker, args=(cluster, killed, stop))
        killer.start()
        try:
            monte_carlo(
                tiny_document(),
                out=tmp_path / "dask",
                executor=client.get_executor(pure=False),
                **OPTIONS,
            )
        finally:
            stop.set()
            killer.join()
    assert len(killed) == 1, "no worker was playing a chunk to kill"
    serial = (tmp_path / "serial" / "runs.parquet").read_bytes()
    assert (tmp_path / "dask" / "runs.parquet").read_bytes() == serial
