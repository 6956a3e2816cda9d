"""From a scenario file (TOML, or JSON with the same schema) to a validated `Scenario`.

`read_document` reads a file and resolves its `extends` chain; `validate` checks a document
against the schema, raising `ScenarioError` with one sentence per problem; `load` does both.
"""

from __future__ import annotations

import copy
import json
import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alignsim.scenario.errors import ScenarioError, non_finite, numbers_as_text, problems
from alignsim.scenario.models import Scenario

__all__ = ["MAX_EXTENDS", "MAX_FILE_BYTES", "load", "read_document", "validate"]

MAX_FILE_BYTES = 1_000_000
"""Largest scenario file read (each file of an `extends` chain): 1 MB, like the workshop's
upload; the shipped scenarios are under 20 kB."""


def validate(data: Mapping[str, Any], label: str = "<scenario>") -> Scenario:
    """A validated `Scenario` from plain data (a parsed TOML or JSON document)."""
    # No field takes NaN or infinity (a duration that never ends is `{ dist = "never" }`), and
    # some checks cannot see them (NaN compares false), so they are refused up front.
    odd = non_finite(data)
    lines = [f"{label}: {path}: expected a finite number (got {value})" for path, value in odd]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        told = tuple(f"{label}: {path}: " for path, _ in odd)
        lines += [line for line in problems(label, error, data) if not line.startswith(told)]
    else:
        lines += numbers_as_text(label, data, scenario)
    if lines:
        raise ScenarioError(lines)
    if scenario.uncertainty is not None or scenario.optimise is not None:
        scenario._source = (copy.deepcopy(dict(data)), scenario.digest())
    return scenario


MAX_EXTENDS = 8
"""Longest chain of scenario files extending one another."""


def read_document(path: str | Path) -> dict[str, Any]:
    """The raw TOML (or JSON) document of a scenario file, with its `extends` resolved.

    `extends = "default.toml"` (a path relative to the file) starts from that scenario: the
    file's tables are merged into it key by key, except that each policy the file defines
    replaces the one of the same name whole (a policy is read as one decision), and so does a
    distribution the file writes with a `dist` key (a gamma over a lognormal keeps none of the
    lognormal's parameters).
    """
    return _read_extended(Path(path), ())


def _merged(base: dict[str, Any], top: Mapping[str, Any], at: str = "") -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        whole = at == "policies" or (isinstance(value, Mapping) and "dist" in value)
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and not whole:
            out[key] = _merged(out[key], value, f"{at}.{key}" if at else key)
        else:
            out[key] = value
    return out


def _read_extended(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    data = _read_one(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    label = path.name
    if not isinstance(parent, str) or not parent:
        raise ScenarioError([f"{label}: extends: expected a scenario file name (got {parent!r})"])
    base_path = (path.parent / parent).resolve()
    if base_path in chain or base_path == path.resolve():
        raise ScenarioError([f"{label}: extends: {parent} extends {label} in a loop"])
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError([f"{label}: extends: more than {MAX_EXTENDS} files deep"])
    try:
        base = _read_extended(base_path, (*chain, path.resolve()))
    except ScenarioError as error:
        raise ScenarioError(
            [f"{label}: extends {parent}: {problem}" for problem in error.problems]
        ) from None
    return _merged(base, data)


def _read_one(path: Path) -> dict[str, Any]:
    """One file's TOML (or JSON) document, as written."""
    label = path.name
    try:
        with path.open("rb") as file:
            # A device (/dev/zero), a pipe or a socket would read without end.
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise ScenarioError([f"{path}: not a regular file, expected a scenario file"])
            raw = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise ScenarioError([f"{path}: is a folder, expected a scenario file (.toml)"]) from None
    except OSError as error:
        raise ScenarioError([f"{path}: cannot be read ({error.strerror})"]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(
            [f"{label}: larger than {MAX_FILE_BYTES // 1_000_000} MB; a scenario file is smaller"]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([f"{label}: not a text file (expected UTF-8 TOML)"]) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError([f"{label}: not valid TOML: {error}"]) from None
    except json.JSONDecodeError as error:
        raise ScenarioError([f"{label}: not valid JSON: {error}"]) from None
    if not isinstance(data, dict):
        raise ScenarioError([f"{label}: expected a table at the top level"])
    return data


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file (TOML, or JSON with the same schema)."""
    return validate(read_document(path), Path(path).name)
