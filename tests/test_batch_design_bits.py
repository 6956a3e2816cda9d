"""A batch's design (every run's value of every uncertain input) has the same bits on every
x86-64 processor, AVX2 and AVX-512 alike.

The laws' quantiles use scipy.special's scalar functions (ndtri, ndtr, the beta's inverse) and
the compiled loops of `alignsim.compiled.laws` for an exponential, never numpy's transcendental
ufuncs, whose loops numpy picks from the processor; Iman-Conover's correlated scores are
compiled in a fixed order (`alignsim.compiled.correlation`) instead of OpenBLAS, whose kernels
depend on the processor, and only their ranks reach the design.

GOLDEN pins the sha256 of the design of scenarios/finance-uncertainty.toml (all its inputs, 64
runs, each kind of design) and of every law's quantiles. They equal what the code before this
change drew with numpy's AVX-512 loops switched off, that is on an AVX2 machine, except the
truncated normal's (scipy's truncnorm, in log space with np.log and np.exp, gave other bits
on each kind of processor; its quantile is now written with ndtr and ndtri). The child-process
test recomputes them with numpy's AVX-512 loops off.

    python tests/test_batch_design_bits.py     # print the hashes as JSON
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydantic import TypeAdapter
from scipy import special, stats

import alignsim
from alignsim.batch.design import DESIGNS, draw, iman_conover, reordered
from alignsim.compiled.correlation import cholesky, pearson, recorrelated
from alignsim.scenario.uncertainty import InputDist, score_correlation

ROOT = Path(__file__).resolve().parents[1]
RUNS = 64
SEED = 2026
LAWS = {
    "pert": {"dist": "pert", "low": 0.2, "mode": 0.28, "high": 0.34},
    "triangular": {"dist": "triangular", "low": "60/week", "mode": "90/week", "high": "130/week"},
    "uniform": {"dist": "uniform", "low": "2d", "high": "5d"},
    "normal": {"dist": "normal", "mean": 3.0, "sd": 0.5},
    "truncated normal": {"dist": "normal", "mean": 0.3, "sd": 0.1, "low": 0.0, "high": 0.45},
    "lognormal": {"dist": "lognormal", "median": "3w", "p90": "6w"},
    "beta": {"dist": "beta", "a": 2.5, "b": 4, "low": 0.1, "high": 0.5},
    "discrete": {"dist": "discrete", "values": [3, 4, 5], "weights": [0.25, 0.6, 0.15]},
}
GOLDEN = {
    "lhs": "3b324a893fab6346071a01f78e103e3e3378fe23e0e951b17db309a8076dc75e",
    "sobol": "2cb0d2d4fa48d8928e0916a763ab2cdfd8e545e20ecd890fc822874fd5225b3d",
    "random": "c7e58ad49ca63402909635e608c2f0a8a3e9502e8aadf937eb4444c9adeb4e21",
    "pert": "c7ac7ad5012431ee0229f1d82473460f9a74e3f2d848db7120e210b617f49645",
    "triangular": "c743d88ac6f6881bc5c2af042eb3bb76f169ed3185309d3489a2f9f9c772312a",
    "uniform": "94a86bd5a690e56c74f00231de05f68dd62786dd3e8ea8eb220a6dfcf60e28d6",
    "normal": "277bc7cfd8ca2bd1fd9d7cba6f593bde02b838b5100371d5911d6af99effe082",
    "truncated normal": "62d2a964aa74e3d4345dfed5da756405469b7c1f9a6aa01b08fe8b3a0cf67e5a",
    "lognormal": "faa6f5d1426d8f638d6676cdcf9acd583c59f401d6ae986763d4733a20558dfa",
    "beta": "90f87d2af231700dc39b29758108823914d9002363f2f78d75478835861c04ee",
    "discrete": "4e55ae708bb401aa7cb654762fea12328eef33e3504962a9e257638eb75ad6ea",
}
"""sha256 of each design's values (runs x inputs, float64, little-endian, C order), and of
each law's quantiles at 10,003 chances (`_chances`)."""


def _sha(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values, dtype="<f8").tobytes()).hexdigest()


def _chances() -> np.ndarray:
    return np.concatenate([[0.0, 0.5, 1.0], np.random.default_rng(11).random(10_000)])


def _law(spec: dict) -> object:
    return TypeAdapter(InputDist).validate_python(spec)


