"""`--set PATH=VALUE`: change one value of a scenario document before it is validated.

PATH is a dotted path into the raw document in the dialect of `alignsim.scenario.paths`:
`team.reps`, `policies.current.sla.first_response`, `market.win.hot[1]` (an entry of a list),
`policies."my policy".queue` (a key that is not a bare TOML key, quoted). VALUE is read as a
TOML value when it parses as one (`4`, `0.3`, `true`, `[0.1, 0.2]`, `"1h"`,
`{ hot = "15m", warm = "1h" }`), else taken as a plain string, so `1h` and `200/week` need no
quotes. The caller validates the result (`alignsim.validate`), so a wrong value reads like a
mistake in the file.

The other way round, `format_value` writes a Python value as the TOML text `parse_value` reads
back (tomli-w writes it) and `format_assignment` a whole `PATH=VALUE`: how sweeps and the
workshop page write their overrides.
"""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import tomli_w

from alignsim.scenario import ScenarioError
from alignsim.scenario.paths import Segment, assign, format_path, parse_path

__all__ = [
    "apply_overrides",
    "format_assignment",
    "format_value",
    "parse_value",
    "set_text",
    "split_assignment",
    "split_values",
]


def parse_value(text: str) -> Any:
    """A TOML value when `text` is one, else `text` itself (stripped)."""
    text = text.strip()
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def format_value(value: Any) -> str:
    """`value` as a one-line TOML value that `parse_value` reads back equal (text quoted).

    tomli-w writes it (nested twice in a list, so that a table is written inline whatever its
    length); it lays arrays out one entry a line, and those lines are joined here. Every raw
    newline in its output is such a line break, as it escapes newlines inside strings.
    TypeError for a value TOML cannot hold.
    """
    text = tomli_w.dumps({"v": [[value]]}, indent=0)
    inner = text.removeprefix("v = [\n[\n").removesuffix(",\n],\n]\n")
    return inner.replace(",\n]", "]").replace("[\n", "[").replace(",\n", ", ")


def set_text(value: Any) -> str:
    """What `PATH=` takes for a Python value: text as it is, read as `--set` reads it ("4" is
    the number 4, "1h" the text 1h); any other value written by `format_value`."""
    return value if isinstance(value, str) else format_value(value)


def format_assignment(path: tuple[Segment, ...], value: Any) -> str:
    """`PATH=VALUE` setting `value` (written by `format_value`) at a path."""
    return f"{format_path(path)}={format_value(value)}"


def split_assignment(item: str) -> tuple[str, str]:
    """`PATH=VALUE` -> (PATH, VALUE), at the first `=` outside a quoted key.

    ScenarioError when there is no such `=` or no path before it.
    """
    quoted = escaped = False
    for position, char in enumerate(item):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "=" and not quoted:
            path = item[:position].strip()
            if path:
                return path, item[position + 1 :]
            break
    raise ScenarioError([f"--set {item}: expected PATH=VALUE, e.g. team.reps=4"])


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


def apply_overrides(doc: dict[str, Any], sets: list[str]) -> dict[str, Any]:
    """A copy of the raw document with every `PATH=VALUE` applied, in order."""
    out = copy.deepcopy(doc)
    for item in sets:
        path, text = split_assignment(item)
        try:
            assign(out, parse_path(path), parse_value(text))
        except (ValueError, LookupError) as error:
            raise ScenarioError([f"--set {path}: {error}"]) from None
    return out
