"""numba's on-disk cache, keyed on every source file the engines compile: never stale code.

numba caches a compiled function under a stamp of the one file that defines it. A function
that calls (and inlines) a compiled function from another file, or reads a constant imported
from another module, is not recompiled when only that other file changes: the old machine code
would run. So the package's compiled functions are cached in a folder named by a hash of
`compiled_sources()`: every module of the package that uses numba, plus every package module
they import from (the constants they freeze: week length, outcome and discipline codes). Any
edit to one of them names a new folder, so the next run compiles afresh; code compiled from
other sources is never looked up. (A constant a compiled function reads must therefore come
from a module its own module imports; `from alignsim.x import NAME` does that.)

The folder is `__pycache__/numba-<hash>` beside each compiled module, or, where that is not
writable, under NUMBA_CACHE_DIR or numba's user-wide cache directory. Importing this module
puts the locator first in numba's list; every compiled module of the engines imports it before
it defines a compiled function. Hand-written because numba offers no dependency tracking; the
locator is numba's documented extension point (`numba.core.caching`'s locator classes).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path
from types import FunctionType

from numba.core import caching, config
from numba.misc.appdirs import AppDirs

PACKAGE = Path(__file__).resolve().parents[1]
"""The alignsim package's folder."""


def _module_files(module: str, names: list[str]) -> list[Path]:
    """The package's files behind `from module import names` (the module, and submodules)."""
    base = PACKAGE.parent.joinpath(*module.split("."))
    found = [p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()]
    found += [p for p in (base / f"{name}.py" for name in names) if p.is_file()]
    return found


_LINE = r"(?:[^\n]*\\\n)*[^\n]*"  # a logical line: backslash continuations joined
_FROM = re.compile(rf"^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|{_LINE})", re.M)
_IMPORT = re.compile(rf"^[ \t]*import[ \t]+({_LINE})", re.M)


def _names(clause: str) -> list[str]:
    """The first word of each comma-separated item of an import clause ("a as b, c" -> a, c),
    comments and parentheses dropped."""
    text = re.sub(r"#[^\n]*|\\\n", " ", clause).strip("() \t\n")
    return [item.split()[0] for item in text.split(",") if item.split()]


def _imports(text: str) -> list[Path]:
    """The package's files that a module's text imports from (absolute imports of alignsim).

    Read with two regular expressions rather than `ast.parse`, which cost 36 ms a process at
    the first compiled call (the engines' 27 files). A match inside a string (a docstring's
    example) only adds a file to the hash: the cache may then miss, never go stale.
    """
    out: list[Path] = []
    for module, clause in _FROM.findall(text):
        if module.split(".")[0] == PACKAGE.name:
            out += _module_files(module, _names(clause))
    for clause in _IMPORT.findall(text):
        for name in _names(clause):
            if name.split(".")[0] == PACKAGE.name:
                out += _module_files(name, [])
    return out


def _uses_numba(text: str) -> bool:
    return "from numba" in text or "import numba" in text


@functools.cache
def compiled_sources() -> tuple[Path, ...]:
    """The package's modules that use numba and the package modules they import from."""
    texts = {p: p.read_text(encoding="utf-8") for p in sorted(PACKAGE.rglob("*.py"))}
    compiled = [p for p, text in texts.items() if _uses_numba(text)]
    sources = set(compiled)
    for path in compiled:
        sources.update(_imports(texts[path]))
    return tuple(sorted(sources))


@functools.cache
def source_hash() -> str:
    """A hash of the text of every file in `compiled_sources()` (and of its place)."""
    digest = hashlib.sha256()
    for path in compiled_sources():
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


class SourceHashLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
    """Caches the package's compiled functions in a folder named by `source_hash()`."""

    def __init__(self, py_func: FunctionType, py_file: str, root: str) -> None:
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = root

    def get_cache_path(self) -> str:
        return self._cache_path

    @classmethod
    def from_function(cls, py_func: FunctionType, py_file: str) -> SourceHashLocator | None:
        path = Path(py_file).resolve()
        if path not in compiled_sources():
            return None
        folder = f"numba-{source_hash()}"
        subpath = cls.get_suitable_cache_subpath(py_file)
        user_wide = AppDirs(appname="numba", appauthor=False).user_cache_dir
        roots = [os.path.join(path.parent, "__pycache__", folder)]
        if config.CACHE_DIR:  # NUMBA_CACHE_DIR, where numba itself would look first
            roots.insert(0, os.path.join(config.CACHE_DIR, folder, subpath))
        roots.append(os.path.join(user_wide, folder, subpath))
        for root in roots:
            locator = cls(py_func, py_file, root)
            try:
                locator.ensure_cache_path()
            except OSError:
                continue
            return locator
        return None


if SourceHashLocator not in caching.CacheImpl._locator_classes:
    caching.CacheImpl._locator_classes.insert(0, SourceHashLocator)