def digests() -> dict[str, str]:
    """The figures GOLDEN holds, computed now."""
    uncertainty = alignsim.load(ROOT / "scenarios/finance-uncertainty.toml").uncertainty
    out = {design: _sha(draw(uncertainty, design, RUNS, SEED)) for design in DESIGNS}
    u = _chances()
    out |= {name: _sha(_law(spec).ppf(u)) for name, spec in LAWS.items()}  # type: ignore[attr-defined]
    return out


def test_the_design_and_the_laws_keep_their_bits() -> None:
    assert digests() == GOLDEN


def _avx512_dispatch() -> list[str]:
    """numpy's run-time dispatch targets that use AVX-512 (named by numpy's version)."""
    targets = np._core._multiarray_umath.__cpu_dispatch__
    return [t for t in targets if t.startswith("AVX512") or t == "X86_V4"]


def test_the_hashes_hold_with_numpys_avx512_loops_switched_off() -> None:
    """numpy's AVX-512 loops off (NPY_DISABLE_CPU_FEATURES), as on an AVX2 processor: the
    same bits. On a processor without AVX-512 the two runs are alike anyway."""
    targets = _avx512_dispatch()
    if not targets:
        pytest.skip("this numpy dispatches to no AVX-512 loop")
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(targets)}
    child = subprocess.run(
        [sys.executable, __file__], env=env, capture_output=True, text=True, check=False
    )
    assert child.returncode == 0, child.stderr
    assert json.loads(child.stdout) == GOLDEN


def test_the_laws_follow_scipys_quantiles() -> None:
    """Each law's own quantile is scipy's frozen law's, within a few units in the last place
    (exactly scipy's where scipy calls no processor-dependent loop)."""
    u = np.clip(_chances(), 1e-9, 1 - 1e-9)
    for name, spec in LAWS.items():
        law = _law(spec)
        if name == "discrete":
            continue
        want = np.asarray(law.law().ppf(u))  # type: ignore[attr-defined]
        got = law.ppf(u)  # type: ignore[attr-defined]
        scale = float(np.ptp(want))
        assert np.max(np.abs(got - want)) <= 1e-12 * scale, name
        if name not in ("truncated normal", "lognormal"):
            assert got.tobytes() == want.tobytes(), name


def test_the_lognormal_is_median_times_the_c_librarys_exp() -> None:
    law = _law(LAWS["lognormal"])
    u = _chances()
    sigma = math.log(2.0) / special.ndtri(0.9)
    z = special.ndtri(np.clip(u, 1e-9, 1 - 1e-9))
    want = [504.0 * math.exp(sigma * x) for x in z]
    assert law.ppf(u).tobytes() == np.array(want).tobytes()  # type: ignore[attr-defined]
    assert law.ppf(0.5) == 504.0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("low", "high"), [(0.0, None), (None, 0.1), (0.35, 0.6), (-3.0, 1.0), (0.5, 0.6), (1.2, 1.5)]
)
def test_the_truncated_normal_inverts_its_distribution_function(low, high) -> None:
    """The draw x at chance q lies where the normal's tail holds the truncated law's share q
    (Phi(z) = Phi(a) + q (Phi(b) - Phi(a)) below the mean, the mirror image above it) to a
    relative 1e-12; it stays within [low, high], never decreases in q, and is scipy's
    truncnorm to 1e-9 standard deviations (scipy's log-space path is the less exact one: up
    to 6e-10 relative in the tail at 6 standard deviations)."""
    mean, sd = 0.3, 0.1
    spec = {"dist": "normal", "mean": mean, "sd": sd}
    spec |= {k: v for k, v in (("low", low), ("high", high)) if v is not None}
    law = _law(spec)
    q = np.clip(_chances(), 1e-9, 1 - 1e-9)
    x = law.ppf(q)  # type: ignore[attr-defined]
    assert np.max(np.abs(x - law.law().ppf(q))) <= 1e-9 * sd  # type: ignore[attr-defined]
    a = -math.inf if low is None else (low - mean) / sd
    b = math.inf if high is None else (high - mean) / sd
    z = (x - mean) / sd
    tail = special.ndtr(-np.abs(z))
    share = np.where(
        z <= 0,
        special.ndtr(a) + q * (special.ndtr(b) - special.ndtr(a)),
        special.ndtr(-b) + (1 - q) * (special.ndtr(-a) - special.ndtr(-b)),
    )
    inner = (x > x.min()) & (x < x.max())  # the ends may be clipped to low and high
    assert np.all(np.abs(tail - share)[inner] <= 1e-12 * tail[inner])
    assert np.all(np.diff(x[np.argsort(q)]) >= 0)
    assert (low is None or x.min() >= low) and (high is None or x.max() <= high)


