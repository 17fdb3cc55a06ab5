"""Figures: learning curves over seeds, the gap figure, the phase diagram."""

import gymnasium as gym
import numpy as np
import pytest

from specgame.agents import QLearning, train_seeds
from specgame.analysis.compare import gap_table
from specgame.views.plot import gap_figure, learning_curves, phase_diagram


@pytest.fixture(scope="module")
def cliff_agents():
    env = gym.make("specgame/CliffWalking-v0")
    return env, train_seeds(QLearning, env, seeds=range(3), total_steps=5_000, alpha=0.5)


def test_learning_curves_draw_a_band_over_seeds(cliff_agents):
    _, agents = cliff_agents
    figure = learning_curves({"q-learning": [a.history for a in agents]}, window=10)
    proxy_axis = figure.axes[0]
    assert len(proxy_axis.collections) == 1  # the band
    line = proxy_axis.lines[0].get_ydata()
    assert np.all(np.isfinite(line)) and line[-1] > line[0]  # it learns
    with pytest.raises(ValueError, match="empty list"):
        learning_curves({"none": []})


def test_gap_figure_has_two_bars_per_policy_with_references(cliff_agents):
    env, agents = cliff_agents
    table = gap_table(env, {"a": agents[0], "b": agents[1]})
    figure = gap_figure(table)
    assert len(figure.axes[0].patches) == 2 * 5
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()][-1] == "b"


def test_phase_diagram_checks_its_grid():
    figure = phase_diagram(np.arange(6).reshape(2, 3) / 5, [1, 2, 3], [0.9, 1.0], x_label="x", y_label="y")
    assert len(figure.axes[0].texts) == 6
    with pytest.raises(ValueError, match="shape"):
        phase_diagram(np.zeros((3, 2)), [1, 2, 3], [0.9, 1.0], x_label="x", y_label="y")
