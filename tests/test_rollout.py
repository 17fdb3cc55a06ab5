"""Rollout evaluation: seeded, honest intervals, any policy shape, any env."""

import gymnasium as gym
import numpy as np
import pytest

import specgame  # noqa: F401
from specgame.analysis.rollout import Estimate, RolloutResult, rollout, t975


def test_t_quantiles_match_known_values():
    # Published two-sided 95% critical values of Student's t.
    for df, value in [(1, 12.706), (2, 4.303), (10, 2.228), (30, 2.042), (40, 2.021), (60, 2.000),
                      (120, 1.980), (10_000, 1.960)]:
        assert t975(df) == pytest.approx(value, abs=1e-3)
    with pytest.raises(ValueError, match="degrees of freedom"):
        t975(0)


def test_estimate_interval_is_the_t_interval():
    values = np.array([1.0, 2.0, 3.0, 4.0])
    estimate = Estimate.of(values)
    half = 3.182 * values.std(ddof=1) / 2
    assert estimate.mean == 2.5
    assert (estimate.low, estimate.high) == pytest.approx((2.5 - half, 2.5 + half))
    single = Estimate.of(np.array([5.0]))
    assert single.mean == 5.0 and single.low == -np.inf and single.high == np.inf


def test_same_seed_same_episodes_and_callable_or_predict():
    class Agent:  # anything with SB3's predict
        def predict(self, obs, deterministic=True):
            return int(obs[2] > 0), None

    def lean(obs):
        return int(obs[2] > 0)

    first = rollout(Agent(), "CartPole-v1", episodes=5, seed=3)
    again = rollout(lean, gym.make("CartPole-v1"), episodes=5, seed=3)
    other = rollout(lean, "CartPole-v1", episodes=5, seed=4)
    assert isinstance(first, RolloutResult) and first.episodes == 5
    np.testing.assert_array_equal(first.proxy_returns, again.proxy_returns)
    assert not np.array_equal(first.proxy_returns, other.proxy_returns)
    # CartPole has no intended reward: intended is the proxy.
    np.testing.assert_array_equal(first.intended_returns, first.proxy_returns)
    np.testing.assert_array_equal(first.lengths, first.proxy_returns)


def test_intended_reward_is_read_from_info():
    # A racer that never moves collects nothing and finishes nothing; one that goes round
    # the ring clockwise completes laps: intended = laps (+ speed bonus) on our env.
    env = gym.make("specgame/BoatRaceLoop-v0")
    still = rollout(lambda obs: 0, env, episodes=3, seed=0)
    assert still.proxy_return == 0.0 and still.intended_return == 0.0
    assert (still.lengths == 150).all()

    from specgame.envs import boat_race_loop as rules

    def racer(_obs):
        state = env.unwrapped.state
        row, col = state["row"], state["col"]
        if row == 1 and col < 12:
            return 1  # right along the top
        if col == 12 and row < 5:
            return 2  # down the right side
        if row == 5 and col > 1:
            return 3  # left along the bottom
        return 0  # up the left side, over the line

    raced = rollout(racer, env, episodes=2, seed=0)
    assert raced.intended_return == pytest.approx(3.4)  # the docstring's fastest racer
    assert raced.proxy_return == 12.0
    assert rules.Config().laps == 3


def test_max_episode_steps_cuts_and_bad_arguments_are_named():
    result = rollout(lambda obs: 0, "CartPole-v1", episodes=2, seed=0, max_episode_steps=3)
    assert result.lengths.tolist() == [3, 3]  # always pushing left, CartPole lasts longer than 3 steps
    with pytest.raises(ValueError, match="episodes must be a positive int, got 0"):
        rollout(lambda obs: 0, "CartPole-v1", episodes=0)
    with pytest.raises(ValueError, match="seed must be an int in \\[0, 2\\*\\*63\\), got -1"):
        rollout(lambda obs: 0, "CartPole-v1", seed=-1)
    with pytest.raises(ValueError, match="policy must be a callable"):
        rollout(42, "CartPole-v1")
    with pytest.raises(ValueError, match="max_episode_steps"):
        rollout(lambda obs: 0, "CartPole-v1", max_episode_steps=0)


def test_to_dict_carries_intervals():
    result = rollout(lambda obs: 0, "CartPole-v1", episodes=4, seed=0)
    data = result.to_dict()
    assert data["episodes"] == 4
    for key, estimate in (("proxy_return", result.proxy), ("intended_return", result.intended)):
        assert data[key] == {"mean": estimate.mean, "ci95": [estimate.low, estimate.high]}
        assert estimate.low < estimate.mean < estimate.high  # the episodes differ in length
    assert data["mean_length"] == result.lengths.mean()
    assert "95% CI" in str(result)
