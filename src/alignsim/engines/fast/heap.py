"""Binary min-heaps of rows (time, order, payload, tag) for the fast engine, and a small set.

Hand-written rather than `heapq` because numba compiles typed arrays, not Python tuples. A heap
is an array of rows and a count kept by the caller; rows are ordered by their first three
columns (the fourth rides along). Nothing here allocates (`_nrt=False`, see the package).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, _nrt=False)
def row_less(a0: float, a1: float, a2: float, heap: np.ndarray, j: int) -> bool:
    """(a0, a1, a2) < heap[j, :3], lexicographically (the fourth column rides along)."""
    if a0 != heap[j, 0]:
        return a0 < heap[j, 0]
    if a1 != heap[j, 1]:
        return a1 < heap[j, 1]
    return a2 < heap[j, 2]


@njit(cache=True, _nrt=False)
def push(heap: np.ndarray, n: int, a0: float, a1: float, a2: float, a3: float) -> None:
    """Add a row to a min-heap of n rows (room for one more), ordered by its first three columns."""
    i = n
    while i > 0:
        parent = (i - 1) >> 1
        if not row_less(a0, a1, a2, heap, parent):
            break
        for c in range(4):
            heap[i, c] = heap[parent, c]
        i = parent
    heap[i, 0], heap[i, 1], heap[i, 2], heap[i, 3] = a0, a1, a2, a3


@njit(cache=True, _nrt=False)
def sift_down(heap: np.ndarray, n: int, i: int) -> None:
    """Move row i of a heap of n rows down to its place."""
    a0, a1, a2, a3 = heap[i, 0], heap[i, 1], heap[i, 2], heap[i, 3]
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        if child + 1 < n and not row_less(
            heap[child, 0], heap[child, 1], heap[child, 2], heap, child + 1
        ):
            child += 1
        if row_less(a0, a1, a2, heap, child):
            break
        for c in range(4):
            heap[i, c] = heap[child, c]
        i = child
    heap[i, 0], heap[i, 1], heap[i, 2], heap[i, 3] = a0, a1, a2, a3


@njit(cache=True, _nrt=False)
def pop(heap: np.ndarray, n: int) -> tuple[float, float, float, float]:
    """Remove and return the smallest of n rows (the caller then counts n - 1)."""
    top = (heap[0, 0], heap[0, 1], heap[0, 2], heap[0, 3])
    n -= 1
    if n > 0:
        for c in range(4):
            heap[0, c] = heap[n, c]
        sift_down(heap, n, np.int64(0))  # (not a literal 0: one compiled version)
    return top


@njit(cache=True, _nrt=False)
def holds(due: np.ndarray, n: int, when: float) -> bool:
    """Whether the set due[:n, 0] holds the instant `when` (SalesFloor._dispatch_due)."""
    i = 0
    while i < n and due[i, 0] != when:
        i += 1
    return i < n
