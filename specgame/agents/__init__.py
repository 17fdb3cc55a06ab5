"""Tabular agents (numba): SARSA, Expected SARSA and Q-learning on a TabularMDP."""

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

__all__ = ["SARSA", "ExpectedSARSA", "History", "QLearning", "TabularAgent", "TabularConfig", "train_seeds"]


def __getattr__(name):
    # The DQN needs torch, an optional extra: import it only when asked for.
    if name in ("DQN", "DQNConfig"):
        from specgame.agents import dqn

        return getattr(dqn, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
