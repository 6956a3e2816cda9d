"""Scenario errors as people read them: one line per problem, naming the file, the field's
dotted path (as the file writes it) and what was expected.

pydantic reports a location (a tuple of keys, indexes and the tags of union members) and a
terse type code; `problems` follows the location through the document to the path the user
wrote and words the expectation as one sentence.
"""

from __future__ import annotations

import difflib
import math
import re
import types
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from alignsim.distributions import DIST_NAMES
from alignsim.scenario.models import Scenario
from alignsim.scenario.paths import Segment, format_path

__all__ = [
    "HINT_CUTOFF",
    "ScenarioError",
    "fields_at",
    "non_finite",
    "numbers_as_text",
    "problems",
]


class ScenarioError(ValueError):
    """Bad scenario input: one line per problem, each naming file, field path and expectation."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def _known_fields() -> set[str]:
    names: set[str] = set()
    seen: set[type] = set()

    def walk(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp in seen:
                return
            seen.add(tp)
            for name, field in tp.model_fields.items():
                names.add(field.alias or name)
                walk(field.annotation)
                for meta in field.metadata:
                    walk(meta)
        for arg in getattr(tp, "__args__", ()) or ():
            walk(arg)
        origin = getattr(tp, "__origin__", None)
        if origin is not None:
            walk(origin)

    walk(Scenario)
    names.update(DIST_NAMES)
    return names


_KNOWN = _known_fields()

HINT_CUTOFF = 0.75
"""Similarity (difflib's ratio) a field name needs to be offered as "did you mean": enough
for a typo ("max_attemps"), not for a word that merely shares letters ("notes", "times")."""

_MAX_HINTED = 100
"""Unknown keys given a "did you mean" (at most 20 problems are printed; a file of 100,000
unknown keys must not cost 100,000 searches)."""

_MAX_KEY = 80
"""Longest key a message echoes; a longer one is cut."""


def _branches(tp: Any) -> list[Any]:
    """The concrete types a field's annotation may hold (unions and Annotated unwrapped)."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _branches(get_args(tp)[0])
    if origin is Union or origin is types.UnionType:
        return [b for arg in get_args(tp) for b in _branches(arg)]
    return [tp]


def _children(tp: Any, item: Any) -> list[Any]:
    """The types one step below `tp` at key or index `item` (empty if there is no such step)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, field in tp.model_fields.items():
            if item in (name, field.alias):
                return _branches(field.annotation)
        return []
    origin, args = get_origin(tp), get_args(tp)
    if origin is dict and isinstance(item, str) and len(args) == 2:
        return _branches(args[1])
    if origin in (list, tuple) and isinstance(item, int):
        return [b for arg in args if arg is not Ellipsis for b in _branches(arg)]
    return []


def fields_at(loc: tuple[Any, ...]) -> set[str]:
    """The field names the table at a pydantic location accepts (empty if unknown)."""
    current = _branches(Scenario)
    for item in loc:
        below = [b for tp in current for b in _children(tp, item)]
        if below:
            current = below
            continue
        # A union member's tag (a distribution's name): keep the members it names.
        tagged = [
            tp
            for tp in current
            if isinstance(tp, type)
            and issubclass(tp, BaseModel)
            and "dist" in tp.model_fields
            and item in getattr(tp.model_fields["dist"].annotation, "__args__", ())
        ]
        current = tagged or current
    names: set[str] = set()
    for tp in current:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            names.update(field.alias or name for name, field in tp.model_fields.items())
    return names


def _key(key: str) -> str:
    """A key as a message echoes it: cut to 80 characters."""
    return key if len(key) <= _MAX_KEY else key[: _MAX_KEY - 3] + "..."


_TYPE_ERRORS = {
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "dict_type": "a table",
    "float_parsing": "a number",
    "float_type": "a number",
    "int_from_float": "a whole number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "list_type": "a list",
    "model_attributes_type": "a table",
    "model_type": "a table",
    "string_type": "a text string",
    "tuple_type": "a list",
}
"""Errors that only say the input has the wrong type, and the type each one expected."""

_DIST_HINT = 'a value or a table with a "dist" key, e.g. { dist = "exponential", mean = "1h" }'


def _walk(loc: tuple[Any, ...], data: Any, kind: str = "") -> tuple[str, int | None, Any]:
    """Follow a pydantic location through the document.

    Returns the dotted field path as the user wrote it (without the union tags pydantic inserts
    and without the keys a before-validator added when it expanded a plain value), the index in
    `loc` of the first such tag (None if there is none), and the document's node at the path
    (None when the path ends at a missing key or inside an expanded value).
    """
    parts: list[Segment] = []
    node = data
    tag: int | None = None
    for index, item in enumerate(loc):
        is_index = isinstance(item, int) and not isinstance(item, bool)
        if isinstance(node, Mapping):
            if not is_index and item in node:
                parts.append(_key(str(item)))
                node = node[item]
                continue
            if node.get("dist") == item:
                continue  # a discriminator tag, not a key
            if index == len(loc) - 1 and kind == "missing":
                parts.append(_key(str(item)))
                return format_path(tuple(parts)), tag, None
            tag = index if tag is None else tag  # a union member's name
            continue
        if isinstance(node, list | tuple):
            if is_index:
                parts.append(item)
                node = node[item] if 0 <= item < len(node) else None
                continue
            tag = index if tag is None else tag  # a union member's name
            continue
        # A plain value: the rest of the location is inside what a before-validator made of it
        # (`first_response = "4h"` checked for each temperature) or names a union member.
        tag = index if tag is None else tag
        return format_path(tuple(parts)), tag, None
    return format_path(tuple(parts)), tag, node


def _shown(value: Any) -> str:
    """The input as the message quotes it, cut short if long."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _clipped(message: str, got: Any) -> str:
    """A validator's message on one line, with a long quoted input cut short."""
    for quoted in (repr(got), f'"{got}"'):
        if (len(quoted) > 80 or not quoted.isprintable()) and quoted in message:
            message = message.replace(quoted, _shown(got))
            break
    return message.replace("\r", "\\r").replace("\n", "\\n")


def _unknown_field(loc: tuple[Any, ...], hinted: bool) -> str:
    """An unknown key's sentence: where it belongs, or the field of this table it resembles."""
    key = str(loc[-1])
    if key in _KNOWN:
        return f'unknown field here ("{_key(key)}" belongs in another table)'
    if not hinted or len(key) > _MAX_KEY:
        return "unknown field"
    close = difflib.get_close_matches(key, fields_at(loc[:-1]), n=1, cutoff=HINT_CUTOFF)
    return f'unknown field (did you mean "{close[0]}"?)' if close else "unknown field"


def _message(err: Mapping[str, Any], hinted: bool = True) -> str:
    """What was expected, as one sentence without the file and path."""
    kind = err["type"]
    msg = str(err["msg"])
    ctx = err.get("ctx") or {}
    got = err.get("input")
    if kind == "extra_forbidden":
        return _unknown_field(tuple(err["loc"]), hinted)
    if kind == "missing":
        return "missing required field"
    if kind == "union_tag_invalid":
        dist = got.get("dist") if isinstance(got, Mapping) else ctx.get("tag")
        expected = ctx.get("expected_tags")
        if not isinstance(dist, str):
            return f'expected "dist" to be one of {expected} (got {_shown(dist)})'
        return f"unknown distribution {_shown(dist)}; expected one of {expected}"
    if kind == "union_tag_not_found":
        return f"expected {_DIST_HINT}"
    if kind == "model_attributes_type":
        return f"expected {_DIST_HINT} (got {_shown(got)})"
    if msg.startswith("Value error, "):
        return _clipped(msg.removeprefix("Value error, "), got)
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "greater_than": ("more than", "gt"),
        "less_than_equal": ("at most", "le"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds and bounds[kind][1] in ctx:
        words, key = bounds[kind]
        text = f"expected a number {words} {ctx[key]}"
    elif kind in ("too_short", "too_long") and "actual_length" in ctx:
        words, key = ("at least", "min_length")
        if kind == "too_long":
            words, key = ("at most", "max_length")
        count = ctx.get(key)
        text = f"expected {words} {count} {'entry' if count == 1 else 'entries'}"
        return f"{text} (got {ctx['actual_length']})"
    elif kind in _TYPE_ERRORS:
        text = f"expected {_TYPE_ERRORS[kind]}"
    elif msg.startswith("Input should be "):
        text = "expected " + msg.removeprefix("Input should be ")
    else:
        text = f"{msg[:1].lower()}{msg[1:]}" or "invalid value"
    if isinstance(got, dict | list):
        return text
    return f"{text} (got {_shown(got)})"


def problems(label: str, error: ValidationError, data: Any) -> list[str]:
    """One line per problem, in the order of the fields: `label: dotted.path: what was expected`."""
    entries: list[str | tuple[Any, ...]] = []  # a line, or the key of a union's errors
    unions: dict[tuple[Any, ...], list[tuple[str, Mapping[str, Any]]]] = {}
    unknown = 0
    for err in error.errors():
        loc = tuple(err["loc"])
        path, tag, node = _walk(loc, data, err["type"])
        unknown += err["type"] == "extra_forbidden"
        message = _message(err, hinted=unknown <= _MAX_HINTED)
        if err["type"] == "value_error" and isinstance(node, Mapping):
            # A check on a whole table whose sentence starts with one of its keys ("open must be
            # before close"): name that key in the path.
            first, _, rest = message.partition(" ")
            if rest and first in node and first in _KNOWN:
                path, message = f"{path}.{first}" if path else first, rest
        where = f"{label}: {path}" if path else label
        if tag is None:
            entries.append(f"{where}: {message}")
        else:
            if loc[:tag] not in unions:
                entries.append(loc[:tag])
            unions.setdefault(loc[:tag], []).append((where, err))
    lines: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            lines.append(entry)
            continue
        # Several ways to write one value (a number or a pair): report what went wrong in the
        # ways whose type matched; if none matched, say which types would do.
        members = unions[entry]
        deeper = [(where, err) for where, err in members if err["type"] not in _TYPE_ERRORS]
        if deeper:
            lines.extend(f"{where}: {_message(err)}" for where, err in deeper)
            continue
        where, err = members[0]
        wanted = list(dict.fromkeys(_TYPE_ERRORS[e["type"]] for _, e in members))
        got = err.get("input")
        shown = "" if isinstance(got, dict | list) else f" (got {_shown(got)})"
        lines.append(f"{where}: expected {' or '.join(wanted)}{shown}")
    return list(dict.fromkeys(lines))


def non_finite(node: Any, at: tuple[Segment, ...] = ()) -> list[tuple[str, float]]:
    """Paths of the NaN and infinite numbers in a document (TOML writes them `nan`, `inf`)."""
    if isinstance(node, float) and not math.isfinite(node):
        return [(format_path(at), node)]
    out: list[tuple[str, float]] = []
    if isinstance(node, Mapping):
        for key, value in node.items():
            out += non_finite(value, (*at, str(key)))
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            out += non_finite(value, (*at, index))
    return out


_NUMBER_TEXT = re.compile(r"\s*[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*")


def _texts(node: Any, at: tuple[Segment, ...] = ()) -> Iterable[tuple[tuple[Segment, ...], str]]:
    """Paths of the strings in a document that spell a plain number ("6", "0.3", "1e5")."""
    if isinstance(node, str) and _NUMBER_TEXT.fullmatch(node):
        yield at, node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from _texts(value, (*at, str(key)))
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            yield from _texts(value, (*at, index))


def _validated_at(scenario: BaseModel, at: tuple[Segment, ...]) -> tuple[bool, Any]:
    """The validated value at a document path: (found, value)."""
    node: Any = scenario
    for part in at:
        if isinstance(node, BaseModel):
            names = [n for n, f in type(node).model_fields.items() if part in (n, f.alias)]
            if not names:
                return False, None
            node = getattr(node, names[0])
        elif (isinstance(node, Mapping) and part in node) or (
            isinstance(node, list | tuple) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        else:
            return False, None
    return True, node


def numbers_as_text(label: str, data: Any, scenario: BaseModel) -> list[str]:
    """One line per number written as a string where a number is expected (`reps = "4"`).

    pydantic reads "4" as 4; a scenario file says what it means, so it is refused with the
    fix. Text that is a field's value (`name = "2024"`) and durations and rates ("45d",
    "120/week") are not numbers and stay strings.
    """
    lines = []
    for at, text in _texts(data):
        found, value = _validated_at(scenario, at)
        if found and not isinstance(value, str):
            shown = text.strip()
            lines.append(
                f"{label}: {format_path(at)}: expected a number; write {_key(shown)}, "
                f'not "{_key(shown)}"'
            )
    return lines
