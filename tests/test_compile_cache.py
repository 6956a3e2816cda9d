"""The engines' compiled code is never stale: an edit to a helper takes effect in a new process.

numba's own cache stamps only the file of the cached function; here a compiled function of
one file (`fast.marketing.noise`) inlines a rule of another (`rules.learned_noise`). The
package is copied to a temporary folder, run twice (the second run loads from the cache), the
rule is edited, and a fresh process must compute with the edit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import alignsim

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
