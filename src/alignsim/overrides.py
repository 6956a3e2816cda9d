"""`--set PATH=VALUE`: change one value of a scenario document before it is validated.

PATH is a dotted path into the raw document (`team.reps`, `policies.current.sla.first_response`).
VALUE is read as a TOML value when it parses as one (`4`, `0.3`, `true`, `[0.1, 0.2]`, `"1h"`,
`{ hot = "15m", warm = "1h" }`), else taken as a plain string, so `1h` and `200/week` need no
quotes. The caller validates the result (`alignsim.validate`), so a wrong value reads like a
mistake in the file.
"""

from __future__ import annotations

import copy
import difflib
import tomllib
from typing import Any

from alignsim.scenario import ScenarioError

__all__ = ["apply_overrides", "parse_value", "split_assignment", "split_values"]


def parse_value(text: str) -> Any:
    """A TOML value when `text` is one, else `text` itself (stripped)."""
    text = text.strip()
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def split_assignment(item: str) -> tuple[str, str]:
    """`PATH=VALUE` -> (PATH, VALUE); ScenarioError when there is no `=` or no path."""
    path, equals, value = item.partition("=")
    path = path.strip()
    if not equals or not path:
        raise ScenarioError([f"--set {item}: expected PATH=VALUE, e.g. team.reps=4"])
    return path, value


def split_values(text: str) -> list[str]:
    """Split on the commas outside brackets, braces and quotes: `1,[0.1, 0.2],"a,b"` -> 3 parts."""
    parts: list[str] = []
    depth = 0
    quote = ""
    current: list[str] = []
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts


def _did_you_mean(key: str, siblings: list[str]) -> str:
    close = difflib.get_close_matches(key, siblings, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    if siblings:
        return f" (it has {', '.join(siblings)})"
    return ""


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    if any(not k for k in keys):
        raise ScenarioError([f"--set {path}: empty key in the path"])
    node: Any = doc
    for depth, key in enumerate(keys[:-1]):
        where = ".".join(keys[:depth]) or "the top level"
        if key not in node:
            raise ScenarioError(
                [f"--set {path}: no key {key!r} in {where}{_did_you_mean(key, list(node))}"]
            )
        node = node[key]
        if not isinstance(node, dict):
            shown = ".".join(keys[: depth + 1])
            raise ScenarioError([f"--set {path}: {shown} is {_kind(node)}, not a table"])
    node[keys[-1]] = value


def apply_overrides(doc: dict[str, Any], sets: list[str]) -> dict[str, Any]:
    """A copy of the raw document with every `PATH=VALUE` applied, in order."""
    out = copy.deepcopy(doc)
    for item in sets:
        path, text = split_assignment(item)
        _set(out, path, parse_value(text))
    return out
