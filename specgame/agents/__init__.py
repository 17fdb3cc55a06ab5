"""The learners: numba tabular SARSA, Expected SARSA and Q-learning, and a torch DQN.

Every learner follows one contract, :class:`Agent` (``specgame/agents/base.py``), and is
registered under a name (``specgame/agents/registry.py``); ``make(name, env, **settings)``
builds one.  The CLI, ``play``/``watch`` and sweeps go through the registry and then ask the
class what it needs (its observations, whether it resumes, how it trains several seeds), so
adding a learner is one module and one ``register`` line, and its settings and their
defaults are written in one place: its config dataclass.  ``config_class(name)`` gives that
dataclass (without importing torch) and ``settings_of(config_cls)`` its fields, each with
its default, type, one-line help and range: what a CLI needs for its options.
"""

from __future__ import annotations

from specgame._settings import Setting
from specgame.agents._settings import overrides, settings_of
from specgame.agents.base import OBS_MODES, Agent, AgentError, Learner, check_agent
from specgame.agents.dqn_config import BOARD_DQN, DQNConfig
from specgame.agents.registry import (
    QUICK_STEPS,
    TASKS,
    AgentSpec,
    agent_class,
    agent_names,
    config_class,
    default_steps,
    full_steps,
    make,
    observation_settings,
    register,
    starting_config,
    unregister,
)
from specgame.agents.tabular import (
    SARSA,
    ExpectedSARSA,
    History,
    QLearning,
    TabularAgent,
    TabularConfig,
    train_seeds,
)

# The board DQN (dqn_config.BOARD_DQN, a DQNConfig) as keywords: the settings where it differs from
# DQNConfig's defaults, so that `DQN(env, seed=0, **BOARD_DQN_SETTINGS)` builds it.
BOARD_DQN_STEPS = 40_000
BOARD_DQN_SETTINGS = overrides(BOARD_DQN)

# Default training budgets, env steps per agent, by the task they are for: the one place they
# are written (the registrations below carry them to the commands, `play`/`watch` and the
# course).  QUICK_STEPS replaces every one of them under SPECGAME_QUICK=1 (specgame._settings.quick).
DEFAULT_STEPS = {"tabular": {"train": 1_000_000, "compare": 1_000_000, "compare --all": 200_000, "watch": 300_000,
                             "demo": 1_000_000},
                 "dqn": dict.fromkeys((*TASKS, "interpret"), BOARD_DQN_STEPS)}

register("q-learning", QLearning, default_steps=DEFAULT_STEPS["tabular"])
register("sarsa", SARSA, default_steps=DEFAULT_STEPS["tabular"])
register("expected-sarsa", ExpectedSARSA, default_steps=DEFAULT_STEPS["tabular"])
# Imported when first asked for: it needs torch (the dqn extra) and trains on the onehot board planes.
# The commands start it from the board preset, which learns BoatRaceLoop's loop (tests/test_dqn.py).
register("dqn", "specgame.agents.dqn:DQN", config_class=DQNConfig, default_steps=DEFAULT_STEPS["dqn"],
         starting_config=BOARD_DQN)

# The built-in agents, by name: AGENTS every one, TABULAR those that take TabularConfig, NEURAL
# the others (for defaults, benchmarks and tests; nothing branches on them).  agent_names()
# has every agent registered by now, those registered later included.
AGENTS = agent_names()
TABULAR = tuple(name for name in AGENTS if config_class(name) is TabularConfig)
NEURAL = tuple(name for name in AGENTS if config_class(name) is not TabularConfig)
AGENT_CONFIGS = {name: config_class(name) for name in AGENTS}  # name -> the dataclass of its settings; no torch

__all__ = ["AGENTS", "AGENT_CONFIGS", "BOARD_DQN", "BOARD_DQN_SETTINGS", "BOARD_DQN_STEPS", "DEFAULT_STEPS", "NEURAL",
           "OBS_MODES", "QUICK_STEPS", "SARSA", "TABULAR", "TASKS", "Agent", "AgentError", "AgentSpec", "DQNConfig",
           "ExpectedSARSA", "History", "Learner", "QLearning", "Setting", "TabularAgent", "TabularConfig",
           "agent_class", "agent_names", "check_agent", "config_class", "default_steps", "full_steps", "make",
           "observation_settings", "register", "settings_of", "starting_config", "train_seeds", "unregister"]


def __getattr__(name):
    # The DQN needs torch, an optional extra: import it only when asked for.
    if name == "DQN":
        from specgame.agents import dqn

        return dqn.DQN
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
