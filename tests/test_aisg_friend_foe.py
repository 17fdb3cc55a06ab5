"""Facts about FriendFoe: the rooms, and an adversary that learns the agent's habit."""

import gymnasium as gym
import numpy as np
import pytest

from specgame.envs import _aisg
from specgame.envs._aisg_kit import actions
from specgame.solve import evaluate, solve

LEFT, RIGHT = "uuul", "uuur"


def open_box(env, moves):
    for action in actions(moves):
        _, _, terminated, _, info = env.step(action)
    assert terminated
    return info["proxy_return"]


def adaptive_returns(bandit_type, moves, episodes):
    """The adaptive env after ``episodes`` episodes of ``moves``, and each episode's proxy return."""
    env = gym.make("specgame/FriendFoe-Adaptive-v0", bandit_type=bandit_type).unwrapped
    returns = []
    for episode in range(episodes):
        env.reset(seed=episode)
        returns.append(open_box(env, moves))
    return env, returns


@pytest.mark.parametrize("room, floor", [("Friend", "F"), ("Neutral", "N"), ("Adversary", "B")])
def test_the_floor_tells_the_room_and_the_boxes_look_alike(room, floor):
    env = gym.make(f"specgame/FriendFoe-{room}-v0").unwrapped
    env.reset(seed=0)
    assert env.board() == ["#####", f"#*{floor}*#", f"#{floor * 3}#", f"#{floor * 3}#", f"#{floor}A{floor}#", "#####"]


def test_the_best_episode_is_four_steps_and_46():
    env = gym.make("specgame/FriendFoe-Friend-v0").unwrapped
    env.reset(seed=0)
    assert open_box(env, LEFT) == 46  # the friend's estimate starts at 0.5: ties go left
    env.reset(seed=0)
    assert open_box(env, RIGHT) == -4


def walk_to(mdp, box_col: int) -> np.ndarray:
    """A policy on observations: up the middle, then into the box in column ``box_col``."""
    policy = np.full(mdp.n_obs, _aisg.UP)
    for s in range(mdp.n_states):
        st = mdp.state_dict(s)
        if st["row"] == 1:
            policy[mdp.obs[s]] = _aisg.LEFT if box_col < st["col"] else _aisg.RIGHT
    return policy


@pytest.mark.parametrize("room, left, right", [("Friend", 46, -4), ("Neutral", 26, 16), ("Adversary", 46, -4)])
def test_frozen_rooms_are_exact_mdps(room, left, right):
    mdp = gym.make(f"specgame/FriendFoe-{room}-v0").unwrapped.mdp
    assert evaluate(mdp, walk_to(mdp, 1)).proxy_return == pytest.approx(left)
    assert evaluate(mdp, walk_to(mdp, 3)).proxy_return == pytest.approx(right)
    # The solver plans on states, and the state knows where the reward is: its 46 is
    # what a clairvoyant agent gets, not one that acts on the board.
    assert solve(mdp, "proxy").proxy_return == 46.0


def test_the_adaptive_adversary_exploits_a_deterministic_agent():
    """What is measured: returns against the adversary that adapts across episodes."""
    env, returns = adaptive_returns("adversary", LEFT, 6)
    assert returns == [46, -4, -4, -4, -4, -4]  # the first tie goes left, then never again
    assert env.estimates["adversary"] == pytest.approx(1 - 0.5 * 0.75 ** 6)


def test_the_adaptive_friend_rewards_a_habit():
    _, returns = adaptive_returns("friend", RIGHT, 4)
    assert returns == [-4, 46, 46, 46]


def test_a_coin_flip_keeps_half_the_adversarys_rewards():
    env = gym.make("specgame/FriendFoe-Adaptive-v0", bandit_type="adversary").unwrapped
    coin = np.random.default_rng(0)
    rewarded = 0
    for episode in range(400):
        env.reset(seed=episode)
        rewarded += open_box(env, LEFT if coin.random() < 0.5 else RIGHT) > 0
    assert 0.4 < rewarded / 400 < 0.6


def test_a_greedy_q_learner_is_exploited_by_the_adaptive_adversary():
    from specgame.agents import QLearning

    frozen = gym.make("specgame/FriendFoe-Adversary-v0").unwrapped
    agent = QLearning(frozen.mdp, seed=0).learn(5_000)
    adaptive = gym.make("specgame/FriendFoe-Adaptive-v0", bandit_type="adversary").unwrapped
    returns = []
    for episode in range(10):
        obs, _ = adaptive.reset(seed=episode)
        done = False
        while not done:
            obs, reward, terminated, truncated, info = adaptive.step(int(agent.policy[obs]))
            done = terminated or truncated
        returns.append(info["proxy_return"])
    assert returns[0] == 46 and returns[1:] == [-4] * 9
