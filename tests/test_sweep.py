"""Sweeps: configs expand to tasks, results are appended safely, re-runs skip what is done."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from specgame.app._malloc import tune_malloc
from specgame.app.cli import main
from specgame.app.sweep import TIMING_COLUMNS, Task, expand, load_config, read_results, run_sweep

ROOT = Path(__file__).resolve().parent.parent
SMALL = {"steps": 20_000, "seeds": 2,
         "grid": [{"env": "CliffWalking-v0", "agent": ["q-learning", "sarsa"],
                   "agent_params": {"alpha": [0.1, 0.5], "epsilon": 0.1}}]}


def results_without_timing(path) -> dict:
    return {row["task"]: {k: v for k, v in row.items() if k not in TIMING_COLUMNS} for row in read_results(path)}


def data_lines(path) -> list[str]:
    return Path(path).read_text().splitlines()[1:]


def long_path(tmp_path) -> Path:
    """A results file in a folder with a 150-character name: the printed lines that hold it are long
    whatever this machine's temporary folder is."""
    return tmp_path / ("results-" + "x" * 142) / "r.csv"


def line_with(text: str, printed: str) -> str:
    """The one printed line holding ``text``."""
    lines = [line for line in printed.splitlines() if text in line]
    assert len(lines) == 1, (text, printed)
    return lines[0]


# -- configs --------------------------------------------------------------------------------


def test_a_config_expands_to_the_product_of_its_axes_without_duplicates():
    config = {"steps": 1000, "seeds": [3, 5],
              "grid": [{"env": "BoatRaceLoop-v0", "agent": ["q-learning", "sarsa"],
                        "env_params": {"finish_bonus": [0, 20]}, "agent_params": {"alpha": 0.2}},
                       {"env": "specgame/BoatRaceLoop-v0", "agent": "sarsa", "seeds": [5],
                        "env_params": {"finish_bonus": 20}, "agent_params": {"alpha": 0.2}},
                       {"env": "CliffWalking-v0", "agent": "expected-sarsa", "steps": 50, "seeds": 2}]}
    tasks = expand(config)
    assert len(tasks) == 2 * 2 * 2 + 2  # the second block repeats a task of the first
    assert Task("specgame/BoatRaceLoop-v0", "sarsa", 5, 1000, {"finish_bonus": 20}, {"alpha": 0.2}) in tasks
    assert {(t.env, t.seed, t.steps) for t in tasks[-2:]} == {("specgame/CliffWalking-v0", s, 50) for s in (0, 1)}
    assert len({t.key for t in tasks}) == len(tasks)


@pytest.mark.parametrize("config, named", [
    ({"steps": 10, "grid": [{"env": "BoatRaceLoop-v0", "agent": "sarsa", "lr": 1}]}, "'lr'"),
    ({"steps": 10, "grid": [{"env": "BoatRaceLoop-v0", "agent": "sarsaa"}]},
     "agent must be one of .*got 'sarsaa' \\(did you mean 'sarsa'\\?\\)"),
    ({"steps": 10, "grid": [{"env": "BoatRaceLoop-v0", "agent": "dqn", "agent_params": {"alpha": 0.5}}]},
     "no setting 'alpha'.* the settings of dqn are"),
    ({"steps": 10, "grid": [{"env": "BoatRaceLoop-v0", "agent": "sarsa", "env_params": {"finsh_bonus": 5}}]},
     "no parameter 'finsh_bonus' \\(did you mean 'finish_bonus'\\?\\)"),
    ({"steps": 10, "grid": [{"env": "BoatRaceLoop-v0", "agent": "sarsa", "agent_params": {"alhpa": 0.5}}]},
     "no setting 'alhpa' \\(did you mean 'alpha'\\?\\)"),
    ({"steps": 10, "grid": [{"env": "BoatRaceLoop-v0", "agent": "sarsa", "env_params": {"laps": "abc"}}]},
     "laps must be .*got 'abc'"),
    ({"steps": 10, "grid": [{"env": "BoatRaceLoop-v0", "agent": "sarsa", "agent_params": {"alpha": [0.5, 7]}}]},
     "alpha must be in \\(0, 1\\], got 7"),
    ({"steps": 10, "grid": [{"env": "NoSuchEnv-v0", "agent": "sarsa"}]}, "'NoSuchEnv-v0'"),
    ({"steps": 10, "seeds": 0, "grid": [{"env": "BoatRaceLoop-v0", "agent": "sarsa"}]}, "seeds"),
    ({"steps": -5, "grid": [{"env": "BoatRaceLoop-v0", "agent": "sarsa"}]}, "-5"),
    ({"grid": [{"env": "BoatRaceLoop-v0", "agent": "sarsa"}]}, "steps"),
    ({"steps": 10, "grid": []}, "grid"),
    ({"steps": 10, "grid": [{"env": "BoatRaceLoop-v0", "agent": "sarsa", "agent_params": {"alpha": []}}]},
     "alpha"),
])
def test_a_bad_config_is_refused_naming_the_bad_value(config, named):
    with pytest.raises(ValueError, match=named):
        expand(config)


