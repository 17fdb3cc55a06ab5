"""Every registered id: Gymnasium's checker, determinism, pickling, each mode, bad input."""

import json
import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import check_env

import specgame
from specgame.env import OBS_MODES

ENV_IDS = specgame.list_envs(tables_only=True)  # the table games: every obs mode, boards, tiles
ALL_IDS = specgame.list_envs()  # with the envs that have no table (FullStopLM-v0)


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("obs_mode", OBS_MODES)
def test_check_env_passes_without_warnings(env_id, obs_mode):
    env = gym.make(env_id, obs_mode=obs_mode, tile_size=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped, skip_render_check=True)
    env.close()


@pytest.mark.parametrize("env_id", ALL_IDS)
@pytest.mark.parametrize("render_mode", ["rgb_array", "ansi"])
def test_check_env_render_modes(env_id, render_mode):
    """Every listed id draws itself, after reset and after a step, so `specgame watch`, `specgame
    record` and gymnasium's RecordVideo work on all of them; its metadata says so."""
    env = gym.make(env_id, render_mode=render_mode, tile_size=8)
    assert render_mode in env.metadata["render_modes"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)
    env.reset(seed=0)
    first = env.render()
    env.step(env.action_space.n - 1)
    frame = env.render()
    if render_mode == "rgb_array":
        assert isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
        assert first.shape == frame.shape and frame.shape[0] > 0 and frame.shape[1] > 0  # a video's frames are alike
    else:
        assert isinstance(frame, str) and "proxy" in frame and "intended" in frame
    if env_id in ENV_IDS:  # a table game draws its board, a tile_size square per character
        board = env.unwrapped.board()
        if render_mode == "rgb_array":
            assert frame.shape == (len(board) * 8, len(board[0]) * 8, 3)
        else:
            assert board[0] in frame


def rollout(env_id, seed, steps=300, **kwargs):
    env = gym.make(env_id, **kwargs)
    obs, _ = env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(env.action_space.n, size=steps)
    trace = [obs]
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(int(a))
        trace.append((obs, reward, terminated, truncated, info["intended_reward"]))
        if terminated or truncated:
            obs, _ = env.reset()
            trace.append(obs)
    return trace


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_check_env_passes_in_the_default_modes(env_id):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gym.make(env_id).unwrapped, skip_render_check=True)
        check_env(gym.make(env_id, render_mode="ansi").unwrapped)


def same(a, b) -> bool:
    """Equal traces, observations that are arrays included (compared by their bytes)."""
    return pickle.dumps(a) == pickle.dumps(b)


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_same_seed_same_episode(env_id):
    assert same(rollout(env_id, 3), rollout(env_id, 3))


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_pickled_env_continues_identically(env_id):
    """A pickled env (mid-episode) and its original agree on every later step and reset."""
    env = gym.make(env_id).unwrapped
    env.reset(seed=5)
    if env.step(env.action_space.n - 1)[2]:
        env.reset(seed=6)
    clone = pickle.loads(pickle.dumps(env))
    for a in np.random.default_rng(0).integers(env.action_space.n, size=200):
        step = env.step(int(a))
        assert same(step, clone.step(int(a)))
        if step[2] or step[3]:
            assert same(env.reset(), clone.reset())


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_episode_totals_are_sums_of_steps(env_id):
    env = gym.make(env_id)
    env.reset(seed=1)
    proxy = intended = 0.0
    rng = np.random.default_rng(1)
    steps = 0
    while True:
        _, reward, terminated, truncated, info = env.step(int(rng.integers(env.action_space.n)))
        steps += 1
        proxy += reward
        intended += info["intended_reward"]
        if terminated or truncated:
            break
    assert info["length"] == steps
    assert info["proxy_return"] == pytest.approx(proxy)
    assert info["intended_return"] == pytest.approx(intended)


def test_an_outer_time_limit_still_ends_with_the_episode_totals():
    """gymnasium.make(..., max_episode_steps=20) cuts the episode before the game's horizon;
    the last info still carries the totals, because every step's info does."""
    env = gym.make("specgame/BoatRaceLoop-v0", max_episode_steps=20)
    env.reset(seed=0)
    proxy = intended = 0.0
    for t in range(1, 21):
        _, reward, terminated, truncated, info = env.step([1, 2][t % 2])  # right, down: along the top
        proxy, intended = proxy + reward, intended + info["intended_reward"]
        assert (terminated, truncated) == (False, t == 20)
        assert (info["proxy_return"], info["intended_return"], info["length"]) == (
            pytest.approx(proxy), pytest.approx(intended), t)
    assert proxy > 0  # the totals are not trivially zero: the boat collected targets


