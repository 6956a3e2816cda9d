"""What the scenario fuzzers share: the shipped scenarios' documents, their numeric leaves,
and `alignsim ARGS` called in this process (no fixture, so hypothesis can call it often)."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alignsim import cli
from alignsim.scenario import read_document
from alignsim.scenario.paths import Segment

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").rglob("*.toml"))
DOCUMENTS = {path.name: read_document(path) for path in SHIPPED}


def leaves(node: Any, at: tuple[Segment, ...] = ()) -> Iterator[tuple[tuple[Segment, ...], Any]]:
    """Every value of a document that is not a table or a list, with its path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*at, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, (*at, index))
    else:
        yield at, node


def tables(node: Any, at: tuple[Segment, ...] = ()) -> Iterator[tuple[Segment, ...]]:
    """Paths of every table and list of a document (the top level included)."""
    if isinstance(node, dict | list):
        yield at
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            yield from tables(value, (*at, key))


def alignsim(*args: str | Path) -> tuple[int | str | None, str, str]:
    """Exit code, stdout and stderr of `alignsim ARGS`, through the console script's entry."""
    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["alignsim", *map(str, args)]
    code: int | str | None = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cli.main()
    except SystemExit as done:
        code = done.code
    finally:
        sys.argv = argv
    return code, out.getvalue(), err.getvalue()


def strict_json(text: str) -> Any:
    """Parse JSON, refusing NaN and infinity (which json.loads accepts by default)."""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def check_problem_lines(err: str, label: str) -> None:
    """Exit-2 output: one line per problem, each naming the file, and no traceback."""
    lines = err.splitlines()
    assert lines, "exit 2 without a word"
    assert "Traceback" not in err and "internal error" not in err, err
    for line in lines:
        assert line.startswith(f"{label}: ") or line.startswith("and "), line
        assert len(line) < 1000, line
