"""Limits and edge cases the fuzzing found or the issue asked for, stated as facts."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from test_properties import walker_game

import specgame  # noqa: F401  (registers the ids)
from specgame import grid
from specgame.envs import boat_race_loop, cliff_walking


def test_a_game_too_large_to_compile_names_its_size_and_the_setting_that_grew_it():
    with pytest.raises(grid.TooManyStates) as err:
        gymnasium.make("specgame/BoatRaceLoop-v0", laps=12, max_states=5_000)
    message = str(err.value)
    assert "more than 5,000 reachable states" in message and "max_states=5,000" in message
    assert "laps=12 (default 3)" in message and "respawn_mean" not in message
    assert isinstance(err.value, ValueError)


def test_a_default_game_over_the_limit_says_so():
    with pytest.raises(grid.TooManyStates, match="even its default settings"):
        grid.compile(boat_race_loop, max_states=100)


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "many"])
def test_max_states_is_checked(bad):
    with pytest.raises(ValueError, match=f"max_states must be a positive int, got {bad!r}"):
        grid.compile(cliff_walking, max_states=bad)


def test_parse_map_names_the_line_and_column_of_a_ragged_row():
    with pytest.raises(ValueError, match="map line 3, column 4: the line ends here"):
        grid.parse_map("####\n#..#\n#.#\n####")
    with pytest.raises(ValueError, match="map line 2, column 5: the line goes on"):
        grid.parse_map("####\n#..##\n####")
    with pytest.raises(ValueError, match=r"map line 2, column 3: 'x' is not in the legend"):
        grid.parse_map("###\n#.x\n###", legend="#.")


def test_parse_map_reads_windows_line_ends():
    assert grid.parse_map("#.#\r\n...\r\n", legend="#.") == ("#.#", "...")


def test_two_games_of_the_same_name_are_compiled_apart():
    """The compile cache is keyed by the game itself: same name, same config, different maps."""
    left = grid.compile(walker_game("S.G", 0.0))
    right = grid.compile(walker_game("S....G", 0.0))
    assert left.name == right.name == "walker"
    assert left.n_states == 3 and right.n_states == 6


def test_a_game_without_a_source_file_compiles_without_the_disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SPECGAME_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("SPECGAME_NO_CACHE", raising=False)
    assert grid.compile(walker_game("S#G\n..~", 0.5)).n_states > 0
    assert list(tmp_path.iterdir()) == []


def test_a_nan_in_the_dqn_loss_stops_training_and_keeps_the_last_good_weights(tmp_path):
    torch = pytest.importorskip("torch")
    from specgame.agents.dqn import DQN

    poisoned = gymnasium.wrappers.TransformReward(gymnasium.make("CartPole-v1"),
                                                  lambda r: float("nan") if np.random.random() < 0.05 else r)
    np.random.seed(0)
    agent = DQN(poisoned, seed=0, learning_starts=32, batch_size=32)
    with pytest.raises(FloatingPointError, match="loss or gradient became nan") as err:
        agent.learn(2_000)
    assert "gradient step" in str(err.value)
    assert all(torch.isfinite(w).all() for w in agent.q_net.state_dict().values())
    agent.save(tmp_path / "last-good.pt")
    assert all(torch.isfinite(w).all() for w in DQN.load(tmp_path / "last-good.pt").q_net.state_dict().values())
