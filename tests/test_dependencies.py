"""Every third-party module the repository imports comes from a distribution that pyproject.toml declares.

A fresh ``pip install -e ".[dev,...]"`` installs only what is declared, so an undeclared
import works on a machine that happens to have the package and fails everywhere else.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10: pyproject declares tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("specgame", "tests", "examples", "course", "benchmarks")  # every .py under them, and docs/*.py

# The standard library; tomllib joined it in 3.11 (on 3.10 the code falls back to tomli).
STDLIB = set(sys.stdlib_module_names) | {"tomllib"}

# Modules that come from an extra or behind a Python-version marker, which the machine
# running this test may lack (so packages_distributions() cannot name them): module -> the
# declared distribution whose installation provides it.
OPTIONAL_MODULES = {
    "distributed": "dask",  # the sweep extra's dask[distributed]
    "imageio_ffmpeg": "imageio-ffmpeg",  # the video extra
    "mkdocs_gen_files": "mkdocs-gen-files",  # the docs extra (docs/gen_pages.py)
    "moviepy": "moviepy",  # the video extra
    "stable_baselines3": "stable-baselines3",  # the bench extra (benchmarks/bench_dqn.py only)
    "tomli": "tomli",  # Python 3.10 only
    "torch": "torch",  # the dqn extra
}


def normalise(name: str) -> str:
    """A distribution's name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_distributions(pyproject: Path = ROOT / "pyproject.toml") -> set[str]:
    """The project and every distribution in its dependencies or any extra (names only)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    names = {normalise(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", r).group(1)) for r in requirements}
    return names | {normalise(project["name"])}


def python_files() -> list[Path]:
    files = [path for folder in FOLDERS for path in sorted((ROOT / folder).rglob("*.py"))]
    return files + sorted((ROOT / "docs").glob("*.py"))


def imports(source: str) -> list[tuple[int, str]]:
    """(line, top-level module) of every absolute import in ``source``, at any depth (inside functions too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def undeclared(files, local: set[str], declared: set[str], installed: dict[str, list[str]]) -> list[str]:
    """One line for each import of a module that is neither standard, nor ours, nor declared."""
    problems = []
    for path in files:
        for line, module in imports(path.read_text(encoding="utf-8")):
            if module in STDLIB or module in local:
                continue
            sources = [OPTIONAL_MODULES[module]] if module in OPTIONAL_MODULES else installed.get(module, [])
            where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{line}"
            if not sources:
                problems.append(f"{where}: import {module}: not installed here, so its distribution is unknown; "
                                "declare it in pyproject.toml and add it to OPTIONAL_MODULES")
            elif not {normalise(name) for name in sources} & declared:
                problems.append(f"{where}: import {module} (from {', '.join(sources)}), which pyproject.toml does "
                                "not declare: add it to the dependencies or an extra, or drop the import")
    return problems


def test_every_third_party_import_is_declared_in_pyproject():
    files = python_files()
    # scripts import their neighbours (tests/reference_agents.py, examples/_common.py, ...) by path
    local = {path.stem for path in files} | {"specgame"}
    problems = undeclared(files, local, declared_distributions(), importlib.metadata.packages_distributions())
    assert not problems, "\n".join(problems)


def test_an_undeclared_import_is_reported_with_its_file_and_line(tmp_path):
    """The check can fail: scipy (installed or not) is declared nowhere, numpy is."""
    test = tmp_path / "test_new.py"
    test.write_text("import numpy as np\n\n\ndef test_tau():\n    from scipy.stats import kendalltau\n")
    installed = {"numpy": ["numpy"], "scipy": ["scipy"]}
    assert undeclared([test], set(), declared_distributions(), installed) == [
        f"{test}:5: import scipy (from scipy), which pyproject.toml does not declare: add it to the "
        "dependencies or an extra, or drop the import"]
    assert "not installed here" in undeclared([test], set(), declared_distributions(), {"numpy": ["numpy"]})[0]


def test_the_declared_names_include_extras_and_markers():
    declared = declared_distributions()
    assert {"numpy", "pygame-ce", "imageio", "torch", "dask", "stable-baselines3", "tomli", "pytest"} <= declared
    assert "scipy" not in declared
