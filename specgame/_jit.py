"""numba's ``njit`` for specgame, with an on-disk cache that notices a change in any module.

numba's cache (``cache=True``: machine code kept beside the source, in ``__pycache__``)
stamps a compiled function with its own source file only.  But the machine code also holds
every jitted function it calls: the large games inline the search of ``grid_jit`` and the
push of ``envs/_sokoban``, the agents inline ``rng``.  After an upgrade or a ``git pull``
that changed only such a dependency, numba would load the old code: an error far from the
cause ("not enough values to unpack") or, worse, quietly the old rules.

:class:`DependencyLocator` claims the functions defined inside the specgame package and
stamps each with the content of its file *and* of every specgame module that file imports,
directly or through others (read from the ``import`` statements, nothing is imported).  It
errs on the safe side: a change in a module that a kernel imports only for its plain Python
recompiles the kernel too.  Where the cache lives is numba's usual choice
(``NUMBA_CACHE_DIR`` if set, else ``__pycache__`` beside the source, else the user's cache
folder): the locator wraps that choice and changes only the stamp.

numba picks a function's locator when its decorator runs, so every jitted module of
specgame takes ``njit`` from here: importing this module registers the locator first.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
from pathlib import Path

from numba import njit as njit  # re-exported: specgame's jitted modules take it from here
from numba.core import caching

PACKAGE = __name__.partition(".")[0]
ROOT = Path(os.path.realpath(__file__)).parent  # the package's folder, wherever it was imported from

# older numba releases name the class _CacheImpl (0.59 and later: CacheImpl).
_CACHE_IMPL = getattr(caching, "CacheImpl", None) or caching._CacheImpl


def _module_file(name: str) -> Path | None:
    """The source file of the specgame module named ``name`` (dotted), or None."""
    parts = name.split(".")
    if parts[0] != PACKAGE or not all(parts):
        return None
    base = ROOT.joinpath(*parts[1:])
    candidates = [base / "__init__.py"] if len(parts) == 1 else [base.with_name(parts[-1] + ".py"),
                                                                 base / "__init__.py"]
    return next((path for path in candidates if path.is_file()), None)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def _statements(nodes):
    """Every statement in ``nodes``, nested ones too (an import is a statement: the
    expressions, most of the tree, need no visit)."""
    for node in nodes:
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            yield from _statements(getattr(node, field, ()))


@functools.cache
def _imports(path: Path, mtime_ns: int, size: int) -> frozenset[Path]:
    """The specgame modules ``path`` imports itself (keyed on mtime and size as well, so
    a file edited while the process runs is read again)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _statements(ast.parse(path.read_bytes(), filename=str(path)).body):
        if isinstance(node, ast.Import):
            found.update(_module_file(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: `from . import x`, `from ..grid import move`
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from P import name`: the submodule P.name if there is one, else P itself
                found.add(_module_file(f"{base}.{alias.name}") or _module_file(base))
    found.discard(None)
    return frozenset(found)


@functools.cache
def _digest(path: Path, mtime_ns: int, size: int) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def dependencies(path) -> list[Path]:
    """``path`` and every specgame module it imports, directly or through others, sorted."""
    path = Path(os.path.realpath(path))
    seen, todo = {path}, [path]
    while todo:
        stat = todo[-1].stat()
        for module in _imports(todo.pop(), stat.st_mtime_ns, stat.st_size):
            if module not in seen:
                seen.add(module)
                todo.append(module)
    return sorted(seen)


def source_stamp(path) -> str:
    """One hash of the content of ``path`` and of every specgame module it depends on."""
    digest = hashlib.sha256()
    for module in dependencies(path):
        stat = module.stat()
        digest.update(module.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(_digest(module, stat.st_mtime_ns, stat.st_size))
    return digest.hexdigest()


class DependencyLocator(caching._CacheLocator):
    """numba's usual cache locator for a function of specgame, its source stamp widened to
    the function's file and all the specgame modules that file depends on."""

    def __init__(self, usual, py_file):
        self._usual = usual  # the locator numba would have chosen: it says where the cache is
        self._py_file = py_file  # numba's "cannot cache" warning reads it

    @classmethod
    def from_function(cls, py_func, py_file):
        path = Path(os.path.realpath(py_file))
        if ROOT not in path.parents or not path.is_file():
            return None
        for other in _CACHE_IMPL._locator_classes:
            usual = None if issubclass(other, DependencyLocator) else other.from_function(py_func, py_file)
            if usual is not None:
                return cls(usual, py_file)
        return None

    def ensure_cache_path(self):
        self._usual.ensure_cache_path()

    def get_cache_path(self):
        return self._usual.get_cache_path()

    def get_disambiguator(self):
        return self._usual.get_disambiguator()

    def get_source_stamp(self):
        return self._usual.get_source_stamp(), source_stamp(self._py_file)


if DependencyLocator not in _CACHE_IMPL._locator_classes:
    _CACHE_IMPL._locator_classes.insert(0, DependencyLocator)
