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
        "leads": 3305,
        "stream": "70b734ba1522fc110c31a2ef44a08ea7dc6c40dd0560b6ed96dbf2c1eff7c9a0",
        "current": "4a04df1afca2156dc495d8df34da6283c4bb1306815bc61e175cec30f0f46466",
        "aligned": "062a000cb8945eb2d72ae86b2bb4a3e0f406237cd34ab825b3a5da59824cdf48",
    },
    "2": {
        "leads": 3303,
        "stream": "52de02765ed8108669adea2c9be5832adf461873c6590ad8ba25dc9d6fada324",
        "current": "b55434ddbbee97710e9dd4704518e78ccb396dee58b4acf9a4a023f2ae6b9232",
        "aligned": "133cabf1d963601ddb6c2bb5698bf2228474f93ce758e765a227a11e7a6fcb0e",
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
