"""The learners: numba tabular SARSA, Expected SARSA and Q-learning, and a torch DQN.

Every learner follows one contract, :class:`Agent` (``specgame/agents/base.py``), and is
registered under a name (``specgame/agents/registry.py``); ``make(name, env, **settings)``
builds one.  The CLI, ``play``/``watch`` and sweeps go through the registry and then ask the
class what it needs (its observations, whether it resumes, how it trains several seeds), so
adding a learner is one module and one ``register`` line, and its settings and their
defaults are written in one place: its config dataclass.  ``config_class(name)`` gives that
dataclass (without importing torch) and ``settings_of(config_cls)`` its fields, each with
its default, type and one-line docstring: what a CLI needs for its options.
"""

from __future__ import annotations

from specgame.agents._settings import Setting, settings_of
from specgame.agents.base import OBS_MODES, Agent, AgentError, Learner, check_agent
from specgame.agents.dqn_config import DQNConfig
from specgame.agents.registry import (
    TASKS,
    AgentSpec,
    agent_class,
    agent_names,
    config_class,
    default_steps,
    make,
    observation_settings,
    register,
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

# The DQN settings that learn BoatRaceLoop's lagoon loop from the onehot board planes in
# BOARD_DQN_STEPS steps on 2 CPU cores (tests/test_dqn.py); the CLI and `watch` use them.
BOARD_DQN_STEPS = 40_000
BOARD_DQN_SETTINGS = {"learning_rate": 5e-4, "batch_size": 32, "buffer_size": 50_000, "learning_starts": 1000,
                      "target_update_interval": 500, "exploration_fraction": 0.4, "net_arch": (64,),
                      "n_step": 3, "double_dqn": True}

# Default training budgets, env steps per agent, by the task they are for: the one place they
# are written (the commands, `play`/`watch` and the course read them through default_steps).
TABULAR_STEPS = {"train": 1_000_000, "compare": 1_000_000, "compare --all": 200_000, "watch": 300_000,
                 "demo": 1_000_000}
DEFAULT_STEPS = {"tabular": TABULAR_STEPS, "dqn": dict.fromkeys(TASKS, BOARD_DQN_STEPS)}

register("q-learning", QLearning, default_steps=TABULAR_STEPS)
register("sarsa", SARSA, default_steps=TABULAR_STEPS)
register("expected-sarsa", ExpectedSARSA, default_steps=TABULAR_STEPS)
# Imported when first asked for: it needs torch (the dqn extra) and trains on the onehot board planes.
register("dqn", "specgame.agents.dqn:DQN", config_class=DQNConfig, default_steps=BOARD_DQN_STEPS)

# The built-in agents, by name: AGENTS every one, TABULAR those that take TabularConfig, NEURAL
# the others (for defaults, benchmarks and tests; nothing branches on them).  agent_names()
# has every agent registered by now, those registered later included.
AGENTS = agent_names()
TABULAR = tuple(name for name in AGENTS if config_class(name) is TabularConfig)
NEURAL = tuple(name for name in AGENTS if name not in TABULAR)
AGENT_CONFIGS = {name: config_class(name) for name in AGENTS}  # name -> the dataclass of its settings; no torch

__all__ = ["AGENTS", "AGENT_CONFIGS", "BOARD_DQN_SETTINGS", "BOARD_DQN_STEPS", "DEFAULT_STEPS", "NEURAL", "OBS_MODES",
           "SARSA", "TABULAR", "TABULAR_STEPS", "TASKS", "Agent", "AgentError", "AgentSpec", "DQNConfig",
           "ExpectedSARSA", "History", "Learner", "QLearning", "Setting", "TabularAgent", "TabularConfig",
           "agent_class", "agent_names", "check_agent", "config_class", "default_steps", "make",
           "observation_settings", "register", "settings_of", "train_seeds", "unregister"]


def __getattr__(name):
    # The DQN needs torch, an optional extra: import it only when asked for.
    if name == "DQN":
        from specgame.agents import dqn

        return dqn.DQN
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
