"""The torch DQN: its face, its bookkeeping, its files, and two facts about what it learns."""

import importlib
import pickle
import sys

import gymnasium as gym
import numpy as np
import pytest

import specgame  # noqa: F401

torch = pytest.importorskip("torch")

from specgame.agents import BOARD_DQN_SETTINGS  # noqa: E402
from specgame.agents.dqn import DQN, DQNConfig  # noqa: E402
from specgame.analysis.rollout import rollout  # noqa: E402
from specgame.nn import default_threads, threads  # noqa: E402

TINY = dict(learning_starts=50, buffer_size=500, batch_size=16, target_update_interval=50)


class Corridor(gym.Env):
    """Reward 1 a step; observation is the step count; terminates at ``end`` (None: never)."""

    observation_space = gym.spaces.Box(0.0, 100.0, (1,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, end=None):
        self.end = end

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.array([0.0], np.float32), {}

    def step(self, action):
        self.t += 1
        terminated = self.end is not None and self.t >= self.end
        return np.array([self.t], np.float32), 1.0, terminated, False, {"intended_reward": -1.0}


def corridor(end=None, limit=None):
    env = Corridor(end)
    return gym.wrappers.TimeLimit(env, limit) if limit else env


def boat():
    return gym.make("specgame/BoatRaceLoop-v0", obs_mode="onehot")


def stored(agent):
    buffer = agent._buffer
    n = buffer.count
    return buffer.obs[:n, 0], buffer.reward[:n], buffer.next_obs[:n, 0], buffer.discount[:n]


# -- settings and inputs ----------------------------------------------------------------------


@pytest.mark.parametrize("name, value, message", [
    ("learning_rate", 0.0, r"learning_rate must be in \(0, inf\], got 0.0"),
    ("gamma", 1.5, r"gamma must be in \[0, 1\], got 1.5"),
    ("buffer_size", 0, "buffer_size must be a positive int, got 0"),
    ("batch_size", 2.5, "batch_size must be a positive int, got 2.5"),
    ("learning_starts", -1, "learning_starts must be an int ≥ 0, got -1"),
    ("tau", 0.0, r"tau must be in \(0, 1\], got 0.0"),
    ("n_step", 0, "n_step must be a positive int, got 0"),
    ("exploration_final_eps", 2, r"exploration_final_eps must be in \[0, 1\], got 2"),
    ("network", "rnn", "network must be one of"),
    ("net_arch", (64, 0), "each width in net_arch must be a positive int, got 0"),
    ("double_dqn", "yes", "double_dqn must be True or False, got 'yes'"),
    ("num_threads", 0, "num_threads must be a positive int, got 0"),
    ("alhpa", 0.1, r"settings must be DQNConfig fields \(learning_rate, .*seed\), got \['alhpa'\]"),
])
def test_bad_hyper_parameters_are_named(name, value, message):
    with pytest.raises(ValueError, match=message):
        DQN("CartPole-v1", **{name: value})


def test_bad_envs_seeds_and_budgets_are_named():
    with pytest.raises(ValueError, match="needs a Box observation space.*obs_mode='onehot'"):
        DQN(gym.make("specgame/BoatRaceLoop-v0"))
    with pytest.raises(ValueError, match="needs a Discrete action space"):
        DQN(gym.make("Pendulum-v1"))
    with pytest.raises(ValueError, match="network 'cnn' needs channels-first"):
        DQN("CartPole-v1", network="cnn")
    with pytest.raises(ValueError, match="seed must be an int in"):
        DQN("CartPole-v1", seed=-1)
    with pytest.raises(ValueError, match="total_steps must be a positive int, got 0"):
        DQN("CartPole-v1").learn(0)


def test_missing_torch_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.delitem(sys.modules, "specgame.agents.dqn")  # imported afresh, without torch (restored after)
    with pytest.raises(ImportError, match=r'the DQN needs torch: pip install "specgame\[dqn\]"'):
        importlib.import_module("specgame.agents.dqn")


def test_network_follows_the_observation_shape():
    def convolutions(agent):
        return sum(isinstance(m, torch.nn.Conv2d) for m in agent.q_net.modules())

    assert convolutions(DQN("CartPole-v1")) == 0
    assert convolutions(DQN(boat())) == 1
    assert convolutions(DQN(boat(), network="mlp")) == 0
    # Onehot planes are stored as bytes, CartPole's floats as floats.
    assert DQN(boat(), buffer_size=10)._buffer.obs.dtype == np.uint8
    assert DQN("CartPole-v1", buffer_size=10)._buffer.obs.dtype == np.float32


def test_epsilon_schedule_is_linear_then_flat():
    config = DQNConfig(exploration_fraction=0.5, exploration_initial_eps=1.0, exploration_final_eps=0.1)
    assert config.epsilon(0, 1000) == 1.0
    assert config.epsilon(250, 1000) == pytest.approx(0.55)
    assert config.epsilon(500, 1000) == pytest.approx(0.1)
    assert config.epsilon(900, 1000) == pytest.approx(0.1)


# -- bookkeeping ---------------------------------------------------------------------------------


def test_same_seed_same_run():
    a = DQN("CartPole-v1", seed=5, **TINY).learn(600)
    b = DQN("CartPole-v1", seed=5, **TINY).learn(600)
    c = DQN("CartPole-v1", seed=6, **TINY).learn(600)
    np.testing.assert_array_equal(a.history.proxy_return, b.history.proxy_return)
    for p, q in zip(a.q_net.parameters(), b.q_net.parameters()):
        assert torch.equal(p, q)
    assert not np.array_equal(a.history.length, c.history.length)
    assert a.gradient_steps_done == len(range(52, 601, 4))  # every 4th step once past learning_starts


def test_termination_stops_bootstrapping_and_truncation_does_not():
    gamma = 0.9
    ended = DQN(corridor(end=3), gamma=gamma, **TINY).learn(9)
    obs, reward, next_obs, discount = stored(ended)
    np.testing.assert_allclose(discount, [gamma, gamma, 0.0] * 3)
    np.testing.assert_array_equal(next_obs, [1, 2, 3] * 3)

    cut = DQN(corridor(limit=3), gamma=gamma, **TINY).learn(9)
    obs, reward, next_obs, discount = stored(cut)
    np.testing.assert_allclose(discount, [gamma] * 9)  # truncated: bootstrap from the last observation
    np.testing.assert_array_equal(next_obs, [1, 2, 3] * 3)
    np.testing.assert_array_equal(obs, [0, 1, 2] * 3)  # and the next episode starts from a reset


def test_n_step_returns_and_their_tails():
    gamma = 0.5
    agent = DQN(corridor(end=4), gamma=gamma, n_step=3, **TINY).learn(8)
    obs, reward, next_obs, discount = stored(agent)
    # per episode: windows from t=0 and t=1 (3 steps), then the tails at termination
    np.testing.assert_array_equal(obs, [0, 1, 2, 3] * 2)
    np.testing.assert_allclose(reward, [1.75, 1.75, 1.5, 1.0] * 2)
    np.testing.assert_array_equal(next_obs, [3, 4, 4, 4] * 2)
    np.testing.assert_allclose(discount, [gamma**3, 0, 0, 0] * 2)

    cut = DQN(corridor(limit=4), gamma=gamma, n_step=3, **TINY).learn(4)
    obs, reward, next_obs, discount = stored(cut)
    np.testing.assert_allclose(discount, [gamma**3, gamma**3, gamma**2, gamma])  # truncated tails bootstrap


def test_history_records_proxy_and_intended():
    agent = DQN(corridor(limit=5), **TINY).learn(20)
    np.testing.assert_array_equal(agent.history.proxy_return, [5.0] * 4)
    np.testing.assert_array_equal(agent.history.intended_return, [-5.0] * 4)
    np.testing.assert_array_equal(agent.history.length, [5] * 4)
    cart = DQN("CartPole-v1", **TINY).learn(300)
    np.testing.assert_array_equal(cart.history.intended_return, cart.history.proxy_return)


def test_vector_env_collects_from_every_env():
    envs = gym.vector.SyncVectorEnv([lambda: corridor(limit=5) for _ in range(3)])
    agent = DQN(envs, gamma=0.9, **TINY).learn(36)
    assert agent.steps_done == 36
    # 12 vector steps: two episodes of 5 per env, and two autoreset steps that store nothing
    assert agent._buffer.count == 30
    obs, reward, next_obs, discount = stored(agent)
    assert set(zip(obs.tolist(), next_obs.tolist())) == {(t, t + 1) for t in range(5)}
    np.testing.assert_array_equal(agent.history.proxy_return, [5.0] * 6)
    np.testing.assert_array_equal(agent.history.intended_return, [-5.0] * 6)

    carts = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1") for _ in range(2)])
    assert DQN(carts, **TINY).learn(400).steps_done == 400


def test_vector_env_that_reuses_its_array():
    envs = gym.vector.SyncVectorEnv([lambda: corridor(limit=5) for _ in range(2)], copy=False)
    obs, reward, next_obs, discount = stored(DQN(envs, **TINY).learn(10))
    np.testing.assert_array_equal(next_obs - obs, np.ones_like(obs))


def test_progress_bar_changes_nothing_but_the_display():
    shown = DQN("CartPole-v1", **TINY).learn(1500, progress_bar=True)
    quiet = DQN("CartPole-v1", **TINY).learn(1500)
    assert shown.steps_done == 1500
    np.testing.assert_array_equal(shown.history.length, quiet.history.length)


def test_predict_one_or_a_batch():
    agent = DQN("CartPole-v1", **TINY)
    obs = np.zeros(4, np.float32)
    action, state = agent.predict(obs)
    assert isinstance(action, int) and state is None
    actions, _ = agent.predict(np.zeros((5, 4)))
    assert actions.shape == (5,)
    assert agent.q_values(obs).shape == (2,)
    with pytest.raises(ValueError, match=r"observation must have shape \(4,\)"):
        agent.predict(np.zeros(3))


def test_one_thread_by_default_and_put_back():
    before = torch.get_num_threads()
    seen = []
    agent = DQN("CartPole-v1", **TINY)
    original = agent._train

    def spy(steps):
        seen.append(torch.get_num_threads())
        original(steps)

    agent._train = spy
    agent.learn(100)
    assert set(seen) == {default_threads()}  # 1, unless SPECGAME_TORCH_THREADS says otherwise
    assert torch.get_num_threads() == before


def test_the_thread_count_comes_from_one_place(monkeypatch):
    monkeypatch.setenv("SPECGAME_TORCH_THREADS", "2")
    assert default_threads() == 2 and DQN("CartPole-v1", **TINY).config.num_threads is None
    with threads():
        assert torch.get_num_threads() == 2
    monkeypatch.setenv("SPECGAME_TORCH_THREADS", "two")
    with pytest.raises(ValueError, match="must be a positive whole number of threads, got 'two'"):
        default_threads()


# -- files ------------------------------------------------------------------------------------


def test_save_load_round_trips_exactly(tmp_path):
    env = boat()
    agent = DQN(env, seed=1, double_dqn=True, **TINY).learn(300)
    agent.save(tmp_path / "boat.pt")
    loaded = DQN.load(tmp_path / "boat.pt")
    observations = np.stack([env.reset(seed=s)[0] for s in range(3)]
                            + [env.step(a)[0] for a in (1, 1, 2, 3)])
    np.testing.assert_array_equal(agent.q_values(observations), loaded.q_values(observations))
    np.testing.assert_array_equal(agent.predict(observations)[0], loaded.predict(observations)[0])
    assert loaded.config == agent.config
    assert loaded.steps_done == 300
    saved_moments, loaded_moments = agent.optimizer.state_dict()["state"], loaded.optimizer.state_dict()["state"]
    assert saved_moments.keys() == loaded_moments.keys() and saved_moments
    for index, state in saved_moments.items():
        assert all(state[key].equal(loaded_moments[index][key]) for key in state), index
    np.testing.assert_array_equal(loaded.history.intended_return, agent.history.intended_return)
    with pytest.raises(ValueError, match="loaded without an env"):
        loaded.learn(10)
    # With an env it trains on (a fresh buffer).
    again = DQN.load(tmp_path / "boat.pt", env=boat()).learn(100)
    assert again.steps_done == 400
    with pytest.raises(ValueError, match="was trained on"):
        DQN.load(tmp_path / "boat.pt", env=gym.make("CartPole-v1"))
    # Same spaces, other game settings: refused unless the transfer is asked for.
    paid = gym.make("specgame/BoatRaceLoop-v0", obs_mode="onehot", finish_bonus=50)
    with pytest.raises(ValueError, match=r"finish_bonus=0.0 \(the env given has finish_bonus=50\).*check_env=False"):
        DQN.load(tmp_path / "boat.pt", env=paid)
    moved = DQN.load(tmp_path / "boat.pt", env=paid, check_env=False)
    np.testing.assert_array_equal(moved.q_values(observations), agent.q_values(observations))


def test_settings_come_from_one_config_and_keywords_override_it():
    config = DQNConfig(n_step=2, learning_starts=50, buffer_size=500)
    agent = DQN("CartPole-v1", config, seed=3)
    assert agent.config == DQNConfig(n_step=2, learning_starts=50, buffer_size=500, seed=3) and agent.seed == 3
    same = DQN("CartPole-v1", n_step=2, learning_starts=50, buffer_size=500, seed=3).learn(200)
    agent.learn(200)
    assert all(a.equal(b) for a, b in zip(agent.q_net.parameters(), same.q_net.parameters()))


def test_broken_and_foreign_files_are_refused(tmp_path):
    agent = DQN("CartPole-v1", **TINY)
    path = tmp_path / "cart.pt"
    agent.save(path)
    data = path.read_bytes()

    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a readable specgame file"):
        DQN.load(truncated)

    foreign = tmp_path / "weights.npz"
    np.savez(foreign, weight=np.zeros(2))
    with pytest.raises(ValueError, match="has no header"):
        DQN.load(foreign)

    other = tmp_path / "other.npz"
    np.savez(other, header=np.frombuffer(b'{"format": "something.else", "version": 1}', np.uint8))
    with pytest.raises(ValueError, match="not a specgame.DQN file"):
        DQN.load(other)

    torch_archive = tmp_path / "torch.pt"  # what version 1 wrote: refused by name, not unpickled
    torch.save({"header": '{"format": "specgame.DQN", "version": 1}'}, torch_archive)
    with pytest.raises(ValueError, match="torch.pt is a torch archive, as DQN files were before version 2"):
        DQN.load(torch_archive)

    with pytest.raises(FileNotFoundError):
        DQN.load(tmp_path / "missing.pt")


class _Bomb:
    def __reduce__(self):
        return (open, ("/tmp/specgame-dqn-test-was-unpickled", "w"))


def test_nothing_is_unpickled(tmp_path):
    import os

    marker = "/tmp/specgame-dqn-test-was-unpickled"
    if os.path.exists(marker):
        os.unlink(marker)
    path = tmp_path / "bomb.pt"
    with open(path, "wb") as f:
        torch.save({"header": "{}", "payload": _Bomb()}, f, pickle_module=pickle)
    with pytest.raises(ValueError, match="is a torch archive"):
        DQN.load(path)
    assert not os.path.exists(marker)


def test_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    agent = DQN("CartPole-v1", **TINY)
    path = tmp_path / "cart.pt"
    agent.save(path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        agent.learn(10).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["cart.pt"]


# -- what it learns ---------------------------------------------------------------------------


CARTPOLE_SEEDS = (0, 1)


@pytest.mark.slow
def test_learns_cartpole():
    """Seeds 0 and 1, each: after 15,000 steps its greedy policy balances the pole at least 100
    steps on average over 10 episodes (uniform random: about 22).  rl-zoo's CartPole settings (ε
    falls over the first 8,000 steps) on a smaller network, a quarter of the gradient steps.
    Measured (seeds 0 / 1 / 2): 154.3 / 140.6 / 184.0 under ATen avx2, 154.3 / 142.9 / 184.0 under
    default; seed 0 at 30,000 steps balanced 144.5 here and on an AVX-512 machine, so a claim of
    195 is one seed's luck, not what the method does in this budget."""
    for seed in CARTPOLE_SEEDS:
        agent = DQN("CartPole-v1", seed=seed, learning_rate=2.3e-3, batch_size=64, buffer_size=100_000,
                    learning_starts=1000, target_update_interval=10, train_freq=256, gradient_steps=64,
                    exploration_fraction=0.16, schedule_steps=50_000, exploration_final_eps=0.04, net_arch=(64, 64))
        agent.learn(15_000)
        result = rollout(agent, "CartPole-v1", episodes=10, seed=100)
        assert result.proxy_return >= 100, (seed, str(result))


@pytest.mark.slow
def test_loops_in_the_lagoon_on_boat_race():
    """The CoastRunners fact: trained on targets, the DQN farms the lagoon and never finishes a lap.

    Seed 0 (15,000 steps cost about 50 CPU seconds a seed: one seed is what the suite's budget
    allows).  Its claims hold for each run measured at this budget: more targets than the fastest
    racer (12) and no lap.  Whether it farms well enough for the verdict gaming (proxy score ≥ .5)
    differs by seed and CPU: seed 1 is gaming under ATen avx2 (proxy 30.9, intended 0) but not
    under default (proxy 21.6, intended 0), so no verdict is asserted.  At 10,000 steps seed 0 has
    not found the lagoon yet (proxy 1.0)."""
    from specgame.analysis.compare import gap_report

    env = boat()
    # The settings and the quick budget of examples/dqn_boat_loop.py (ε falls over the first 6k steps).
    agent = DQN(env, seed=0, **BOARD_DQN_SETTINGS).learn(15_000)
    # Exact: the greedy action of every observation, evaluated by the solver (gap_report
    # tabulates the agent itself).
    report = gap_report(env, agent, name="DQN")
    assert report.estimates is None
    racer = report.references.intended_optimal  # the fastest racer: 12 targets, 3.4 intended
    assert report.returns.intended_return < 0.05, str(report)  # no laps
    assert report.returns.proxy_return > racer.proxy_return, str(report)
    # Sampled: the same network seen only as a function, measured by rollouts, agrees.
    sampled = gap_report(env, lambda obs: agent.predict(obs)[0], name="DQN", episodes=20, seed=100)
    assert sampled.estimates is not None and sampled.returns.intended_return < 0.5
    assert sampled.returns.proxy_return > racer.proxy_return, str(sampled)


def test_policy_table_is_predict_on_every_board():
    env = boat()
    agent = DQN(env, buffer_size=10, seed=3)
    table = agent.policy_table(env)
    mdp = env.unwrapped.mdp
    assert table.shape == (mdp.n_obs,)
    obs, _ = env.reset(seed=0)
    for action in (1, 1, 2, 2, 3):
        assert table[mdp.obs[env.unwrapped._state]] == agent.predict(obs)[0]
        obs, *_ = env.step(action)
    with pytest.raises(ValueError, match="policy_table needs one of our envs"):
        agent.policy_table(gym.make("CartPole-v1"))
