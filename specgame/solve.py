"""Exact finite-horizon planning and policy evaluation over a :class:`TabularMDP`.

An episode lasts at most ``mdp.horizon`` steps and ends early in a terminal state.  A
return is the (optionally discounted) sum of rewards over the episode; the intended reward
of step ``t`` (from 1) carries ``speed_bonus * (horizon - t) / horizon``, so values depend
on the time step and both the planner and the evaluator index by it.

The numba kernels doing the work: ``_backward`` (backward induction, for :func:`solve`), its
twin ``_backward_integers`` for deterministic tables whose returns are all small integers
(the large games: the same numbers from a quarter of the memory traffic), ``_backward_blends``
(many blended objectives in one pass, for :func:`solve_blends`), ``_backward_uniform``
(uniform random, backwards, for :func:`random_returns` on large tables) and ``_forward``
(pushes the state distribution through the episode, for :func:`evaluate` and
:func:`expected_total`).  Everything a user passes in is checked here, in Python, before
it reaches a kernel.  What a policy is, and where it goes (occupancies), is
:mod:`specgame.policy`'s business; :func:`optimal_plan` remembers plans per table.
"""

from __future__ import annotations

import weakref

import numpy as np
from numba import prange

from specgame._checks import check_choice, check_gamma, fail
from specgame._jit import njit  # registers the cache locator before the decorators run
from specgame.mdp import TabularMDP
from specgame.policy import Plan, Returns, state_policy, uniform_policy

OBJECTIVES = ("proxy", "intended")


# -- kernels ---------------------------------------------------------------------------------

# Two returns closer than this (relative to their size, absolute below 1) count as equal
# when breaking ties: backward induction sums in different orders along different actions,
# so exactly equal values can differ in the last bits.
TIE_TOLERANCE = 1e-9


# The kernels let go of Python's lock while they run (``nogil``): a pass over a table of
# millions of states takes seconds to a minute, and a command's live progress line (a thread)
# must keep its clock moving meanwhile.
#
# The kernels below read an outcome's probability and reward codes straight from the compact
# arrays (:class:`specgame.mdp.KernelArrays`), unpacked once at the top.  A helper function
# taking the arrays would be neater, but numba counts references to every array passed at
# every call, and that made these loops about sixteen times slower.


