"""Exact finite-horizon planning and policy evaluation over a :class:`TabularMDP`.

An episode lasts at most ``mdp.horizon`` steps and ends early in a terminal state.  A
return is the (optionally discounted) sum of rewards over the episode; the intended reward
of step ``t`` (from 1) carries ``speed_bonus * (horizon - t) / horizon``, so values depend
on the time step and both the planner and the evaluator index by it.

Two numba kernels do the work: ``_backward`` (backward induction, for :func:`solve`) and
``_forward`` (pushes the state distribution through the episode, for :func:`evaluate`,
:func:`expected_total` and :func:`occupancy`).  Everything a user passes in is checked
here, in Python, before it reaches a kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from specgame.mdp import TabularMDP

OBJECTIVES = ("proxy", "intended")


class Returns(NamedTuple):
    """Exact expected returns of one policy from the initial distribution."""

    proxy_return: float
    intended_return: float


@dataclass(frozen=True, eq=False)
class Plan:
    """An optimal non-stationary policy, found by :func:`solve`.

    ``actions[i, s]`` is the action taken in state ``s`` when ``i`` steps of the episode
    have been taken (so row 0 is step 1).  ``proxy_return`` and ``intended_return`` are the
    exact expected returns of *this* policy from ``initial``; ``proxy_values[s]`` and
    ``intended_values[s]`` are its returns from state ``s`` at the start of an episode.
    """

    objective: str
    actions: np.ndarray  # int8 [horizon, S] (int32 for tables with more than 127 actions)
    proxy_return: float
    intended_return: float
    proxy_values: np.ndarray  # float64 [S]
    intended_values: np.ndarray  # float64 [S]
    gamma: float = 1.0
    honour_forced_epsilon: bool = False

    @property
    def value(self) -> float:
        """The optimal return of the objective the plan was solved for."""
        return self.proxy_return if self.objective == "proxy" else self.intended_return

    @property
    def returns(self) -> Returns:
        return Returns(self.proxy_return, self.intended_return)


# -- kernels ---------------------------------------------------------------------------------

# Two returns closer than this (relative to their size, absolute below 1) count as equal
# when breaking ties: backward induction sums in different orders along different actions,
# so exactly equal values can differ in the last bits.
TIE_TOLERANCE = 1e-9


@njit(cache=True)
def _expected_rewards(prob, proxy, intended, speed_bonus):
    """Expected proxy, intended and speed-bonus reward of each (state, action)."""
    S, A, K = prob.shape
    mean_proxy = np.zeros((S, A))
    mean_intended = np.zeros((S, A))
    mean_speed = np.zeros((S, A))
    for s in range(S):
        for a in range(A):
            for k in range(K):
                p = prob[s, a, k]
                if p != 0.0:
                    mean_proxy[s, a] += p * proxy[s, a, k]
                    mean_intended[s, a] += p * intended[s, a, k]
                    mean_speed[s, a] += p * speed_bonus[s, a, k]
    return mean_proxy, mean_intended, mean_speed


@njit(cache=True, parallel=True)
def _backward(next_state, prob, proxy, intended, speed_bonus, terminal, forced_epsilon,
              horizon, gamma, by_intended, honour_forced_epsilon, actions):
    """Fill ``actions`` [H, S]; return the proxy and intended values of each state at step 1.

    The states of one step are independent, so they are shared out over the threads in
    chunks; each state's arithmetic is the same whatever the thread count.
    """
    S, A, K = next_state.shape
    # Values-to-go from step t + 1 and from step t: [S, 2] (proxy, intended) side by side,
    # so one cache line brings both for a next state (this loop is memory-bound).
    values_next = np.zeros((S, 2))
    values_now = np.zeros((S, 2))
    # Expected immediate rewards, once: each step then reads only prob and next_state.
    mean_proxy, mean_intended, mean_speed = _expected_rewards(prob, proxy, intended, speed_bonus)
    n_chunks = min(S, 256)
    main, other = (1, 0) if by_intended else (0, 1)
    for t in range(horizon, 0, -1):
        time_left = (horizon - t) / horizon
        for chunk in prange(n_chunks):
            q = np.empty((2, A))  # row 0: proxy, row 1: intended action values
            for s in range(chunk * S // n_chunks, (chunk + 1) * S // n_chunks):
                if terminal[s]:  # the episode is over: nothing more to earn
                    values_now[s, 0] = 0.0
                    values_now[s, 1] = 0.0
                    actions[t - 1, s] = 0
                    continue
                for a in range(A):
                    future_proxy = 0.0
                    future_intended = 0.0
                    for k in range(K):
                        p = prob[s, a, k]
                        if p == 0.0:
                            continue
                        n = next_state[s, a, k]
                        future_proxy += p * values_next[n, 0]
                        future_intended += p * values_next[n, 1]
                    q[0, a] = mean_proxy[s, a] + gamma * future_proxy
                    q[1, a] = mean_intended[s, a] + mean_speed[s, a] * time_left + gamma * future_intended
                best = q[main, 0]
                for a in range(1, A):
                    best = max(best, q[main, a])
                tolerance = TIE_TOLERANCE * max(1.0, abs(best))
                # Among near-best actions take the best on the other reward, then the lowest
                # index: a lexicographic optimum, because the other row already holds the
                # values of the tie-broken policy from step t + 1 on.
                chosen = -1
                for a in range(A):
                    if q[main, a] < best - tolerance:
                        continue
                    if chosen < 0 or q[other, a] > q[other, chosen] + TIE_TOLERANCE * max(1.0, abs(q[other, chosen])):
                        chosen = a
                actions[t - 1, s] = chosen
                fe = forced_epsilon[s]
                for row in range(2):
                    if honour_forced_epsilon and not np.isnan(fe):
                        # The environment explores for the agent: the chosen action runs with
                        # probability 1 - fe, a uniformly random one with probability fe.  The
                        # best choice is still the argmax; only its value changes.
                        values_now[s, row] = (1.0 - fe) * q[row, chosen] + fe * q[row].mean()
                    else:
                        values_now[s, row] = q[row, chosen]
        values_next, values_now = values_now, values_next
    return values_next[:, 0].copy(), values_next[:, 1].copy()


@njit(cache=True)
def _forward(next_state, prob, terminal, initial, horizon, gamma, actions, probs, deterministic,
             forced_epsilon, honour_forced_epsilon, reward, intended, speed_bonus, visits):
    """Push the state distribution through one episode under a policy.

    The policy is ``actions`` [T, S] when ``deterministic``, else ``probs`` [T, S, A];
    T is 1 (stationary) or the horizon.  Returns the expected totals of ``reward`` and of
    the intended reward (with its speed bonus), and adds the expected visits to ``visits``:
    decision steps spent in each state, and for terminal states the chance of ending there.
    """
    S, A, K = next_state.shape
    stationary = (actions.shape[0] if deterministic else probs.shape[0]) == 1
    mass = initial.copy()
    mass_next = np.zeros(S)
    reward_total = 0.0
    intended_total = 0.0
    discount = 1.0
    for t in range(1, horizon + 1):
        time_left = (horizon - t) / horizon
        row = 0 if stationary else t - 1
        mass_next[:] = 0.0
        for s in range(S):
            m = mass[s]
            if m == 0.0:
                continue
            visits[s] += m
            fe = forced_epsilon[s]
            forced = honour_forced_epsilon and not np.isnan(fe)
            for a in range(A):
                if deterministic:
                    w = 1.0 if actions[row, s] == a else 0.0
                else:
                    w = probs[row, s, a]
                if forced:
                    w = (1.0 - fe) * w + fe / A
                if w == 0.0:
                    continue
                for k in range(K):
                    p = prob[s, a, k]
                    if p == 0.0:
                        continue
                    flow = m * w * p
                    reward_total += discount * flow * reward[s, a, k]
                    intended_total += discount * flow * (intended[s, a, k] + speed_bonus[s, a, k] * time_left)
                    n = next_state[s, a, k]
                    if terminal[n]:
                        visits[n] += flow  # the episode ends here; it never acts again
                    else:
                        mass_next[n] += flow
        mass, mass_next = mass_next, mass
        discount *= gamma
    return reward_total, intended_total


# -- planning --------------------------------------------------------------------------------


def solve(mdp: TabularMDP, objective: str = "proxy", *, gamma: float = 1.0,
          honour_forced_epsilon: bool = False) -> Plan:
    """The optimal finite-horizon policy for ``objective`` ("proxy" or "intended").

    Backward induction over the steps t = horizon..1 of the episode.  The plan sees the
    full state and the time step, so its value bounds from above what any policy over
    observations can reach.

    Ties: among actions within ``TIE_TOLERANCE`` (relative; absolute below 1) of the best,
    the plan takes the one best on the *other* reward, then the lowest index.  The
    proxy-optimal plan is therefore the most intended-friendly of all proxy-optimal
    policies, so a claim that "the proxy-optimal policy scores low on the intended
    objective" made with it is conservative.

    With ``honour_forced_epsilon`` the environment's forced exploration is part of the
    dynamics (see :func:`evaluate`).
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    gamma = _check_gamma(gamma)
    # One byte an entry: a plan for a 13-million-state game over 100 steps is 1.3 GB.
    actions = np.zeros((mdp.horizon, mdp.n_states), dtype=np.int8 if mdp.n_actions <= 127 else np.int32)
    proxy_values, intended_values = _backward(
        mdp.next_state, mdp.prob, mdp.proxy, mdp.intended, mdp.speed_bonus, mdp.terminal,
        mdp.forced_epsilon, mdp.horizon, gamma, objective == "intended", bool(honour_forced_epsilon),
        actions)
    return Plan(objective=objective, actions=actions,
                proxy_return=float(mdp.initial @ proxy_values),
                intended_return=float(mdp.initial @ intended_values),
                proxy_values=proxy_values, intended_values=intended_values,
                gamma=gamma, honour_forced_epsilon=bool(honour_forced_epsilon))


