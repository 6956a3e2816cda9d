"""Golden hashes: the bits of the default scenario's stream and of both policies' ledgers.

Any change to a stream's draws or to what the fast engine does with them changes a hash, so
"this changes no result" is checked, not promised. The same hashes hold on every x86-64
processor (AVX2 and AVX-512 alike: the stream calls none of numpy's processor-dependent
loops, see tests/test_cpu_independence.py), and the last test recomputes them in a process
where numpy's AVX-512 loops are switched off.

A hash covers every array of the stream (fields in the dataclass's order, each with its name,
dtype and shape, little-endian, C order) and every column of the ledger's table (categories
with their codes). If a change is meant to alter results, say so in its commit and update
GOLDEN with the values the failure prints.

    python tests/test_golden.py     # print the hashes as JSON
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import alignsim

ROOT = Path(__file__).resolve().parents[1]
WEEKS = 13
SEEDS = (1, 2)
GOLDEN = {
    "1": {
        "leads": 2846,
        "stream": "5bc0de33840032d08ea219783696b1e40181bf1ca60a68ae39664d78507338c6",
        "current": "40150774b7711eb986c38ad200944970f1b56ef36e214f0c30ddffc38fef997f",
        "aligned": "004a5c863c5581bc68a365d769ae05d200e010ece7d61f7d49e2b5115cfa45a3",
    },
    "2": {
        "leads": 2836,
        "stream": "0f776bb0e4ee1cbe052f913f6f3892f306344a7da0e59d6456052fee6488326b",
        "current": "1c573d3137cc35481842b7974559b4655d0e295c78b0e898510159e3d3cbb662",
        "aligned": "e67ac6044e24d6d9ffbf0f4f4b69e4168a8c36ba7ee3729786636b73771274eb",
    },
}
"""Per seed: leads in the default scenario's first 13 weeks (replication 0), the sha256 of
its stream and of each policy's ledger played by the fast engine."""


def _update(digest: hashlib._Hash, name: str, values: np.ndarray) -> None:
    values = np.ascontiguousarray(values)
    little = values.astype(values.dtype.newbyteorder("<"), copy=False)
    digest.update(f"{name}:{little.dtype.str}:{little.shape}".encode())
    digest.update(little.tobytes())


def stream_digest(stream: alignsim.LeadStream) -> str:
    """sha256 of every array of a stream."""
    digest = hashlib.sha256()
    for f in fields(stream):
        value = getattr(stream, f.name)
        if isinstance(value, np.ndarray):
            _update(digest, f.name, value)
    return digest.hexdigest()


def ledger_digest(frame: pd.DataFrame) -> str:
    """sha256 of every column of a ledger's table."""
    digest = hashlib.sha256()
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            digest.update(f"{name}:{list(column.cat.categories)}".encode())
            _update(digest, name, column.cat.codes.to_numpy())
        else:
            _update(digest, name, column.to_numpy())
    return digest.hexdigest()


def digests() -> dict[str, dict[str, int | str]]:
    """The figures GOLDEN holds, computed now."""
    sc = alignsim.load(ROOT / "scenarios/default.toml")
    horizon = WEEKS * 168.0
    out: dict[str, dict[str, int | str]] = {}
    for seed in SEEDS:
        # No warm-up or settle time: the first 13 weeks, as pinned before the steady state.
        stream = alignsim.sample(sc, seed, 0, horizon=horizon, warmup=0.0, settle=0.0)
        row: dict[str, int | str] = {"leads": len(stream), "stream": stream_digest(stream)}
        for policy in sc.policies:
            ledger = alignsim.simulate(sc, policy, engine="fast", stream=stream, horizon=horizon)
            # `cohort` is the stream's (all 0 here): the engine's columns keep their bits.
            row[policy] = ledger_digest(ledger.frame.drop(columns="cohort"))
        out[str(seed)] = row
    return out


def test_the_default_scenarios_streams_and_ledgers_keep_their_bits():
    assert digests() == GOLDEN


def test_the_hashes_cover_every_value():
    """Flipping the last bit of any one value changes a hash."""
    sc = alignsim.load(ROOT / "scenarios/default.toml")
    stream = alignsim.sample(sc, 1, 0, horizon=168.0)
    before = stream_digest(stream)
    stream.u_reach[-1, -1] = np.nextafter(stream.u_reach[-1, -1], 1.0)
    assert stream_digest(stream) != before
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": pd.Categorical(["x", "y"])})
    changed = frame.assign(a=[1.0, np.nextafter(2.0, 3.0)])
    assert ledger_digest(changed) != ledger_digest(frame)
    swapped = frame.assign(b=pd.Categorical(["x", "y"], categories=["y", "x"]))
    assert ledger_digest(swapped) != ledger_digest(frame)


def _avx512_dispatch() -> list[str]:
    """numpy's run-time dispatch targets that use AVX-512 (named by numpy's version)."""
    targets = np._core._multiarray_umath.__cpu_dispatch__
    return [t for t in targets if t.startswith("AVX512") or t == "X86_V4"]


def test_the_hashes_hold_with_numpys_avx512_loops_switched_off():
    """numpy's AVX-512 loops off (NPY_DISABLE_CPU_FEATURES), as on an AVX2 processor: the
    same bits. On a processor without AVX-512 the two runs are alike anyway."""
    targets = _avx512_dispatch()
    if not targets:
        pytest.skip("this numpy dispatches to no AVX-512 loop")
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(targets)}
    code = (
        "import json, numpy as np; m = np._core._multiarray_umath;"
        "print(json.dumps(sorted(t for t in m.__cpu_dispatch__ if m.__cpu_features__[t])))"
    )
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert set(json.loads(run.stdout)).isdisjoint(targets), run.stderr  # they are off
    child = subprocess.run(
        [sys.executable, __file__], env=env, capture_output=True, text=True, check=False
    )
    assert child.returncode == 0, child.stderr
    assert json.loads(child.stdout) == GOLDEN


if __name__ == "__main__":
    print(json.dumps(digests(), indent=2))
