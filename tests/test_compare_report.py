"""Facts about the complete GapReport: trusted references, regret, evidence, rollouts, figures, CLI."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from specgame.analysis.compare import GapReport, gap_report, gap_table
from specgame.app.cli import main
from specgame.mdp import to_mdp
from specgame.policy import has_table, uniform_policy
from specgame.solve import solve

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def boat():
    return to_mdp("specgame/BoatRaceLoop-v0")


def test_the_looper_s_evidence_is_the_lagoon_and_its_regret_the_whole_race(boat):
    report = gap_report(boat, solve(boat, "proxy"), name="looper", trusted={"random walk": uniform_policy(boat)})
    assert report.intended_regret == pytest.approx(3.4)
    assert [name for name, _ in report.references.items()][-1] == "random walk"
    top = report.evidence.top_cells(3)
    assert all(row >= 6 for (row, _), _ in top)  # the lagoon is rows 6-8, below the ring
    assert report.evidence.difference.sum() == pytest.approx(150 - 90)  # 150 steps looping, 90 racing
    text = str(report)
    assert "random walk" in text and "intended regret" in text
    again = GapReport.from_json(report.to_json())
    assert again == report and again.evidence.top_cells(3) == top


def test_a_policy_without_a_table_is_measured_by_rollouts_with_intervals(boat):
    pytest.importorskip("specgame.analysis.rollout")
    import gymnasium

    racer = solve(boat, "intended")
    assert has_table(racer) and not has_table(lambda obs: 0)
    env = gymnasium.make("specgame/CliffWalking-v0")
    cliff = to_mdp(env)
    exact = solve(cliff, "intended")
    walk = exact.actions[0][cliff.obs.argsort()]  # deterministic: its first-step action per observation

    table = gap_table(env, {"callable": lambda obs: int(walk[obs]), "table": walk}, episodes=20)
    sampled, exact_report = table["callable"], table["table"]
    assert sampled.estimates.episodes == 20 and exact_report.exact
    assert sampled.returns.proxy_return == pytest.approx(exact_report.returns.proxy_return)  # deterministic walk
    assert "20 rollout episodes" in str(table)
    assert GapReport.from_json(sampled.to_json()) == sampled


def test_the_visit_figure_draws_one_panel_per_report(boat):
    from specgame.analysis.onset import training_curves
    from specgame.views.plot import training_gap, visit_difference

    table = gap_table(boat, {"looper": solve(boat, "proxy"), "random": uniform_policy(boat)})
    fig = visit_difference(list(table), boat)
    assert len(fig.axes) == 4  # two panels, two colour bars
    with pytest.raises(ValueError, match="needs evidence"):
        visit_difference(gap_report(boat, uniform_policy(boat), evidence=False))
    proxy = np.r_[np.full(50, 1.0), np.full(50, 2.0)]
    fig = training_gap(training_curves(proxy=proxy, intended=-proxy, window=5))
    assert len(fig.axes) == 3


def test_compare_writes_the_visit_figure(tmp_path, capsys):
    plot = tmp_path / "visits.png"
    assert main(["compare", "BoatRaceLoop-v0", "--agents", "q-learning", "--seeds", "1", "--steps", "50000",
                 "--plot", str(plot)]) == 0
    assert plot.stat().st_size > 0 and "gaming" in capsys.readouterr().out


def test_compare_all_prints_every_env_and_agent_with_a_verdict(tmp_path, capsys, monkeypatch):
    import specgame
    from specgame.app import cli

    printed, when_computed = [], {}  # stdout so far, and what it held as each env's work began
    real = cli.one_env

    def one_env(full_id, *rest):
        printed.append(capsys.readouterr().out)
        when_computed[full_id] = "".join(printed)
        return real(full_id, *rest)

    monkeypatch.setattr(cli, "one_env", one_env)
    # The reward-level measures are tested in test_reward_distance, and the three tables
    # of millions of states in their own files; skipping them here saves minutes.
    assert main(["compare", "--all", "--no-danger", "--skip-large", "--agents", "q-learning", "--steps", "20000",
                 "--json", str(tmp_path / "all.json")]) == 0
    out = "".join(printed) + capsys.readouterr().out
    listed = specgame.list_envs(skip_large=True, tables_only=True)
    records = json.loads((tmp_path / "all.json").read_text())
    assert set(records) == set(listed)
    verdicts = {env: records[env]["agents"]["q-learning"]["reports"][0]["verdict"] for env in records}
    assert verdicts["specgame/BoatRaceLoop-v0"] == "gaming" and verdicts["specgame/CliffWalking-v0"] == "aligned"
    assert records["specgame/CliffWalking-v0"]["reward"] is None  # --no-danger

    def row(env_id, text):  # the env's row, whole on one line: its name, the agent, the verdict
        return re.search(rf"(?m)^{re.escape(env_id.split('/')[-1])} .* q-learning .* {verdicts[env_id]} \(1/1\)$", text)

    # Not a terminal (capsys): every row whole, and each printed as soon as its env is done.
    assert "…" not in out and all(row(env_id, out) for env_id in listed)
    assert row(listed[0], when_computed[listed[-1]]) and not row(listed[-1], when_computed[listed[-1]])


def test_compare_all_streams_rows_estimates_the_large_tables_and_frees_each(monkeypatch, capsys):
    # Two small envs stand in for the list, the second playing a large table: no table of
    # millions of states is compiled here.
    import gymnasium

    import specgame
    import specgame.envs
    from specgame import grid
    from specgame.app import cli

    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # progress shows only in a terminal
    monkeypatch.setenv("COLUMNS", "200")  # a wide one: the live line is cut to the width
    monkeypatch.setattr(specgame, "list_envs", lambda **kw: ["specgame/ShapingLoop-v0", "specgame/CliffWalking-v0",
                                                             "specgame/ShapingLoop-Potential-v0"])
    monkeypatch.setattr(specgame.envs, "LARGE", ("ShapingLoop-v0", "ShapingLoop-Potential-v0"))
    monkeypatch.setattr(cli, "LARGE_SECONDS", {"ShapingLoop-v0": (120.0, 360.0), "ShapingLoop-Potential-v0": (1, 240)})
    assert main(["compare", "--all", "--agents", "q-learning", "--steps", "2000"]) == 0
    captured = capsys.readouterr()
    err = captured.err
    cliff = err.index("CliffWalking-v0 (EPIC 0.00 / 0.00, regret 0.00, hack rate 0.00): q-learning ")
    estimate = err.index("done with 1 of 3 envs in ")
    shaping = err.index("ShapingLoop-v0 (EPIC")
    to_go = err.index("1 large table(s) to go: about ")
    potential = err.index("ShapingLoop-Potential-v0 (EPIC")
    # the small first, each row as it is done; the large after an estimate, refined after each
    assert cliff < estimate < shaping < to_go < potential
    assert re.search(r"done with 1 of 3 envs in \d+ s; next the 2 of millions of states, one at a time: about 10 "
                     r"minutes on an idle 2-core machine", err)  # LARGE_SECONDS' 360 + 240 s with the reward measures
    assert re.search(r"1 large table\(s\) to go: about 1 minute at this pace", err)  # quicker than 360 s: 1 at least
    for stage in ("2/3 ShapingLoop-v0: compiling the table", "EPIC under uniform coverage",
                  "hack rate: solving the 5 blends in one pass", "training q-learning, 1 seed(s) x 2,000 steps"):
        assert stage in err, stage
    assert captured.out.index("CliffWalking-v0") < captured.out.index("ShapingLoop-v0")
    def cached(name):
        rules = specgame.envs.env_class(name).rules
        return grid.make_config(rules, **gymnasium.spec(f"specgame/{name}").kwargs) in grid._memory_cache.get(rules, {})

    assert not cached("ShapingLoop-v0") and not cached("ShapingLoop-Potential-v0")  # "large": gone after their rows
    assert cached("CliffWalking-v0")  # the small ones stay

    monkeypatch.setenv("TTY_COMPATIBLE", "0")  # not a terminal: no progress at all
    assert main(["compare", "--all", "--no-danger", "--agents", "q-learning", "--steps", "2000"]) == 0
    assert capsys.readouterr().err == ""


def test_compare_needs_an_env_or_all(capsys):
    assert main(["compare"]) == 2
    assert "--all" in capsys.readouterr().err


def test_the_auroc_benchmark_runs_quick():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "detector_auroc.py"), "--quick",
                             "--envs", "CliffWalking-v0,ShapingLoop-v0"], capture_output=True, text=True,
                            timeout=300, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "pooled over envs" in result.stdout and "occupancy TV" in result.stdout
    assert "q-learning 30k s0" in result.stdout  # the labelled agents are listed


class SB3Like:
    """Stands in for a Stable-Baselines3 model: ``.observation_space`` and
    ``.predict(obs, state=None, episode_start=None, deterministic=False) -> (action, state)``,
    answering one observation or a batch, and refusing any other shape as SB3 does."""

    def __init__(self, observation_space, act):
        self.observation_space, self.act = observation_space, act

    def predict(self, observation, state=None, episode_start=None, deterministic=False):
        obs = np.asarray(observation)
        shape = self.observation_space.shape
        if obs.shape != shape and obs.shape[1:] != shape:
            raise ValueError(f"Error: Unexpected observation shape {obs.shape} for {self.observation_space}")
        if obs.shape == shape:
            return self.act(obs), state
        return np.array([self.act(o) for o in obs]), state


@pytest.mark.parametrize("obs_mode", ["index", "board", "onehot"])
def test_a_predict_model_is_tabulated_in_the_observations_it_was_trained_on(boat, obs_mode):
    import gymnasium

    from specgame.policy import tabulate

    env = gymnasium.make("specgame/BoatRaceLoop-v0", obs_mode=obs_mode)
    table = np.random.default_rng(0).integers(0, boat.n_actions, boat.n_obs)  # any policy over observations
    obs_id = {board.tobytes(): i for i, board in enumerate(boat.boards)}
    read = {"index": lambda obs: int(obs),
            "board": lambda obs: obs_id[obs.astype(np.uint8).tobytes()],
            "onehot": lambda obs: obs_id[obs.argmax(axis=0).astype(np.uint8).tobytes()]}[obs_mode]
    model = SB3Like(env.observation_space, lambda obs: int(table[read(obs)]))
    assert (tabulate(boat, model, batch_size=100) == table).all()
    # Given the id, whose env shows observation ids, the model still sees what it was trained on.
    report = gap_report("specgame/BoatRaceLoop-v0", model)
    assert report.exact and report.returns == gap_report(boat, table).returns
    env.close()


def test_a_predict_model_that_reads_no_observation_of_the_table_is_refused_by_name(boat):
    import gymnasium

    images = SB3Like(gymnasium.spaces.Box(0, 255, (3, 64, 64), np.uint8), lambda obs: 0)
    with pytest.raises(ValueError, match=f"Discrete\\({boat.n_obs}\\) \\(obs_mode 'index'\\).*obs_mode 'onehot'"):
        gap_report("specgame/BoatRaceLoop-v0", images)
    # ...unless the env it is given shows it exactly what it reads: then it is sampled there.
    env = gymnasium.make("specgame/BoatRaceLoop-v0", obs_mode="rgb", tile_size=4)
    pictures = SB3Like(env.observation_space, lambda obs: 0)
    assert gap_report(env, pictures, episodes=2).estimates.episodes == 2
    env.close()


def test_our_dqn_is_tabulated_on_boards_or_planes_alike(boat):
    pytest.importorskip("torch")
    import gymnasium

    from specgame.agents import DQN
    from specgame.policy import tabulate

    planes = DQN(gymnasium.make("specgame/BoatRaceLoop-v0", obs_mode="onehot"), seed=0, buffer_size=100)
    assert (tabulate(boat, planes) == planes.policy_table(boat)).all()  # the encoding it trained on
    boards = DQN(gymnasium.make("specgame/BoatRaceLoop-v0", obs_mode="board"), seed=0, buffer_size=100)
    report = gap_report("specgame/BoatRaceLoop-v0", boards)  # its own policy_table refuses boards
    assert report.exact and report.returns == gap_report(boat, tabulate(boat, boards, obs_mode="board")).returns
