"""The learners: numba tabular SARSA, Expected SARSA and Q-learning, and a torch DQN.

``AGENTS`` names every agent once; ``make(name, env, **settings)`` builds one.  The CLI,
``play``/``watch`` and sweeps all go through them, so an agent's name, its settings and
their defaults are written in one place: the agent's config dataclass.  ``config_class(name)``
gives that dataclass (without importing torch) and ``settings_of(config_cls)`` its fields,
each with its default, type, one-line help and range: what a CLI needs for its options.
"""

from __future__ import annotations

from specgame._settings import Setting, training_steps
from specgame.agents._settings import overrides, settings_of
from specgame.agents.dqn_config import BOARD_DQN, DQNConfig
from specgame.agents.tabular import (
    SARSA,
    ExpectedSARSA,
    History,
    QLearning,
    TabularAgent,
    TabularConfig,
    train_seeds,
)

# name -> (module, class).  The DQN is looked up only when asked for: it needs torch.
_REGISTRY = {
    "q-learning": ("specgame.agents.tabular", "QLearning"),
    "sarsa": ("specgame.agents.tabular", "SARSA"),
    "expected-sarsa": ("specgame.agents.tabular", "ExpectedSARSA"),
    "dqn": ("specgame.agents.dqn", "DQN"),
}
AGENTS = tuple(_REGISTRY)
TABULAR = ("q-learning", "sarsa", "expected-sarsa")
NEURAL = ("dqn",)  # needs the dqn extra (torch); trains on the board's onehot planes
# name -> the dataclass of its settings; importing these needs no torch.
AGENT_CONFIGS = {**{name: TabularConfig for name in TABULAR}, "dqn": DQNConfig}

# The board DQN (dqn_config.BOARD_DQN, a DQNConfig) as keywords: the settings where it differs from
# DQNConfig's defaults, so that `DQN(env, seed=0, **BOARD_DQN_SETTINGS)` builds it.
BOARD_DQN_STEPS = 40_000
BOARD_DQN_SETTINGS = overrides(BOARD_DQN)


# Default training budgets, env steps per agent, by the task they are for: the one place they
# are written (the commands, `play`/`watch` and the course read them from here).  QUICK_STEPS
# replaces every one of them under SPECGAME_QUICK=1 (specgame._settings.quick).
DEFAULT_STEPS = {"tabular": {"train": 1_000_000, "compare": 1_000_000, "compare --all": 200_000, "watch": 300_000,
                             "demo": 1_000_000},
                 "dqn": dict.fromkeys(("train", "compare", "compare --all", "watch", "interpret"), BOARD_DQN_STEPS)}
QUICK_STEPS = 2_000


def default_steps(name: str, task: str) -> int:
    """The training budget of agent ``name`` for ``task`` (a key of :data:`DEFAULT_STEPS`), unless
    ``SPECGAME_STEPS=N`` says N or ``SPECGAME_QUICK=1`` says :data:`QUICK_STEPS`."""
    return training_steps(full_steps(name, task), QUICK_STEPS)


def full_steps(name: str, task: str) -> int:
    """The training budget of agent ``name`` for ``task`` as :data:`DEFAULT_STEPS` writes it (no switch)."""
    return DEFAULT_STEPS["dqn" if name in NEURAL else "tabular"][task]


def agent_class(name: str):
    """The class registered as ``name`` (one of :data:`AGENTS`)."""
    _check_name(name)
    import importlib

    module, cls = _REGISTRY[name]
    return getattr(importlib.import_module(module), cls)


def config_class(name: str):
    """The config dataclass of agent ``name`` (``TabularConfig`` or ``DQNConfig``); needs no torch."""
    _check_name(name)
    return AGENT_CONFIGS[name]


def make(name: str, env, config=None, **settings):
    """A new, untrained agent ``name`` on ``env``: ``config`` (its config dataclass) and/or its fields."""
    return agent_class(name)(env, config, **settings)


def _check_name(name) -> None:
    if name not in _REGISTRY:
        raise ValueError(f"agent must be one of {', '.join(AGENTS)}, got {name!r}")


__all__ = ["AGENTS", "AGENT_CONFIGS", "BOARD_DQN", "BOARD_DQN_SETTINGS", "BOARD_DQN_STEPS", "DEFAULT_STEPS", "NEURAL",
           "QUICK_STEPS", "SARSA", "TABULAR", "DQNConfig", "ExpectedSARSA", "History", "QLearning", "Setting",
           "TabularAgent", "TabularConfig", "agent_class", "config_class", "default_steps", "full_steps", "make",
           "settings_of", "train_seeds"]


def __getattr__(name):
    # The DQN needs torch, an optional extra: import it only when asked for.
    if name == "DQN":
        from specgame.agents import dqn

        return dqn.DQN
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
