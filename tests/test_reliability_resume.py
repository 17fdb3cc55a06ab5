"""Interrupted training resumes from its last checkpoint and ends bit for bit where it would have."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from specgame.agents import SARSA, ExpectedSARSA, QLearning, TabularAgent
from specgame.agents import tabular as tabular_module
from specgame.app import cli

ROOT = Path(__file__).resolve().parent.parent
CLIFF = "specgame/CliffWalking-v0"
DECAYING = {"epsilon": 0.5, "epsilon_end": 0.01, "alpha": 0.5, "alpha_end": 0.05, "decay_fraction": 0.7}


def same_run(a: TabularAgent, b: TabularAgent) -> None:
    """Bit for bit: Q-table, generator, episode in progress, schedule and history."""
    assert np.array_equal(a.q, b.q)
    assert np.array_equal(a._rng, b._rng)
    assert np.array_equal(a._carry_i, b._carry_i) and np.array_equal(a._carry_f, b._carry_f)
    assert a._schedule_steps == b._schedule_steps
    for name in ("proxy_return", "intended_return", "length"):
        assert np.array_equal(getattr(a.history, name), getattr(b.history, name)), name


@pytest.mark.parametrize("algorithm", [SARSA, ExpectedSARSA, QLearning])
def test_checkpointed_learning_equals_plain_learning(algorithm, tmp_path):
    plain = algorithm(CLIFF, seed=5, **DECAYING).learn(20_000)
    checkpoint = tmp_path / "ckpt.npz"
    chunked = algorithm(CLIFF, seed=5, **DECAYING).learn(20_000, checkpoint=checkpoint, checkpoint_every=3_001)
    same_run(plain, chunked)
    same_run(plain, TabularAgent.load(checkpoint, CLIFF))


def test_checkpointed_learning_by_episodes_equals_plain_learning(tmp_path):
    plain = SARSA(CLIFF, seed=2, schedule_steps=30_000, **DECAYING).learn(episodes=60)
    chunked = SARSA(CLIFF, seed=2, schedule_steps=30_000, **DECAYING).learn(
        episodes=60, checkpoint=tmp_path / "c.npz", checkpoint_every=777)
    same_run(plain, chunked)
    assert chunked.episodes_done == 60


def test_a_crash_leaves_the_agent_at_its_last_checkpoint_and_resuming_ends_identically(tmp_path, monkeypatch):
    checkpoint = tmp_path / "ckpt.npz"
    saves = []
    real_save = tabular_module.TabularAgent.save

    def crash_on_third_save(self, path):
        if len(saves) == 2:
            raise KeyboardInterrupt  # Ctrl-C while the third checkpoint is being written
        real_save(self, path)
        saves.append(self.steps_done)

    monkeypatch.setattr(tabular_module.TabularAgent, "save", crash_on_third_save)
    agent = ExpectedSARSA(CLIFF, seed=9, **DECAYING)
    with pytest.raises(KeyboardInterrupt):
        agent.learn(25_000, checkpoint=checkpoint, checkpoint_every=4_000)
    monkeypatch.undo()
    assert saves == [4_000, 8_000]
    resumed = TabularAgent.load(checkpoint, CLIFF)
    same_run(agent, resumed)  # the agent in memory is its last checkpoint, not half a chunk
    resumed.learn(25_000 - resumed.steps_done, checkpoint=checkpoint, checkpoint_every=4_000)
    same_run(ExpectedSARSA(CLIFF, seed=9, **DECAYING).learn(25_000), resumed)


def test_an_interrupt_as_the_kernel_returns_leaves_the_agent_as_it_was(monkeypatch):
    """Ctrl-C during the numba kernel is raised when it returns, maybe half-way through copying
    its results into the agent: learn() undoes the whole call."""
    agent = QLearning(CLIFF, seed=3).learn(500)
    before = QLearning(CLIFF, seed=3).learn(500)

    class InterruptedHistory(tabular_module.History):
        def __new__(cls, *args):  # the last result copied: q and the generator are already new
            raise KeyboardInterrupt

    monkeypatch.setattr(tabular_module, "History", InterruptedHistory)
    with pytest.raises(KeyboardInterrupt):
        agent.learn(2_000)
    monkeypatch.undo()
    same_run(before, agent)
    same_run(before.learn(2_000), agent.learn(2_000))


def test_checkpoint_options_are_checked():
    agent = QLearning(CLIFF)
    with pytest.raises(ValueError, match="checkpoint_every must be a positive int, got 0"):
        agent.learn(100, checkpoint="x.npz", checkpoint_every=0)
    with pytest.raises(ValueError, match="total_steps or episodes"):
        agent.learn(checkpoint="x.npz")


# -- the command line ---------------------------------------------------------------------------

TRAIN = ["train", "CliffWalking-v0", "--agent", "sarsa", "--seed", "4", "--steps", "60000", "--alpha", "0.3",
         "--checkpoint-every", "7001"]

# Runs `specgame train` and stops it right after its first checkpoint: with SIGKILL from the
# parent (a crash) or with SIGINT (Ctrl-C).  The hooks make the moment deterministic:
# - "ctrl-c": the save hook raises SIGINT in the main thread itself; signal.raise_signal runs
#   the handler before it returns, so the KeyboardInterrupt is raised right there;
# - "ctrl-c-in-kernel": in the next chunk, another thread sends SIGINT to the main thread while
#   it enters the numba kernel; the hook waits for that thread before the chunk can be saved,
#   so the interrupt lands before, during or after the kernel call, never after the save.
# The child restores Python's own SIGINT handler first: a process started by one that ignores
# SIGINT (as some test runners' workers do) would otherwise inherit the ignoring.
CHILD = """
import os, signal, sys, threading, time
from specgame.app import cli
from specgame.agents import tabular

