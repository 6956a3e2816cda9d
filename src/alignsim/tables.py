"""Quantile tables kept on disk, so that a table is computed once per machine, not per process.

The gamma and beta quantile functions of alignsim.distributions are tabulated at 65,537
chances per shape (about 0.05-0.2 CPU-s a table with scipy.special). A year of the default
scenario needs five beta tables and two gamma tables: without this cache every command and
every pool worker spends most of its first stream draw rebuilding them.

A table is stored as a .npy file in `$ALIGNSIM_CACHE_DIR` (default `$XDG_CACHE_HOME/alignsim`,
else `~/.cache/alignsim`), named after the function, its arguments' exact bits and the
versions of scipy and numpy that computed it: a file is only ever read back by the same
library versions, so a cached table equals a freshly computed one bit for bit. Written to a
temporary file and renamed, so a reader never sees half a table; when the folder cannot be
written the table is simply computed (nothing fails for want of a cache). The folder keeps at
most MAX_FILES tables (half a megabyte each), the oldest written go first: a batch whose
uncertain inputs change a law's shape in every run cannot fill the disk.

Written by hand: numpy's `.npy` format is the storage; no well-kept library caches arrays by
key on disk without a heavier dependency (joblib.Memory pickles and hashes the arguments and
would cost more to import than the tables it saves).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["MAX_FILES", "cache_dir", "cached_table"]

MAX_FILES = 128
"""Tables kept on disk at most (about 64 MB); beyond it the oldest written are removed."""


def cache_dir() -> Path:
    """The folder alignsim keeps its tables in on this machine."""
    explicit = os.environ.get("ALIGNSIM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "alignsim"


def _name(kind: str, args: tuple[float, ...]) -> str:
    import scipy

    bits = "_".join(float(x).hex() for x in args)
    return f"{kind}-{bits}-scipy{scipy.__version__}-numpy{np.__version__}.npy"


def _read(path: Path, size: int) -> np.ndarray | None:
    try:
        table = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if table.dtype != np.float64 or table.shape != (size,):
        return None
    return table


def _write(path: Path, table: np.ndarray) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".npy")
        try:
            with os.fdopen(fd, "wb") as out:
                np.save(out, table, allow_pickle=False)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _trim(path.parent)
    except OSError:
        pass  # a read-only or full disk: the table is used without being kept


def _trim(folder: Path) -> None:
    """Remove the oldest tables beyond MAX_FILES."""
    tables = []
    for entry in os.scandir(folder):
        if entry.name.endswith(".npy") and not entry.name.startswith("."):
            with contextlib.suppress(FileNotFoundError):  # removed by another process
                tables.append((entry.stat().st_mtime_ns, entry.path))
    for _, old in sorted(tables)[: max(0, len(tables) - MAX_FILES)]:
        Path(old).unlink(missing_ok=True)


def cached_table(
    kind: str, args: tuple[float, ...], size: int, compute: Callable[[], np.ndarray]
) -> np.ndarray:
    """The table `compute()` returns for (kind, args), from disk when a process made it before.

    The result is read-only; `size` is its length, checked on reading.
    """
    path = cache_dir() / _name(kind, args)
    table = _read(path, size)
    if table is None:
        table = np.ascontiguousarray(compute(), dtype=np.float64)
        _write(path, table)
    table.flags.writeable = False
    return table
