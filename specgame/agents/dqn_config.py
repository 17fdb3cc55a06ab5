"""The settings of :class:`specgame.agents.dqn.DQN`, apart so that reading them needs no torch.

A CLI lists an agent's options from its config dataclass (``specgame.agents.settings_of``);
keeping this one out of ``dqn.py`` lets ``--help`` work where the dqn extra is not installed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from specgame._checks import check_choice, check_flag, check_int, check_number, check_probability, check_seed, fail

NETWORKS = ("auto", "mlp", "cnn")


@dataclass(frozen=True)
class DQNConfig:
    """Hyper-parameters of :class:`DQN`, checked on construction (names follow Stable-Baselines3)."""

    learning_rate: float = 1e-4
    """Adam step size, > 0."""
    buffer_size: int = 100_000
    """Transitions the replay buffer holds (the oldest are overwritten), ≥ 1."""
    learning_starts: int = 1000
    """Env steps collected before the first gradient step, ≥ 0."""
    batch_size: int = 32
    """Transitions per gradient step, ≥ 1."""
    gamma: float = 0.99
    """Discount factor, in [0, 1]."""
    train_freq: int = 4
    """Train every this many vector steps (one step of every env), ≥ 1."""
    gradient_steps: int = 1
    """Gradient steps each time it trains, ≥ 1."""
    target_update_interval: int = 1000
    """Env steps between target-network updates, ≥ 1."""
    tau: float = 1.0
    """Target update rate: 1 copies the online network (hard), below 1 is Polyak averaging; in (0, 1]."""
    exploration_fraction: float = 0.1
    """Fraction of ``schedule_steps`` over which ε falls linearly, in [0, 1]."""
    exploration_initial_eps: float = 1.0
    """ε at the start, in [0, 1]."""
    exploration_final_eps: float = 0.05
    """ε after the fall, in [0, 1]."""
    max_grad_norm: float = 10.0
    """Gradients are clipped to this global norm, > 0."""
    double_dqn: bool = False
    """Pick the next action with the online network and value it with the target (van Hasselt 2016)."""
    n_step: int = 1
    """Steps of reward summed before bootstrapping, ≥ 1."""
    network: str = "auto"
    """"mlp", "cnn", or "auto": cnn for C×H×W observations, mlp otherwise."""
    net_arch: tuple[int, ...] = (64, 64)
    """Hidden layer widths of the MLP (and of the CNN's head)."""
    cnn_channels: tuple[int, ...] = (16,)
    """Channels of the CNN's 3×3 convolutions (padding 1, stride 1)."""
    schedule_steps: int | None = None
    """Env steps the ε schedule spans; None takes ``total_steps`` of the first ``learn`` call."""
    num_threads: int | None = None
    """torch threads while this agent trains or acts; None: ``$SPECGAME_TORCH_THREADS``, else 1."""
    seed: int = 0
    """Seed of the network's initial weights, the exploration and the replay sampling."""

    def __post_init__(self):
        # Checked only: the values are kept as given (the widths become tuples).
        check_number("learning_rate", self.learning_rate, 0, math.inf, low_open=True)
        check_int("buffer_size", self.buffer_size, 1)
        check_int("learning_starts", self.learning_starts, 0)
        check_int("batch_size", self.batch_size, 1)
        check_number("gamma", self.gamma, 0, 1)
        check_int("train_freq", self.train_freq, 1)
        check_int("gradient_steps", self.gradient_steps, 1)
        check_int("target_update_interval", self.target_update_interval, 1)
        check_number("tau", self.tau, 0, 1, low_open=True)
        for name in ("exploration_fraction", "exploration_initial_eps", "exploration_final_eps"):
            check_probability(name, getattr(self, name))
        check_number("max_grad_norm", self.max_grad_norm, 0, math.inf, low_open=True)
        check_flag("double_dqn", self.double_dqn)
        check_int("n_step", self.n_step, 1)
        check_choice("network", self.network, NETWORKS)
        for name in ("net_arch", "cnn_channels"):
            widths = getattr(self, name)
            if isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
                fail(name, "a sequence of positive ints", widths)
            widths = tuple(widths)
            for width in widths:
                check_int(f"each width in {name}", width, 1)
            object.__setattr__(self, name, widths)
        if not self.cnn_channels:
            fail("cnn_channels", "at least one convolution's channels", ())
        if self.schedule_steps is not None:
            check_int("schedule_steps", self.schedule_steps, 1)
        if self.num_threads is not None:
            check_int("num_threads", self.num_threads, 1)
        check_seed(self.seed)

    def epsilon(self, step: int, schedule_steps: int | None) -> float:
        """ε after ``step`` env steps: linear from initial to final, then constant."""
        span = self.exploration_fraction * (schedule_steps or 0)
        if span <= 0:
            return self.exploration_final_eps if step > 0 else self.exploration_initial_eps
        fraction = min(1.0, step / span)
        return self.exploration_initial_eps + fraction * (self.exploration_final_eps - self.exploration_initial_eps)