# -- evaluation ------------------------------------------------------------------------------


def evaluate(mdp: TabularMDP, policy, *, gamma: float = 1.0, honour_forced_epsilon: bool = False) -> Returns:
    """Exact expected proxy and intended returns of ``policy`` from ``mdp.initial``.

    ``policy`` is one of: an int array [n_obs] (deterministic, acting on ``obs[s]``); a
    float array [n_obs, A] of action probabilities; a :class:`Plan`; or any object with a
    ``.q`` table [n_obs, A] (a trained agent), followed greedily.

    With ``honour_forced_epsilon``, at states where ``mdp.forced_epsilon[s]`` is a number
    the environment takes over exploration and the executed policy is
    ``(1 - fe) * policy + fe * uniform``.
    """
    return Returns(*_run(mdp, policy, mdp.proxy, gamma, honour_forced_epsilon)[:2])


def expected_total(mdp: TabularMDP, policy, reward, *, gamma: float = 1.0,
                   honour_forced_epsilon: bool = False) -> float:
    """Expected episode total of any ``reward`` [S, A, K] under ``policy`` (e.g. laps done)."""
    reward = np.ascontiguousarray(reward, dtype=np.float64)
    if reward.shape != mdp.shape:
        raise ValueError(f"reward must have the table's shape {mdp.shape}, got {reward.shape}")
    return _run(mdp, policy, reward, gamma, honour_forced_epsilon)[0]


