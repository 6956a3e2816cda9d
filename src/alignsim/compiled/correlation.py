"""Iman-Conover's linear algebra, compiled: normal scores given a target correlation, with the
same bits on every processor.

Why by hand, and not numpy.linalg: numpy hands `corrcoef`, `cholesky`, `inv` and `@` to
OpenBLAS, which picks its kernels (and so the order of its sums and its use of fused
multiply-adds) from the processor it finds; the results differ in the last bits between an
AVX2 and an AVX-512 machine. Iman-Conover keeps only the ranks of the scores within each
column, so such a difference matters only where two scores of a column lie within a few units
in the last place of each other, but there it would swap two runs' values of an input. The
loops below add and multiply in one fixed order (no fastmath, so no fused multiply-add), and
take square roots (exact): every x86-64 processor computes the same scores. The matrices are
inputs x inputs (a few dozen at most), so the textbook algorithms are quick enough.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def pearson(x: np.ndarray) -> np.ndarray:
    """The Pearson correlation matrix of the columns of x (rows: observations)."""
    n, d = x.shape
    centred = np.empty((n, d))
    for k in range(d):
        total = 0.0
        for i in range(n):
            total += x[i, k]
        mean = total / n
        for i in range(n):
            centred[i, k] = x[i, k] - mean
    cov = np.empty((d, d))
    for j in range(d):
        for k in range(j + 1):
            total = 0.0
            for i in range(n):
                total += centred[i, j] * centred[i, k]
            cov[j, k] = total
            cov[k, j] = total
    out = np.empty((d, d))
    for j in range(d):
        for k in range(d):
            out[j, k] = cov[j, k] / math.sqrt(cov[j, j] * cov[k, k])
    return out


@njit(cache=True)
def cholesky(a: np.ndarray) -> np.ndarray:
    """The lower-triangular l with l l^T = a (Cholesky-Banachiewicz, row by row); an empty
    matrix when a is not positive definite."""
    d = a.shape[0]
    low = np.zeros((d, d))
    for i in range(d):
        for j in range(i + 1):
            total = a[i, j]
            for k in range(j):
                total -= low[i, k] * low[j, k]
            if i == j:
                if not total > 0.0:
                    return np.empty((0, 0))
                low[i, i] = math.sqrt(total)
            else:
                low[i, j] = total / low[j, j]
    return low


@njit(cache=True)
def recorrelated(scores: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The scores made to have Pearson correlation p p^T (p: the target's Cholesky factor):
    row s becomes p q^-1 s, where q q^T is the scores' own correlation (Iman & Conover 1982).
    An empty matrix when the scores' correlation is not positive definite."""
    n, d = scores.shape
    q = cholesky(pearson(scores))
    if q.shape[0] == 0:
        return np.empty((0, d))
    out = np.empty((n, d))
    y = np.empty(d)
    for i in range(n):
        for j in range(d):  # y = q^-1 s by forward substitution
            total = scores[i, j]
            for k in range(j):
                total -= q[j, k] * y[k]
            y[j] = total / q[j, j]
        for j in range(d):
            total = 0.0
            for k in range(j + 1):
                total += p[j, k] * y[k]
            out[i, j] = total
    return out
