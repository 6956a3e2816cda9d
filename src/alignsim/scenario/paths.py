"""Dotted paths into a scenario document: the one dialect of the whole project.

A path names one value of the raw document (the TOML as written): `team.reps`,
`market.sources.content.rate`, `policies.current.definition.mql_threshold`. It may index a
list: `market.win.hot[1]` (a chance at fit 1 of a [at fit 0, at fit 1] pair) or
`market.patience.hot.components[2].mean` (one component of a mixture). A key that is not a
bare TOML key is quoted as a TOML (JSON) string: `policies."my policy".sla.max_attempts`.

Every place that names a value of a scenario speaks it: `--set PATH=VALUE`
(alignsim.overrides), the inputs of an `[uncertainty]` table, the field paths of error
messages (alignsim.scenario.errors) and the overrides the workshop page writes.

Written here rather than taken from a library: TOML libraries parse whole documents, and a
JSON Pointer (RFC 6901) or JSONPath library speaks another syntax than the dotted keys a TOML
file's reader knows; the grammar is one regular expression.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

__all__ = ["Segment", "assign", "format_path", "lookup", "parse_path", "replaced"]

Segment = str | int
"""A table key, or a list index."""

_TOKEN = re.compile(r'\s*(?:([A-Za-z0-9_-]+)|("(?:[^"\\]|\\.)*"))\s*((?:\[\s*\d+\s*\])*)')
_INDEX = re.compile(r"\[\s*(\d+)\s*\]")
_BARE = re.compile(r"[A-Za-z0-9_-]+")


def parse_path(text: str) -> tuple[Segment, ...]:
    """The segments of a path: `market.win.hot[1]` -> ("market", "win", "hot", 1).

    Raises ValueError with a sentence saying what is wrong.
    """
    parts: list[Segment] = []
    position = 0
    while True:
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(
                f'expected a dotted path like "market.win.hot[1]" or "team.reps" (got {text!r})'
            )
        bare, quoted, indexes = match.groups()
        parts.append(bare if bare is not None else json.loads(quoted))
        parts.extend(int(i) for i in _INDEX.findall(indexes))
        position = match.end()
        if position == len(text):
            return tuple(parts)
        if text[position] != ".":
            raise ValueError(
                f'expected "." or "[" after {format_path(tuple(parts))} in the path {text!r}'
            )
        position += 1


def format_path(parts: tuple[Segment, ...]) -> str:
    """A path as written: keys joined by dots, indexes in brackets, odd keys quoted."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = part if _BARE.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            out += f".{key}" if out else key
    return out


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return "a table"


def _step(node: Any, part: Segment, where: str) -> Any:
    """The child of `node` named by `part`, or LookupError saying why there is none."""
    if isinstance(part, int):
        if not isinstance(node, list):
            raise LookupError(f"{where} is {_kind(node)}, not a list")
        if part >= len(node):
            raise LookupError(f"{where} has {len(node)} entries (indexes 0 to {len(node) - 1})")
        return node[part]
    if not isinstance(node, Mapping):
        raise LookupError(f"{where or 'the document'} is {_kind(node)}, not a table")
    if part not in node:
        keys = [str(k) for k in node]
        close = difflib.get_close_matches(part, keys, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (it has {', '.join(keys)})"
        place = where or "the top level"
        raise LookupError(f"no key {part!r} in {place}{hint if keys else ''}")
    return node[part]


def lookup(doc: Any, parts: tuple[Segment, ...]) -> Any:
    """The value at a path; LookupError names the first step that does not exist."""
    node = doc
    for depth, part in enumerate(parts):
        node = _step(node, part, format_path(parts[:depth]))
    return node


def replaced(doc: Any, parts: tuple[Segment, ...], value: Any) -> Any:
    """A copy of the document with the value at an existing path replaced.

    Only the tables and lists along the path are copied; the rest is shared with `doc`, which
    is left as it was (a run writes its values this way, without copying the whole document).
    LookupError names the first step that does not exist.
    """
    lookup(doc, parts)
    return _copied_along(doc, parts, value)


def _copied_along(node: Any, parts: tuple[Segment, ...], value: Any) -> Any:
    if not parts:
        return value
    out = dict(node) if isinstance(node, Mapping) else list(node)
    out[parts[0]] = _copied_along(node[parts[0]], parts[1:], value)  # type: ignore[index]
    return out


def assign(doc: Any, parts: tuple[Segment, ...], value: Any) -> None:
    """Set the value at a path, in place (what `--set` does).

    Every step but the last must exist; the last may add a key to a table, but not an entry
    to a list. LookupError names the first step that does not exist or is of the wrong kind.
    """
    parent = lookup(doc, parts[:-1])
    last, where = parts[-1], format_path(parts[:-1])
    if isinstance(last, int):
        _step(parent, last, where)
    elif not isinstance(parent, MutableMapping):
        raise LookupError(f"{where or 'the document'} is {_kind(parent)}, not a table")
    parent[last] = value
