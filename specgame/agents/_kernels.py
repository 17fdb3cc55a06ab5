"""The numba training loop of the tabular agents: SARSA, Expected SARSA and Q-learning.

One call of :func:`train` runs many steps on the arrays of a ``TabularMDP`` (passed as
the tuple built by :func:`mdp_arrays`) and touches no Python object.  The three
algorithms differ only in the bootstrap term of the target, so they share one loop
with an ``algorithm`` switch.

The helpers are ``inline="always"`` so that the loop compiles as one function (a call
per step to each would cost more than the work); they exist to be read, and to be
called from Python by the tests.

Everything a run needs to resume in the middle of an episode lives in the arrays passed
in and is written back before returning (``carry_i``, ``carry_f``, ``q``, ``rng``): the
Python side can stop a run whenever the history buffer is full, or to save it, and
resume it later with identical results.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from specgame._jit import njit  # registers the cache locator before the decorators run
from specgame.rng import integers, uniform

SARSA, EXPECTED_SARSA, Q_LEARNING = 0, 1, 2

# Slots of carry_i (int64): where the run stands.  STATE < 0 means "between episodes".
STATE, STEP, PENDING_ACTION, STEPS_DONE, EPISODES_DONE = 0, 1, 2, 3, 4
N_CARRY_I = 5
# Slots of carry_f (float64): the returns of the episode in progress.
PROXY_RETURN, INTENDED_RETURN = 0, 1
N_CARRY_F = 2
# Slots of params (float64).
ALPHA_START, ALPHA_END, EPSILON_START, EPSILON_END, GAMMA, DECAY_STEPS = 0, 1, 2, 3, 4, 5
N_PARAMS = 6


def mdp_arrays(mdp) -> tuple:
    """The compact arrays of a TabularMDP (:meth:`~specgame.mdp.TabularMDP.kernel_arrays`) as
    the tuple :func:`train` unpacks."""
    return tuple(mdp.kernel_arrays())


@njit(cache=True, inline="always")
def at(i):
    """``i`` as an unsigned array index: ``q[at(row), at(a)]``.

    numba guards every signed index against negative values (Python's ``a[-1]``), a
    compare and a select per access; an unsigned index it uses as it is.  Every index
    in the loop is >= 0, so the guards are pure cost (12-20% of training time when this
    was written; benchmarks/ measures the whole loop against C, not this alone).
    """
    return np.uint64(i)


@njit(cache=True, inline="always")
def scheduled(start, end, step, decay_steps):
    """Linear interpolation from ``start`` to ``end`` over ``decay_steps`` steps, then flat."""
    if decay_steps <= 0.0:
        return end
    return start + (end - start) * min(step / decay_steps, 1.0)


@njit(cache=True, inline="always")
def sample_start(initial, u):
    """The start state drawn by ``u`` in [0, 1) from ``initial``, by cumulative sum."""
    total = 0.0
    for s in range(initial.shape[0]):
        total += initial[s]
        if u < total:
            return s
    for s in range(initial.shape[0] - 1, -1, -1):  # rounding: the last possible start
        if initial[s] > 0.0:
            return s
    return 0


@njit(cache=True, inline="always")
def sample_outcome(prob, state, action, u):
    """The outcome k drawn by ``u`` in [0, 1) from ``prob[state, action]``, by cumulative sum."""
    n = prob.shape[2]
    total = 0.0
    for k in range(n):
        total += prob[at(state), at(action), at(k)]
        if u < total:
            return k
    # The sum fell a rounding short of u: take the last outcome that can happen.
    for k in range(n - 1, -1, -1):
        if prob[at(state), at(action), at(k)] > 0.0:
            return k
    return 0


@njit(cache=True, inline="always")
def greedy(q, row, rng):
    """An action of highest value, ties broken uniformly at random.

    Random tie-breaking matters while Q is still all zeros: a fixed "lowest index" rule
    would send every fresh agent the same way (Sutton & Barto break ties randomly).
    The generator is drawn only when there is a tie.
    """
    best = q[at(row), 0]
    ties = 1
    for a in range(1, q.shape[1]):
        value = q[at(row), at(a)]
        if value > best:
            best = value
            ties = 1
        elif value == best:
            ties += 1
    pick = integers(rng, ties) if ties > 1 else 0
    for a in range(q.shape[1]):
        if q[at(row), at(a)] == best:
            if pick == 0:
                return a
            pick -= 1
    return 0


@njit(cache=True, inline="always")
def epsilon_greedy(q, row, epsilon, rng):
    """A uniformly random action with probability ``epsilon``, else a greedy one (row ``row`` of q)."""
    if uniform(rng) < epsilon:
        return integers(rng, q.shape[1])
    return greedy(q, row, rng)


@njit(cache=True, inline="always")
def exploration(forced_epsilon, has_forced, state, epsilon):
    """The ε actually used in ``state``: the environment's where it has taken over (whisky).
    ``has_forced`` False: no state does, and ``forced_epsilon`` is a stand-in."""
    if not has_forced:
        return epsilon
    forced = forced_epsilon[at(state)]
    return epsilon if np.isnan(forced) else forced


@njit(cache=True, inline="always")
def expected_value(q, row, epsilon):
    """E[Q(o', A')] for A' ε-greedy: every greedy action has the maximal value, so ties don't matter."""
    total = 0.0
    best = q[at(row), 0]
    for a in range(q.shape[1]):
        value = q[at(row), at(a)]
        total += value
        best = max(best, value)
    return epsilon * (total / q.shape[1]) + (1.0 - epsilon) * best


# _nrt=False: the loop allocates nothing, so numba's reference counting is pure cost here
# (it increfs every array handed to an inlined helper: about half the time when this was
# written, measured by hand, not in benchmarks/), and any
# allocation slipped into the loop becomes a compile error instead of a slowdown.
@njit(cache=True, _nrt=False)
def train(algorithm, mdp, horizon, q, rng, carry_i, carry_f, params, step_limit, episode_limit,
          proxy_returns, intended_returns, lengths):
    """Train until ``step_limit`` total steps, ``episode_limit`` episodes or a full history buffer.

    The limits count from the start of the agent's life (``carry_i[STEPS_DONE]`` and
    ``carry_i[EPISODES_DONE]``), so a run split over several calls equals one long call.
    Each finished episode is written to the next slot of ``proxy_returns``,
    ``intended_returns`` and ``lengths``; the number written is returned.  A new episode
    starts only if a slot is free, so an unfinished one is never lost.
    """
    (next_state, prob, deterministic, values, proxy_code, intended_code, speed_code, has_speed, terminal, initial,
     obs, forced_epsilon, has_forced) = mdp
    gamma = params[GAMMA]
    decay_steps = params[DECAY_STEPS]
    state = carry_i[STATE]
    step = carry_i[STEP]
    pending = carry_i[PENDING_ACTION]  # SARSA's already-chosen next action, or -1
    steps = carry_i[STEPS_DONE]
    episodes = carry_i[EPISODES_DONE]
    proxy_return = carry_f[PROXY_RETURN]
    intended_return = carry_f[INTENDED_RETURN]
    recorded = 0

    while steps < step_limit:
        if state < 0:
            if episodes >= episode_limit or recorded >= lengths.shape[0]:
                break
            state = sample_start(initial, uniform(rng))
            step = 0
            proxy_return = 0.0
            intended_return = 0.0
            pending = -1

        epsilon = scheduled(params[EPSILON_START], params[EPSILON_END], steps, decay_steps)
        alpha = scheduled(params[ALPHA_START], params[ALPHA_END], steps, decay_steps)
        seen = obs[at(state)]
        if pending >= 0:
            action = pending
        else:
            action = epsilon_greedy(q, seen, exploration(forced_epsilon, has_forced, state, epsilon), rng)
        pending = -1
        u = uniform(rng)  # drawn even when the outcome is certain: the same stream either way
        k = 0 if deterministic else sample_outcome(prob, state, action, u)
        outcome = (at(state), at(action), at(k))
        after = next_state[outcome]
        reward = values[at(proxy_code[outcome])]
        speed = values[at(speed_code[outcome])] if has_speed else 0.0
        step += 1
        steps += 1
        proxy_return += reward
        intended_return += values[at(intended_code[outcome])] + speed * (horizon - step) / horizon

        if terminal[at(after)]:
            target = reward
        else:
            seen_after = obs[at(after)]
            # The policy followed at the next state: the next step's ε, or the forced one there.
            next_epsilon = exploration(forced_epsilon, has_forced, after,
                                       scheduled(params[EPSILON_START], params[EPSILON_END], steps,
                                                 decay_steps))
            if algorithm == SARSA:
                pending = epsilon_greedy(q, seen_after, next_epsilon, rng)
                bootstrap = q[at(seen_after), at(pending)]
            elif algorithm == EXPECTED_SARSA:
                bootstrap = expected_value(q, seen_after, next_epsilon)
            else:
                bootstrap = q[at(seen_after), 0]
                for a in range(1, q.shape[1]):
                    bootstrap = max(bootstrap, q[at(seen_after), at(a)])
            target = reward + gamma * bootstrap
        cell = (at(seen), at(action))
        q[cell] += alpha * (target - q[cell])

        # A truncated episode has bootstrapped above like any other step; only the reset differs.
        if terminal[at(after)] or step >= horizon:
            proxy_returns[recorded] = proxy_return
            intended_returns[recorded] = intended_return
            lengths[recorded] = step
            recorded += 1
            episodes += 1
            state = -1
            pending = -1
        else:
            state = after

    carry_i[STATE] = state
    carry_i[STEP] = step
    carry_i[PENDING_ACTION] = pending
    carry_i[STEPS_DONE] = steps
    carry_i[EPISODES_DONE] = episodes
    carry_f[PROXY_RETURN] = proxy_return
    carry_f[INTENDED_RETURN] = intended_return
    return recorded


@njit(parallel=True, cache=True)
def train_many(algorithm, mdp, horizon, q, rng, carry_i, carry_f, params, step_limit, episode_limit,
               proxy_returns, intended_returns, lengths, recorded):
    """:func:`train` for many seeds at once; row ``i`` of every array belongs to seed ``i``.

    Each seed runs the same sequential loop on its own generator and Q-table, so the
    result equals the single-seed run bit for bit, whatever the thread schedule.
    """
    for i in prange(q.shape[0]):
        recorded[i] = train(algorithm, mdp, horizon, q[i], rng[i], carry_i[i], carry_f[i], params,
                            step_limit[i], episode_limit[i], proxy_returns[i], intended_returns[i],
                            lengths[i])
