"""Environment steps per second: the numba kernels against a plain-Python SARSA loop.

    python benchmarks/bench_tabular.py [--quick]

For each environment, each algorithm's kernel trains on the compiled TabularMDP, and a
textbook Python SARSA (``gymnasium.make``, ``reset``/``step``, a dict Q-table, the
``random`` module) trains on the same environment.  Medians over a few repeats; the
ratio is numba's steps/s over Python's.  ``run(quick)`` returns the rows for the CLI.

Times are the CPU time of the calling thread (both loops are single-threaded), so a busy
machine slows the wall clock without skewing the ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import gymnasium
import numpy as np

from specgame.agents import SARSA, ExpectedSARSA, QLearning
from specgame.mdp import to_mdp

ENVS = [("specgame/BoatRaceLoop-v0", {}), ("CliffWalking-v1", {"max_episode_steps": 1000})]
HYPER = {"alpha": 0.1, "gamma": 0.99, "epsilon": 0.1}


def numba_steps_per_second(cls, mdp, steps: int, repeats: int) -> float:
    cls(mdp, seed=0, **HYPER).learn(1000)  # compile (or load numba's cache) outside the timing
    rates = []
    for seed in range(repeats):
        agent = cls(mdp, seed=seed, **HYPER)
        start = time.thread_time()
        agent.learn(steps)
        rates.append(steps / (time.thread_time() - start))
    return statistics.median(rates)


def python_sarsa_steps_per_second(env_id: str, kwargs: dict, steps: int, repeats: int) -> float:
    """Plain SARSA as one would write it without specgame: the baseline being sped up."""
    return statistics.median(_python_sarsa(env_id, kwargs, steps, seed) for seed in range(repeats))


def _python_sarsa(env_id: str, kwargs: dict, steps: int, seed: int) -> float:
    env = gymnasium.make(env_id, **kwargs)
    n_actions = env.action_space.n
    rand = random.Random(seed)
    q: dict = {}

    def key(observation):
        return int(observation) if np.ndim(observation) == 0 else np.asarray(observation).tobytes()

    def act(state):
        values = q.setdefault(state, [0.0] * n_actions)
        if rand.random() < HYPER["epsilon"]:
            return rand.randrange(n_actions)
        best = max(values)
        return rand.choice([a for a, v in enumerate(values) if v == best])

    start = time.thread_time()
    observation, _ = env.reset(seed=seed)
    state = key(observation)
    action = act(state)
    for _ in range(steps):
        observation, reward, terminated, truncated, _ = env.step(action)
        after = key(observation)
        next_action = act(after)
        target = reward if terminated else reward + HYPER["gamma"] * q[after][next_action]
        q[state][action] += HYPER["alpha"] * (target - q[state][action])
        if terminated or truncated:
            observation, _ = env.reset()
            state = key(observation)
            action = act(state)
        else:
            state, action = after, next_action
    rate = steps / (time.thread_time() - start)
    env.close()
    return rate


def run(quick: bool = False) -> list[dict]:
    """One row per (environment, algorithm): numba and Python steps/s and their ratio."""
    numba_steps, python_steps, repeats = (1_000_000, 20_000, 3) if quick else (10_000_000, 100_000, 5)
    try:
        import specgame.envs  # noqa: F401  (registers the specgame/ ids)
    except ImportError:
        pass
    rows = []
    for env_id, kwargs in ENVS:
        if env_id not in gymnasium.registry:
            print(f"skipping {env_id}: not registered yet")
            continue
        mdp = to_mdp(gymnasium.make(env_id, **kwargs))
        python_rate = python_sarsa_steps_per_second(env_id, kwargs, python_steps, repeats)
        for cls in (SARSA, ExpectedSARSA, QLearning):
            rate = numba_steps_per_second(cls, mdp, numba_steps, repeats)
            rows.append({"env": env_id, "algorithm": cls.name, "numba_steps_per_s": rate,
                         "python_sarsa_steps_per_s": python_rate, "ratio": rate / python_rate})
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    args = parser.parse_args(argv)
    rows = run(quick=args.quick)
    print(f"{'env':28} {'algorithm':14} {'numba steps/s':>14} {'python SARSA':>13} {'ratio':>7}")
    for row in rows:
        print(f"{row['env']:28} {row['algorithm']:14} {row['numba_steps_per_s']:14,.0f} "
              f"{row['python_sarsa_steps_per_s']:13,.0f} {row['ratio']:6.0f}x")


if __name__ == "__main__":
    main()
