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
