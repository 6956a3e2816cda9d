"""Start-up: each command loads only what it uses, and one-off work is done once per machine.

What a command imports is checked in a fresh interpreter (this one has loaded everything):
the command runs in-process there, through the same entry point as the console script, and
the child prints the heavy modules it ended up with. Speed itself is measured by
benchmarks/startup.py, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import special, stats

from alignsim import tables
from alignsim.comparison import _interval
from alignsim.distributions import Z90, _beta_table, _gamma_table, beta_quantile

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy.stats", "scipy.special", "numba", "matplotlib", "dask", "streamlit")

CHILD = """
import json, sys
from alignsim import cli
heavy = json.loads(sys.argv[2])
sys.argv = ["alignsim", *json.loads(sys.argv[1])]
code = 0
try:
    cli.main()
except SystemExit as done:
    code = done.code
print(json.dumps({"code": code, "heavy": [m for m in heavy if m in sys.modules]}))
"""


def loaded_by(*args: str, code: str = CHILD) -> dict[str, object]:
    """Exit code and heavy modules of `alignsim ARGS` run in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args), json.dumps(HEAVY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_alignsim_loads_no_heavy_library() -> None:
    code = "import json, sys, alignsim\nprint(json.dumps({'heavy': [m for m in json.loads(sys.argv[2]) if m in sys.modules]}))"
    assert loaded_by(code=code)["heavy"] == []


def test_the_public_names_still_resolve() -> None:
    import alignsim

    for name in alignsim.__all__:
        assert getattr(alignsim, name) is not None
    assert alignsim.load.__module__.startswith("alignsim.scenario")
    assert alignsim.units.parse_duration("2h") == 2.0  # submodules, as before: loaded on use
    assert alignsim.scenario.ScenarioError is alignsim.ScenarioError
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = alignsim.nothing  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "scenarios/default.toml", "scenarios/slow-handoff.toml"],
        ["schema"],
        ["--help"],
    ],
    ids=["validate", "schema", "help"],
)
def test_validate_and_schema_load_no_heavy_library(args: list[str]) -> None:
    assert loaded_by(*args) == {"code": 0, "heavy": []}


def test_compare_loads_neither_scipy_stats_nor_plotting() -> None:
    result = loaded_by(
        "compare", "scenarios/default.toml", "--horizon", "1w", "--replications", "2"
    )
    assert result["code"] == 0
    assert set(result["heavy"]) == {"pandas", "scipy.special", "numba"}


