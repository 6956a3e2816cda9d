"""Where the workshop page gets its scenarios: the shipped files, or a file someone uploads.

A scenario reaches the page as its raw document (with `extends` resolved) and a label for
messages; the page validates it with `alignsim.validate`, so an uploaded file's mistakes read
exactly like `alignsim validate`'s. An upload is read as TOML data only (nothing in it is
executed), refused above MAX_UPLOAD_BYTES, and may extend a shipped scenario by its bare file
name but never name another path on the server.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import alignsim
from alignsim.scenario import ScenarioError, read_document

__all__ = [
    "MAX_UPLOAD_BYTES",
    "SCENARIO_ENV",
    "Source",
    "default_scenario",
    "from_file",
    "from_upload",
    "shipped",
    "shipped_folder",
]

MAX_UPLOAD_BYTES = 1024 * 1024
"""Largest scenario file the page accepts (1 MB; the shipped ones are a few kB)."""

SCENARIO_ENV = "ALIGNSIM_WORKSHOP_SCENARIO"
"""Environment variable through which `alignsim workshop` names the scenario to open."""


@dataclass(frozen=True)
class Source:
    """A scenario as the page holds it: its file name and raw document."""

    label: str
    document: dict[str, Any]
    path: Path | None = None
    """The file on this machine (None for an upload)."""


def shipped_folder() -> Path:
    """The scenarios/ folder of this alignsim (the source tree), else ./scenarios."""
    here = Path(alignsim.__file__).resolve().parents[2] / "scenarios"
    return here if here.is_dir() else Path.cwd() / "scenarios"


def shipped(folder: Path | None = None) -> list[Path]:
    """The shipped scenario files: the top level of scenarios/ (not validation/), by name."""
    folder = shipped_folder() if folder is None else folder
    return sorted(p for p in folder.glob("*.toml") if p.is_file())


def default_scenario() -> Path:
    """The scenario the page opens with: the one `alignsim workshop` was given, else
    scenarios/default.toml."""
    named = os.environ.get(SCENARIO_ENV)
    return Path(named) if named else shipped_folder() / "default.toml"


def from_file(path: Path) -> Source:
    """A scenario file on this machine (a shipped one, or the one given on the command line)."""
    return Source(path.name, read_document(path), path)


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^\w.-]", "_", Path(name).name) or "upload.toml"
    return stem if stem.lower().endswith(".toml") else f"{stem}.toml"


def from_upload(name: str, data: bytes, folder: Path | None = None) -> Source:
    """A scenario someone uploaded; ScenarioError (one sentence per problem) if it is not one.

    `extends` may name a shipped scenario (bare file name); the merge is `read_document`'s,
    run on copies of the shipped files in a temporary folder.
    """
    label = _safe_name(name)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ScenarioError(
            [f"{label}: {len(data) / 1e6:.1f} MB is too large; a scenario file is at most 1 MB"]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([f"{label}: not a text file (expected UTF-8 TOML)"]) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError([f"{label}: not valid TOML: {error}"]) from None
    if "extends" not in doc:
        return Source(label, doc)
    files = shipped(folder)
    names = [p.name for p in files]
    parent = doc["extends"]
    if not isinstance(parent, str) or parent not in names:
        raise ScenarioError(
            [
                f"{label}: extends: an uploaded file may only extend a shipped scenario "
                f"({', '.join(names)}); got {parent!r}"
            ]
        )
    with tempfile.TemporaryDirectory(prefix="alignsim-upload-") as tmp:
        for path in files:
            shutil.copyfile(path, Path(tmp) / path.name)
        if label in names:  # do not overwrite the file it may extend
            label = f"uploaded-{label}"
        target = Path(tmp) / label
        target.write_bytes(data)
        return Source(label, read_document(target))
