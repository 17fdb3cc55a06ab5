"""The specgame command, run in-process (one subprocess check for the console script)."""

import json
import subprocess
import sys

import pytest

from specgame.app.cli import main


def test_list_shows_every_env_with_its_proxy_and_intended(capsys):
    import specgame
    from specgame.envs import env_class

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for env_id in specgame.list_envs():
        assert env_id in out
        assert env_class(env_id).summary_proxy and env_class(env_id).summary_proxy[:15] in out


def test_train_writes_a_run_folder_that_loads_back(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "CliffWalking-v0", "--agent", "sarsa", "--steps", "20000", "--seed", "3",
                 "--out", str(out)]) == 0
    assert "aligned" in capsys.readouterr().out
    config = json.loads((out / "config.json").read_text())
    assert config["agent"] == "sarsa" and config["seed"] == 3
    assert (out / "progress.csv").read_text().startswith("episode,steps,length,proxy_return,intended_return")
    report = json.loads((out / "report.json").read_text())
    assert report["reports"][0]["policy"] == "sarsa"
    from specgame.agents import SARSA

    assert SARSA.load(out / "model.npz").steps_done == 20000


def test_compare_over_seeds_prints_one_row_per_agent(tmp_path, capsys):
    assert main(["compare", "BoatRaceLoop-v0", "--agents", "q-learning,sarsa", "--seeds", "2",
                 "--steps", "300000", "--json", str(tmp_path / "c.json")]) == 0
    out = capsys.readouterr().out
    assert "q-learning" in out and "sarsa" in out and "gaming (2/2)" in out
    assert set(json.loads((tmp_path / "c.json").read_text())) == {"q-learning", "sarsa"}


@pytest.mark.parametrize("argv, message", [
    (["train", "NoSuchEnv-v0"], "unknown environment 'NoSuchEnv-v0'"),
    (["train", "BoatRaceLoop-v0", "--agent", "ppo"], "unknown agent 'ppo'"),
    (["train", "BoatRaceLoop-v0", "--alpha", "1.5", "--steps", "10"], "alpha must be in (0, 1], got 1.5"),
    (["train", "BoatRaceLoop-v0", "--set", "laps=0"], "laps must be [1, 12], got 0"),
    (["compare", "BoatRaceLoop-v0", "--agents", "q-learning,dqn-x"], "unknown agent 'dqn-x'"),
    (["train", "BoatRaceLoop-v0", "--steps", "0"], "--steps must be a positive"),
])
def test_bad_input_is_one_clear_line(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_demo_shows_q_learning_gaming_and_writes_its_figures(tmp_path, capsys):
    assert main(["demo", "--steps", "300000", "--frames", "12", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for agent in ("q-learning", "sarsa", "expected-sarsa"):  # the README: every agent's verdict is gaming
        assert any(line.split("│")[1].strip() == agent and "gaming" in line for line in out.splitlines()
                   if line.count("│") > 2), agent
    assert "collect 12 targets and finish 3 laps" in out
    for name in ("learning_curves.png", "loop_strip.png", "loop.gif", "report.json"):
        assert (tmp_path / name).stat().st_size > 0
    reports = json.loads((tmp_path / "report.json").read_text())["reports"]
    assert {r["policy"]: r["verdict"] for r in reports} == dict.fromkeys(("q-learning", "sarsa", "expected-sarsa"),
                                                                         "gaming")
    import imageio.v3 as iio

    assert iio.imread(tmp_path / "loop.gif", index=None).shape[0] == 13  # the start and 12 steps


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "specgame.app.cli", "list"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and "BoatRaceLoop-v0" in result.stdout


def test_train_and_compare_accept_the_dqn(tmp_path, capsys):
    pytest.importorskip("torch")
    from specgame.agents import DQN

    out = tmp_path / "dqn"
    assert main(["train", "BoatRaceLoop-v0", "--agent", "dqn", "--steps", "1500", "--out", str(out)]) == 0
    assert "dqn" in capsys.readouterr().out
    agent = DQN.load(out / "model.pt")
    assert agent.steps_done == 1500
    report = json.loads((out / "report.json").read_text())["reports"][0]
    assert report["estimates"] is None  # exact: its greedy table was evaluated by the solver
    assert main(["compare", "CliffWalking-v0", "--agents", "dqn,sarsa", "--seeds", "1", "--steps", "1500"]) == 0
    assert "dqn" in capsys.readouterr().out