signal.signal(signal.SIGINT, signal.default_int_handler)
how = sys.argv[1]
real_save, real_train = tabular.TabularAgent.save, tabular.K.train
checkpoints = []

def save(self, path):
    real_save(self, path)
    if os.path.basename(path) == "checkpoint.npz":
        checkpoints.append(self.steps_done)
        print("checkpoint", self.steps_done, flush=True)
        if how == "ctrl-c":
            signal.raise_signal(signal.SIGINT)
        elif how == "kill":
            time.sleep(600)

def train(*args):
    if how != "ctrl-c-in-kernel" or not checkpoints:
        return real_train(*args)
    main = threading.main_thread().ident
    sender = threading.Thread(target=signal.pthread_kill, args=(main, signal.SIGINT))
    sender.start()
    recorded = real_train(*args)
    sender.join()  # the handler has run in the main thread: the interrupt is raised by now
    return recorded

tabular.TabularAgent.save = save
tabular.K.train = train
sys.exit(cli.main(sys.argv[2:]))
"""


def interrupted_train(how: str, out: Path) -> tuple[int, str]:
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CHILD), how, *TRAIN, "--out", str(out)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.split() == ["checkpoint", "7001"], (line, child.stderr.read() if child.poll() else "")
        if how == "kill":
            child.send_signal(signal.SIGKILL)
        _, stderr = child.communicate(timeout=1200)
    finally:
        if child.poll() is None:
            child.kill()
    return child.returncode, stderr


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("whole") / "run"
    assert cli.main([*TRAIN, "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("how", ["kill", "ctrl-c", "ctrl-c-in-kernel"])
def test_an_interrupted_specgame_train_resumes_to_the_same_q_table(how, uninterrupted, tmp_path):
    out = tmp_path / "run"
    status, stderr = interrupted_train(how, out)
    if how == "kill":
        assert status == -signal.SIGKILL
    else:
        assert status == 130, stderr
        assert "--resume" in stderr and "step 7,001" in stderr
    assert TabularAgent.load(out / "checkpoint.npz").steps_done == 7001
    assert not (out / "model.npz").exists()
    # A fresh start would throw the checkpoint away: refused.
    assert cli.main([*TRAIN, "--out", str(out)]) == 2
    assert cli.main([*TRAIN, "--out", str(out), "--resume"]) == 0
    whole, resumed = TabularAgent.load(uninterrupted / "model.npz"), TabularAgent.load(out / "model.npz")
    assert resumed.steps_done == 60_000
    same_run(whole, resumed)
    assert (out / "progress.csv").read_bytes() == (uninterrupted / "progress.csv").read_bytes()
    assert not (out / "checkpoint.npz").exists(), "the finished model replaces the checkpoint"


def test_resume_refuses_other_options_and_finished_runs(uninterrupted, tmp_path, capsys):
    changed = [*TRAIN, "--out", str(uninterrupted), "--resume"]
    changed[changed.index("--alpha") + 1] = "0.5"
    assert cli.main(changed) == 2
    assert "alpha=0.3, not 0.5" in capsys.readouterr().err
    assert cli.main([*TRAIN, "--out", str(uninterrupted), "--resume"]) == 2
    assert "has finished" in capsys.readouterr().err
    assert cli.main([*TRAIN, "--out", str(tmp_path / "never"), "--resume"]) == 2
    assert "no config.json" in capsys.readouterr().err
    assert cli.main([*TRAIN[:-1], "0", "--out", str(tmp_path / "x")]) == 2
    assert "--checkpoint-every must be a positive" in capsys.readouterr().err
