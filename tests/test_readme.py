"""The README's Python blocks run on their own, with small budgets."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)


def small(code: str) -> str:
    """The block with every training budget cut to 2,000 steps."""
    return re.sub(r"\.learn\([\d_]+\)", ".learn(2_000)", code)


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_a_readme_block_runs_standalone(number, tmp_path):
    code = small(BLOCKS[number])
    if "DQN" in code:
        pytest.importorskip("torch")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "verdict" in done.stdout or "proxy" in done.stdout