@njit(cache=True, parallel=True, nogil=True)
def _backward(table, horizon, gamma, by_intended, honour_forced_epsilon, actions):
    """Fill ``actions`` [H, S]; return the proxy and intended values of each state at step 1.

    ``actions`` may also be [1, S]: every step then writes the one row (which ends holding
    step 1's actions), for a caller who wants the values and not the plan.

    ``table`` is the table's compact arrays (:meth:`TabularMDP.kernel_arrays`, as a tuple).
    The states of one step are independent, so they are shared out over the threads in
    chunks; each state's arithmetic is the same whatever the thread count.
    """
    (next_state, prob, deterministic, values, proxy_code, intended_code, speed_code, has_speed,
     terminal, _, _, forced, has_forced) = table
    S, A, K = next_state.shape
    # Values-to-go from step t + 1 and from step t: [S, 2] (proxy, intended) side by side,
    # so one cache line brings both for a next state (this loop is memory-bound).
    values_next = np.zeros((S, 2))
    values_now = np.zeros((S, 2))
    n_chunks = min(S, 256)
    main, other = (1, 0) if by_intended else (0, 1)
    for t in range(horizon, 0, -1):
        time_left = (horizon - t) / horizon
        row_t = (t - 1) % actions.shape[0]
        for chunk in prange(n_chunks):
            q = np.empty((2, A))  # row 0: proxy, row 1: intended action values
            for s in range(chunk * S // n_chunks, (chunk + 1) * S // n_chunks):
                if terminal[s]:  # the episode is over: nothing more to earn
                    values_now[s, 0] = 0.0
                    values_now[s, 1] = 0.0
                    actions[row_t, s] = 0
                    continue
                for a in range(A):
                    # Expected rewards from the one-byte codes, step by step: reading them
                    # costs less memory traffic than a float64 table of means would.
                    mean_proxy = mean_intended = mean_speed = 0.0
                    future_proxy = 0.0
                    future_intended = 0.0
                    for k in range(K):
                        p = 1.0 if deterministic else prob[s, a, k]
                        if p == 0.0:
                            continue
                        proxy, intended = values[proxy_code[s, a, k]], values[intended_code[s, a, k]]
                        speed = values[speed_code[s, a, k]] if has_speed else 0.0
                        mean_proxy += p * proxy
                        mean_intended += p * intended
                        mean_speed += p * speed
                        n = next_state[s, a, k]
                        future_proxy += p * values_next[n, 0]
                        future_intended += p * values_next[n, 1]
                    q[0, a] = mean_proxy + gamma * future_proxy
                    q[1, a] = mean_intended + mean_speed * time_left + gamma * future_intended
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
                actions[row_t, s] = chosen
                fe = forced[s] if has_forced else np.nan
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


@njit(cache=True, parallel=True, nogil=True)
def _backward_blends(table, horizon, gamma, proxy_terms, intended_terms, speed_terms, actions, planned):
    """:func:`_backward` for B blended objectives in one pass: values [S, B, 2] at step 1.

    Blend ``b`` pays ``intended_terms[b, intended code] + proxy_terms[b, proxy code]`` on an
    outcome, plus ``speed_terms[b, speed code]`` times the time left, and is solved as
    :func:`_backward` solves the intended objective (best on the blend, then on the proxy, then
    the lowest index): ``values[:, b]`` holds the proxy and blend values of its plan, bit for
    bit those of :func:`_backward` on a table whose intended reward is the blend.  Only blend
    ``planned`` (-1: none) writes its actions into ``actions`` [H or 1, S].  The table and the
    proxy's expectations are read once per step for all blends: the memory traffic of one solve.
    """
    (next_state, prob, deterministic, values, proxy_code, intended_code, speed_code, has_speed,
     terminal) = table[:9]
    S, A, K = next_state.shape
    B = proxy_terms.shape[0]
    # [S, B, 2] (proxy, blend): one or two cache lines bring every blend's values of a next state.
    values_next = np.zeros((S, B, 2))
    values_now = np.zeros((S, B, 2))
    n_chunks = min(S, 256)
    for t in range(horizon, 0, -1):
        time_left = (horizon - t) / horizon
        row_t = (t - 1) % actions.shape[0]
        for chunk in prange(n_chunks):
            q = np.empty((B, 2, A))  # per blend, row 0: proxy, row 1: blend action values
            mean_blend, mean_speed = np.empty(B), np.empty(B)
            future_proxy, future_blend = np.empty(B), np.empty(B)
            for s in range(chunk * S // n_chunks, (chunk + 1) * S // n_chunks):
                if terminal[s]:  # the episode is over: nothing more to earn
                    values_now[s] = 0.0
                    if planned >= 0:
                        actions[row_t, s] = 0
                    continue
                for a in range(A):
                    # The same sums in the same order as _backward's, one set per blend.
                    mean_proxy = 0.0
                    mean_blend[:] = 0.0
                    mean_speed[:] = 0.0
                    future_proxy[:] = 0.0
                    future_blend[:] = 0.0
                    for k in range(K):
                        p = 1.0 if deterministic else prob[s, a, k]
                        if p == 0.0:
                            continue
                        code_p, code_i = proxy_code[s, a, k], intended_code[s, a, k]
                        mean_proxy += p * values[code_p]
                        n = next_state[s, a, k]
                        for b in range(B):
                            speed = speed_terms[b, speed_code[s, a, k]] if has_speed else 0.0
                            mean_blend[b] += p * (intended_terms[b, code_i] + proxy_terms[b, code_p])
                            mean_speed[b] += p * speed
                            future_proxy[b] += p * values_next[n, b, 0]
                            future_blend[b] += p * values_next[n, b, 1]
                    for b in range(B):
                        q[b, 0, a] = mean_proxy + gamma * future_proxy[b]
                        q[b, 1, a] = mean_blend[b] + mean_speed[b] * time_left + gamma * future_blend[b]
                for b in range(B):
                    best = q[b, 1, 0]
                    for a in range(1, A):
                        best = max(best, q[b, 1, a])
                    tolerance = TIE_TOLERANCE * max(1.0, abs(best))
                    chosen = -1  # _backward's tie-break, with the blend as the objective
                    for a in range(A):
                        if q[b, 1, a] < best - tolerance:
                            continue
                        if chosen < 0 or q[b, 0, a] > q[b, 0, chosen] + TIE_TOLERANCE * max(1.0, abs(q[b, 0, chosen])):
                            chosen = a
                    if b == planned:
                        actions[row_t, s] = chosen
                    values_now[s, b, 0] = q[b, 0, chosen]
                    values_now[s, b, 1] = q[b, 1, chosen]
        values_next, values_now = values_now, values_next
    return values_next


@njit(cache=True, parallel=True, nogil=True)
def _backward_integers(next_state, values, proxy_code, intended_code, terminal, horizon, by_intended, actions,
                       values_next, values_now):
    """:func:`_backward` for a deterministic table whose values-to-go are integers that
    ``values_next``' type holds (see :func:`_integer_type`): the same plan and values.

    ``next_state`` and the codes are [S, A] (the one outcome); ``values`` is the reward
    table in that integer type; ``values_next`` and ``values_now`` are [S, 2] scratch.
    With integers a tie is equality, so the tie-break of :func:`_backward` (best on the
    objective, then on the other reward, then the lowest index) is one comparison.
    """
    S, A = next_state.shape
    main, other = (1, 0) if by_intended else (0, 1)
    values_next[:] = 0
    n_chunks = min(S, 256)
    for t in range(horizon, 0, -1):
        row_t = (t - 1) % actions.shape[0]  # [1, S] actions: the values only (see _backward)
        for chunk in prange(n_chunks):
            for s in range(chunk * S // n_chunks, (chunk + 1) * S // n_chunks):
                if terminal[s]:  # the episode is over: nothing more to earn
                    values_now[s, 0] = 0
                    values_now[s, 1] = 0
                    actions[row_t, s] = 0
                    continue
                chosen = 0
                best_main = best_other = 0
                for a in range(A):
                    n = next_state[s, a]
                    proxy = values[proxy_code[s, a]] + values_next[n, 0]
                    intended = values[intended_code[s, a]] + values_next[n, 1]
                    mine, theirs = (intended, proxy) if by_intended else (proxy, intended)
                    if a == 0 or mine > best_main or (mine == best_main and theirs > best_other):
                        chosen, best_main, best_other = a, mine, theirs
                actions[row_t, s] = chosen
                values_now[s, main] = best_main
                values_now[s, other] = best_other
        values_next, values_now = values_now, values_next
    return values_next[:, 0].astype(np.float64), values_next[:, 1].astype(np.float64)


@njit(cache=True, parallel=True, nogil=True)
def _backward_uniform(table, horizon, gamma):
    """Proxy and intended values of each state at step 1 under uniform random: :func:`_backward`
    with the mean over actions where the planner takes the best (for :func:`random_returns`)."""
    next_state, prob, deterministic, values, proxy_code, intended_code, speed_code, has_speed, terminal = table[:9]
    S, A, K = next_state.shape
    values_next = np.zeros((S, 2))
    values_now = np.zeros((S, 2))
    n_chunks = min(S, 256)
    for t in range(horizon, 0, -1):
        time_left = (horizon - t) / horizon
        for chunk in prange(n_chunks):
            for s in range(chunk * S // n_chunks, (chunk + 1) * S // n_chunks):
                proxy_total = intended_total = 0.0
                if not terminal[s]:
                    for a in range(A):
                        for k in range(K):
                            p = 1.0 if deterministic else prob[s, a, k]
                            if p == 0.0:
                                continue
                            proxy, intended = values[proxy_code[s, a, k]], values[intended_code[s, a, k]]
                            speed = values[speed_code[s, a, k]] if has_speed else 0.0
                            n = next_state[s, a, k]
                            proxy_total += p * (proxy + gamma * values_next[n, 0])
                            intended_total += p * (intended + speed * time_left + gamma * values_next[n, 1])
                values_now[s, 0] = proxy_total / A
                values_now[s, 1] = intended_total / A
        values_next, values_now = values_now, values_next
    return values_next[:, 0].copy(), values_next[:, 1].copy()


@njit(cache=True, nogil=True)
def _forward(table, horizon, gamma, actions, probs, deterministic, honour_forced_epsilon, reward, own_reward):
    """Push the state distribution through one episode under a policy.

    The policy is ``actions`` [T, S] when ``deterministic``, else ``probs`` [T, S, A];
    T is 1 (stationary) or the horizon.  Returns the expected totals of the proxy (or,
    with ``own_reward``, of ``reward`` [S, A, K]) and of the intended reward (with its
    speed bonus).
    """
    (next_state, prob, table_deterministic, values, proxy_code, intended_code, speed_code, has_speed,
     terminal, initial, _, forced, has_forced) = table
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
            fe = forced[s] if has_forced else np.nan
            forced_here = honour_forced_epsilon and not np.isnan(fe)
            for a in range(A):
                if deterministic:
                    w = 1.0 if actions[row, s] == a else 0.0
                else:
                    w = probs[row, s, a]
                if forced_here:
                    w = (1.0 - fe) * w + fe / A
                if w == 0.0:
                    continue
                for k in range(K):
                    p = 1.0 if table_deterministic else prob[s, a, k]
                    if p == 0.0:
                        continue
                    proxy, intended = values[proxy_code[s, a, k]], values[intended_code[s, a, k]]
                    speed = values[speed_code[s, a, k]] if has_speed else 0.0
                    flow = m * w * p
                    reward_total += discount * flow * (reward[s, a, k] if own_reward else proxy)
                    intended_total += discount * flow * (intended + speed * time_left)
                    n = next_state[s, a, k]
                    if not terminal[n]:  # a terminal state ends the episode: it never acts
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
    check_choice("objective", objective, OBJECTIVES)
    return _solve(mdp, objective, check_gamma(gamma), bool(honour_forced_epsilon), mdp.horizon)


def _solve(mdp: TabularMDP, objective: str, gamma: float, honour_forced_epsilon: bool, rows: int) -> Plan:
    """:func:`solve` writing the actions into ``rows`` rows: ``mdp.horizon`` for the plan, 1
    for the values alone (the kernels then reuse the one row; the values are the same)."""
    # One byte an entry: a plan for a 13-million-state game over 100 steps is 1.3 GB.
    actions = np.zeros((rows, mdp.n_states), dtype=np.int8 if mdp.n_actions <= 127 else np.int32)
    integer = _integer_type(mdp, gamma, honour_forced_epsilon)
    if integer is not None:
        S, A, _ = mdp.shape
        scratch = [np.empty((S, 2), integer) for _ in range(2)]
        proxy_values, intended_values = _backward_integers(
            mdp.next_state.reshape(S, A), mdp.reward_values.astype(integer), mdp.proxy_code.reshape(S, A),
            mdp.intended_code.reshape(S, A), mdp.terminal, mdp.horizon, objective == "intended", actions, *scratch)
    else:
        proxy_values, intended_values = _backward(
            tuple(mdp.kernel_arrays()), mdp.horizon, gamma, objective == "intended", bool(honour_forced_epsilon),
            actions)
    return Plan(objective=objective, actions=actions,
                proxy_return=float(mdp.initial @ proxy_values),
                intended_return=float(mdp.initial @ intended_values),
                proxy_values=proxy_values, intended_values=intended_values,
                gamma=gamma, honour_forced_epsilon=honour_forced_epsilon)


def solve_blends(mdp: TabularMDP, proxy_terms, intended_terms, speed_terms, *, plan_of: int = -1):
    """The returns of the optimal plans of B blended rewards, in one backward pass over ``mdp``.

    Blend ``b`` pays ``intended_terms[b, c_i] + proxy_terms[b, c_p]`` on an outcome whose reward
    codes are ``c_i`` (intended) and ``c_p`` (proxy), plus ``speed_terms[b, c_s]`` times the
    time left: each term array is [B, len(mdp.reward_values)].  Returns a list of B
    :class:`Returns` (proxy return, blend return), bit for bit those of :func:`optimal_returns`
    on a table with the blend as its intended reward, and the :class:`Plan` of blend ``plan_of``
    (None when -1): the plan that solving that table for "intended" gives.  Undiscounted, no
    forced exploration honoured (as the hack rate's blends are solved).
    """
    terms = [np.ascontiguousarray(x, dtype=np.float64) for x in (proxy_terms, intended_terms, speed_terms)]
    shape = terms[0].shape
    if len(shape) != 2 or any(x.shape != shape for x in terms) or shape[1] != len(mdp.reward_values):
        fail("the blend terms' shapes", f"all (B, {len(mdp.reward_values)}): one row per blend, one column per "
             "reward value", tuple(x.shape for x in terms))
    if not -1 <= plan_of < shape[0]:
        fail("plan_of", f"-1 or a blend's index below {shape[0]}", plan_of)
    rows = mdp.horizon if plan_of >= 0 else 1
    actions = np.zeros((rows, mdp.n_states if plan_of >= 0 else 1), dtype=np.int8 if mdp.n_actions <= 127 else np.int32)
    values = _backward_blends(tuple(mdp.kernel_arrays()), mdp.horizon, 1.0, *terms, actions, plan_of)
    returns, plan = [], None
    for b in range(shape[0]):
        # contiguous copies, so the dot product adds in the same order as on a single solve's values
        proxy_values, blend_values = np.ascontiguousarray(values[:, b, 0]), np.ascontiguousarray(values[:, b, 1])
        returns.append(Returns(float(mdp.initial @ proxy_values), float(mdp.initial @ blend_values)))
        if b == plan_of:
            plan = Plan(objective="intended", actions=actions, proxy_return=returns[-1].proxy_return,
                        intended_return=returns[-1].intended_return, proxy_values=proxy_values,
                        intended_values=blend_values)
    return returns, plan


def _integer_type(mdp: TabularMDP, gamma: float, honour_forced_epsilon: bool):
    """int16 or int32 when :func:`_backward_integers` gives :func:`_backward`'s plan and values
    bit for bit on ``mdp``, else None.

    That holds on a deterministic table with integer rewards, no discount, no speed bonus and
    no forced exploration to honour: backward induction then only adds integers, which
    float64 does exactly (every value-to-go is at most ``horizon`` times the largest reward,
    far below 2**53, and never -0.0).  The bound keeps ``TIE_TOLERANCE`` below one, so the
    float kernel's near-ties are exact ties, as the integer kernel takes them.
    """
    if not mdp.deterministic or gamma != 1.0 or mdp.speed_code is not None:
        return None
    if honour_forced_epsilon and mdp.forced is not None:
        return None
    values = mdp.reward_values
    if not (values == np.round(values)).all():
        return None
    bound = mdp.horizon * max(1.0, float(np.abs(values).max()))
    for integer in (np.int16, np.int32):
        if bound <= min(np.iinfo(integer).max, 0.5 / TIE_TOLERANCE):
            return integer
    return None


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
    return Returns(*_run(mdp, policy, None, gamma, honour_forced_epsilon)[:2])


def expected_total(mdp: TabularMDP, policy, reward, *, gamma: float = 1.0,
                   honour_forced_epsilon: bool = False) -> float:
    """Expected episode total of any ``reward`` [S, A, K] under ``policy`` (e.g. laps done)."""
    reward = np.ascontiguousarray(reward, dtype=np.float64)
    if reward.shape != mdp.shape:
        fail("reward's shape", f"the table's shape {mdp.shape}", reward.shape)
    return _run(mdp, policy, reward, gamma, honour_forced_epsilon)[0]


def _run(mdp, policy, reward, gamma, honour_forced_epsilon):
    gamma = check_gamma(gamma)
    actions, probs = state_policy(mdp, policy)
    deterministic = probs is None
    reward_total, intended_total = _forward(
        tuple(mdp.kernel_arrays()), mdp.horizon, gamma,
        _NO_ACTIONS if actions is None else actions, _NO_PROBS if probs is None else probs, deterministic,
        bool(honour_forced_epsilon), _NO_REWARD if reward is None else reward, reward is not None)
    return float(reward_total), float(intended_total)


# Tables with more outcomes than this evaluate uniform random backwards, in parallel
# (:func:`_backward_uniform`): pushing the state distribution forwards runs on one core and
# needs the policy as a float array [S, A] (400 MB on RocksDiamonds' 13 million states).
BACKWARD_FROM = 1_000_000


def random_returns(mdp: TabularMDP, gamma: float = 1.0, honour_forced_epsilon: bool = False) -> Returns:
    """The exact returns of the uniformly random policy (:func:`evaluate` of
    :func:`specgame.policy.uniform_policy`, to the last bits).  (Forced exploration changes nothing but
    the rounding: a uniform choice mixed with a uniform choice is uniform.)"""
    if mdp.next_state.size < BACKWARD_FROM:
        return evaluate(mdp, uniform_policy(mdp), gamma=gamma, honour_forced_epsilon=honour_forced_epsilon)
    proxy_values, intended_values = _backward_uniform(tuple(mdp.kernel_arrays()), mdp.horizon, float(gamma))
    return Returns(float(mdp.initial @ proxy_values), float(mdp.initial @ intended_values))


# Placeholders for the unused arguments of the kernel (the other half of the policy, the
# reward of the caller's own); fixed dtypes keep numba to one compiled version of `_forward`.
_NO_ACTIONS = np.zeros((1, 1), dtype=np.int32)
_NO_PROBS = np.zeros((1, 1, 1))
_NO_REWARD = np.zeros((1, 1, 1))


# -- plans remembered per table --------------------------------------------------------------

# Solving is cheap, but the demo, the comparators and the reward measures ask for the same
# plans several times.  Keyed on the TabularMDP object (tables are immutable by
# convention), so a table's plans are freed with it.
_per_table: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def remembered(mdp: TabularMDP, key: tuple, compute):
    """``compute()``, called once per table and ``key`` while ``mdp`` lives (a per-table cache)."""
    by_key = _per_table.setdefault(mdp, {})
    if key not in by_key:
        by_key[key] = compute()
    return by_key[key]


def optimal_plan(mdp: TabularMDP, objective: str, *, gamma: float = 1.0,
                 honour_forced_epsilon: bool = False, keep: bool = True) -> Plan:
    """:func:`solve` on ``mdp``, remembered per table, objective and setting.

    With ``keep=False`` the plan is not kept (a caller who needs it once and then only its
    returns: a plan is 1.3 GB on the largest table); its returns are, for :func:`optimal_returns`.
    """
    key = ("plan", objective, float(gamma), bool(honour_forced_epsilon))
    if keep or key in _per_table.get(mdp, {}):
        return remembered(mdp, key, lambda: solve(mdp, objective, gamma=gamma,
                                                  honour_forced_epsilon=honour_forced_epsilon))
    plan = solve(mdp, objective, gamma=gamma, honour_forced_epsilon=honour_forced_epsilon)
    remembered(mdp, ("returns", *key[1:]), lambda: plan.returns)
    return plan


def optimal_returns(mdp: TabularMDP, objective: str, *, gamma: float = 1.0,
                    honour_forced_epsilon: bool = False) -> Returns:
    """The returns of :func:`optimal_plan`, bit for bit, remembered per table without the plan.

    Where only the numbers are wanted (the comparators' references) this keeps one row of
    actions instead of the horizon's: 13 MB rather than 1.3 GB on the largest table.  A plan
    already remembered is used as it is.
    """
    check_choice("objective", objective, OBJECTIVES)
    gamma = check_gamma(gamma)
    plan = _per_table.get(mdp, {}).get(("plan", objective, float(gamma), bool(honour_forced_epsilon)))
    if plan is not None:
        return plan.returns
    key = ("returns", objective, float(gamma), bool(honour_forced_epsilon))
    return remembered(mdp, key, lambda: _solve(mdp, objective, gamma, bool(honour_forced_epsilon), 1).returns)
