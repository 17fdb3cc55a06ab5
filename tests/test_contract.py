"""The game contract: the worked example of docs/architecture.md registers, compiles,
solves and trains, and a module missing a piece is refused by name."""

import dataclasses
import re
import sys
import types
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from specgame import grid
from specgame.env import SpecGameEnv
from specgame.envs import register
from specgame.game import GameError, check_game
from specgame.mdp import TabularMDP

DOC = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"
GAME_ID = "mygames/ButtonPress-v0"


def doc_blocks() -> list[str]:
    """The Python blocks of docs/architecture.md: the game module, then its use."""
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def module_from(code: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    sys.modules[name] = module  # the env class finds its rules by the module's name
    exec(compile(code, f"<{name}>", "exec"), module.__dict__)
    return module


@pytest.fixture(scope="module")
def button_press():
    module = module_from(doc_blocks()[0], "button_press")
    yield module
    sys.modules.pop("button_press", None)
    gym.registry.pop(GAME_ID, None)


def test_the_documented_game_fits_in_60_lines():
    assert len(doc_blocks()[0].splitlines()) <= 60


def test_the_documented_game_registers_compiles_solves_and_trains(button_press):
    use = {}
    exec(compile(doc_blocks()[1], "<use>", "exec"), use)  # the page's own second block, as written
    assert GAME_ID in gym.registry and use["button_press"] is button_press
    mdp = use["mdp"]
    assert mdp.n_states == 5 and mdp.action_names == ("left", "right")
    assert mdp.tiles == button_press.TILES  # the look travels with the table
    # Proxy-optimal: press the button six times in twelve steps and never leave.
    assert use["gamer"].returns == pytest.approx((6.0, 0.0))
    assert use["meant"].returns == pytest.approx((5.0, 1.0))
    # A seeded Q-learner finds the same gaming on the registered env.
    assert use["evaluate"](mdp, use["agent"].policy) == pytest.approx((6.0, 0.0))
    env = gym.make(GAME_ID, render_mode="rgb_array", tile_size=8)
    env.reset(seed=0)
    assert env.unwrapped.board() == ["#*A..E#"]
    assert env.render().shape == (8, 56, 3)


def test_the_table_keeps_its_look_in_its_file(button_press, tmp_path):
    mdp = grid.compile(button_press, horizon=4)
    mdp.save(tmp_path / "t.npz")
    assert TabularMDP.load(tmp_path / "t.npz").tiles == mdp.tiles == {"*": ("floor", "target", "red"),
                                                                      "E": ("floor", "diamond", "green")}


PIECES = ("Config", "State", "TILES", "actions", "initial_states", "transitions", "is_terminal", "board")


@pytest.mark.parametrize("piece", PIECES)
def test_a_game_missing_a_piece_is_refused_by_name(button_press, piece):
    broken = types.ModuleType("broken_game")
    broken.__dict__.update({k: v for k, v in vars(button_press).items() if k != piece and not k.startswith("__")})
    with pytest.raises(GameError, match=rf"broken_game has no .*\[{piece}\]"):
        check_game(broken)
    with pytest.raises(GameError, match=rf"broken_game has no .*\[{piece}\]"):
        type("BrokenEnv", (SpecGameEnv,), {}, rules=broken)  # declaring an env checks its rules
    with pytest.raises(GameError, match=rf"\[{piece}\]"):
        grid.compile(broken)


@pytest.mark.parametrize("change, piece", [
    ({"Config": dataclasses.make_dataclass("Config", [("horizon", int, 5)])}, "Config"),  # not frozen
    ({"Config": dataclasses.make_dataclass("Config", [("laps", int, 5)], frozen=True)}, "Config.horizon"),
    ({"State": tuple}, "State"),
    ({"TILES": {"ab": ("floor", None, None)}}, "TILES"),
    ({"transitions": lambda state, config: []}, "transitions"),
    ({"actions": ("left", "right")}, "actions"),
    ({"MAX_STATES": 0}, "MAX_STATES"),
    ({"forced_epsilon": lambda state: None}, "forced_epsilon"),
])
def test_a_malformed_piece_is_refused_by_name(button_press, change, piece):
    broken = types.ModuleType("odd_game")
    broken.__dict__.update({k: v for k, v in vars(button_press).items() if not k.startswith("__")})
    broken.__dict__.update(change)
    with pytest.raises(GameError, match=rf"odd_game .*\[{re.escape(piece)}\]"):
        check_game(broken)


def test_registering_an_env_without_rules_is_refused():
    class Bare(SpecGameEnv):
        pass

    with pytest.raises(GameError, match="'Bare' declares no rules"):
        register("mygames/Bare-v0", Bare)
    assert "mygames/Bare-v0" not in gym.registry


def test_every_builtin_game_declares_checked_rules():
    from specgame.envs import ENVIRONMENTS, env_class

    for name in ENVIRONMENTS:
        rules = env_class(name).rules
        assert check_game(rules) is rules and isinstance(rules, types.ModuleType)
        assert np.all([len(a) > 0 for a in rules.actions(rules.Config())])