def occupancy(mdp: TabularMDP, policy, *, honour_forced_epsilon: bool = False) -> np.ndarray:
    """Expected visits of each state in one episode, float64 [S].

    A non-terminal state counts the steps taken from it; a terminal state counts the
    chance that the episode ends there.  Summed over non-terminal states it is the expected
    episode length.
    """
    return _run(mdp, policy, mdp.proxy, 1.0, honour_forced_epsilon)[2]


def _run(mdp, policy, reward, gamma, honour_forced_epsilon):
    gamma = _check_gamma(gamma)
    actions, probs = _state_policy(mdp, policy)
    visits = np.zeros(mdp.n_states)
    reward_total, intended_total = _forward(
        mdp.next_state, mdp.prob, mdp.terminal, mdp.initial, mdp.horizon, gamma,
        actions, probs, probs is _NO_PROBS, mdp.forced_epsilon, bool(honour_forced_epsilon),
        reward, mdp.intended, mdp.speed_bonus, visits)
    return float(reward_total), float(intended_total), visits


# Placeholders for the unused half of the kernel's policy arguments; fixed dtypes keep
# numba to one compiled version of `_forward`.
_NO_ACTIONS = np.zeros((1, 1), dtype=np.int32)
_NO_PROBS = np.zeros((1, 1, 1))


