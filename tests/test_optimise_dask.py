"""alignsim.optimise through a Dask scheduler: the same bits as through a process pool.

A LocalCluster in this process (one worker, one thread: light on a shared machine) is reached
by its address (inproc://...), as `alignsim optimise --scheduler tcp://HOST:PORT` reaches a
remote one.
Every value is stored by (candidate, replication), so the executor cannot change a bit.
"""

from __future__ import annotations

import json

import pytest

import alignsim

from .test_optimise_profit import _scenario

distributed = pytest.importorskip("distributed")


def test_dask_gives_the_process_pools_bits() -> None:
    pooled = alignsim.optimise(_scenario(), seed=4, trials=12, workers=2)
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
    ) as cluster:
        dasked = alignsim.optimise(
            _scenario(), seed=4, trials=12, scheduler=cluster.scheduler_address
        )
    assert pooled.method == "tpe" and pooled.objective == "profit"
    assert dasked.played == pooled.played > 0
    one, other = pooled.to_json(), dasked.to_json()
    assert json.dumps(one["best"]) == json.dumps(other["best"])
    assert json.dumps(one["ranking"]) == json.dumps(other["ranking"])
    assert json.dumps(one) == json.dumps(other)
