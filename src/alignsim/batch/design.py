"""The design of a batch: which values of the uncertain inputs each run plays.

A design is drawn once, in the process that starts the batch, so every worker plays exactly the
same values whoever runs what:

- `lhs` (the default, as in @RISK): a Latin hypercube over all runs (scipy.stats.qmc),
  seeded from the root seed;
- `sobol`: a scrambled Sobol sequence (scipy.stats.qmc) seeded from the root seed; run i plays
  its i-th point, so the first 2^k runs are a balanced Sobol set;
- `random`: run i draws its uniforms from the i-th child of the root seed,
  `SeedSequence(root, spawn_key=(i,))`, and so does not depend on how many runs there are.

Rank correlations are then imposed on the uniforms by Iman-Conover (1982): each column is
reordered to follow the ranks of correlated normal scores, which keeps every input's law
exactly (a Latin hypercube stays one) and gives the Spearman correlations asked for, up to
sampling error. Written here because numpy and scipy lack it; it is the method @RISK uses
(rank order correlation) and the one users of those tools expect. With a `sobol` design the
reordering keeps the laws but gives up the low discrepancy between columns.

A design has the same bits on every x86-64 processor: the uniforms are integer and IEEE
arithmetic, the laws' quantiles avoid numpy's processor-picked transcendental loops
(`alignsim.scenario.uncertainty`), and Iman-Conover's scores are compiled in a fixed order
(`alignsim.compiled.correlation`). tests/test_batch_design_bits.py pins the bits.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from alignsim.scenario.uncertainty import Uncertainty, score_correlation

__all__ = ["DESIGNS", "Design", "draw", "iman_conover", "reordered", "uniforms"]

Design = Literal["lhs", "sobol", "random"]
DESIGNS: tuple[str, ...] = ("lhs", "sobol", "random")


def _root_rng(root: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(root))


def uniforms(design: str, runs: int, dimensions: int, root: int) -> np.ndarray:
    """A runs x dimensions array of uniforms in (0, 1): the design before laws and correlations."""
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {', '.join(DESIGNS)} (got {design!r})")
    if dimensions == 0:
        return np.empty((runs, 0))
    if design == "random":
        return np.array(
            [
                np.random.default_rng(np.random.SeedSequence(root, spawn_key=(i,))).random(
                    dimensions
                )
                for i in range(runs)
            ]
        ).reshape(runs, dimensions)
    from scipy.stats import qmc

    rng = _root_rng(root)
    if design == "lhs":
        return qmc.LatinHypercube(dimensions, rng=rng).random(runs)
    sobol = qmc.Sobol(dimensions, scramble=True, rng=rng)
    return sobol.random_base2(max(0, math.ceil(math.log2(max(runs, 1)))))[:runs]


def iman_conover(u: np.ndarray, spearman: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Reorder each column of u so that their rank correlations approach `spearman`.

    Iman & Conover (1982): random van der Waerden scores are made to have the Pearson
    correlation 2 sin(pi rho / 6) (the normal-score equivalent of a Spearman rho) by two
    Cholesky factors; each column of u is then sorted into the ranks of its score column
    (`reordered`). Each column keeps its values, so the inputs' laws are unchanged. Too few
    rows to estimate a correlation (no more rows than columns) leave u as it is. The scores'
    arithmetic is compiled in a fixed order (`alignsim.compiled.correlation`, why: its
    docstring), so every processor ranks them alike.
    """
    from scipy import special

    from alignsim.compiled.correlation import cholesky, recorrelated

    n, d = u.shape
    if d < 2 or n <= d + 1 or np.allclose(spearman, np.eye(d)):
        return u
    p = cholesky(score_correlation(spearman))
    if p.shape[0] == 0:
        raise ValueError("the rank correlation matrix is not positive definite")
    ranks = np.arange(1, n + 1) / (n + 1)
    scores = np.column_stack([rng.permutation(special.ndtri(ranks)) for _ in range(d)])
    correlated = recorrelated(scores, p)
    if correlated.shape[0] == 0:
        return u
    return reordered(u, correlated)


def reordered(u: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Each column of u sorted into the order of the same column of scores: the run whose
    score is the column's k-th smallest gets the column's k-th smallest value (a tie goes to
    the earlier run first). Only the scores' ranks matter: the values are u's own."""
    from scipy import stats

    out = np.empty_like(u)
    for k in range(u.shape[1]):
        order = stats.rankdata(scores[:, k], method="ordinal") - 1
        out[:, k] = np.sort(u[:, k])[order]
    return out


def draw(uncertainty: Uncertainty | None, design: str, runs: int, root: int) -> np.ndarray:
    """The values (internal units) of every uncertain input for every run: runs x inputs."""
    if uncertainty is None:
        return np.empty((runs, 0))
    laws = uncertainty.laws
    u = uniforms(design, runs, len(laws), root)
    if uncertainty.correlations:
        # The design's own generator is spent; the scores come from a sibling stream.
        rng = np.random.default_rng(np.random.SeedSequence(root, spawn_key=(2**32 - 1, 1)))
        u = iman_conover(u, uncertainty.spearman(), rng)
    return np.column_stack([law.ppf(u[:, k]) for k, law in enumerate(laws)])