def _state_policy(mdp: TabularMDP, policy) -> tuple[np.ndarray, np.ndarray]:
    """Check ``policy`` against ``mdp``; return it per state as (actions [T, S], probs [T, S, A])."""
    S, A, _ = mdp.shape
    if isinstance(policy, Plan):
        if policy.actions.shape != (mdp.horizon, S):
            raise ValueError(f"the plan has actions of shape {policy.actions.shape}, but this table needs "
                             f"(horizon, states) = {(mdp.horizon, S)}; was it solved for another table?")
        return np.ascontiguousarray(policy.actions), _NO_PROBS
    if hasattr(policy, "q"):
        policy = greedy_policy(policy.q)
    policy = np.asarray(policy)
    if policy.ndim == 1:
        if policy.shape != (mdp.n_obs,) or not np.issubdtype(policy.dtype, np.integer):
            raise ValueError(f"a deterministic policy must be an int array of shape (n_obs,) = ({mdp.n_obs},), "
                             f"got {policy.dtype} {policy.shape}")
        if len(policy) and (policy.min() < 0 or policy.max() >= A):
            raise ValueError(f"policy actions must be in [0, {A}), got values in [{policy.min()}, {policy.max()}]")
        return np.ascontiguousarray(policy[mdp.obs][None, :], dtype=np.int32), _NO_PROBS
    if policy.ndim == 2:
        if policy.shape != (mdp.n_obs, A):
            raise ValueError(f"a stochastic policy must have shape (n_obs, actions) = ({mdp.n_obs}, {A}), "
                             f"got {policy.shape}")
        policy = policy.astype(np.float64)
        if not np.isfinite(policy).all() or (policy < 0).any():
            raise ValueError("policy probabilities must be finite and non-negative")
        sums = policy.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-9)
        if len(bad):
            raise ValueError(f"policy row {bad[0]} sums to {float(sums[bad[0]])!r}; each row must sum to 1")
        return _NO_ACTIONS, np.ascontiguousarray(policy[mdp.obs][None, :, :])
    raise ValueError(f"policy must be an int array [n_obs], a float array [n_obs, actions], a Plan or an "
                     f"object with a .q table; got an array of shape {policy.shape}")


def _check_gamma(gamma) -> float:
    gamma = float(gamma)
    if not 0.0 < gamma <= 1.0:
        raise ValueError(f"gamma must be in (0, 1], got {gamma}")
    return gamma


# -- policy helpers --------------------------------------------------------------------------


def uniform_policy(mdp: TabularMDP) -> np.ndarray:
    """Every action with equal probability, float64 [n_obs, A]."""
    return np.full((mdp.n_obs, mdp.n_actions), 1.0 / mdp.n_actions)


def greedy_policy(q) -> np.ndarray:
    """The argmax of each row of ``q`` [n_obs, A], lowest index on ties, int64 [n_obs]."""
    q = _check_q(q)
    return q.argmax(axis=1)


def epsilon_greedy_policy(q, epsilon: float) -> np.ndarray:
    """Greedy on ``q`` with probability 1 - epsilon, uniform otherwise, float64 [n_obs, A]."""
    q = _check_q(q)
    epsilon = float(epsilon)
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
    n_obs, A = q.shape
    policy = np.full((n_obs, A), epsilon / A)
    policy[np.arange(n_obs), q.argmax(axis=1)] += 1.0 - epsilon
    return policy


def _check_q(q) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] < 1:
        raise ValueError(f"a q table must have shape (n_obs, actions), got {q.shape}")
    if np.isnan(q).any():
        raise ValueError("the q table holds NaN; greedy actions are undefined")
    return q
