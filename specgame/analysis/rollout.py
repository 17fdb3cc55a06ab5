"""Evaluate any policy on any Gymnasium env by rollouts: proxy and intended returns, with 95% CIs.

The exact comparators (:mod:`specgame.analysis.compare`) read a policy off a Q-table; a neural
policy, or an env without a table, is measured here instead, by running episodes.  The
intended reward is ``info["intended_reward"]`` where the env reports it, otherwise the
proxy (the env then has no gap to show).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from specgame._checks import check_int, check_seed, fail
from specgame.ids import resolve_id

# Student's t 0.975 quantiles for 1..30 degrees of freedom; beyond, a series in 1/df.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
         2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
         2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
_Z975 = 1.959963984540054


def t975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom (to 3 decimals)."""
    check_int("degrees of freedom", df, 1)
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975  # Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5): exact to 1e-4 from df 30
    return (z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3))


@dataclass(frozen=True)
class Estimate:
    """A sample mean with its 95% confidence interval (Student's t)."""

    mean: float
    low: float
    high: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    @classmethod
    def of(cls, values: np.ndarray) -> Estimate:
        values = np.asarray(values, np.float64)
        mean = float(values.mean())
        if len(values) < 2:
            return cls(mean, -math.inf, math.inf)
        half = t975(len(values) - 1) * float(values.std(ddof=1)) / math.sqrt(len(values))
        return cls(mean, mean - half, mean + half)

    def __str__(self) -> str:
        return f"{self.mean:.3f} ± {self.half_width:.3f}"


@dataclass(frozen=True)
class RolloutResult:
    """Per-episode returns of a policy and their means with 95% confidence intervals."""

    proxy_returns: np.ndarray
    """Sum of the env's reward, one per episode."""
    intended_returns: np.ndarray
    """Sum of ``info["intended_reward"]`` (the proxy where absent), one per episode."""
    lengths: np.ndarray
    """Steps of each episode."""

    @property
    def episodes(self) -> int:
        return len(self.lengths)

    @property
    def proxy(self) -> Estimate:
        return Estimate.of(self.proxy_returns)

    @property
    def intended(self) -> Estimate:
        return Estimate.of(self.intended_returns)

    @property
    def proxy_return(self) -> float:
        """Mean proxy return (the name :class:`specgame.policy.Returns` uses)."""
        return self.proxy.mean

    @property
    def intended_return(self) -> float:
        """Mean intended return (the name :class:`specgame.policy.Returns` uses)."""
        return self.intended.mean

    def to_dict(self) -> dict:
        return {"episodes": self.episodes,
                "proxy_return": {"mean": self.proxy.mean, "ci95": [self.proxy.low, self.proxy.high]},
                "intended_return": {"mean": self.intended.mean, "ci95": [self.intended.low, self.intended.high]},
                "mean_length": float(self.lengths.mean())}

    def __str__(self) -> str:
        return f"proxy {self.proxy}  intended {self.intended}  ({self.episodes} episodes, 95% CI)"


def as_policy(policy, deterministic: bool = True):
    """A function obs → action from a callable or an object with ``.predict`` (SB3, our agents)."""
    if hasattr(policy, "predict"):
        def act(obs):
            return policy.predict(obs, deterministic=deterministic)[0]
        return act
    if callable(policy):
        return policy
    fail("policy", "a callable obs -> action or an object with .predict(obs, deterministic=...)", type(policy).__name__)


def rollout(policy, env, episodes: int = 100, *, seed: int = 0, deterministic: bool = True,
            max_episode_steps: int | None = None) -> RolloutResult:
    """Run ``episodes`` episodes of ``policy`` in ``env`` (an env or an env id) and measure both returns.

    Seeded: the first reset gets ``seed``, later resets continue the env's own generator,
    so the same policy, env and seed give the same episodes.  ``max_episode_steps`` cuts
    episodes of envs that never end (None trusts the env's own truncation).
    """
    episodes = check_int("episodes", episodes, 1)
    seed = check_seed(seed)
    if max_episode_steps is not None:
        max_episode_steps = check_int("max_episode_steps", max_episode_steps, 1)
    owned = isinstance(env, str)
    if owned:
        env = gym.make(resolve_id(env))
    elif isinstance(env, gym.vector.VectorEnv) or not isinstance(env, gym.Env):
        fail("env", "a (single) Gymnasium env or an env id", type(env).__name__)
    act = as_policy(policy, deterministic)
    proxy, intended, lengths = np.zeros(episodes), np.zeros(episodes), np.zeros(episodes, np.int64)
    try:
        for episode in range(episodes):
            obs, _ = env.reset(seed=int(seed) if episode == 0 else None)
            done, steps, proxy_return, intended_return = False, 0, 0.0, 0.0
            while not done:
                obs, reward, terminated, truncated, info = env.step(act(obs))
                steps += 1
                proxy_return += float(reward)
                intended_return += float(info.get("intended_reward", reward))
                done = terminated or truncated or (max_episode_steps is not None and steps >= max_episode_steps)
            proxy[episode], intended[episode], lengths[episode] = proxy_return, intended_return, steps
    finally:
        if owned:
            env.close()
    return RolloutResult(proxy, intended, lengths)
