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

__all__ = ["SARSA", "ExpectedSARSA", "History", "QLearning", "TabularAgent", "TabularConfig", "train_seeds"]


def __getattr__(name):
    # The DQN needs torch, an optional extra: import it only when asked for.
    if name in ("DQN", "DQNConfig"):
        from specgame.agents import dqn

        return getattr(dqn, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
