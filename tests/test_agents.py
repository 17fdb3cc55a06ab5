"""Facts about the tabular agents (specgame.agents) and their random generator (specgame.rng)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import gymnasium
import numpy as np
import pytest
from reference_agents import reference_train

import specgame.envs  # noqa: F401  (registers the specgame/ ids)
from specgame import rng
from specgame.agents import (
    AGENTS,
    SARSA,
    ExpectedSARSA,
    QLearning,
    Setting,
    TabularAgent,
    TabularConfig,
    config_class,
    make,
    settings_of,
    tabular,
    train_seeds,
)
from specgame.mdp import TabularMDP, from_gymnasium, to_mdp

ALGORITHMS = [SARSA, ExpectedSARSA, QLearning]
ROOT = Path(__file__).resolve().parent.parent


# -- environments -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cliff():
    """Sutton & Barto's Example 6.6: -1 a step, -100 and back to the start for the cliff.

    Gymnasium's version would do as well: ``from_gymnasium(gymnasium.make("CliffWalking-v1"),
    horizon=10_000)``.  The long horizon keeps early, wandering episodes untruncated.
    """
    return to_mdp(gymnasium.make("specgame/CliffWalking-v0", horizon=10_000))


@pytest.fixture(scope="module")
def slippery_lake():
    # A short horizon so that truncated episodes (bootstrap, then reset) are exercised too.
    return from_gymnasium(gymnasium.make("FrozenLake-v1"), horizon=8)


def whisky_mdp(forced: float = 0.9) -> TabularMDP:
    """A four-state whisky-and-gold: drinking pays +1 but makes the environment explore for you.

    States: 0 start, 1 drunk (forced ε), 2 sober corridor, 3 end.  From the start,
    action 0 drinks (+1, to 1) and action 1 walks around (-2, to 2).  In either of 1 and 2,
    action 0 reaches the gold (+10) and action 1 falls in the river (-20); both end.
    Greedily, drinking is worth 11 and walking 8; but drunk, the gold is reached only
    with probability 1 - forced/2, so under the policy actually followed drinking is
    worth 1 + 10(1 - forced/2) - 20 forced/2 = -2.5 at forced = 0.9.
    """
    S, A, K = 4, 2, 1
    next_state = np.full((S, A, K), 3)
    next_state[0, 0, 0], next_state[0, 1, 0] = 1, 2
    proxy = np.zeros((S, A, K))
    proxy[0, :, 0] = [1.0, -2.0]
    proxy[1, :, 0] = proxy[2, :, 0] = [10.0, -20.0]
    intended = proxy.copy()
    intended[0, 0, 0] = -5.0  # the designer did not want the agent to drink
    speed_bonus = np.zeros((S, A, K))
    speed_bonus[1:3, 0, 0] = 1.0  # reaching the gold early is better
    forced_epsilon = np.full(S, np.nan)
    forced_epsilon[1] = forced
    return TabularMDP(next_state=next_state, prob=np.ones((S, A, K)), proxy=proxy, intended=intended,
                      speed_bonus=speed_bonus, terminal=np.array([0, 0, 0, 1], bool),
                      initial=np.array([1.0, 0, 0, 0]), obs=np.arange(S), horizon=5,
                      forced_epsilon=forced_epsilon, name="whisky")


def greedy_path_length(mdp: TabularMDP, q: np.ndarray, limit: int = 100) -> int:
    """Steps the greedy policy of ``q`` takes from the start of a deterministic MDP; ``limit`` if it loops."""
    state = int(np.argmax(mdp.initial))
    for step in range(limit):
        if mdp.terminal[state]:
            return step
        state = mdp.next_state[state, int(np.argmax(q[mdp.obs[state]])), 0]
    return limit


# -- 1. reproducibility -----------------------------------------------------------------------


@pytest.mark.parametrize("cls", ALGORITHMS)
def test_a_seed_fixes_the_whole_run(cls, slippery_lake):
    first = cls(slippery_lake, seed=7).learn(3000)
    again = cls(slippery_lake, seed=7).learn(3000)
    other = cls(slippery_lake, seed=8).learn(3000)
    assert np.array_equal(first.q, again.q)
    assert np.array_equal(first.history.proxy_return, again.history.proxy_return)
    assert np.array_equal(first.history.length, again.history.length)
    assert not np.array_equal(first.q, other.q)


def test_rng_is_xoshiro256starstar_seeded_by_splitmix64():
    mask = (1 << 64) - 1
    x, words = 12345, []
    for _ in range(4):  # splitmix64, as published
        x = (x + 0x9E3779B97F4A7C15) & mask
        z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        words.append(z ^ (z >> 31))
    state = rng.seed_state(12345)
    assert [int(w) for w in state] == words

    def rotl(v, k):
        return ((v << k) | (v >> (64 - k))) & mask

    s0, s1, s2, s3 = words
    for _ in range(5):  # xoshiro256**, as published
        expected = (rotl((s1 * 5) & mask, 7) * 9) & mask
        t = (s1 << 17) & mask
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        assert int(rng.next_u64(state)) == expected


def test_rng_draws_stay_in_range_and_the_state_is_a_copyable_checkpoint():
    state = rng.seed_state(1)
    saved = state.copy()
    draws = [rng.integers(state, 3) for _ in range(3000)]
    assert set(draws) == {0, 1, 2} and abs(draws.count(0) - 1000) < 120
    assert all(0.0 <= rng.uniform(state) < 1.0 for _ in range(1000))
    assert [rng.integers(saved, 3) for _ in range(3000)] == draws  # the copy replays the stream


# -- 2. the kernels equal the plain-Python reference ---------------------------------------------


@pytest.mark.parametrize("cls", ALGORITHMS)
def test_kernel_equals_python_reference_on_slippery_frozenlake(cls, slippery_lake):
    # A decaying schedule, truncations, and a learn call split in two all have to agree.
    agent = cls(slippery_lake, alpha=0.3, gamma=0.95, epsilon=0.9, epsilon_end=0.05, alpha_end=0.1,
                decay_fraction=0.5, schedule_steps=4000, seed=3)
    agent.learn(1500).learn(2500)
    q, proxy_returns, intended_returns, lengths = reference_train(
        cls.name, slippery_lake, 4000, alpha=0.3, gamma=0.95, epsilon=0.9, seed=3,
        epsilon_end=0.05, alpha_end=0.1, decay_steps=2000.0)
    assert np.array_equal(agent.q, q)
    assert np.array_equal(agent.history.proxy_return, proxy_returns)
    assert np.array_equal(agent.history.intended_return, intended_returns)
    assert np.array_equal(agent.history.length, lengths)
    assert (lengths == 8).any() and np.abs(q).sum() > 0  # truncation and learning both happened


@pytest.mark.parametrize("cls", ALGORITHMS)
def test_kernel_equals_python_reference_with_forced_exploration(cls):
    mdp = whisky_mdp()
    agent = cls(mdp, alpha=0.2, gamma=0.9, epsilon=0.3, q0=1.0, seed=11).learn(2000)
    q, proxy_returns, intended_returns, lengths = reference_train(
        cls.name, mdp, 2000, alpha=0.2, gamma=0.9, epsilon=0.3, seed=11, q0=1.0)
    assert np.array_equal(agent.q, q)
    assert np.array_equal(agent.history.proxy_return, proxy_returns)
    assert np.array_equal(agent.history.intended_return, intended_returns)
    assert np.array_equal(agent.history.length, lengths)


@pytest.mark.parametrize("cls", ALGORITHMS)
def test_parallel_seeds_equal_single_seed_runs(cls, slippery_lake):
    together = train_seeds(cls, slippery_lake, seeds=[0, 5, 9], total_steps=3000, epsilon=0.2)
    for agent in together:
        alone = cls(slippery_lake, seed=agent.seed, epsilon=0.2).learn(3000)
        assert np.array_equal(agent.q, alone.q)
        assert np.array_equal(agent.history.proxy_return, alone.history.proxy_return)


def test_a_full_history_buffer_does_not_change_the_run(slippery_lake, monkeypatch):
    whole = QLearning(slippery_lake, seed=2).learn(3000)
    monkeypatch.setattr(tabular, "HISTORY_CHUNK", 7)  # the kernel stops and resumes every 7 episodes
    pieces = QLearning(slippery_lake, seed=2).learn(3000)
    assert np.array_equal(whole.q, pieces.q)
    assert np.array_equal(whole.history.length, pieces.history.length)
    assert np.array_equal(whole.history.intended_return, pieces.history.intended_return)
    # Seeds whose buffers fill at different times still each get their own whole history.
    together = train_seeds(QLearning, slippery_lake, seeds=[2, 3], total_steps=3000)
    assert np.array_equal(together[0].history.length, whole.history.length)
    assert len(together[1].history) == QLearning(slippery_lake, seed=3).learn(3000).episodes_done


def test_intended_return_adds_the_speed_bonus_by_time_left():
    # Walking around and reaching the gold: -2, then 10 plus a bonus of 1 * (5 - 2) / 5.
    agent = SARSA(whisky_mdp(), epsilon=0.0, q0=0.0, seed=0)
    agent.q[0] = [-100.0, 0.0]  # walk around ...
    agent.q[2] = [0.0, -100.0]  # ... then take the gold
    agent.learn(2)
    assert agent.history.proxy_return.tolist() == [8.0]
    assert agent.history.intended_return[0] == pytest.approx(8.6)
    assert agent.history.length.tolist() == [2]


def test_learning_by_episodes_stops_at_that_many_episodes(cliff):
    agent = QLearning(cliff, seed=0).learn(episodes=20)
    assert len(agent.history) == agent.episodes_done == 20
    agent.learn(total_steps=10**6, episodes=5)
    assert len(agent.history) == 25


# -- 3. Sutton & Barto, Figure 6.4 ----------------------------------------------------------------


def test_sutton_barto_figure_6_4_sarsa_walks_safe_q_learning_walks_the_edge(cliff):
    runs = {cls: train_seeds(cls, cliff, seeds=range(50), episodes=500, alpha=0.5, gamma=1.0,
                             epsilon=0.1, q0=0.0) for cls in (SARSA, QLearning)}
    online = {cls: np.mean([a.history.proxy_return[99:500] for a in agents]) for cls, agents in runs.items()}
    assert -30 <= online[SARSA] <= -20
    assert -60 <= online[QLearning] <= -40

    def paths(agents):
        return [greedy_path_length(cliff, a.q) for a in agents]

    def mean_q(agents):
        return np.mean([a.q for a in agents], axis=0)

    assert greedy_path_length(cliff, mean_q(runs[SARSA])) in (15, 17)
    assert greedy_path_length(cliff, mean_q(runs[QLearning])) == 13
    assert set(paths(runs[QLearning])) == {13}
    # With α = 0.5 single runs are noisy (a few greedy policies loop), but none hug the edge.
    sarsa_paths = paths(runs[SARSA])
    assert 13 not in sarsa_paths and sum(p in (15, 17) for p in sarsa_paths) >= 0.6 * len(sarsa_paths)


# -- 4. Gymnasium toy-text envs ----------------------------------------------------------------------


def test_q_learning_solves_non_slippery_frozenlake():
    env = gymnasium.make("FrozenLake-v1", is_slippery=False)
    agent = QLearning(env, alpha=0.5, gamma=0.95, epsilon=0.3, seed=0).learn(20_000)
    mdp = to_mdp(env)
    assert greedy_path_length(mdp, agent.q) == 6  # the shortest way to the goal
    assert agent.history.proxy_return[-100:].mean() > 0.5


@pytest.mark.parametrize("cls", ALGORITHMS)
def test_every_algorithm_learns_cliff_walking_from_a_gymnasium_env(cls):
    agent = cls(gymnasium.make("CliffWalking-v1"), alpha=0.5, gamma=1.0, epsilon=0.1, seed=1)
    agent.learn(episodes=300)
    returns = agent.history.proxy_return
    assert returns[:10].mean() < -200  # wandering and falling at first
    assert returns[-50:].mean() > -100  # about the length of a path to the goal, few falls


def test_an_env_id_is_accepted():
    agent = ExpectedSARSA("FrozenLake-v1", seed=0).learn(500)
    assert agent.q.shape == (16, 4) and agent.steps_done == 500


# -- 5. forced exploration --------------------------------------------------------------------------


def test_q_learning_drinks_the_whisky_sarsa_walks_around():
    mdp = whisky_mdp(forced=0.9)
    hyper = {"alpha": 0.1, "alpha_end": 0.01, "gamma": 1.0, "epsilon": 0.1, "total_steps": 20_000}
    drinkers = {cls: [a.policy[0] == 0 for a in train_seeds(cls, mdp, seeds=range(8), **hyper)]
                for cls in ALGORITHMS}
    assert all(drinkers[QLearning])
    assert not any(drinkers[SARSA]) and not any(drinkers[ExpectedSARSA])


def test_without_forced_exploration_sarsa_drinks_too():
    sober = whisky_mdp(forced=np.nan)
    agents = train_seeds(SARSA, sober, seeds=range(8), total_steps=20_000, alpha=0.1, gamma=1.0,
                         epsilon=0.1, alpha_end=0.01)
    assert all(a.policy[0] == 0 for a in agents)


# -- 6. bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, message", [
    ({"alpha": 1.5}, r"alpha must be in \(0, 1\], got 1.5"),
    ({"alpha": 0.0}, r"alpha must be in \(0, 1\], got 0.0"),
    ({"gamma": -0.1}, r"gamma must be in \[0, 1\], got -0.1"),
    ({"epsilon": 2}, r"epsilon must be in \[0, 1\], got 2"),
    ({"epsilon": float("nan")}, r"epsilon must be in \[0, 1\], got nan"),
    ({"epsilon_end": 1.1}, r"epsilon_end must be in \[0, 1\], got 1.1"),
    ({"decay_fraction": -1}, r"decay_fraction must be in \[0, 1\], got -1"),
    ({"seed": 1.5}, r"seed must be an int in \[0, 2\*\*63\), got 1.5"),
    ({"seed": -1}, r"seed must be an int in \[0, 2\*\*63\), got -1"),
    ({"q0": float("inf")}, r"q0 must be a finite number, got inf"),
    ({"alhpa": 0.1, "gama": 0.9}, r"settings must be TabularConfig fields \(alpha, gamma, .*seed\), "
                                  r"got \['alhpa', 'gama'\]"),
])
def test_bad_hyper_parameters_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        QLearning(whisky_mdp(), **kwargs)


def test_settings_come_from_one_config_and_keywords_override_it():
    config = TabularConfig(alpha=0.3, q0=2.0, seed=7)
    agent = QLearning(whisky_mdp(), config, epsilon=0.4)
    assert agent.config == TabularConfig(alpha=0.3, q0=2.0, seed=7, epsilon=0.4) and agent.seed == 7
    assert (agent.q == 2.0).all()
    assert make("q-learning", whisky_mdp(), config).config == config
    same = QLearning(whisky_mdp(), alpha=0.3, q0=2.0, seed=7, epsilon=0.4).learn(500)
    assert np.array_equal(agent.learn(500).q, same.q)
    with pytest.raises(ValueError, match="config must be a TabularConfig or None, got"):
        QLearning(whisky_mdp(), {"alpha": 0.3})


def test_every_setting_has_a_default_a_type_a_one_line_help_and_a_range():
    for name in AGENTS:
        settings = settings_of(config_class(name))
        assert [s.name for s in settings] == [f.name for f in dataclasses.fields(config_class(name))]
        for setting in settings:
            assert setting.help and "\n" not in setting.help, (name, setting)
            assert setting.range, (name, setting)  # every agent setting is checked, and says how
    alpha = settings_of(TabularConfig)[0]
    assert alpha == Setting("alpha", 0.1, float, "Step size (learning rate) at the start", "in (0, 1]")
    assert {s.name: s.type for s in settings_of(TabularConfig)}["schedule_steps"] == (int | None)
    with pytest.raises(ValueError, match="agent must be one of q-learning, sarsa"):
        config_class("ppo")
    # Asking which settings the agents take needs no torch (the dqn extra is optional).
    code = ("import sys; from specgame.agents import config_class, settings_of; "
            "settings_of(config_class('dqn')); assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("steps, message", [
    (1e4, r"total_steps must be a positive int, got 10000.0"),
    (0, r"total_steps must be a positive int, got 0"),
    ("100", r"total_steps must be a positive int, got '100'"),
])
def test_bad_step_counts_are_named(steps, message):
    with pytest.raises(ValueError, match=message):
        QLearning(whisky_mdp()).learn(steps)


def test_learn_needs_a_budget_and_decay_needs_a_length():
    with pytest.raises(ValueError, match="total_steps or episodes"):
        QLearning(whisky_mdp()).learn()
    with pytest.raises(ValueError, match="schedule_steps"):
        QLearning(whisky_mdp(), epsilon_end=0.0).learn(episodes=3)


def test_predict_takes_ids_and_arrays_and_rejects_unknown_ids():
    agent = QLearning(whisky_mdp(), seed=0).learn(200)
    action, state = agent.predict(0)
    assert state is None and action == agent.policy[0] and isinstance(action, int)
    actions, _ = agent.predict(np.array([0, 2, 1]))
    assert actions.tolist() == agent.policy[[0, 2, 1]].tolist()
    assert agent.predict(np.array([0, 1, 2, 3]), deterministic=False)[0].shape == (4,)
    with pytest.raises(ValueError, match=r"observation id must be in \[0, 4\), got 4"):
        agent.predict(4)
    with pytest.raises(ValueError, match=r"observation id must be in \[0, 4\), got -1"):
        agent.predict([0, -1])
    with pytest.raises(ValueError, match="observation must be an observation id"):
        agent.predict(1.5)


# -- 7. files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ALGORITHMS)
def test_save_load_round_trip_and_training_continues_identically(cls, slippery_lake, tmp_path):
    agent = cls(slippery_lake, seed=4, epsilon=0.5, epsilon_end=0.05).learn(1001)  # stops mid-episode
    agent.save(tmp_path / "agent.npz")
    loaded = TabularAgent.load(tmp_path / "agent.npz", env=slippery_lake)
    assert type(loaded) is cls and loaded.config == agent.config
    assert np.array_equal(loaded.q, agent.q)
    assert np.array_equal(loaded.history.intended_return, agent.history.intended_return)
    agent.learn(1500)
    loaded.learn(1500)
    assert np.array_equal(loaded.q, agent.q)
    assert np.array_equal(loaded.history.length, agent.history.length)


def test_an_agent_loaded_without_env_acts_but_does_not_train(slippery_lake, tmp_path):
    agent = SARSA(slippery_lake, seed=0).learn(500)
    agent.save(tmp_path / "a.npz")
    loaded = SARSA.load(tmp_path / "a.npz")
    assert loaded.predict(np.arange(16))[0].tolist() == agent.policy.tolist()
    with pytest.raises(ValueError, match="loaded without an env"):
        loaded.learn(10)


def test_loading_rejects_truncated_foreign_and_mismatched_files(slippery_lake, tmp_path):
    path = tmp_path / "agent.npz"
    QLearning(slippery_lake, seed=0).learn(100).save(path)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="truncated or corrupted"):
        QLearning.load(truncated)
    slippery_lake.save(tmp_path / "mdp.npz")
    with pytest.raises(ValueError, match="not a specgame.TabularAgent file"):
        QLearning.load(tmp_path / "mdp.npz")
    with pytest.raises(ValueError, match="holds a QLearning agent, not SARSA"):
        SARSA.load(path)
    with pytest.raises(ValueError, match="shape"):
        QLearning.load(path, env=whisky_mdp())


def test_a_model_refuses_an_env_whose_game_settings_differ(tmp_path):
    path = tmp_path / "plain.npz"
    QLearning("specgame/BoatRaceLoop-v0", seed=0).learn(300).save(path)
    assert QLearning.load(path, "specgame/BoatRaceLoop-v0").steps_done == 300
    paid = gymnasium.make("specgame/BoatRaceLoop-v0", finish_bonus=50)
    with pytest.raises(ValueError, match=rf"{path} was trained with finish_bonus=0.0 "
                                         r"\(the env given has finish_bonus=50\).*check_env=False"):
        QLearning.load(path, paid)
    moved = QLearning.load(path, paid, check_env=False)  # a deliberate transfer
    assert moved.mdp.meta["config"]["finish_bonus"] == 50 and moved.steps_done == 300
    # The game and its settings decide, not the id: the same settings under another id load.
    supervised = tmp_path / "supervised.npz"
    QLearning("specgame/AbsentSupervisor-Present-v0").learn(100).save(supervised)
    QLearning.load(supervised, gymnasium.make("specgame/AbsentSupervisor-v0", supervisor_probability=1.0))
    with pytest.raises(ValueError, match=r"supervisor_probability=1.0 \(the env given has supervisor_probability=0.0"):
        QLearning.load(supervised, "specgame/AbsentSupervisor-Absent-v0")
    # Without game settings (Gymnasium's toy text), the ids decide.
    lake = tmp_path / "lake.npz"
    QLearning("FrozenLake-v1").learn(100).save(lake)
    with pytest.raises(ValueError, match=r"id 'FrozenLake-v1' \(the env given is 'FrozenLake8x8-v1'\)"):
        QLearning.load(lake, gymnasium.make("FrozenLake8x8-v1", map_name="4x4"))
