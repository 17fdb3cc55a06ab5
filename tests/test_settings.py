"""Settings written once: a field's default, help and range live in its metadata, and the
checks, the help text and the docs all read them from there; one switch makes every budget quick."""

import dataclasses
import importlib
import math
import pkgutil
from dataclasses import dataclass

import pytest

import specgame.envs
from specgame import _settings
from specgame._settings import describe, like, setting, validate
from specgame.agents import BOARD_DQN, BOARD_DQN_SETTINGS, DQNConfig, TabularConfig, default_steps
from specgame.analysis.compare import Thresholds


@dataclass(frozen=True)
class Example:
    rate: float = setting(0.1, "A rate", low=0, high=1, low_open=True)
    count: int = setting(3, "A count", low=1)
    laps: int = setting(3, "Laps", low=1, high=12)
    mode: str = setting("a", "A mode", choices=("a", "b"))
    flag: bool = setting(False, "A flag")
    limit: int | None = setting(None, "A limit (None: none)", low=1, kind="int")
    widths: tuple[int, ...] = setting((4, 4), "Widths", kind="widths")
    anything: float = setting(0.0, "Any finite number", kind="number")
    note: str = setting("", "Not checked")

    def __post_init__(self):
        validate(self)


@pytest.mark.parametrize("change, message", [
    ({"rate": 1.5}, "rate must be in (0, 1], got 1.5"),
    ({"rate": 0}, "rate must be in (0, 1], got 0"),
    ({"count": 0}, "count must be a positive int, got 0"),
    ({"laps": 13}, "laps must be an int in [1, 12], got 13"),
    ({"mode": "c"}, "mode must be one of 'a', 'b', got 'c'"),
    ({"flag": "yes"}, "flag must be True or False, got 'yes'"),
    ({"limit": 0}, "limit must be a positive int, got 0"),
    ({"widths": (4, 0)}, "each width in widths must be a positive int, got 0"),
    ({"widths": "44"}, "widths must be a sequence of positive ints, got '44'"),
    ({"anything": math.nan}, "anything must be a finite number, got nan"),
])
def test_validate_refuses_with_the_checks_messages(change, message):
    with pytest.raises(ValueError) as err:
        Example(**change)
    assert str(err.value) == message


def test_validate_keeps_values_as_given_and_allows_none_where_the_default_is_none():
    example = Example(rate=1, limit=None, widths=[8], note=object)
    assert example.rate == 1 and type(example.rate) is int  # not turned into a float: kernels see the same number
    assert example.widths == (8,)  # sequences become tuples (hashable, comparable)
    assert example.note is object  # a field without a range is not checked


def test_describe_writes_each_range_as_a_person_would():
    ranges = {f.name: describe(f) for f in dataclasses.fields(Example)}
    assert ranges == {"rate": "in (0, 1]", "count": "≥ 1", "laps": "1 to 12", "mode": "one of a, b",
                      "flag": "True or False", "limit": "≥ 1 or None", "widths": "positive ints",
                      "anything": "any finite number", "note": ""}
    big = {f.name: describe(f) for f in dataclasses.fields(specgame.envs.boat_race_loop.Config)}
    assert big["finish_bonus"] == "in [-1e9, 1e9]" and big["horizon"] == "1 to 100000"
    assert describe(dataclasses.fields(DQNConfig)[0]) == "> 0"


def test_like_copies_a_fields_range_with_another_default():
    @dataclass(frozen=True)
    class Shorter(Example):
        laps: int = like(Example, "laps", 1)

    assert Shorter().laps == 1 and describe(Shorter.__dataclass_fields__["laps"]) == "1 to 12"
    with pytest.raises(ValueError, match=r"laps must be an int in \[1, 12\], got 13"):
        Shorter(laps=13)


def test_setting_refuses_bounds_it_cannot_type():
    with pytest.raises(TypeError, match="give kind="):
        setting(None, "A limit", low=1)
    with pytest.raises(ValueError, match="kind must be one of"):
        setting(1, "A thing", kind="integer")


def config_classes():
    """Every config dataclass of the package that declares its fields with ``setting``."""
    names = ["specgame.agents.tabular", "specgame.agents.dqn_config", "specgame.analysis.compare"]
    names += [f"specgame.envs.{info.name}" for info in pkgutil.iter_modules(specgame.envs.__path__)
              if not info.name.startswith("_")]
    try:
        import torch  # noqa: F401

        names += ["specgame.lm.model", "specgame.lm.pretrain", "specgame.lm.rloo", "specgame.lm.demo"]
    except ImportError:
        pass
    found = []
    for name in names:
        for value in vars(importlib.import_module(name)).values():
            if (isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == name
                    and any("help" in f.metadata for f in dataclasses.fields(value))):
                found.append(value)
    return found


def test_every_config_declares_every_field_once_and_checks_it():
    classes = config_classes()
    assert TabularConfig in classes and DQNConfig in classes and Thresholds in classes
    games = [importlib.import_module(f"specgame.envs.{info.name}")
             for info in pkgutil.iter_modules(specgame.envs.__path__) if not info.name.startswith("_")]
    assert all(game.Config in classes for game in games if hasattr(game, "Config"))  # every game's settings
    for cls in classes:
        required = {f.name: 10 for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING}  # n_words
        for field in dataclasses.fields(cls):
            help_text = field.metadata.get("help")
            assert help_text and "\n" not in help_text and not help_text.endswith("."), (cls, field.name)
            allowed = _settings.allowed_of(field)
            if allowed.kind in ("int", "number") and allowed.low is not None:
                below = allowed.low if allowed.low_open else allowed.low - 1
                with pytest.raises(ValueError, match=f"{field.name} must be"):
                    cls(**{**required, field.name: below})  # its own __post_init__ reads the metadata


def test_the_board_dqn_is_one_preset_of_dqnconfig():
    assert DQNConfig(**BOARD_DQN_SETTINGS) == BOARD_DQN
    # the values the board DQN has always had (tests/test_dqn.py learns the loop with them)
    expected = {"learning_rate": 5e-4, "batch_size": 32, "buffer_size": 50_000, "learning_starts": 1000,
                "target_update_interval": 500, "exploration_fraction": 0.4, "net_arch": (64,), "n_step": 3,
                "double_dqn": True}
    assert {name: getattr(BOARD_DQN, name) for name in expected} == expected


def test_one_quick_switch(monkeypatch):
    monkeypatch.delenv("SPECGAME_STEPS", raising=False)
    monkeypatch.delenv("SPECGAME_QUICK", raising=False)
    assert default_steps("q-learning", "train") == 1_000_000 and default_steps("dqn", "interpret") == 40_000
    monkeypatch.setenv("SPECGAME_QUICK", "1")
    assert _settings.quick() and _settings.budget("full", "small") == "small"
    assert default_steps("q-learning", "train") == default_steps("dqn", "watch") == 2_000
    monkeypatch.setenv("SPECGAME_STEPS", "1500")  # the explicit count beats the switch
    assert default_steps("sarsa", "compare --all") == 1500
    monkeypatch.setenv("SPECGAME_STEPS", "many")
    with pytest.raises(ValueError, match="SPECGAME_STEPS must be a whole number of steps, got 'many'"):
        default_steps("sarsa", "train")
