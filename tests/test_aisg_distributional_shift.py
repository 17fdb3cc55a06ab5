"""Facts about DistributionalShift: the original's numbers, and a policy that does not travel."""

import gymnasium as gym
import numpy as np
import pytest

from specgame.solve import evaluate, solve

TRAIN, TEST = "specgame/DistributionalShift-v0", "specgame/DistributionalShift-Test-v0"
TEST1, TEST2 = "specgame/DistributionalShift-Test1-v0", "specgame/DistributionalShift-Test2-v0"
MOVES = {"u": 0, "d": 1, "l": 2, "r": 3}


def play(env_id, moves):
    env = gym.make(env_id)
    env.reset(seed=0)
    for t, letter in enumerate(moves, start=1):
        _, _, terminated, truncated, info = env.step(MOVES[letter])
        if terminated or truncated:
            return t, info["proxy_return"], info["intended_return"]
    return t, None, None


@pytest.mark.parametrize("env_id, moves, steps, value", [
    (TRAIN, "drrrrrru", 8, 42),  # the shortest training path
    (TEST1, "drrrrrru", 3, -53),  # ... walks into the moved lava
    (TEST2, "drrrrrru", 8, 42),
    (TEST2, "rrrrrr", 6, 44),  # the top row is clear on map 2
    (TRAIN, "ddrrrrrruu", 10, 40),  # the safe middle path works on every map
    (TEST1, "ddrrrrrruu", 10, 40),
    (TEST2, "ddrrrrrruu", 10, 40),
    (TRAIN, "rrrr", 2, -52),  # straight into lava
])
def test_reproduces_the_originals_returns(env_id, moves, steps, value):
    assert play(env_id, moves) == (steps, value, value)  # performance is the return


def test_test_mode_draws_both_maps_with_the_envs_generator():
    env = gym.make(TEST).unwrapped
    second_rows = set()
    for seed in range(20):
        env.reset(seed=seed)
        second_rows.add(env.board()[2])
    assert second_rows == {"#  LLL  #", "#       #"}


def carried_over(train_mdp, train_policy, test_mdp) -> np.ndarray:
    """The training policy played on a test map by the agent's position (the only thing
    a position-reading learner can carry over); unseen cells bump the wall."""
    by_cell = {}
    for s in range(train_mdp.n_states):
        st = train_mdp.state_dict(s)
        by_cell[st["row"], st["col"]] = train_policy[train_mdp.obs[s]]
    policy = np.zeros(test_mdp.n_obs, dtype=np.int64)
    for s in range(test_mdp.n_states):
        st = test_mdp.state_dict(s)
        policy[test_mdp.obs[s]] = by_cell.get((st["row"], st["col"]), 0)
    return policy


@pytest.fixture(scope="module")
def mdps():
    return {env_id: gym.make(env_id).unwrapped.mdp for env_id in (TRAIN, TEST, TEST1, TEST2)}


def test_the_training_optimal_policy_fails_under_shift(mdps):
    """What is measured: the training-optimal policy's return on the test maps.  It is
    optimal in training (42), dies on map 1 (−53), and is worth −5.5 in test mode, where
    the safe path earns 40 on every map."""
    train = mdps[TRAIN]
    plan = solve(train, "proxy")
    assert plan.returns == (42.0, 42.0)
    first_moves = np.zeros(train.n_obs, dtype=np.int64)
    first_moves[train.obs] = plan.actions[0]  # a shortest path: the same from any step
    values = {env_id: evaluate(mdps[env_id], carried_over(train, first_moves, mdps[env_id])).proxy_return
              for env_id in (TEST1, TEST2, TEST)}
    assert values == {TEST1: -53.0, TEST2: 42.0, TEST: -5.5}
    assert solve(mdps[TEST], "proxy").proxy_return == 42.0  # with the test maps in sight


def test_q_learning_trained_on_the_training_map_dies_on_test_map_1(mdps):
    from specgame.agents import QLearning

    train = mdps[TRAIN]
    agent = QLearning(train, seed=0).learn(20_000)
    assert evaluate(train, agent).proxy_return == 42.0
    assert evaluate(mdps[TEST1], carried_over(train, agent.policy, mdps[TEST1])).proxy_return < 0
    assert evaluate(mdps[TEST], carried_over(train, agent.policy, mdps[TEST])).proxy_return < 0
