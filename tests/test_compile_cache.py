"""The engines' compiled code is never stale: an edit to a helper takes effect in a new process.

numba's own cache stamps only the file of the cached function; here a compiled function of
one file (`fast.marketing.noise`) inlines a rule of another (`rules.learned_noise`). The
package is copied to a temporary folder, run twice (the second run loads from the cache), the
rule is edited, and a fresh process must compute with the edit.

The cache's key lists the package files the compiled modules import from;
`compile_cache._imports` reads the imports with regular expressions (fast), `ast` is the
reference here: on every module the regular expressions find every file `ast` finds, and the
odd forms (parenthesised lists with comments, continuation lines, aliases) are read as Python
reads them.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import alignsim
from alignsim.engines import compile_cache
from alignsim.engines.compile_cache import PACKAGE, _imports, _module_files

PROBE = """
import json, math
import numpy as np
from alignsim.engines.fast.marketing import noise
value = noise(1, np.array([3, 0, 0]), np.zeros(2, np.int64), np.full(1, math.nan), True,
              0.3, 0.1, 0.5, 10.0)
print(json.dumps({"value": value, "hits": sum(noise.stats.cache_hits.values())}))
"""


def probe(src: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_an_edited_rule_takes_effect_in_a_fresh_process(tmp_path: Path) -> None:
    package = Path(alignsim.__file__).resolve().parent
    shutil.copytree(package, tmp_path / "alignsim", ignore=shutil.ignore_patterns("__pycache__"))
    first, again = probe(tmp_path), probe(tmp_path)
    assert first["value"] == 0.1 + (0.3 - 0.1) * 0.5 ** (3 / 10.0)
    assert first["hits"] == 0 and again["hits"] == 1  # the second process loads the cache
    assert again["value"] == first["value"]

    rules = tmp_path / "alignsim" / "engines" / "rules.py"
    text = rules.read_text()
    formula = "return floor + (sigma_m - floor) * half ** (heard / half_life)"
    assert text.count(formula) == 1
    rules.write_text(text.replace(formula, "return 42.0"))
    edited = probe(tmp_path)
    assert edited == {"value": 42.0, "hits": 0}  # compiled afresh, with the edit


def reference(text: str) -> set[Path]:
    """The files `ast` finds behind a module's absolute imports of the package."""
    out: set[Path] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == PACKAGE.name:
                out.update(_module_files(node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE.name:
                    out.update(_module_files(alias.name, []))
    return out


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_every_module_reads_at_least_what_ast_reads(path: Path) -> None:
    """Never fewer files than Python imports (a stale cache); more only from examples in
    docstrings (a cache that misses after editing them)."""
    text = path.read_text(encoding="utf-8")
    assert set(_imports(text)) >= reference(text)


CASES = {
    "parenthesised, with comments": (
        "from alignsim.engines.fast.state import (\n    ARRIVAL,  # a comment, with a comma\n"
        "    State,\n)\nfrom alignsim.compiled import (calendar,\n  rows)\n"
    ),
    "continuation and aliases": (
        "from alignsim.compiled import calendar as cal, \\\n    rows\n"
        "import alignsim.units as u, os\nimport numpy, alignsim.ledger\n"
    ),
    "indented, relative and foreign": (
        "def f():\n    from alignsim.scenario import models\n"
        "from . import heap\nfrom numba import njit\nimport alignsimx\n"
    ),
}


@pytest.mark.parametrize("text", CASES.values(), ids=list(CASES))
def test_odd_forms(text: str) -> None:
    assert set(_imports(text)) == reference(text)
    assert reference(text)  # each case names package files


def test_the_key_covers_the_compiled_modules_and_what_they_import() -> None:
    sources = set(compile_cache.compiled_sources())
    loop = PACKAGE / "engines" / "fast" / "loop.py"
    assert loop in sources
    assert PACKAGE / "units.py" in sources  # a constant the loop freezes (WEEK)
    assert PACKAGE / "cli" / "compare.py" not in sources  # no numba, not imported by it