def test_the_example_config_reads_as_toml_and_means_the_same_as_json(tmp_path):
    config = load_config(ROOT / "examples" / "sweep.toml")
    tasks = expand(config)
    assert len(tasks) == 3 * 3 * 3 + 2 * 2 * 3  # boat: agents x bonuses x seeds; cliff: agents x alphas x seeds
    (tmp_path / "same.json").write_text(json.dumps(config))
    assert expand(load_config(tmp_path / "same.json")) == tasks
    (tmp_path / "bad.toml").write_text("steps = [")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config(tmp_path / "bad.toml")
    with pytest.raises(ValueError, match=r"\.json or \.toml"):
        load_config(tmp_path / "sweep.yaml")


# -- running --------------------------------------------------------------------------------


def test_a_failing_task_is_recorded_and_does_not_stop_the_others(tmp_path):
    # A config with alpha = 7 is refused before it runs (above); tasks given directly are not checked.
    config = [Task("specgame/CliffWalking-v0", "q-learning", seed, 5000) for seed in (0, 1)] + [
        Task("specgame/CliffWalking-v0", "sarsa", seed, 5000, agent_params={"alpha": 7}) for seed in (0, 1)]
    out = tmp_path / "results.csv"
    summary = run_sweep(config, out, n_jobs=1)
    assert (summary.tasks, summary.finished, summary.failed) == (4, 2, 2)
    rows = read_results(out)
    failed = [row for row in rows if row["status"] == "error"]
    assert len(failed) == 2 and all("alpha must be in (0, 1], got 7" in row["error"] for row in failed)
    assert {row["verdict"] for row in rows if row["status"] == "ok"} == {"aligned"}

    again = run_sweep(config, out, n_jobs=1)  # failures count as done ...
    assert (again.skipped, again.finished, again.failed) == (4, 0, 0)
    retried = run_sweep(config, out, n_jobs=1, retry_failed=True)  # ... unless asked to retry them
    assert (retried.skipped, retried.failed) == (2, 2)
    assert len(data_lines(out)) == 6


def test_a_sweep_on_a_dask_cluster_matches_the_local_one_and_a_rerun_runs_nothing(tmp_path):
    distributed = pytest.importorskip("distributed")
    local, on_dask = tmp_path / "local.csv", tmp_path / "dask.csv"
    first = run_sweep(SMALL, local, n_jobs=2)
    assert (first.tasks, first.finished, first.failed) == (8, 8, 0)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        hosts = []
        summary = run_sweep(SMALL, on_dask, scheduler=cluster.scheduler_address, on_row=hosts.append)
        assert summary.finished == 8
        rerun = run_sweep(SMALL, on_dask, scheduler=cluster.scheduler_address, on_row=hosts.append)
    assert (rerun.skipped, rerun.finished, rerun.failed) == (8, 0, 0) and len(hosts) == 8
    assert results_without_timing(on_dask) == results_without_timing(local)
    assert run_sweep(SMALL, local, n_jobs=2).skipped == 8
    assert len(data_lines(local)) == len(data_lines(on_dask)) == 8


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path):
    pytest.importorskip("distributed")
    with pytest.raises(ValueError, match="scheduler must be an address"):
        run_sweep(SMALL, tmp_path / "r.csv", scheduler="localhost")


# -- surviving a kill -----------------------------------------------------------------------


