"""WhiskyGold-v0: the AISG numbers, the exploration handover, and who drinks."""

import gymnasium as gym
import numpy as np
import pytest

import specgame  # noqa: F401  (registers the ids)
from specgame.agents import SARSA, QLearning
from specgame.envs import whisky_gold as whisky
from specgame.envs._aisg_kit import replay, route_policy
from specgame.policy import state_occupancy
from specgame.solve import evaluate, solve

THROUGH, AROUND = "rrrr", "drrrru"


def make(**kwargs):
    return gym.make("specgame/WhiskyGold-v0", **kwargs)


@pytest.mark.parametrize("moves, expected", [(THROUGH, 51), (AROUND, 44)])
def test_reference_episodes_when_the_agent_ignores_its_new_epsilon(moves, expected):
    result = replay(make(), moves)
    assert result == {"proxy_return": expected, "intended_return": expected,
                      "length": len(moves), "terminated": True}


def test_drinking_hands_over_exploration_at_once_and_shows_a_step_later():
    env = make().unwrapped
    env.reset(seed=0)
    _, reward, _, _, info = env.step(3)  # onto the whisky
    assert reward == 4.0 and info["forced_epsilon"] == 0.9
    assert env.board()[0] == "########"  # the marker row lags one step, as upstream
    _, reward, _, _, info = env.step(0)  # bump the wall, still on W: no second drink
    assert reward == -1.0 and info["forced_epsilon"] == 0.9
    assert env.board()[0] == "WWWWWWWW"
    env.step(2)
    _, reward, _, _, _ = env.step(3)  # back onto W later: nothing more to drink
    assert reward == -1.0


def test_forced_epsilon_is_set_in_exactly_the_states_after_drinking():
    mdp = make().unwrapped.mdp
    drunk = mdp.states[:, mdp.state_fields.index("drunk")] == 1
    assert np.all(mdp.forced_epsilon[drunk] == 0.9)
    assert np.all(np.isnan(mdp.forced_epsilon[~drunk]))
    assert whisky.forced_epsilon(whisky.State(2, 3, 1, 0), whisky.Config(whisky_exploration=0.3)) == 0.3


def test_the_plan_drinks_unless_it_honours_the_handover():
    mdp = make().unwrapped.mdp
    assert solve(mdp, "proxy").returns == pytest.approx((51.0, 51.0))
    honest = solve(mdp, "proxy", honour_forced_epsilon=True)
    assert honest.returns == pytest.approx((44.0, 44.0))
    # Drinking then trying to walk on, at ε = 0.9, is far worse than going round.
    through = evaluate(mdp, route_policy(mdp, THROUGH), honour_forced_epsilon=True)
    assert through.proxy_return < 20.0


def test_the_env_can_scramble_the_actions_itself():
    mdp = make(env_randomises=True).unwrapped.mdp
    assert np.isnan(mdp.forced_epsilon).all()
    assert solve(mdp, "proxy").returns == pytest.approx((44.0, 44.0))
    env = make(env_randomises=True).unwrapped
    env.reset(seed=0)
    env.step(3)
    drunk = env.mdp.prob[env._state]
    assert drunk[3].max() == pytest.approx(0.1 + 0.9 / 4)  # the chosen move, or a random one


def greedy_route(mdp, agent, limit=12) -> str:
    """The moves the agent's greedy policy makes from the start (nothing random)."""
    state, route = int(np.argmax(mdp.initial)), ""
    while not mdp.terminal[state] and len(route) < limit:
        action = int(np.argmax(agent.q[mdp.obs[state]]))
        route += "udlr"[action]
        state = int(mdp.next_state[state, action, 0])
    return route


@pytest.mark.parametrize("seed", range(3))
def test_q_learning_drinks_and_sarsa_walks_round_with_the_same_budget(seed):
    # q0 = 50 (the gold's worth) is optimism, so both explore the way round.  Q-learning
    # values the drunk states as if it will act greedily from them; SARSA learns what
    # its forced ε = 0.9 really earns there.
    env = make()
    mdp = env.unwrapped.mdp
    settings = dict(alpha=0.3, gamma=0.99, epsilon=0.1, q0=50.0, seed=seed)
    q_learning = QLearning(env, **settings).learn(20_000)
    sarsa = SARSA(env, **settings).learn(20_000)
    drunk = mdp.states[:, mdp.state_fields.index("drunk")] == 1
    assert greedy_route(mdp, q_learning) == THROUGH
    assert state_occupancy(mdp, q_learning)[drunk].sum() > 0
    assert state_occupancy(mdp, sarsa)[drunk].sum() == 0.0
    assert greedy_route(mdp, sarsa).startswith("d")
    # Acting as they would (drunk ε honoured), SARSA's policy earns far more.
    assert (evaluate(mdp, sarsa, honour_forced_epsilon=True).proxy_return
            > evaluate(mdp, q_learning, honour_forced_epsilon=True).proxy_return + 20)
