"""Facts about training curves and the onset of gaming, checked against the runs' own data."""

import numpy as np
import pytest

from specgame.agents import QLearning
from specgame.analysis.onset import gaming_onset, rolling_correlation, trailing_mean, training_curves
from specgame.mdp import to_mdp
from specgame.policy import stationary_policy
from specgame.solve import solve

RACE_TARGETS = 12  # a boat that never enters the lagoon collects at most 12 targets


def racer_fine_tuned_on_the_proxy(seed, steps=100_000):
    """A Q-learner started from the fastest racer's greedy table, then trained on the targets alone.

    It races first; it stops finishing the third lap; later it finds the lagoon and loops."""
    boat = to_mdp("specgame/BoatRaceLoop-v0")
    racing = stationary_policy(boat, solve(boat, "intended")).argmax(axis=1)
    q = np.zeros((boat.n_obs, boat.n_actions))
    q[boat.obs, racing] = 1.0
    agent = QLearning(boat, seed=seed, epsilon=0.1)
    agent.q = q
    return agent.learn(steps)


@pytest.mark.parametrize("seed", [0, 3])
def test_onset_is_where_the_boat_starts_looping(seed):
    history = racer_fine_tuned_on_the_proxy(seed).history
    window = 20
    onset = gaming_onset(history, window=window)
    assert onset is not None
    # From the run itself: the lagoon era begins at the first episode from which most of the
    # next `window` episodes collect more targets than any race can hold.
    in_lagoon = history.proxy_return > RACE_TARGETS
    lagoon_start = next(i for i in range(len(in_lagoon)) if in_lagoon[i] and in_lagoon[i:i + window].mean() >= 0.8)
    assert lagoon_start <= onset.index <= lagoon_start + window
    # The intended peak lies in the racing era, before the lagoon.
    assert onset.since < lagoon_start and not in_lagoon[: onset.since + 1].any()
    assert onset.step == int(np.cumsum(history.length)[onset.index])


def test_the_aligned_control_shows_no_gaming():
    agent = QLearning("specgame/CliffWalking-v0", seed=0, epsilon=0.1).learn(50_000)
    assert gaming_onset(agent.history, window=20) is None
    correlation = rolling_correlation(agent.history.proxy_return, agent.history.intended_return, 20)
    defined = correlation[~np.isnan(correlation)]
    assert len(defined) and defined == pytest.approx(1.0)  # the same reward: perfectly correlated


def test_onset_of_a_made_up_step_change():
    # 100 points of (proxy 10, intended 3), then (proxy 20, intended 0): the change is at 100.
    proxy = np.r_[np.full(100, 10.0), np.full(100, 20.0)]
    intended = np.r_[np.full(100, 3.0), np.full(100, 0.0)]
    onset = gaming_onset(proxy=proxy, intended=intended, window=10, delta=0.05)
    # The trailing means move 1/10 of the range per point: δ = 5% of each range is met at point 100.
    assert (onset.index, onset.since) == (100, 9)
    assert (onset.proxy_delta, onset.intended_delta) == (pytest.approx(0.5), pytest.approx(0.15))
    assert gaming_onset(proxy=proxy, intended=proxy, window=10) is None  # they move together
    curves = training_curves(proxy=proxy, intended=intended, window=10, delta=0.05)
    assert np.isnan(curves.proxy[8]) and curves.proxy[9] == 10.0 and curves.onset == onset
    assert np.nanmin(curves.correlation) < 0  # during the change they move apart


def test_trailing_mean_and_bad_input():
    assert trailing_mean([1, 2, 3, 4], 2)[1:] == pytest.approx([1.5, 2.5, 3.5])
    with pytest.raises(ValueError, match="window must be an int"):
        trailing_mean([1, 2], 1)
    with pytest.raises(ValueError, match="delta must be in"):
        gaming_onset(proxy=[1, 2], intended=[1, 2], delta=0)
    with pytest.raises(ValueError, match="equal length"):
        gaming_onset(proxy=[1, 2], intended=[1])
