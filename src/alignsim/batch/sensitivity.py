"""Sobol sensitivity indices of revenue lost over the uncertain inputs (SALib).

Saltelli's scheme (SALib.sample.sobol, scrambled, seeded from the root seed) draws N base
points and builds from them N x (D + 2) rows for D inputs; each row's uniforms go through the
inputs' laws (alignsim.scenario.uncertainty), so the indices are over the laws of the scenario's
[uncertainty] table. The rows of base point j all play the lead stream of replication j: inside
a block the only difference is the inputs (common random numbers), across blocks the leads
vary. SALib.analyze.sobol then gives the first-order index S1 (the share of the variance of
revenue lost that one input explains alone) and the total index ST (alone and with others),
with 95% bootstrap confidence half-widths.

Sobol indices assume independent inputs: the table's correlations are not applied here (the
result says so). SALib is the optional extra `alignsim[sensitivity]`.
"""

from __future__ import annotations

import math
import sys
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from alignsim.batch.executors import STARTING, SerialExecutor, completed
from alignsim.batch.runs import FIGURES, Chunk
from alignsim.batch.setup import Setup

__all__ = ["Sensitivity", "sensitivity"]


@dataclass
class Sensitivity:
    """Sobol indices of revenue lost: `indices` has one row per input (input, S1, S1_conf, ST, ST_conf)."""

    indices: pd.DataFrame
    base_samples: int
    runs: int
    seed: int
    correlations_ignored: bool

    def summary(self) -> dict[str, Any]:
        """JSON-ready: base_samples, runs, seed, correlations_ignored, indices (list of rows)."""
        return {
            "base_samples": self.base_samples,
            "runs": self.runs,
            "seed": self.seed,
            "correlations_ignored": self.correlations_ignored,
            "indices": [
                {
                    k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                    for k, v in row.items()
                }
                for row in self.indices.to_dict(orient="records")
            ],
        }


def sensitivity(
    setup: Setup,
    base_samples: int = 256,
    *,
    executor: Executor | None = None,
    chunk_size: int | None = None,
    progress: bool | None = None,
) -> Sensitivity:
    """Sobol first-order and total indices of revenue lost (see the module doc).

    base_samples: N, best a power of 2; the batch plays N x (inputs + 2) runs.
    """
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    if setup.uncertainty is None:
        raise ValueError(f"{setup.label}: has no [uncertainty] table, so nothing to vary")
    if base_samples < 2:
        raise ValueError(f"base samples must be at least 2 (got {base_samples})")
    laws = setup.uncertainty.laws
    d = len(laws)
    problem = {"num_vars": d, "names": setup.names, "bounds": [[0.0, 1.0]] * d}
    u = sample.sample(problem, base_samples, calc_second_order=False, seed=setup.seed % 2**32)
    values = setup.played(np.column_stack([law.ppf(u[:, k]) for k, law in enumerate(laws)]))
    rows = len(values)
    block = d + 2
    size = chunk_size or max(block, min(100, math.ceil(rows / 100)))
    index = np.arange(rows)
    chunks = [
        Chunk(k, idx, idx // block, values[idx])
        for k, idx in enumerate(np.array_split(index, math.ceil(rows / size)))
    ]
    lost = np.empty(rows)
    column = FIGURES.index("revenue_lost")
    show = sys.stderr.isatty() if progress is None else progress
    with tqdm(total=rows, unit="run", disable=not show, dynamic_ncols=True, desc=STARTING) as bar:
        for chunk, figures in completed(executor or SerialExecutor(), setup, chunks):
            lost[chunk.runs] = figures[:, column]
            bar.set_description_str("", refresh=False)
            bar.update(len(chunk))
    result = analyze.analyze(
        problem, lost, calc_second_order=False, conf_level=0.95, seed=setup.seed % 2**32
    )
    indices = pd.DataFrame(
        {
            "input": setup.names,
            "S1": result["S1"],
            "S1_conf": result["S1_conf"],
            "ST": result["ST"],
            "ST_conf": result["ST_conf"],
        }
    )
    return Sensitivity(
        indices=indices,
        base_samples=base_samples,
        runs=rows,
        seed=setup.seed,
        correlations_ignored=bool(setup.uncertainty.correlations),
    )
