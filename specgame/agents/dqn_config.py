"""The settings of :class:`specgame.agents.dqn.DQN`, apart so that reading them needs no torch.

A CLI lists an agent's options from its config dataclass (``specgame.agents.settings_of``);
keeping this one out of ``dqn.py`` lets ``--help`` work where the dqn extra is not installed.
"""

from __future__ import annotations

from dataclasses import dataclass

from specgame._checks import fail
from specgame._settings import setting, validate
from specgame.agents._settings import discount

NETWORKS = ("auto", "mlp", "cnn")


@dataclass(frozen=True)
class DQNConfig:
    """Hyper-parameters of :class:`DQN`, checked on construction (names follow Stable-Baselines3)."""

    learning_rate: float = setting(1e-4, "Adam step size", low=0, low_open=True)
    buffer_size: int = setting(100_000, "Transitions the replay buffer holds (the oldest are overwritten)", low=1)
    learning_starts: int = setting(1000, "Env steps collected before the first gradient step", low=0)
    batch_size: int = setting(32, "Transitions per gradient step", low=1)
    gamma: float = discount()
    train_freq: int = setting(4, "Train every this many vector steps (one step of every env)", low=1)
    gradient_steps: int = setting(1, "Gradient steps each time it trains", low=1)
    target_update_interval: int = setting(1000, "Env steps between target-network updates", low=1)
    tau: float = setting(1.0, "Target update rate: 1 copies the online network (hard), below 1 is Polyak averaging",
                         low=0, high=1, low_open=True)
    exploration_fraction: float = setting(0.1, "Fraction of ``schedule_steps`` over which ε falls linearly",
                                          low=0.0, high=1.0)
    exploration_initial_eps: float = setting(1.0, "ε at the start", low=0.0, high=1.0)
    exploration_final_eps: float = setting(0.05, "ε after the fall", low=0.0, high=1.0)
    max_grad_norm: float = setting(10.0, "Gradients are clipped to this global norm", low=0, low_open=True)
    double_dqn: bool = setting(False, "Pick the next action with the online network and value it with the target "
                               "(van Hasselt 2016)")
    n_step: int = setting(1, "Steps of reward summed before bootstrapping", low=1)
    network: str = setting("auto", "The Q-network's kind (auto: cnn for C×H×W observations, mlp otherwise)",
                           choices=NETWORKS)
    net_arch: tuple[int, ...] = setting((64, 64), "Hidden layer widths of the MLP (and of the CNN's head)",
                                        kind="widths")
    cnn_channels: tuple[int, ...] = setting((16,), "Channels of the CNN's 3×3 convolutions (padding 1, stride 1)",
                                            kind="widths")
    schedule_steps: int | None = setting(None, "Env steps the ε schedule spans (None: ``total_steps`` of the first "
                                         "``learn`` call)", low=1, kind="int")
    num_threads: int | None = setting(None, "torch threads while this agent trains or acts (None: "
                                      "``$SPECGAME_TORCH_THREADS``, else 1)", low=1, kind="int")
    seed: int = setting(0, "Seed of the network's initial weights, the exploration and the replay sampling",
                        kind="seed")

    def __post_init__(self):
        validate(self)  # checked only: the values are kept as given (the widths become tuples)
        if not self.cnn_channels:
            fail("cnn_channels", "at least one convolution's channels", ())

    def epsilon(self, step: int, schedule_steps: int | None) -> float:
        """ε after ``step`` env steps: linear from initial to final, then constant."""
        span = self.exploration_fraction * (schedule_steps or 0)
        if span <= 0:
            return self.exploration_final_eps if step > 0 else self.exploration_initial_eps
        fraction = min(1.0, step / span)
        return self.exploration_initial_eps + fraction * (self.exploration_final_eps - self.exploration_initial_eps)


# The settings that learn BoatRaceLoop's lagoon loop from the onehot board planes in
# 40,000 steps on 2 CPU cores (tests/test_dqn.py); the CLI, `watch` and `interpret` use them.
BOARD_DQN = DQNConfig(learning_rate=5e-4, buffer_size=50_000, target_update_interval=500, exploration_fraction=0.4,
                      net_arch=(64,), n_step=3, double_dqn=True)
