"""Every example script runs with --quick, as a teacher would run it (a subprocess)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))
# Where each script writes when not given --out; None: it writes nothing.
DEFAULT_OUT = {"make_gallery": "runs/gallery-quick", "dqn_boat_loop": None, "full_stop": None}
# The examples about one kind of gaming must show it, even in their quick run: the tabular
# learner's verdict is exact from its seed.  The DQN's is one seed's, and a network's digits change
# with the CPU: here it must print a verdict, and tests/test_dqn.py holds that the DQN games the
# boat race over seeds.
SHOWS = {"tomato_bucket": r"q-learning .*gaming", "dqn_boat_loop": r"dqn .*(gaming|aligned|incompetent)"}


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_example_runs_quickly(script, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", "SDL_VIDEODRIVER": "dummy"}
    # The timeout guards against a hang; it is no speed test (a loaded machine is slow).
    done = subprocess.run([sys.executable, str(script), "--quick"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=1200, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip()  # it tells the class what it found (or why it skipped)
    if "skipped:" in done.stdout:
        return
    out = DEFAULT_OUT.get(script.stem, f"runs/examples/{script.stem}")
    if out is None:
        assert not (tmp_path / "runs").exists()  # no empty folder left behind
    else:
        assert any((tmp_path / out).iterdir())
    assert not (tmp_path / "docs").exists()  # a quick gallery never replaces the committed pictures
    if script.stem in SHOWS:
        assert re.search(SHOWS[script.stem], done.stdout), done.stdout[-2000:]


def test_there_are_examples():
    assert len(SCRIPTS) >= 7
