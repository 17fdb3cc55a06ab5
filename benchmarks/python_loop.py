"""The baseline being sped up: a textbook tabular agent in plain Python over ``gymnasium.make``.

``reset``/``step`` on the Gymnasium env, a dict Q-table, the ``random`` module: what one
writes without specgame.  SARSA, Expected SARSA and Q-learning differ only in the
bootstrap term, as in the numba kernel.
"""

from __future__ import annotations

import random
import time

import gymnasium


def steps_per_second(env_id: str, algorithm: str, steps: int, seed: int, hyper: dict) -> float:
    """Environment steps per CPU-second of the calling thread for ``steps`` steps of training."""
    alpha, gamma, epsilon = hyper["alpha"], hyper["gamma"], hyper["epsilon"]
    env = gymnasium.make(env_id)
    n_actions = env.action_space.n
    rand = random.Random(seed)
    q: dict = {}

    def row(observation):
        return q.setdefault(int(observation), [0.0] * n_actions)

    def act(values):
        if rand.random() < epsilon:
            return rand.randrange(n_actions)
        best = max(values)
        return rand.choice([a for a, v in enumerate(values) if v == best])

    def bootstrap(values):
        if algorithm == "SARSA":
            return None  # the next action's value, filled in by the loop
        if algorithm == "ExpectedSARSA":
            return epsilon * sum(values) / n_actions + (1 - epsilon) * max(values)
        return max(values)

    start = time.thread_time()
    observation, _ = env.reset(seed=seed)
    values = row(observation)
    action = act(values)
    for _ in range(steps):
        observation, reward, terminated, truncated, _ = env.step(action)
        next_values = row(observation)
        next_action = act(next_values)
        if terminated:
            target = reward
        else:
            expected = bootstrap(next_values)
            target = reward + gamma * (next_values[next_action] if expected is None else expected)
        values[action] += alpha * (target - values[action])
        if terminated or truncated:
            observation, _ = env.reset()
            values = row(observation)
            action = act(values)
        else:
            values, action = next_values, next_action
    rate = steps / (time.thread_time() - start)
    env.close()
    return rate
