"""Compilation said and done once: the notice on a terminal, and `warm()` loading all of it.

The notice is checked on a real pseudo-terminal with a small function compiled in a child
process (compiling the whole engine again would take minutes on a loaded machine); that the
warm-up scenario reaches every compiled function the shipped scenarios use is checked by
counting numba's loaded overloads before and after playing them.
"""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from alignsim import warm

ROOT = Path(__file__).resolve().parents[1]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def ours() -> dict[str, object]:
    class Dispatcher:
        py_func = warm.warm

    return {"dispatcher": Dispatcher()}


def test_the_notice_is_said_once_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    state = {"registered": True, "said": False}
    monkeypatch.setattr(warm, "_state", state)  # a fresh process's state, for this test
    screen = Terminal()
    assert warm._say_once(ours(), screen)
    assert not warm._say_once(ours(), screen)
    assert screen.getvalue() == warm.MESSAGE + "\n"
    state["said"] = False
    piped = io.StringIO()
    assert not warm._say_once(ours(), piped)
    assert piped.getvalue() == ""


def test_another_packages_compilation_is_not_announced(monkeypatch: pytest.MonkeyPatch) -> None:
    class Foreign:
        py_func = json.dumps

    monkeypatch.setattr(warm, "_state", {"registered": True, "said": False})
    screen = Terminal()
    assert not warm._say_once({"dispatcher": Foreign()}, screen)
    assert screen.getvalue() == ""


CHILD = """
import types
from numba import njit
from alignsim.warm import announce_compiling
announce_compiling()
for n in range(2):
    code = compile("def f(x):\\n    return x + %d\\n" % n, "probe", "exec")
    space = {"__name__": "alignsim.probe"}
    exec(code, space)
    assert njit(space["f"])(1) == 1 + n
print("done")
"""


def test_a_compilation_of_alignsim_code_says_so_on_the_terminal() -> None:
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD],
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            timeout=120,
            check=True,
        )
        os.close(follower)
        follower = -1
        said = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            said += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert done.stdout.strip() == "done"
    assert said.decode().replace("\r\n", "\n") == warm.MESSAGE + "\n"


def test_numba_runs_the_notice_through_an_entry_point() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    target = project["project"]["entry-points"]["numba_extensions"]["init"]
    module, name = target.split(":")
    assert (module, name) == ("alignsim.warm", "announce_compiling")


AFTER_WARM = """
import json, sys
from pathlib import Path
import alignsim
from alignsim.warm import warm

def loaded():
    return sum(
        len(getattr(value, "overloads", {}))
        for name, module in list(sys.modules.items())
        if name.startswith("alignsim.") and module is not None
        for value in vars(module).values()
        if hasattr(value, "py_func") and hasattr(value, "overloads")
    )

warm()
before = loaded()
for path in sorted(Path("scenarios").rglob("*.toml")):
    sc = alignsim.load(path)
    alignsim.simulate_all(sc, list(sc.policies), horizon=168.0)
print(json.dumps({"before": before, "after": loaded()}))
"""


def test_after_warm_the_shipped_scenarios_load_no_more_compiled_code() -> None:
    done = subprocess.run(
        [sys.executable, "-c", AFTER_WARM],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["before"] >= 5  # the engine, its calendar and the stream's helpers
    assert counts["after"] == counts["before"]


def test_warm_writes_the_package_bytecode() -> None:
    """Where PYTHONDONTWRITEBYTECODE is set, `alignsim warm` still leaves every module's
    bytecode for later processes to read (each would compile the sources again otherwise)."""
    import importlib.util

    package = Path(warm.__file__).resolve().parent
    modules = sorted(package.rglob("*.py"))
    assert warm.write_bytecode()
    for module in modules:
        header = Path(importlib.util.cache_from_source(str(module))).read_bytes()[:16]
        stat = module.stat()  # a timestamp pyc is current when it names the source's mtime, size
        assert header[:4] == importlib.util.MAGIC_NUMBER, module
        assert int.from_bytes(header[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF, module
        assert int.from_bytes(header[12:16], "little") == stat.st_size & 0xFFFFFFFF, module
