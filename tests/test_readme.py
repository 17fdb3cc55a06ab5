"""The README's Python blocks run on their own, and every command of "The command" runs as written,
each with a small training budget."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from specgame.app.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)
SECTION = README.split("## The command\n", 1)[1].split("\n## ", 1)[0]
COMMANDS = [line.split("#", 1)[0].strip() for block in re.findall(r"```bash\n(.*?)```", SECTION, flags=re.S)
            for line in block.splitlines() if line.strip()]
SMALL = "1500"  # training steps: enough to run every stage, seconds in all

# Commands driven elsewhere, and why they are not run here.
ELSEWHERE = {
    "play": "it waits for a person at the keyboard; tests/test_play.py drives the real event loop with posted keys",
    "bench": "a benchmark takes as long as its measurement (20 s with --quick); tests/test_bench.py checks its "
             "parts (the C loop and search against the kernels)",
}


def small(code: str) -> str:
    """The block with every training budget cut to 2,000 steps."""
    return re.sub(r"\.learn\([\d_]+\)", ".learn(2_000)", code)


def test_the_readme_has_python_blocks_and_commands():
    assert len(BLOCKS) >= 2
    assert len(COMMANDS) >= 10 and all(c.startswith(("specgame ", "python -m specgame ")) for c in COMMANDS)


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


def as_run_here(command: str, tmp_path: Path) -> list[str]:
    """The command's arguments with small budgets: ``--steps`` cut (defaults come from
    SPECGAME_STEPS), sweeps on a copy of their config with small steps and one seed, episodes
    on screen or in a GIF cut to 10 steps, small tiles, windows at full speed."""
    argv = shlex.split(command)[1:]
    argv = [SMALL if i and argv[i - 1] == "--steps" else arg for i, arg in enumerate(argv)]
    if argv[0] == "sweep":
        config = (ROOT / argv[1]).read_text(encoding="utf-8")
        config = re.sub(r"(?m)^(\s*steps\s*=\s*)[\d_]+", rf"\g<1>{SMALL}", config)
        config = re.sub(r"(?m)^(\s*seeds\s*=\s*)\S+", r"\g<1>1", config)
        (tmp_path / "sweep.toml").write_text(config, encoding="utf-8")
        argv[1:2] = [str(tmp_path / "sweep.toml"), "--jobs", "1"]  # one process: no pool to start
    if argv[0] == "demo":
        argv += ["--frames", "2"]
    if argv[0] in ("watch", "record"):
        argv += ["--max-steps", "10", "--tile-size", "8"]
    if argv[0] == "watch":
        argv += ["--fps", "1000"]
    return argv


def test_every_command_runs_as_written_with_small_budgets(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # run folders, figures and GIFs land here
    monkeypatch.setenv("SPECGAME_STEPS", SMALL)
    has_torch = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0
    ran = []
    for command in COMMANDS:
        if command.startswith("python -m specgame "):
            done = subprocess.run([sys.executable, *shlex.split(command)[1:]], capture_output=True, text=True,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
            assert done.returncode == 0, (command, done.stderr[-2000:])
            ran.append(command)
            continue
        name = shlex.split(command)[1]
        if name in ELSEWHERE or ("--agent dqn" in command and not has_torch):
            continue
        status = main(as_run_here(command, tmp_path))
        assert status == 0, (command, capsys.readouterr().err[-2000:])
        ran.append(command)
    out = capsys.readouterr().out
    assert "gaming" in out and "race.gif" in out and "task(s)" in out
    assert {shlex.split(c)[1] for c in COMMANDS} - {shlex.split(c)[1] for c in ran} <= set(ELSEWHERE)
