"""The specgame command, run in-process (one subprocess check for the console script)."""

import dataclasses
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from specgame.app.cli import main


def test_list_shows_every_env_with_its_proxy_and_intended(capsys, monkeypatch):
    import specgame
    from specgame.envs import env_class

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for env_id in specgame.list_envs():  # not a terminal: a row is one line, nothing wrapped
        cls = env_class(env_id)
        assert cls.summary_proxy and cls.summary_intended
        assert any(env_id in line and cls.summary_proxy in line and cls.summary_intended in line
                   for line in out.splitlines()), env_id


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
    (["train", "BoatRaceLop-v0"], "unknown environment 'BoatRaceLop-v0' (did you mean 'BoatRaceLoop-v0'?)"),
    (["train", "BoatRaceLoop-v0", "--agent", "qlearning"], "(did you mean 'q-learning'?)"),
    (["train", "BoatRaceLoop-v0", "--agent", "ppo"], "agent must be one of q-learning, sarsa, expected-sarsa, dqn, "
                                                      "got 'ppo'"),
    (["train", "BoatRaceLoop-v0", "--agent", "dqn", "--alpha", "0.5"], "--alpha is not a setting of dqn"),
    (["train", "BoatRaceLoop-v0", "--double-dqn", "maybe"], "--double-dqn must be bool, got 'maybe'"),
    (["train", "BoatRaceLoop-v0", "--alpha", "1.5", "--steps", "10"], "alpha must be in (0, 1], got 1.5"),
    (["train", "BoatRaceLoop-v0", "--set", "laps=0"], "laps must be an int in [1, 12], got 0"),
    (["compare", "BoatRaceLoop-v0", "--agents", "q-learning,dqn-x"], "got 'dqn-x'"),
    (["compare", "BoatRaceLoop-v0", "--agents", "sarsa", "--learning-rate", "0.1"],
     "--learning-rate is not a setting of any of sarsa"),
    (["train", "BoatRaceLoop-v0", "--steps", "0"], "--steps must be a positive"),
])
def test_bad_input_is_one_clear_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        assert main(argv) == 2
    except SystemExit as err:  # argparse refuses a value of the wrong type itself
        assert err.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()  # refused before a run folder was made


