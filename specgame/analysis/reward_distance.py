"""Reward-level measures: how dangerous is it to optimise this proxy in place of the intent?

- :func:`epic_distance`: EPIC (Gleave et al., ICLR 2021) between the proxy and intended
  reward functions, under uniform coverage or a policy's transitions.
- :func:`hack_rate`: the share of ordered policy pairs on which a higher proxy return
  comes with a lower intended return (Skalse et al., NeurIPS 2022: 0 iff the pair of
  rewards is unhackable on that set of policies).
- :func:`proxy_danger`: both, plus the intended regret of the proxy-optimal policy, as
  one per-environment number set (:class:`RewardReport`).

**From outcomes to R[s, a, s'].**  A :class:`TabularMDP` stores rewards per outcome
``(s, a, k)`` with ``next_state[s, a, k]``.  ``R(s, a, s')`` is the probability-weighted
mean reward of the outcomes of ``(s, a)`` that land in ``s'``; a transition that cannot
happen pays 0.  (So a potential-shaped reward written only on the transitions that happen
is not shaping of the whole function, and uniform-coverage EPIC sees it; the tests use
tables where every transition can happen.)

**Speed bonus.**  The intended reward of step ``t`` adds ``speed_bonus * (H − t) / H``.
EPIC compares time-free functions, so by default it enters at its first-step value
``(H − 1) / H`` (``speed_bonus="first-step"``); ``"ignore"`` leaves it out.

**Horizon and discount.**  EPIC is a property of the two reward functions and the
canonicalising γ (default 1: undiscounted, as the episodes are finite; Gleave et al.'s
canonicalisation holds for γ = 1 in the finite-horizon case).  Regret and hack rate use
exact finite-horizon returns over ``mdp.horizon`` steps, undiscounted.

EPIC on tables of tens of thousands of states would need ``S·A·S`` entries; the uniform
case is computed in closed form from the transitions that happen (see
:func:`_uniform_pearson`), and both cases go through those transitions a piece of
:data:`CHUNK_STATES` states at a time, so memory beyond the table is [S] arrays and one piece.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from specgame._checks import check_choice, check_gamma, check_probability, fail
from specgame.analysis.compare import references
from specgame.mdp import TabularMDP
from specgame.policy import Returns, state_action_occupancy
from specgame.solve import OBJECTIVES, evaluate, optimal_plan, solve, solve_blends

SPEED_BONUS = ("first-step", "ignore")


# -- reward functions over transitions -------------------------------------------------------


@dataclass(frozen=True)
class Transitions:
    """The distinct transitions ``(s, a, s')`` that can happen, with both rewards on each."""

    state: np.ndarray  # int [N]
    action: np.ndarray  # int [N]
    next_state: np.ndarray  # int [N]
    prob: np.ndarray  # float64 [N]: P(s' | s, a)
    proxy: np.ndarray  # float64 [N]: R_proxy(s, a, s')
    intended: np.ndarray  # float64 [N]: R_intended(s, a, s')
    n_states: int
    n_actions: int


def transitions(mdp: TabularMDP, speed_bonus: str = "first-step", states: slice = slice(None)) -> Transitions:
    """Merge the outcomes of ``mdp`` into distinct transitions (see the module docstring).

    ``states``, a range of states (``slice(start, stop)``), lists only the transitions from them:
    a state's outcomes merge among themselves, so the pieces of a table are its transitions in order.
    """
    check_choice("speed_bonus", speed_bonus, SPEED_BONUS)
    S, A, K = mdp.shape
    start, stop, _ = states.indices(S)
    n = stop - start
    intended = mdp.intended_of(states)  # built here and freed after: the table keeps its compact form
    if speed_bonus == "first-step":
        intended = intended + mdp.speed_bonus_of(states) * (mdp.horizon - 1) / mdp.horizon
    if mdp.outcome_prob is None:  # deterministic: one outcome per (s, a), already distinct, nothing to merge
        # int32 indices: on a table of millions of states each of these arrays is tens of millions long
        return Transitions(np.repeat(np.arange(start, stop, dtype=np.int32), A),
                           np.tile(np.arange(A, dtype=np.int32), n), mdp.next_state[states].ravel(),
                           np.ones(n * A), mdp.proxy_of(states).ravel(), intended.ravel(), S, A)
    s, a, _ = np.indices((n, A, K)).reshape(3, -1)
    s += start
    prob = mdp.prob_of(states).ravel()
    happens = prob > 0
    key = (s * A + a).astype(np.int64)[happens] * S + mdp.next_state[states].ravel()[happens]
    unique, inverse = np.unique(key, return_inverse=True)
    p = np.bincount(inverse, weights=prob[happens])
    proxy = np.bincount(inverse, weights=(prob * mdp.proxy_of(states).ravel())[happens]) / p
    meant = np.bincount(inverse, weights=(prob * intended.ravel())[happens]) / p
    sa, next_state = np.divmod(unique, S)
    state, action = np.divmod(sa, A)
    return Transitions(state, action, next_state, p, proxy, meant, S, A)


# EPIC goes through the transitions this many states at a time: per-transition arrays of one
# piece are tens of MB, where the whole table's are GBs on the largest (13 million states).
CHUNK_STATES = 250_000


def _pieces(mdp: TabularMDP, speed_bonus: str):
    """The transitions of ``mdp``, :data:`CHUNK_STATES` states at a time: (first state, end, piece)."""
    for start in range(0, mdp.n_states, CHUNK_STATES):
        stop = min(start + CHUNK_STATES, mdp.n_states)
        yield start, stop, transitions(mdp, speed_bonus, slice(start, stop))


def dense_rewards(mdp: TabularMDP, speed_bonus: str = "first-step", max_entries: int = 10_000_000):
    """``(R_proxy, R_intended)`` as dense arrays [S, A, S] (small tables only)."""
    S, A, _ = mdp.shape
    if S * A * S > max_entries:
        fail(f"the entries of a dense reward of {mdp.name}", f"at most max_entries={max_entries:,} (use "
             "transitions() and epic_distance() instead)", S * A * S)
    t = transitions(mdp, speed_bonus)
    proxy, intended = np.zeros((S, A, S)), np.zeros((S, A, S))
    proxy[t.state, t.action, t.next_state] = t.proxy
    intended[t.state, t.action, t.next_state] = t.intended
    return proxy, intended


# -- EPIC ------------------------------------------------------------------------------------


def _pearson_distance(rho: float) -> float:
    if not np.isfinite(rho):
        return float("nan")
    return math.sqrt(max(0.0, 0.5 * (1.0 - min(rho, 1.0))))


def epic_distance_dense(reward_a, reward_b, gamma: float = 1.0, coverage=None) -> float:
    """EPIC distance between two dense rewards [S, A, S], canonicalised under uniform S and A.

    ``coverage`` [S, A, S] weights the Pearson correlation (default uniform).  NaN when
    either canonical reward is constant under the coverage (its correlation is undefined).
    """
    reward_a = np.asarray(reward_a, dtype=np.float64)
    reward_b = np.asarray(reward_b, dtype=np.float64)
    if reward_a.ndim != 3 or reward_a.shape != reward_b.shape or reward_a.shape[0] != reward_a.shape[2]:
        fail("the rewards' shapes", "both (S, A, S)", (reward_a.shape, reward_b.shape))
    weights = np.ones_like(reward_a) if coverage is None else np.asarray(coverage, dtype=np.float64)
    if weights.shape != reward_a.shape or (weights < 0).any() or weights.sum() <= 0:
        fail("coverage", f"non-negative weights of the rewards' shape {reward_a.shape}, not all zero",
             f"weights of shape {weights.shape} summing to {weights.sum()}")
    check_gamma(gamma)
    canonical = [_canonical_dense(r, gamma) for r in (reward_a, reward_b)]
    w = weights.ravel() / weights.sum()
    x, y = (c.ravel() - w @ c.ravel() for c in canonical)
    var_x, var_y = w @ (x * x), w @ (y * y)
    if var_x <= 1e-300 or var_y <= 1e-300:
        return float("nan")
    return _pearson_distance(float(w @ (x * y) / math.sqrt(var_x * var_y)))


def _canonical_dense(reward: np.ndarray, gamma: float) -> np.ndarray:
    """C(R)(s,a,s') = R(s,a,s') + γ E[R(s',A,S')] − E[R(s,A,S')] − γ E[R(S,A,S')], uniform S, A, S'."""
    mean_s = reward.mean(axis=(1, 2))
    return reward + gamma * mean_s[None, None, :] - mean_s[:, None, None] - gamma * mean_s.mean()


def epic_distance(mdp: TabularMDP, coverage="uniform", *, gamma: float = 1.0,
                  speed_bonus: str = "first-step") -> float:
    """EPIC distance between ``mdp``'s proxy and intended rewards, in [0, 1].

    Both rewards are canonicalised with S, S' uniform over all states and A uniform (which
    removes potential shaping), then compared by the Pearson distance ``√((1 − ρ)/2)``
    under ``coverage``:

    - ``"uniform"``: every ``(s, a, s')`` triple equally, possible or not (the paper's
      default; computed in closed form);
    - a policy (anything :func:`specgame.solve.evaluate` takes) or a list of policies: the
      transitions they make, weighted by their expected visits in one episode
      (a list mixes them equally).

    0 means the rewards agree up to shaping and positive scale; NaN when a canonical
    reward is constant on the coverage (e.g. an intended reward that pays nothing on the
    transitions a looping policy makes).
    """
    check_gamma(gamma)
    check_choice("speed_bonus", speed_bonus, SPEED_BONUS)
    if isinstance(coverage, str):
        if coverage != "uniform":
            fail("coverage", "'uniform' or a policy (or list of policies)", coverage)
        return _pearson_distance(_uniform_pearson(mdp, speed_bonus, gamma))
    policies = coverage if isinstance(coverage, (list, tuple)) else [coverage]
    if not policies:
        fail("coverage", "'uniform', a policy or a non-empty list of policies", coverage)
    visits = sum(state_action_occupancy(mdp, policy) / len(policies) for policy in policies)
    return _epic_on_visits(mdp, speed_bonus, visits, gamma)


def _state_means(mdp: TabularMDP, speed_bonus: str) -> tuple[np.ndarray, np.ndarray]:
    """m(s) = E_{A, S' uniform}[R(s, A, S')] [S] of the proxy and of the intended reward:
    impossible transitions pay 0."""
    S, A = mdp.n_states, mdp.n_actions
    means = np.zeros((2, S))
    for start, stop, t in _pieces(mdp, speed_bonus):
        for row, reward in enumerate((t.proxy, t.intended)):
            means[row, start:stop] = np.bincount(t.state - start, weights=reward, minlength=stop - start)
    means /= A * S
    return means[0], means[1]


def _canonical_pieces(mdp: TabularMDP, speed_bonus: str, gamma: float, means):
    """(piece of transitions, its canonical proxy, its canonical intended reward), piece by piece:
    C(R)(s, a, s') = R(s, a, s') + γ m(s') − m(s) − γ E[m]."""
    shift = [gamma * m.mean() for m in means]
    for _, _, t in _pieces(mdp, speed_bonus):
        yield t, *(r + gamma * m[t.next_state] - m[t.state] - c for r, m, c in zip((t.proxy, t.intended), means, shift))


def _epic_on_visits(mdp: TabularMDP, speed_bonus: str, visits: np.ndarray, gamma: float) -> float:
    """EPIC distance weighted by expected visits [S, A] (see :func:`epic_distance`).

    Three passes over the pieces of the table: the total weight, the canonical rewards' weighted
    means, then their centred moments (centring first, as a two-pass variance does, for accuracy).
    """
    means = _state_means(mdp, speed_bonus)
    total = sum(float((visits[t.state, t.action] * t.prob).sum()) for _, _, t in _pieces(mdp, speed_bonus))
    mean = np.zeros(2)
    for t, x, y in _canonical_pieces(mdp, speed_bonus, gamma, means):
        w = visits[t.state, t.action] * t.prob / total
        mean += w @ x, w @ y
    moments = np.zeros(3)  # var x, var y, cov
    for t, x, y in _canonical_pieces(mdp, speed_bonus, gamma, means):
        w = visits[t.state, t.action] * t.prob / total
        x, y = x - mean[0], y - mean[1]
        moments += w @ (x * x), w @ (y * y), w @ (x * y)
    var_x, var_y, cov = moments
    if var_x <= 1e-300 or var_y <= 1e-300:
        return float("nan")
    return _pearson_distance(float(cov / math.sqrt(var_x * var_y)))


def _uniform_pearson(mdp: TabularMDP, speed_bonus: str, gamma: float) -> float:
    """Pearson correlation of the canonical rewards over all S·A·S triples, uniformly.

    With p uniform on states, R zero off the listed transitions and m(s) the state means,
    the canonical reward has mean 0 under this coverage, and for rewards X, Y
      E[C_X C_Y] = E[XY] + γE[X m_Y(s')] − E[X m_Y(s)] + γE[Y m_X(s')] − E[Y m_X(s)]
                   + (1 + γ²) E_p[m_X m_Y] − (2γ + γ²) M_X M_Y,
    every expectation a sum over the listed transitions (piece by piece) or over states.
    """
    S, A = mdp.n_states, mdp.n_actions
    w = 1.0 / (S * A * S)  # the weight of one triple
    m = dict(zip("pi", _state_means(mdp, speed_bonus)))
    M = {k: v.mean() for k, v in m.items()}
    pairs = ("pp", "ii", "pi")
    sums = dict.fromkeys(pairs, 0.0)  # the sum over transitions of each pair's cross terms
    for _, _, t in _pieces(mdp, speed_bonus):
        rewards = {"p": t.proxy, "i": t.intended}
        for x, y in pairs:
            X, Y = rewards[x], rewards[y]
            sums[x + y] += (X @ Y + gamma * X @ m[y][t.next_state] - X @ m[y][t.state]
                            + gamma * Y @ m[x][t.next_state] - Y @ m[x][t.state])

    def moment(x, y):
        return w * sums[x + y] + (1 + gamma**2) * np.mean(m[x] * m[y]) - (2 * gamma + gamma**2) * M[x] * M[y]

    var_p, var_i = moment("p", "p"), moment("i", "i")
    if var_p <= 1e-300 or var_i <= 1e-300:
        return float("nan")
    return float(moment("p", "i") / math.sqrt(var_p * var_i))


# -- hackability ------------------------------------------------------------------------------


def hack_rate(proxy_returns, intended_returns, tolerance: float = 1e-9) -> float:
    """Share of policy pairs ranked oppositely by the two rewards (Skalse et al. 2022).

    ``#{(π, π'): J_t(π) < J_t(π') and J_p(π) > J_p(π')} / #{(π, π'): J_t(π) < J_t(π')}``.
    Returns closer than ``tolerance`` (relative; absolute below 1) tie.  0 means the
    rewards are unhackable on this set; also 0 when no two policies differ on the intent.
    """
    proxy = np.asarray(proxy_returns, dtype=np.float64)
    intended = np.asarray(intended_returns, dtype=np.float64)
    if proxy.shape != intended.shape or proxy.ndim != 1:
        fail("proxy and intended returns", "1-D of equal length", (proxy.shape, intended.shape))

    def less(v):  # v[i] < v[j] beyond the tolerance
        gap = v[None, :] - v[:, None]
        return gap > tolerance * np.maximum(1.0, np.maximum(np.abs(v)[:, None], np.abs(v)[None, :]))

    intent_worse = less(intended)
    pairs = intent_worse.sum()
    if pairs == 0:
        return 0.0
    return float((intent_worse & less(proxy).T).sum() / pairs)


def blended_plans(mdp: TabularMDP, weights=(0.0, 0.25, 0.5, 0.75, 1.0), progress=None) -> list:
    """The optimal plans for ``(1 − λ) R_intended + λ R_proxy`` for each λ in ``weights``.

    Each reward is first divided by its optimal return's span over uniform random, so λ
    trades comparable amounts.  These are the policies an optimiser finds as the reward
    it is given slides from the intent to the proxy: a natural set to measure hackability on.
    A plan's ``intended_return`` is its return on the blend; :func:`blended_returns` gives
    its returns on the two rewards (all blends in one pass, keeping no plan but the λ = 1 blend's).
    """
    return [solve(blend, "intended") for _, blend in _blends(mdp, weights, progress)]


def blended_returns(mdp: TabularMDP, weights=(0.0, 0.25, 0.5, 0.75, 1.0), progress=None) -> list[Returns]:
    """The proxy and intended returns of each blend's optimal plan (see :func:`blended_plans`).

    All the blends are solved in one backward pass (:func:`specgame.solve.solve_blends`), with the
    same numbers as solving each blend's table alone; only a blend of λ = 1 keeps its plan.
    """
    weights, scale_p, scale_i = _scales(mdp, weights, progress)
    if progress:
        listed = ", ".join(f"{lam:g}" for lam in weights)
        progress(f"hack rate: solving the {len(weights)} blends in one pass (λ = {listed})")
    values = mdp.reward_values
    # The blend of each value pair as _blend writes it, split into its proxy and intended terms.
    proxy_terms = np.array([lam * values / scale_p for lam in weights]).reshape(len(weights), len(values))
    intended_terms = np.array([(1 - lam) * values / scale_i for lam in weights]).reshape(len(weights), len(values))
    speed_terms = np.array([values * (1 - lam) / scale_i for lam in weights]).reshape(len(weights), len(values))
    # A blend of λ = 1 is the proxy alone: its intended return needs its plan and a pass of its own.
    plan_of = weights.index(1.0) if 1.0 in weights else -1
    blended, plan = solve_blends(mdp, proxy_terms, intended_terms, speed_terms, plan_of=plan_of)
    if plan is not None:
        if progress:
            progress("hack rate: the intended return of the λ = 1 blend's plan")
        proxy_alone = evaluate(mdp, plan)
        del plan
    returns = []
    for lam, one in zip(weights, blended):
        if lam < 1:  # the blend's return is (1 − λ) J_t / scale_i + λ J_p / scale_p, exactly
            intended = (one.intended_return - lam * one.proxy_return / scale_p) * scale_i / (1 - lam)
            returns.append(Returns(one.proxy_return, intended))
        else:
            returns.append(proxy_alone)
    return returns


def _scales(mdp, weights, progress):
    """The weights, checked, and the proxy's and the intent's optimal-over-random spans."""
    weights = tuple(check_probability("a blend weight", lam) for lam in weights)
    refs = references(mdp, progress=progress)
    scale_p = abs(refs.proxy_optimal.proxy_return - refs.random.proxy_return) or 1.0
    scale_i = abs(refs.intended_optimal.intended_return - refs.random.intended_return) or 1.0
    return weights, scale_p, scale_i


def _blends(mdp, weights, progress):
    """(λ, the blended table) for each λ in ``weights``, one at a time."""
    weights, scale_p, scale_i = _scales(mdp, weights, progress)
    for number, lam in enumerate(weights, 1):
        if progress:
            progress(f"hack rate: solving blend {number} of {len(weights)} (λ = {lam:g})")
        yield lam, _blend(mdp, lam, scale_p, scale_i)


def _blend(mdp: TabularMDP, lam: float, scale_p: float, scale_i: float) -> TabularMDP:
    """``mdp`` with ``(1 − λ) R_intended / scale_i + λ R_proxy / scale_p`` as its intended reward.

    Built from the reward codes: one value per (proxy, intended) pair of values that occurs,
    so no float array the size of the table is made (a few hundred MB each on the largest).
    """
    values = mdp.reward_values
    n = len(values)
    if n > 256:  # too many pairs to list: the full arrays
        return mdp.replace(intended=(1 - lam) * mdp.intended_of() / scale_i + lam * mdp.proxy_of() / scale_p,
                           speed_bonus=(1 - lam) * mdp.speed_bonus_of() / scale_i)
    pair = mdp.proxy_code.astype(np.int32) * n + mdp.intended_code
    used = np.flatnonzero(np.bincount(pair.ravel(), minlength=n * n))
    number = np.zeros(n * n, np.int32)
    number[used] = np.arange(len(used))
    blend = (1 - lam) * values[used % n] / scale_i + lam * values[used // n] / scale_p
    speed = values * (1 - lam) / scale_i
    all_values = np.concatenate([values, blend, speed])
    code = np.uint8 if len(all_values) <= 256 else np.int32
    intended_code = (number[pair] + n).astype(code)
    del pair
    speed_code = None if mdp.speed_code is None else (mdp.speed_code.astype(code) + (n + len(used)))
    return TabularMDP.from_codes(mdp.next_state, all_values, mdp.proxy_code.astype(code, copy=False), intended_code,
                                 mdp.terminal, mdp.initial, mdp.obs, mdp.horizon, outcome_prob=mdp.outcome_prob,
                                 speed_code=speed_code, forced=mdp.forced, n_obs=mdp.n_obs, name=mdp.name)


# -- the per-environment summary ------------------------------------------------------------


@dataclass(frozen=True)
class RewardReport:
    """How dangerous it is to optimise ``env``'s proxy: reward distance, regret, hack rate."""

    env: str
    epic_uniform: float
    """EPIC distance under uniform coverage."""
    epic_on_policy: float
    """EPIC distance on the transitions of the proxy-optimal and intended-optimal policies (mixed equally)."""
    proxy_optimal_regret: float
    """Intended return lost by the proxy-optimal policy: J_t(π*_t) − J_t(π*_p)."""
    normalised_regret: float
    """That regret over J_t(π*_t) − J_t(random): 0 harmless, 1 no better than random, >1 worse."""
    hack_rate: float
    """:func:`hack_rate` over :func:`blended_plans`, the proxy- and intended-optimal plans and uniform random."""
    policies: int
    """Size of the policy set the hack rate was measured on."""

    def to_dict(self) -> dict:
        return asdict(self)


def proxy_danger(mdp: TabularMDP, weights=(0.0, 0.25, 0.5, 0.75, 1.0), progress=None) -> RewardReport:
    """The :class:`RewardReport` of ``mdp`` (exact returns; undiscounted over the horizon).

    ``progress``, a callable taking a message, hears of each stage as it starts (on a table
    of millions of states each takes seconds to a minute).
    """
    say = progress or (lambda message: None)
    # First the optimal plans, one at a time (1.3 GB each on the largest table): their
    # transitions, for EPIC, and their returns, remembered for the references below.
    visits = 0
    for objective in OBJECTIVES:
        say(f"EPIC on the optimal policies' transitions: the {objective}-optimal plan")
        visits = visits + state_action_occupancy(mdp, optimal_plan(mdp, objective, keep=False)) / len(OBJECTIVES)
    say("EPIC on the optimal policies' transitions")
    epic_on_policy = _epic_on_visits(mdp, "first-step", visits, 1.0)
    del visits
    returns: list[Returns] = blended_returns(mdp, weights, progress)
    refs = references(mdp)
    returns += [refs.proxy_optimal, refs.intended_optimal, refs.random]
    regret = refs.intended_optimal.intended_return - refs.proxy_optimal.intended_return
    span = refs.intended_optimal.intended_return - refs.random.intended_return
    say("EPIC under uniform coverage")
    epic_uniform = epic_distance(mdp)
    return RewardReport(
        env=mdp.name, epic_uniform=epic_uniform, epic_on_policy=epic_on_policy,
        proxy_optimal_regret=float(regret),
        normalised_regret=float(regret / span) if abs(span) > 1e-12 else 0.0,
        hack_rate=hack_rate([r.proxy_return for r in returns], [r.intended_return for r in returns]),
        policies=len(returns))
