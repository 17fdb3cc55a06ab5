"""Facts about the complete GapReport: trusted references, regret, evidence, rollouts, figures, CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from specgame.analysis.compare import GapReport, gap_report, gap_table, is_tabular_policy
from specgame.app.cli import main
from specgame.mdp import to_mdp
from specgame.solve import solve, uniform_policy

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
    assert is_tabular_policy(racer) and not is_tabular_policy(lambda obs: 0)
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


def test_compare_all_prints_every_env_and_agent_with_a_verdict(tmp_path, capsys):
    import specgame

    # The reward-level measures are tested in test_reward_distance, and the three tables
    # of millions of states in their own files; skipping them here saves minutes.
    assert main(["compare", "--all", "--no-danger", "--skip-large", "--agents", "q-learning", "--steps", "20000",
                 "--json", str(tmp_path / "all.json")]) == 0
    out = capsys.readouterr().out
    for env_id in specgame.list_envs(skip_large=True):
        assert env_id.split("/")[-1][:12] in out
    records = json.loads((tmp_path / "all.json").read_text())
    assert set(records) == set(specgame.list_envs()) - {f"specgame/{name}" for name in specgame.envs.LARGE}
    verdicts = {env: records[env]["agents"]["q-learning"]["reports"][0]["verdict"] for env in records}
    assert verdicts["specgame/BoatRaceLoop-v0"] == "gaming" and verdicts["specgame/CliffWalking-v0"] == "aligned"
    assert records["specgame/CliffWalking-v0"]["reward"] is None  # --no-danger


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
