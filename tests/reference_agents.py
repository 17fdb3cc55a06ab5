"""Plain-Python SARSA, Expected SARSA and Q-learning, written from the textbook rules.

The tests check that the numba kernels produce *exactly* the Q-table these loops do from
the same seed.  Nothing here imports the kernels: only the random generator is shared
(its functions are callable from Python), so both sides see the same random numbers
and any difference is a difference in the update rules.  Slow on purpose: clarity only.
"""

from __future__ import annotations

import math

import numpy as np

from specgame.rng import integers, seed_state, uniform


def _draw(probabilities, u):
    """Inverse-CDF draw; if rounding leaves u above the total, the last possible outcome."""
    total = 0.0
    for index, p in enumerate(probabilities):
        total += p
        if u < total:
            return index
    return max(i for i, p in enumerate(probabilities) if p > 0)


def _act(values, epsilon, gen):
    """ε-greedy on a list of action values, greedy ties broken uniformly at random."""
    if uniform(gen) < epsilon:
        return integers(gen, len(values))
    best = max(values)
    tied = [a for a, v in enumerate(values) if v == best]
    return tied[integers(gen, len(tied))] if len(tied) > 1 else tied[0]


def _linear(start, end, step, decay_steps):
    if decay_steps <= 0.0:
        return end
    return start + (end - start) * min(step / decay_steps, 1.0)


def reference_train(algorithm, mdp, total_steps, alpha, gamma, epsilon, seed, q0=0.0,
                    epsilon_end=None, alpha_end=None, decay_steps=0.0):
    """Train for ``total_steps`` steps; return ``(q, proxy_returns, intended_returns, lengths)``.

    ``algorithm`` is "SARSA", "ExpectedSARSA" or "QLearning".
    """
    gen = seed_state(seed)
    epsilon_end = epsilon if epsilon_end is None else epsilon_end
    alpha_end = alpha if alpha_end is None else alpha_end
    q = np.full((mdp.n_obs, mdp.n_actions), float(q0))
    n_actions = mdp.n_actions

    def explore_rate(state, step):
        forced = mdp.forced_epsilon[state]
        return _linear(epsilon, epsilon_end, step, decay_steps) if math.isnan(forced) else forced

    proxy_returns, intended_returns, lengths = [], [], []
    state = None
    next_action = None  # SARSA commits to its next action before updating
    for step_index in range(total_steps):
        if state is None:
            state = _draw(mdp.initial, uniform(gen))
            t, proxy_return, intended_return, next_action = 0, 0.0, 0.0, None
        o = mdp.obs[state]
        if next_action is None:
            action = _act(list(q[o]), explore_rate(state, step_index), gen)
        else:
            action = next_action
        next_action = None
        k = _draw(mdp.prob[state, action], uniform(gen))
        after = mdp.next_state[state, action, k]
        reward = mdp.proxy[state, action, k]
        t += 1
        proxy_return += reward
        intended_return += (mdp.intended[state, action, k]
                            + mdp.speed_bonus[state, action, k] * (mdp.horizon - t) / mdp.horizon)

        if mdp.terminal[after]:
            target = reward
        else:
            values = list(q[mdp.obs[after]])
            eps_after = explore_rate(after, step_index + 1)
            if algorithm == "SARSA":
                next_action = _act(values, eps_after, gen)
                target = reward + gamma * values[next_action]
            elif algorithm == "ExpectedSARSA":
                # ε/|A| on every action plus (1 - ε) on the greedy ones, which all have the max value
                mean = 0.0
                for v in values:
                    mean += v
                mean = mean / n_actions
                target = reward + gamma * (eps_after * mean + (1.0 - eps_after) * max(values))
            else:
                target = reward + gamma * max(values)
        step_size = _linear(alpha, alpha_end, step_index, decay_steps)
        q[o, action] += step_size * (target - q[o, action])

        if mdp.terminal[after] or t >= mdp.horizon:
            proxy_returns.append(proxy_return)
            intended_returns.append(intended_return)
            lengths.append(t)
            state = None
            next_action = None
        else:
            state = after
    return q, np.array(proxy_returns), np.array(intended_returns), np.array(lengths, dtype=np.int64)