def test_a_killed_sweep_loses_no_finished_row_and_the_rerun_completes_it(tmp_path):
    config = tmp_path / "slow.json"
    config.write_text(json.dumps({"steps": 3_000_000, "seeds": 12,
                                  "grid": [{"env": "CliffWalking-v0", "agent": "q-learning"}]}))
    out = tmp_path / "results.csv"
    sweep = subprocess.Popen([sys.executable, "-m", "specgame.app.cli", "sweep", str(config), "--out", str(out),
                              "--jobs", "1"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
    deadline = time.monotonic() + 1200  # a guard against a hang: a loaded machine can be slow
    while (not out.exists() or len(data_lines(out)) < 2) and sweep.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(sweep.pid, signal.SIGKILL)  # no chance to clean up, as on a power cut
    sweep.wait()
    sweep.stderr.close()
    before = data_lines(out)
    assert 2 <= len(before) < 12, "the sweep should have been killed midway"

    summary = run_sweep(config, out, n_jobs=1)
    after = data_lines(out)
    assert after[:len(before)] == before  # every row written before the kill is still there, unchanged
    assert summary.skipped == len(before) and summary.finished == 12 - len(before)
    rows = read_results(out)
    assert len(rows) == len(after) == 12 and {row["status"] for row in rows} == {"ok"}


def test_a_torn_last_line_is_cut_off_and_its_task_run_again(tmp_path):
    out = tmp_path / "results.csv"
    run_sweep(SMALL, out, n_jobs=1)
    lines = out.read_text().splitlines(keepends=True)
    torn = lines[-1][: len(lines[-1]) // 2]  # a kill in the middle of writing the last row
    out.write_text("".join(lines[:-1]) + torn)
    assert len(read_results(out)) == 7  # the torn row is not read as a result

    summary = run_sweep(SMALL, out, n_jobs=1)
    assert (summary.skipped, summary.finished) == (7, 1)
    assert out.read_text().splitlines(keepends=True)[:-1] == lines[:-1]
    assert len(read_results(out)) == 8 and len(data_lines(out)) == 8


def test_a_results_file_of_another_kind_is_not_appended_to(tmp_path):
    out = tmp_path / "other.csv"
    out.write_text("episode,steps\n1,2\n")
    with pytest.raises(ValueError, match="not a specgame sweep results file"):
        run_sweep(SMALL, out, n_jobs=1)
    assert out.read_text() == "episode,steps\n1,2\n"


# -- the command and the workers ------------------------------------------------------------


def test_the_sweep_command_reports_each_task_and_skips_them_the_second_time(tmp_path, capsys):
    config = tmp_path / "small.json"
    config.write_text(json.dumps(SMALL))
    out = long_path(tmp_path)
    assert main(["sweep", str(config), "--out", str(out), "--jobs", "1"]) == 0
    printed = capsys.readouterr().out  # not a terminal: every line whole, however long
    assert printed.count("aligned") == 8
    assert f"8 task(s): 0 already in {out}, 8 finished now, 0 failed, in " in line_with("finished now", printed)
    assert sum("seed" in line and "aligned" in line for line in printed.splitlines()) == 8  # a task, a line
    assert main(["sweep", str(config), "--out", str(out), "--jobs", "1"]) == 0
    assert f"8 already in {out}, 0 finished now" in line_with("finished now", capsys.readouterr().out)
    assert main(["sweep", str(tmp_path / "missing.toml"), "--out", str(out)]) == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_worker_malloc_tuning_takes_on_linux(monkeypatch):
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert tune_malloc() is True
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == str(64 * 1024 * 1024)


def test_the_sweep_command_refuses_a_misspelt_parameter_before_any_task_runs(tmp_path, capsys):
    config = tmp_path / "typo.toml"
    config.write_text('steps = 1000\n[[grid]]\nenv = "BoatRaceLoop-v0"\nagent = "q-learning"\n'
                      'env_params = { finish_bonus = [0, 20], finsh_bonus = 5 }\n')
    out = tmp_path / "r.csv"
    assert main(["sweep", str(config), "--out", str(out), "--jobs", "1"]) == 2
    assert "did you mean 'finish_bonus'?" in capsys.readouterr().err
    assert not out.exists()  # nothing ran


def test_a_sweep_with_failed_tasks_exits_non_zero_with_a_summary(tmp_path, capsys, monkeypatch):
    import specgame.app.sweep as sweep

    real = sweep.expand
    # A task that passes the checks and fails while running: alpha = 7 slipped past them.
    monkeypatch.setattr(sweep, "expand", lambda config: [*real(config), Task("specgame/CliffWalking-v0", "sarsa", 0,
                                                                            1000, agent_params={"alpha": 7})])
    config = tmp_path / "small.json"
    config.write_text(json.dumps({"steps": 1000, "grid": [{"env": "CliffWalking-v0", "agent": "sarsa"}]}))
    out = long_path(tmp_path)
    assert main(["sweep", str(config), "--out", str(out), "--jobs", "1"]) == 1
    captured = capsys.readouterr()
    assert f"{out}, 1 finished now, 1 failed" in line_with("finished now", captured.out)
    failure = line_with("error", captured.out)
    assert "sarsa seed 0 (alpha=7): error ValueError: alpha must be in (0, 1], got 7" in failure
    assert f"1 of 2 task(s) failed; their errors are in {out}" in captured.err
