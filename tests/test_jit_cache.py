"""numba's on-disk cache of specgame's kernels is stamped with everything they depend on.

numba alone would reuse a kernel's cached machine code as long as the kernel's own file is
unchanged, even after a module whose code it inlines changed (an upgrade, a git pull).
``specgame._jit`` widens the stamp; these tests run a copy of the package in child
processes, so the copy's own ``__pycache__`` holds the cache and can be edited freely.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import specgame
from specgame import _jit

PACKAGE = Path(specgame.__file__).parent

# Loads SideEffectsSokoban's step and end test (through its Python face, as the env's checks
# do) and reports each kernel's cache hits and misses.  The step links _sokoban's push; the
# cheapest real kernels of a kernel game (its search, _explore, compiles for seconds).
LOAD_KERNELS = """
import json
import specgame.envs.side_effects_sokoban as game

config = game.Config()
state = game.initial_states(config)[0][1]
outcomes = [game.transitions(state, action, config) for action in range(len(game.actions(config)))]
print(json.dumps({
    "file": game.__file__,
    "outcomes": repr(outcomes),
    "kernels": {kernel.__name__: [sum(kernel.stats.cache_hits.values()), sum(kernel.stats.cache_misses.values())]
                for kernel in (game._step, game._terminal)},
}))
"""

# For every cached kernel of the two kernel games and of the agents: edit each of the named
# dependencies in turn and report the kernels whose source stamp did not change.
CHECK_STAMPS = """
import json
from pathlib import Path
from numba.core.caching import FunctionCache
from numba.core.dispatcher import Dispatcher
import specgame.agents._kernels as agents
import specgame.envs.rocks_diamonds as rocks_diamonds
import specgame.envs.side_effects_sokoban as side_effects_sokoban
from specgame._jit import ROOT, DependencyLocator

SHARED = ["grid_jit.py", "envs/_sokoban.py", "envs/_aisg.py", "mdp.py", "_jit.py"]
DEPENDENCIES = {
    side_effects_sokoban: ["envs/side_effects_sokoban.py", *SHARED],
    rocks_diamonds: ["envs/rocks_diamonds.py", *SHARED],
    agents: ["agents/_kernels.py", "rng.py", "_jit.py"],
}

def locators(module):
    return {name: kernel._cache._impl.locator for name, kernel in vars(module).items()
            if isinstance(kernel, Dispatcher) and kernel.py_func.__module__ == module.__name__
            and isinstance(kernel._cache, FunctionCache)}

report = {}
for module, files in DEPENDENCIES.items():
    found = locators(module)
    before = {name: locator.get_source_stamp() for name, locator in found.items()}
    unchanged = {}
    for file in files:
        path = ROOT / file
        source = path.read_bytes()
        path.write_bytes(source + b"\\n# an edit\\n")
        try:
            unchanged[file] = sorted(name for name, locator in found.items()
                                     if locator.get_source_stamp() == before[name])
        finally:
            path.write_bytes(source)
    report[module.__name__] = {
        "kernels": sorted(found),
        "ours": all(isinstance(locator, DependencyLocator) for locator in found.values()),
        "unchanged": unchanged,
    }
print(json.dumps(report))
"""


def copy_package(tmp_path) -> Path:
    shutil.copytree(PACKAGE, tmp_path / "specgame", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path / "specgame"


def run_in_copy(tmp_path, code) -> dict:
    """Runs ``code`` in a new process that imports the copy in ``tmp_path``; its JSON output."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("NUMBA_CACHE_DIR", "NUMBA_CACHE_LOCATOR_CLASSES", "NUMBA_DISABLE_JIT")}
    env["PYTHONPATH"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_changing_grid_jit_recompiles_the_kernel_games(tmp_path):
    """Cold: compiled and cached.  Nothing changed: loaded from the cache.  grid_jit.py
    changed (a file the game only imports): compiled again, not loaded."""
    copy = copy_package(tmp_path)
    cold = run_in_copy(tmp_path, LOAD_KERNELS)
    assert Path(cold["file"]).parent.parent == copy  # the copy runs, not the installed package
    assert cold["kernels"] == {"_step": [0, 1], "_terminal": [0, 1]}
    assert any((copy / "envs" / "__pycache__").glob("side_effects_sokoban._step-*.nbi"))  # kept in-tree

    again = run_in_copy(tmp_path, LOAD_KERNELS)
    assert again["kernels"] == {"_step": [1, 0], "_terminal": [1, 0]}

    grid_jit = copy / "grid_jit.py"
    grid_jit.write_text(grid_jit.read_text() + textwrap.dedent("""

        @njit(cache=True)
        def _added_by_a_test(x):
            return x + 1
        """))
    changed = run_in_copy(tmp_path, LOAD_KERNELS)
    assert changed["kernels"] == {"_step": [0, 1], "_terminal": [0, 1]}
    assert cold["outcomes"] == again["outcomes"] == changed["outcomes"]


def test_every_kernel_game_kernel_is_stamped_with_each_of_its_dependencies(tmp_path):
    copy_package(tmp_path)
    report = run_in_copy(tmp_path, CHECK_STAMPS)
    games = ("specgame.envs.side_effects_sokoban", "specgame.envs.rocks_diamonds")
    for game in games:
        assert {"_step", "_terminal", "_board", "_explore", "_observe"} <= set(report[game]["kernels"])
    assert "train" in report["specgame.agents._kernels"]["kernels"]
    for module, found in report.items():
        assert found["ours"], module
        assert found["unchanged"] == dict.fromkeys(found["unchanged"], []), module


def test_the_stamp_follows_imports_but_not_the_rest_of_the_package():
    """A kernel game's stamp covers what it imports, not the other games or the agents
    (an edit there does not recompile it)."""
    closure = {path.relative_to(_jit.ROOT).as_posix() for path in _jit.dependencies(
        _jit.ROOT / "envs" / "side_effects_sokoban.py")}
    assert {"envs/side_effects_sokoban.py", "grid_jit.py", "envs/_sokoban.py", "mdp.py", "_jit.py"} <= closure
    assert not closure & {"envs/rocks_diamonds.py", "envs/__init__.py", "__init__.py", "agents/_kernels.py"}
    assert {path.name for path in _jit.dependencies(_jit.ROOT / "rng.py")} == {"rng.py", "_jit.py"}


def test_every_cached_kernel_of_specgame_uses_the_dependency_stamp():
    """Every module with a cached kernel takes njit from specgame._jit (or imports it first)."""
    import importlib

    from numba.core.caching import FunctionCache
    from numba.core.dispatcher import Dispatcher

    jitted = [path for path in PACKAGE.rglob("*.py") if "@njit(cache=True" in path.read_text()]
    assert len(jitted) >= 8
    kernels = {}
    for path in jitted:
        module = importlib.import_module(_jit._module_name(path))
        kernels.update({f"{module.__name__}.{name}": kernel._cache._impl.locator
                        for name, kernel in vars(module).items()
                        if isinstance(kernel, Dispatcher) and isinstance(kernel._cache, FunctionCache)})
    assert len(kernels) >= 50
    assert [name for name, locator in kernels.items() if not isinstance(locator, _jit.DependencyLocator)] == []
