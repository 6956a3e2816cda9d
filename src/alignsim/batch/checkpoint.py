"""A batch's output folder: its manifest, the chunks done so far, and the final files.

    DIR/manifest.json         what batch this is (pinned: see PINNED)
    DIR/chunks/chunk-000012.parquet   the runs of chunk 12, written as it finishes
    DIR/runs.parquet          every run, in run order (at the end)
    DIR/summary.json, summary.csv, summary.xlsx

Every file is written to a temporary name in the same folder and renamed into place
(`os.replace`), so a killed batch leaves whole files only. `resume` reads the chunks done and
the batch plays the others; the final runs.parquet is then byte for byte the one an
uninterrupted batch writes. A folder made by a different batch (another scenario, seed,
design, ...) is refused. Chunk files are removed once runs.parquet is written.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from alignsim.writing import WriteError

__all__ = ["OUTPUTS", "PINNED", "Checkpoint", "FolderError", "atomic_write"]

PINNED = (
    "scenario_hash",
    "seed",
    "design",
    "runs",
    "chunk_size",
    "baseline",
    "policy",
    "horizon_h",
    "engine",
    "precision",
)
"""Manifest fields a resumed batch must share with the folder's (they decide every run)."""

OUTPUTS = ("runs.parquet", "summary.json", "summary.csv", "summary.xlsx")
MANIFEST = "manifest.json"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call write(temporary path) in path's folder, then rename it to path.

    Raises WriteError naming `path` when the operating system refuses (ENOSPC, EACCES, ...).
    """
    temp = None
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(handle)
        write(Path(temp))
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp's 0600 is for secrets, not results
        os.replace(temp, path)
    except BaseException as error:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        if isinstance(error, OSError) and not isinstance(error, WriteError):
            raise WriteError(path, error) from error
        raise


def _write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


class FolderError(ValueError):
    """The output folder cannot hold this batch (one sentence naming the folder)."""


class Checkpoint:
    """A batch's output folder.

    Raises FolderError (one sentence naming the folder) when the folder cannot hold this batch:
    it holds another batch, or `resume` finds none or a different one.
    """

    def __init__(self, folder: Path, manifest: Mapping[str, Any], resume: bool) -> None:
        self.folder = Path(folder)
        self.chunks = self.folder / "chunks"
        path = self.folder / MANIFEST
        if self.folder.exists() and not self.folder.is_dir():
            raise FolderError(f"{self.folder} is a file, expected a folder for the batch's output")
        if resume:
            if not path.exists():
                raise FolderError(f"{self.folder} holds no batch to resume (no {MANIFEST})")
            try:
                there = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raise FolderError(f"{path} cannot be read; it is not a batch's manifest") from None
            for key in PINNED:
                if there.get(key) != manifest.get(key):
                    raise FolderError(
                        f"{self.folder} was made by a different batch ({key} "
                        f"{there.get(key)!r} there, {manifest.get(key)!r} here); "
                        "resume it with the same options or choose another folder"
                    )
        else:
            taken = [n for n in (MANIFEST, *OUTPUTS) if (self.folder / n).exists()]
            if taken or self.chunks.exists():
                raise FolderError(
                    f"{self.folder} already holds a batch ({(taken or ['chunks'])[0]}); pass "
                    "--resume (resume=True) to continue it, or choose another folder"
                )
        try:
            self.chunks.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise FolderError(
                f"cannot create {self.chunks} ({error.strerror or type(error).__name__})"
            ) from None
        self.manifest = dict(manifest)
        self.complete = (
            resume
            and (self.folder / "runs.parquet").exists()
            and bool(json.loads(path.read_text(encoding="utf-8")).get("complete"))
        )
        if not resume:
            _write_json(path, self.manifest)

    def finished_runs(self) -> pa.Table | None:
        """runs.parquet of a batch that already finished (resumed to summarise it again)."""
        return pq.read_table(self.folder / "runs.parquet") if self.complete else None

    def _chunk_path(self, index: int) -> Path:
        return self.chunks / f"chunk-{index:06d}.parquet"

    def done(self, count: int) -> dict[int, pa.Table]:
        """The chunks already written (of the first `count`), by index."""
        out = {}
        for index in range(count):
            path = self._chunk_path(index)
            if path.exists():
                out[index] = pq.read_table(path)
        return out

    def save(self, index: int, table: pa.Table) -> None:
        """Write one finished chunk."""
        atomic_write(self._chunk_path(index), lambda p: pq.write_table(table, p))

    def finish(
        self, runs: pa.Table, summary: Mapping[str, Any], extra: Callable[[Path], None]
    ) -> None:
        """Write runs.parquet, summary.json and what `extra(folder)` writes; drop the chunks."""
        atomic_write(self.folder / "runs.parquet", lambda p: write_runs(runs, p))
        _write_json(self.folder / "summary.json", summary)
        extra(self.folder)
        self.manifest["complete"] = True
        _write_json(self.folder / MANIFEST, self.manifest)
        shutil.rmtree(self.chunks, ignore_errors=True)


def write_runs(table: pa.Table, path: Path) -> None:
    """A run table as Parquet: one row group, the same bytes for the same table."""
    pq.write_table(table.combine_chunks(), path)
