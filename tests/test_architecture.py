"""The layers are a contract: `lint-imports` checks them (see pyproject.toml)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold():
    # The layers (app > views > analysis > agents | envs > core) and no cycles.
    command = shutil.which("lint-imports")
    if command is None:
        pytest.fail("lint-imports is missing: pip install -e '.[dev]'")
    result = subprocess.run([command], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={"PYTHONPATH": str(ROOT), "PATH": str(Path(sys.executable).parent)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout


def test_the_public_api_is_lazy_and_complete():
    import specgame

    for name in specgame.__all__:
        if name in ("DQN", "DQNConfig"):
            continue  # needs torch
        assert getattr(specgame, name) is not None, name
    with pytest.raises(AttributeError, match="no_such_thing"):
        specgame.no_such_thing  # noqa: B018


def test_specgame_solve_is_the_function_whatever_was_imported_first():
    # The module specgame.solve, imported by analysis, must not shadow the public function.
    import specgame
    import specgame.analysis.compare  # noqa: F401

    assert callable(specgame.solve) and specgame.solve.__name__ == "solve"