def test_the_score_correlation_is_two_sines() -> None:
    spearman = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.0], [-0.3, 0.0, 1.0]])
    got = score_correlation(spearman)
    assert np.allclose(got, 2 * np.sin(np.pi * spearman / 6), rtol=0, atol=1e-15)
    assert got[0, 1] == 2 * math.sin(math.pi * 0.6 / 6)


# ------------------------------------------------------------------ Iman-Conover: only ranks


def test_the_design_depends_only_on_the_ranks_of_the_scores() -> None:
    """Any strictly increasing change of a score column (a last-bit nudge that keeps the order
    included) leaves the reordered design as it was; it holds u's own values."""
    rng = np.random.default_rng(6)
    u = rng.random((200, 3))
    scores = rng.standard_normal((200, 3))
    out = reordered(u, scores)
    for k in range(3):
        assert np.array_equal(np.sort(out[:, k]), np.sort(u[:, k]))
        assert np.array_equal(np.argsort(out[:, k]), np.argsort(scores[:, k]))
    nudged = np.nextafter(scores, np.inf)
    for changed in (nudged, 3 * scores + 1, scores**3, np.exp(scores)):
        assert np.array_equal(reordered(u, changed), out)


def test_a_tie_between_scores_goes_to_the_earlier_run() -> None:
    u = np.array([[0.9], [0.1], [0.5], [0.3]])
    scores = np.array([[2.0], [1.0], [1.0], [0.0]])
    assert reordered(u, scores)[:, 0].tolist() == [0.9, 0.3, 0.5, 0.1]


def test_the_compiled_algebra_is_numpys_up_to_rounding() -> None:
    rng = np.random.default_rng(8)
    x = rng.standard_normal((500, 4)) @ rng.random((4, 4))
    assert np.allclose(pearson(x), np.corrcoef(x, rowvar=False), rtol=0, atol=1e-14)
    target = score_correlation(np.array([[1, 0.6, 0.2], [0.6, 1, -0.3], [0.2, -0.3, 1.0]]))
    assert np.allclose(cholesky(target), np.linalg.cholesky(target), rtol=0, atol=1e-14)
    assert cholesky(np.array([[1.0, 2.0], [2.0, 1.0]])).shape == (0, 0)  # not positive definite
    normal = special.ndtri(np.arange(1, 301) / 301)  # centred, as Iman-Conover's scores
    scores = np.column_stack([rng.permutation(normal) for _ in range(3)])
    q = np.linalg.cholesky(np.corrcoef(scores, rowvar=False))
    want = scores @ np.linalg.inv(q).T @ np.linalg.cholesky(target).T
    got = recorrelated(scores, cholesky(target))
    assert np.allclose(got, want, rtol=0, atol=1e-12)
    assert np.allclose(np.corrcoef(got, rowvar=False), target, rtol=0, atol=1e-12)


def test_iman_conover_ranks_as_numpys_algebra_did() -> None:
    """On 200 designs, the compiled scores rank every column as OpenBLAS's did (last-bit
    differences could swap two runs only where two scores nearly tie)."""
    spearman = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.0], [-0.3, 0.0, 1.0]])
    p = np.linalg.cholesky(score_correlation(spearman))
    for seed in range(200):
        u = np.random.default_rng(seed).random((64, 3))
        got = iman_conover(u, spearman, np.random.default_rng(seed + 1000))
        rng = np.random.default_rng(seed + 1000)
        ranks = np.arange(1, 65) / 65
        scores = np.column_stack([rng.permutation(special.ndtri(ranks)) for _ in range(3)])
        q = np.linalg.cholesky(np.corrcoef(scores, rowvar=False))
        assert np.array_equal(got, reordered(u, scores @ np.linalg.inv(q).T @ p.T)), seed
    rho = stats.spearmanr(got).statistic
    assert rho[0, 1] > 0.3 and rho[0, 2] < 0


if __name__ == "__main__":
    print(json.dumps(digests(), indent=2))