@pytest.mark.parametrize("bad", [4, -1, 1.0, "1", None, True, np.array([1, 2])])
def test_bad_actions_are_refused_with_the_allowed_range(bad):
    env = gym.make("specgame/BoatRaceLoop-v0").unwrapped
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action must be"):
        env.step(bad)


def test_numpy_integer_actions_step_like_python_ints():
    env, twin = (gym.make("specgame/BoatRaceLoop-v0").unwrapped for _ in range(2))
    env.reset(seed=0)
    twin.reset(seed=0)
    assert env.step(np.int64(1)) == twin.step(1)
    assert env.step(np.array(2)) == twin.step(2)


def test_step_before_reset_is_refused():
    env = gym.make("specgame/BoatRaceLoop-v0").unwrapped
    with pytest.raises(ResetNeeded, match="before reset"):
        env.step(0)


def test_unknown_parameters_and_bad_values_are_named():
    with pytest.raises(ValueError, match="no parameter 'lapz'"):
        gym.make("specgame/BoatRaceLoop-v0", lapz=2)
    with pytest.raises(ValueError, match="respawn_mean must be in"):
        gym.make("specgame/BoatRaceLoop-v0", respawn_mean=0.5)
    with pytest.raises(ValueError, match="obs_mode must be one of"):
        gym.make("specgame/BoatRaceLoop-v0", obs_mode="pixels")


def test_human_mode_opens_and_closes_twice():
    env = gym.make("specgame/CliffWalking-v0", render_mode="human", tile_size=8)
    env.reset(seed=0)
    env.step(0)
    window = env.unwrapped._window
    assert window is not None and window.last_hud.step == 1
    env.close()
    assert env.unwrapped._window is None
    env.close()


def test_onehot_planes_mark_one_character_per_cell():
    env = gym.make("specgame/BoatRaceLoop-v0", obs_mode="onehot")
    obs, _ = env.reset(seed=0)
    assert obs.shape[0] == len(env.unwrapped.mdp.alphabet)
    assert (obs.sum(axis=0) == 1).all()
    board = env.unwrapped.board()
    assert ["".join(env.unwrapped.mdp.alphabet[c] for c in row) for row in obs.argmax(axis=0)] == board


# One table per test (each large id joins its own table's group, see conftest.py), so no
# test holds the three large tables at once.
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_the_large_ids_are_exactly_the_tables_of_millions_of_states(env_id):
    from specgame.envs import LARGE

    n_states = gym.make(env_id).unwrapped.mdp.n_states
    assert (n_states > 1_000_000) == (env_id.split("/")[-1] in LARGE), n_states


def test_skip_large_leaves_out_exactly_the_large_ids():
    from specgame.envs import LARGE

    kept = specgame.list_envs(skip_large=True, tables_only=True)
    assert kept == [i for i in ENV_IDS if i.split("/")[-1] not in LARGE]


@pytest.mark.slow  # about 8 s, nearly all of it solving the three tables exactly for the verdicts
def test_the_example_sweep_shows_the_finish_bonus_lesson(tmp_path):
    """examples/sweep.toml teaches: every bonus but the largest leaves the boat `gaming`, the
    largest makes racing pay and every boat comes out `aligned` (not `incompetent` loopers)."""
    from pathlib import Path

    from specgame.app.sweep import expand, load_config, read_results, run_sweep

    example = load_config(Path(__file__).resolve().parent.parent / "examples" / "sweep.toml")
    boats = [task for task in expand(example) if task.env == "specgame/BoatRaceLoop-v0"]
    run_sweep(boats, tmp_path / "boats.csv", n_jobs=1)
    verdicts: dict = {}
    for row in read_results(tmp_path / "boats.csv"):
        verdicts.setdefault(json.loads(row["env_params"])["finish_bonus"], set()).add(row["verdict"])
    *small, large = sorted(verdicts)
    assert small and all(verdicts[bonus] == {"gaming"} for bonus in small)
    assert verdicts[large] == {"aligned"}