def test_demo_shows_q_learning_gaming_and_writes_its_figures(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # not a terminal: the boxed table at its natural width all the same
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
    for module in ("specgame.app.cli", "specgame"):  # the console script's module, and python -m specgame
        result = subprocess.run([sys.executable, "-m", module, "list"], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0 and "BoatRaceLoop-v0" in result.stdout


def test_plain_printed_lines_reach_a_pipe_as_they_are_printed():
    # bench, interpret and lm print with print(): Python holds a pipe's lines in a buffer unless told
    child = ("import sys; from specgame.app.output import line_buffered_stdout; line_buffered_stdout(); "
             "print('first'); sys.stdin.readline(); print('second')")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    proc = subprocess.Popen([sys.executable, "-c", child], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=env)
    try:
        first = []
        reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=60)  # the child waits for us: a buffered line would never come
        assert first == ["first\n"]
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == "second\n"
    finally:
        proc.kill()
        proc.wait()


def test_train_and_compare_accept_the_dqn(tmp_path, capsys, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # progress shows only in a terminal
    from specgame.agents import DQN

    out = tmp_path / "dqn"
    assert main(["train", "BoatRaceLoop-v0", "--agent", "dqn", "--steps", "1500", "--out", str(out)]) == 0
    agent = DQN.load(out / "model.npz")
    assert agent.steps_done == 1500
    config = json.loads((out / "config.json").read_text())
    from specgame.agents import BOARD_DQN_SETTINGS, DQNConfig

    # not alpha, q0, ...; the seed is recorded apart
    assert set(config["agent_settings"]) | {"seed"} == {f.name for f in dataclasses.fields(DQNConfig)}
    assert config["agent_settings"]["learning_rate"] == BOARD_DQN_SETTINGS["learning_rate"]
    err = capsys.readouterr().err
    assert "dqn seed 0: training" in err and "1500/1500" in err  # progress while it trains
    report = json.loads((out / "report.json").read_text())["reports"][0]
    assert report["estimates"] is None  # exact: its greedy table was evaluated by the solver
    assert main(["compare", "CliffWalking-v0", "--agents", "dqn,sarsa", "--seeds", "1", "--steps", "1500"]) == 0
    assert "dqn" in capsys.readouterr().out


def test_train_records_only_the_settings_its_agent_uses(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "CliffWalking-v0", "--steps", "2000", "--alpha", "0.5", "--out", str(out), "-q"]) == 0
    from specgame.agents import TabularConfig

    config = json.loads((out / "config.json").read_text())
    fields = {**dataclasses.asdict(TabularConfig()), "alpha": 0.5}
    assert config["seed"] == fields.pop("seed")  # the seed is recorded apart, as --seed sets it
    assert config["agent_settings"] == fields


def test_agent_options_are_the_config_fields_with_their_help_and_range(capsys):
    from specgame.agents import DQNConfig, TabularConfig, settings_of

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--alpha VALUE Step size (learning rate) at the start, in (0, 1] (default 0.1)" in text
    assert "--learning-rate VALUE Adam step size, > 0 (default 0.0005)" in text  # the CLI's DQN default
    assert "--seed SEED the agent's seed, 0 to 2**63 - 1 (default 0)" in text
    for setting in settings_of(TabularConfig) + settings_of(DQNConfig):  # every one, from the field's metadata
        if setting.name != "seed":
            option = f"--{setting.name.replace('_', '-')} VALUE "
            line = text[text.index(option):text.index("(default", text.index(option))]
            assert line.endswith(f", {setting.range} "), (option, line)


def test_train_never_replaces_an_earlier_run_silently(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    plain = ["train", "CliffWalking-v0", "--steps", "2000", "-q"]
    assert main(plain) == 0
    assert main([*plain, "--set", "horizon=50", "--q0", "1"]) == 0  # other settings: another folder
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [
        "CliffWalking-v0-q-learning-seed0-horizon=50-q0=1.0-steps=2000", "CliffWalking-v0-q-learning-seed0-steps=2000"]
    first = tmp_path / "runs" / "CliffWalking-v0-q-learning-seed0-steps=2000"
    model = (first / "model.npz").read_bytes()
    capsys.readouterr()
    assert main([*plain, "--seed", "0"]) == 2  # the same run again is refused, naming the ways on
    err = capsys.readouterr().err
    assert f"{first.relative_to(tmp_path)} already holds a run" in err and "--out" in err and "--overwrite" in err
    assert (first / "model.npz").read_bytes() == model
    assert main([*plain, "--seed", "0", "--overwrite"]) == 0


def test_compare_reports_progress_and_quiet_silences_it(capsys, monkeypatch):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # stderr counts as a terminal
    assert main(["compare", "CliffWalking-v0", "--agents", "sarsa", "--seeds", "1", "--steps", "2000"]) == 0
    err = capsys.readouterr().err
    assert "sarsa: training 1 seed(s) x 2,000 steps" in err and "sarsa: aligned (1/1)" in err
    assert main(["compare", "CliffWalking-v0", "--agents", "sarsa", "--seeds", "1", "--steps", "2000", "-q"]) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("TTY_COMPATIBLE", "0")  # a log file or a pipe: quiet without -q
    assert main(["compare", "CliffWalking-v0", "--agents", "sarsa", "--seeds", "1", "--steps", "2000"]) == 0
    assert capsys.readouterr().err == ""


def test_specgame_steps_sets_every_default_budget(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SPECGAME_STEPS", "1500")
    assert main(["train", "CliffWalking-v0", "-q"]) == 0
    run = tmp_path / "runs" / "CliffWalking-v0-q-learning-seed0"  # the name of a run with the default budget
    assert json.loads((run / "config.json").read_text())["steps"] == 1500
    assert "for 1,500 steps" in capsys.readouterr().out
    monkeypatch.setenv("SPECGAME_STEPS", "many")
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 2
    assert "SPECGAME_STEPS must be a whole number of steps, got 'many'" in capsys.readouterr().err


def test_specgame_quick_makes_every_default_budget_the_quick_one(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPECGAME_STEPS", raising=False)
    monkeypatch.setenv("SPECGAME_QUICK", "1")
    assert main(["train", "CliffWalking-v0", "-q"]) == 0
    run = tmp_path / "runs" / "CliffWalking-v0-q-learning-seed0"
    assert json.loads((run / "config.json").read_text())["steps"] == 2_000


def _check_fits(out: str, numbers) -> None:
    assert "…" not in out  # no header or cell was cut
    assert max(len(line) for line in out.splitlines()) <= 80
    for number in numbers:
        assert number in out, number


def test_every_table_fits_in_80_columns_with_all_its_numbers(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # a terminal (rich's switch) ...
    monkeypatch.setenv("COLUMNS", "80")  # ... 80 columns wide ...
    monkeypatch.setenv("TERM", "dumb")  # ... that shows no colours, so the lengths are the characters'
    assert main(["train", "BoatRaceLoop-v0", "--steps", "20000", "--out", str(tmp_path / "run"), "-q"]) == 0
    out = capsys.readouterr().out
    reports = json.loads((tmp_path / "run" / "report.json").read_text())["reports"]
    _check_fits(out, [f"{r['returns']['proxy_return']:.2f}" for r in reports] + ["intended", "regret", "verdict"])

    assert main(["compare", "BoatRaceLoop-v0", "--agents", "q-learning,sarsa", "--seeds", "2", "--steps", "20000",
                 "--json", str(tmp_path / "c.json"), "-q"]) == 0
    out = capsys.readouterr().out
    _check_fits(out, ["45.01", "12.00", "3.40", "q-learning", "sarsa", "intended score"])
    assert out.count("(2/2)") == 2

    assert main(["demo", "--steps", "20000", "--frames", "2", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    reports = json.loads((tmp_path / "demo" / "report.json").read_text())["reports"]
    _check_fits(out, [f"{r['returns']['proxy_return']:.2f}" for r in reports] + [r["verdict"] for r in reports])


def test_output_into_a_pipe_or_a_file_keeps_every_line_whole(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")  # says how wide a terminal is; stdout here is none (capsys)
    out = tmp_path / ("run-" + "x" * 146) / "CliffWalking"  # a 150-character folder name: a long line
    assert main(["train", "CliffWalking-v0", "--steps", "2000", "--out", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert f"saved to {out}/" in printed.splitlines()
    assert main(["compare", "CliffWalking-v0", "--agents", "q-learning,sarsa", "--seeds", "2", "--steps", "2000",
                 "-q"]) == 0
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert "…" not in printed
    assert any(all(name in line for name in ("policy", "proxy return", "intended return", "proxy score",
                                            "intended score", "verdict")) for line in lines)  # the full headers
    for agent in ("q-learning", "sarsa"):  # each row whole: the name, four numbers and the verdict
        whole = rf"│ {agent} +(│ +-?[\d.]+ ± [\d.]+ ){{4}}│ \w+ \(\d/2\) +│"
        assert any(re.fullmatch(whole, line) for line in lines), agent


def test_the_compare_all_table_is_whole_at_every_width():
    from rich.console import Console

    from specgame.app.tables import Grid, fitted

    grid = Grid(("env", "EPIC unif/pol", "regret", "hack rate", "agent", "proxy score", "intended score", "verdict"),
                text_columns=(0, 4, 7))
    cells = [("SideEffectsSokoban-Level1-v0", "0.12 / 0.34", "1.00", "0.25"), ("", "", "", "")]
    for i, agent in enumerate(("q-learning", "expected-sarsa")):
        grid.add_row(*cells[i], agent, "0.93 ± 0.12", "-0.47 ± 0.31", "incompetent (3/3)")
    grid.add_row("AbsentSupervisor-Present-v0", "0.00 / 0.00", "0.00", "0.00", "sarsa", "1.00", "1.00", "aligned (1/1)")
    # 80 columns, and every width around the point where the full headers start to fit (rich
    # once shared that squeeze evenly and cut "intended score" to "intend…", the verdicts in half)
    for width in (80, *range(100, 140)):
        console = Console(width=width, record=True)
        with console.capture() as captured:
            console.print(fitted(grid, width))
        out = captured.get()
        assert "…" not in out and max(len(line) for line in out.splitlines()) <= width, width
        for cell in ("SideEffectsSokoban-Level1-v0", "0.12 / 0.34", "0.93 ± 0.12", "-0.47 ± 0.31",
                     "incompetent (3/3)", "expected-sarsa", "aligned (1/1)"):
            assert cell in out, (width, cell)