@pytest.mark.parametrize("setting", [None, "3"], ids=["unset", "the user's"])
def test_the_command_runs_blas_on_one_thread_unless_told(setting: str | None) -> None:
    """OpenBLAS reads its thread count when numpy loads: the command sets it first (numpy is
    not loaded by `import alignsim`), and a user's own setting stands."""
    code = (
        "import os, sys, alignsim\n"
        "before = 'numpy' in sys.modules\n"
        "from alignsim import cli\n"
        "print(before, os.environ.get('OPENBLAS_NUM_THREADS'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if setting is not None:
        env["OPENBLAS_NUM_THREADS"] = setting
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert done.stdout.split() == ["False", setting or "1"]


def test_z90_is_scipy_normal_quantile_to_the_bit() -> None:
    assert float(special.ndtri(0.9)) == Z90


def test_student_t_quantile_is_scipy_stats_to_the_bit() -> None:
    for n in [2, 3, 5, 10, 30, 31, 100, 1000, 10_000]:
        values = np.linspace(1.0, 2.0, n) ** 2
        got = _interval(values)
        half = float(stats.t.ppf(0.975, n - 1)) * float(np.std(values, ddof=1)) / np.sqrt(n)
        assert got["ci_high"] == float(np.mean(values)) + half


def test_a_table_is_kept_on_disk_and_read_back_bit_for_bit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIGNSIM_CACHE_DIR", str(tmp_path))
    calls = []

    def compute() -> np.ndarray:
        calls.append(1)
        return special.betaincinv(2.5, 7.0, np.linspace(0, 1, 101))

    first = tables.cached_table("betaincinv", (2.5, 7.0), 101, compute)
    second = tables.cached_table("betaincinv", (2.5, 7.0), 101, compute)
    assert len(calls) == 1
    assert [p.suffix for p in tmp_path.iterdir()] == [".npy"]
    assert first.tobytes() == second.tobytes() == compute().tobytes()
    assert not second.flags.writeable


def test_a_damaged_or_foreign_table_is_computed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIGNSIM_CACHE_DIR", str(tmp_path))
    table = tables.cached_table("gammaincinv", (3.0,), 11, lambda: np.arange(11.0))
    (path,) = tmp_path.iterdir()
    path.write_bytes(b"not a table")
    again = tables.cached_table("gammaincinv", (3.0,), 11, lambda: np.arange(11.0))
    assert again.tobytes() == table.tobytes()
    other = tables.cached_table("gammaincinv", (3.0,), 12, lambda: np.arange(12.0))
    assert len(other) == 12  # a table of another length under the same name is not trusted


def test_the_cache_keeps_at_most_max_files_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIGNSIM_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tables, "MAX_FILES", 3)
    for k in range(5):
        tables.cached_table("gammaincinv", (float(k + 1),), 2, lambda: np.zeros(2))
        newest = max(tmp_path.iterdir(), key=lambda p: p.stat().st_mtime_ns)
        os.utime(newest, ns=(k * 10**9, k * 10**9))  # written in this order, a second apart
    kept = {p.name.split("-")[1] for p in tmp_path.iterdir()}
    assert kept == {float(k).hex() for k in (3, 4, 5)}


def test_an_unwritable_cache_folder_still_gives_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("ALIGNSIM_CACHE_DIR", str(blocker / "cache"))
    table = tables.cached_table("betaincinv", (1.0, 1.0), 5, lambda: np.linspace(0, 1, 5))
    assert table.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_quantile_tables_equal_scipy_wherever_they_come_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIGNSIM_CACHE_DIR", str(tmp_path))
    grid = np.linspace(0.0, 1.0, 2**16 + 1)
    for _ in range(2):  # computed, then read back from disk
        _beta_table.cache_clear()
        _gamma_table.cache_clear()
        assert _beta_table(3.0, 5.0).tobytes() == special.betaincinv(3.0, 5.0, grid).tobytes()
        assert _gamma_table(0.25).tobytes() == special.gammaincinv(0.25, grid).tobytes()
    u = np.array([1e-5, 0.3, 0.5, 0.999999])
    assert np.max(np.abs(beta_quantile(3.0, 5.0, u) - stats.beta.ppf(u, 3.0, 5.0))) < 4e-6
    _beta_table.cache_clear()
    _gamma_table.cache_clear()


EXTRAS = (
    "dask", "distributed", "streamlit", "altair", "SALib", "openpyxl", "pytest", "xdist",
    "hypothesis", "nbmake", "papermill", "ipykernel", "playwright",
)  # fmt: skip
"""Top-level modules of the optional extras (pyproject.toml): absent from a core install."""

WITHOUT_EXTRAS = """
import json, sys
from importlib.abc import MetaPathFinder

EXTRAS = set(json.loads(sys.argv[1]))

class NoExtras(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in EXTRAS:
            raise ImportError(f"{name} is not installed (core install)")
        return None

for name in list(sys.modules):  # what the interpreter's start-up may have loaded
    if name.split(".")[0] in EXTRAS:
        del sys.modules[name]
sys.meta_path.insert(0, NoExtras())
from alignsim import cli
sys.argv = ["alignsim", *json.loads(sys.argv[2])]
cli.main()
"""


def test_compare_needs_only_the_core_install() -> None:
    args = ["compare", "scenarios/default.toml", "--horizon", "1w", "--replications", "2"]
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRAS, json.dumps(EXTRAS), json.dumps(args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    assert "Revenue lost" in done.stdout
