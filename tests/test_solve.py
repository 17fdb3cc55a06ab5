"""Facts about the exact solver, checked against brute force and Monte Carlo on tiny MDPs."""

import gc
import itertools
import sys
import weakref
from types import SimpleNamespace

import gymnasium
import numpy as np
import pytest

from specgame.envs import env_ids
from specgame.mdp import TabularMDP, from_gymnasium, to_mdp
from specgame.policy import (
    Plan,
    epsilon_greedy_policy,
    greedy_policy,
    state_occupancy,
    termination_probability,
    uniform_policy,
)
from specgame.solve import (
    _backward,
    _integer_type,
    evaluate,
    expected_total,
    optimal_plan,
    optimal_returns,
    solve,
    solve_blends,
)

# -- tiny MDPs and independent reference implementations ----------------------------------------


def random_mdp(seed, *, S=4, A=2, K=2, horizon=4, deterministic=False, integer_rewards=False,
               aliased=False, forced=False):
    """A random table with one terminal state (the last), a speed bonus and, on request,
    deterministic outcomes, tie-prone integer rewards, two states sharing an observation,
    and forced exploration in state 1."""
    rng = np.random.default_rng(seed)
    next_state = rng.integers(0, S, (S, A, K)).astype(np.int32)
    if deterministic:
        prob = np.zeros((S, A, K))
        prob[:, :, 0] = 1.0
    else:
        prob = rng.random((S, A, K)) + 0.1
        prob /= prob.sum(axis=2, keepdims=True)
    draw = (lambda: rng.integers(0, 2, (S, A, K)).astype(float)) if integer_rewards else (
        lambda: rng.normal(size=(S, A, K)))
    terminal = np.zeros(S, bool)
    terminal[-1] = True
    initial = np.zeros(S)
    initial[:2] = [0.7, 0.3]
    obs = np.arange(S)
    if aliased:
        obs = np.array([0, 1, 1] + list(range(2, S - 1)))  # states 1 and 2 look the same
    forced_epsilon = np.full(S, np.nan)
    if forced:
        forced_epsilon[1] = 0.4
    return TabularMDP(next_state=next_state, prob=prob, proxy=draw(), intended=draw(),
                      speed_bonus=draw() * 0.5, terminal=terminal, initial=initial, obs=obs,
                      horizon=horizon, forced_epsilon=forced_epsilon)


def step_reward(mdp, s, a, k, t):
    """(proxy, intended) of outcome k of action a in state s at step t, written out by hand."""
    H = mdp.horizon
    return mdp.proxy[s, a, k], mdp.intended[s, a, k] + mdp.speed_bonus[s, a, k] * (H - t) / H


def executed(mdp, probs, s, honour):
    if honour and not np.isnan(mdp.forced_epsilon[s]):
        fe = mdp.forced_epsilon[s]
        return (1 - fe) * np.asarray(probs) + fe / mdp.n_actions
    return np.asarray(probs)


def naive_returns(mdp, policy_at, gamma=1.0, honour=False):
    """Expected (proxy, intended) by recursing over every branch; policy_at(t, s) -> probs [A]."""

    def value(s, t):
        if t > mdp.horizon or mdp.terminal[s]:
            return np.zeros(2)
        total = np.zeros(2)
        for a, w in enumerate(executed(mdp, policy_at(t, s), s, honour)):
            for k in range(mdp.shape[2]):
                p = mdp.prob[s, a, k]
                if w * p > 0:
                    total += w * p * (np.array(step_reward(mdp, s, a, k, t))
                                      + gamma * value(mdp.next_state[s, a, k], t + 1))
        return total

    return sum(mdp.initial[s] * value(s, 1) for s in range(mdp.n_states) if mdp.initial[s] > 0)


def naive_optimum(mdp, which, gamma=1.0, honour=False):
    """Expectimax over (state, step) without memo: the optimal expected return of one reward."""
    index = {"proxy": 0, "intended": 1}[which]

    def value(s, t):
        if t > mdp.horizon or mdp.terminal[s]:
            return 0.0
        q = np.zeros(mdp.n_actions)
        for a in range(mdp.n_actions):
            for k in range(mdp.shape[2]):
                p = mdp.prob[s, a, k]
                if p > 0:
                    q[a] += p * (step_reward(mdp, s, a, k, t)[index] + gamma * value(mdp.next_state[s, a, k], t + 1))
        if honour and not np.isnan(mdp.forced_epsilon[s]):
            fe = mdp.forced_epsilon[s]
            return (1 - fe) * q.max() + fe * q.mean()
        return q.max()

    return sum(mdp.initial[s] * value(s, 1) for s in range(mdp.n_states) if mdp.initial[s] > 0)


def sample_rows(rng, probs):
    """One index per row of ``probs``, drawn with those probabilities."""
    return (rng.random(len(probs))[:, None] > probs.cumsum(axis=1)).sum(axis=1).clip(max=probs.shape[1] - 1)


def sequence_returns(mdp, s, actions):
    """(proxy, intended) of an open-loop action sequence in a deterministic MDP from state s."""
    proxy = intended = 0.0
    for t, a in enumerate(actions, start=1):
        if mdp.terminal[s]:
            break
        p, i = step_reward(mdp, s, a, 0, t)
        proxy, intended = proxy + p, intended + i
        s = mdp.next_state[s, a, 0]
    return proxy, intended


# -- solve -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_solve_matches_every_action_sequence_of_a_deterministic_mdp(seed):
    # Integer rewards make many sequences tie on the proxy: the plan must be the best of
    # them on the intended reward (the lexicographic optimum), from every start state.
    mdp = random_mdp(seed, S=5, A=3, horizon=5, deterministic=True, integer_rewards=True)
    plan = solve(mdp, "proxy")
    for s in (0, 1):
        outcomes = [sequence_returns(mdp, s, seq) for seq in itertools.product(range(3), repeat=5)]
        best_proxy = max(p for p, _ in outcomes)
        best_intended_among_them = max(i for p, i in outcomes if p == best_proxy)
        assert plan.proxy_values[s] == pytest.approx(best_proxy, abs=1e-12)
        assert plan.intended_values[s] == pytest.approx(best_intended_among_them, abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("objective", ["proxy", "intended"])
@pytest.mark.parametrize("gamma", [1.0, 0.8])
def test_solve_matches_expectimax_on_stochastic_mdps(seed, objective, gamma):
    mdp = random_mdp(seed, K=3, horizon=4)
    plan = solve(mdp, objective, gamma=gamma)
    assert plan.value == pytest.approx(naive_optimum(mdp, objective, gamma), abs=1e-10)
    # The other reward, computed in the same pass, is that of the same policy.
    followed = naive_returns(mdp, lambda t, s: np.eye(mdp.n_actions)[plan.actions[t - 1, s]], gamma)
    assert plan.returns == pytest.approx(tuple(followed), abs=1e-10)


def test_solve_with_forced_exploration_matches_expectimax():
    mdp = random_mdp(3, K=3, horizon=4, forced=True)
    plan = solve(mdp, "proxy", honour_forced_epsilon=True)
    assert plan.value == pytest.approx(naive_optimum(mdp, "proxy", honour=True), abs=1e-10)
    assert plan.value < solve(mdp, "proxy").value  # forced exploration costs something here
    assert evaluate(mdp, plan, honour_forced_epsilon=True) == pytest.approx(plan.returns, abs=1e-10)


def test_ties_on_the_proxy_go_to_the_intended_better_action():
    # One decision, two actions paying the same proxy; only action 1 pays the intended reward.
    mdp = TabularMDP(next_state=[[[1], [1]], [[1], [1]]], prob=np.ones((2, 2, 1)),
                     proxy=[[[1.0], [1.0]], [[0.0], [0.0]]], intended=[[[0.0], [5.0]], [[0.0], [0.0]]],
                     terminal=[False, True], initial=[1.0, 0.0], obs=[0, 1], horizon=3)
    plan = solve(mdp, "proxy")
    assert plan.actions[0, 0] == 1
    assert plan.returns == (1.0, 5.0)
    # And symmetrically: ties on the intended reward go to the proxy-better action.
    swapped = TabularMDP(next_state=mdp.next_state, prob=mdp.prob, proxy=mdp.intended, intended=mdp.proxy,
                         terminal=mdp.terminal, initial=mdp.initial, obs=mdp.obs, horizon=3)
    assert solve(swapped, "intended").actions[0, 0] == 1


def test_terminal_state_ends_the_episode():
    # Action 0 ends the episode at once (+1); action 1 stays and earns +1 a step.
    mdp = TabularMDP(next_state=[[[1], [0]], [[1], [1]]], prob=np.ones((2, 2, 1)),
                     proxy=[[[1.0], [1.0]], [[7.0], [7.0]]], intended=np.zeros((2, 2, 1)),
                     terminal=[False, True], initial=[1.0, 0.0], obs=[0, 1], horizon=6)
    assert solve(mdp, "proxy").proxy_return == 6.0  # the terminal's rows never pay
    assert evaluate(mdp, np.array([0, 0])).proxy_return == 1.0


def test_speed_bonus_rewards_finishing_early():
    # Waiting one step (action 1) before finishing (action 0) loses one step's worth of bonus.
    mdp = TabularMDP(next_state=[[[1], [0]], [[1], [1]]], prob=np.ones((2, 2, 1)), proxy=np.zeros((2, 2, 1)),
                     intended=[[[1.0], [0.0]], [[0.0], [0.0]]], speed_bonus=[[[10.0], [0.0]], [[0.0], [0.0]]],
                     terminal=[False, True], initial=[1.0, 0.0], obs=[0, 1], horizon=5)
    plan = solve(mdp, "intended")
    assert plan.intended_return == pytest.approx(1 + 10 * 4 / 5)
    wait_then_finish = Plan("intended", np.array([[1, 0], [0, 0], [0, 0], [0, 0], [0, 0]], dtype=np.int32),
                            0.0, 0.0, np.zeros(2), np.zeros(2))
    assert evaluate(mdp, wait_then_finish).intended_return == pytest.approx(1 + 10 * 3 / 5)


# -- evaluate --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_evaluate_matches_enumeration_with_aliasing_and_forced_exploration(seed):
    mdp = random_mdp(seed, S=5, K=3, horizon=4, aliased=True, forced=True)
    rng = np.random.default_rng(100 + seed)
    stochastic = rng.dirichlet(np.ones(mdp.n_actions), size=mdp.n_obs)
    deterministic = rng.integers(0, mdp.n_actions, mdp.n_obs)
    for policy in (stochastic, deterministic):
        table = policy if policy.ndim == 2 else np.eye(mdp.n_actions)[policy]
        for honour in (False, True):
            expected = naive_returns(mdp, lambda t, s, table=table: table[mdp.obs[s]], honour=honour)
            assert evaluate(mdp, policy, honour_forced_epsilon=honour) == pytest.approx(tuple(expected), abs=1e-10)


def test_evaluate_matches_monte_carlo():
    mdp = random_mdp(7, S=5, K=3, horizon=6, aliased=True, forced=True)
    policy = epsilon_greedy_policy(np.arange(mdp.n_obs * 2).reshape(-1, 2) % 3, 0.3)
    rng = np.random.default_rng(0)
    episodes = 50_000
    # All episodes step together; a finished episode keeps its returns and stops counting.
    state = rng.choice(mdp.n_states, size=episodes, p=mdp.initial)
    samples = np.zeros((episodes, 2))
    lengths = np.zeros(episodes)
    acting = np.array([executed(mdp, policy[mdp.obs[s]], s, True) for s in range(mdp.n_states)])
    for t in range(1, mdp.horizon + 1):
        alive = ~mdp.terminal[state]
        a = sample_rows(rng, acting[state])
        k = sample_rows(rng, mdp.prob[state, a])
        proxy, intended = step_reward(mdp, state, a, k, t)
        samples[alive] += np.stack([proxy, intended], axis=1)[alive]
        lengths += alive
        state = np.where(alive, mdp.next_state[state, a, k], state)
    exact = evaluate(mdp, policy, honour_forced_epsilon=True)
    error = 4 * samples.std(axis=0) / np.sqrt(episodes)
    assert abs(exact.proxy_return - samples[:, 0].mean()) < error[0]
    assert abs(exact.intended_return - samples[:, 1].mean()) < error[1]
    visits = state_occupancy(mdp, policy, honour_forced_epsilon=True)
    assert visits.sum() == pytest.approx(lengths.mean(), abs=4 * lengths.std() / np.sqrt(episodes))
    ended = mdp.terminal[state]  # where each sampled episode stopped
    terminated = termination_probability(mdp, policy, honour_forced_epsilon=True)
    assert terminated.sum() == pytest.approx(ended.mean(), abs=4 * ended.std() / np.sqrt(episodes))


def test_plan_returns_are_what_evaluate_finds():
    mdp = random_mdp(11, S=6, A=3, K=3, horizon=7)
    for objective in ("proxy", "intended"):
        plan = solve(mdp, objective)
        assert evaluate(mdp, plan) == pytest.approx(plan.returns, abs=1e-10)


def test_an_agent_is_followed_greedily_on_its_q_table():
    mdp = random_mdp(2, S=5, horizon=4)
    q = np.array([[1.0, 1.0], [0.0, 2.0], [3.0, 1.0], [0.0, 0.0], [5.0, 5.0]])
    assert list(greedy_policy(q)) == [0, 1, 0, 0, 0]  # lowest index on ties
    assert evaluate(mdp, SimpleNamespace(q=q)) == evaluate(mdp, greedy_policy(q))


def test_epsilon_greedy_and_uniform_are_distributions_between_greedy_and_random():
    q = np.array([[0.0, 1.0], [2.0, 1.0]])
    assert epsilon_greedy_policy(q, 0.2) == pytest.approx(np.array([[0.1, 0.9], [0.9, 0.1]]))
    mdp = random_mdp(5)
    assert evaluate(mdp, epsilon_greedy_policy(np.zeros((mdp.n_obs, 2)), 1.0)) == pytest.approx(
        evaluate(mdp, uniform_policy(mdp)))


def test_expected_total_and_occupancy_count_what_happens():
    # A deterministic corridor 0 -> 1 -> 2 -> goal(3): one visit each, the goal reached once.
    S = 4
    next_state = np.array([[[min(s + 1, 3)]] for s in range(S)], dtype=np.int32)
    mdp = TabularMDP(next_state=next_state, prob=np.ones((S, 1, 1)), proxy=np.ones((S, 1, 1)),
                     intended=np.zeros((S, 1, 1)), terminal=[False, False, False, True],
                     initial=[1.0, 0, 0, 0], obs=np.arange(S), horizon=10)
    policy = np.zeros(S, dtype=int)
    assert list(state_occupancy(mdp, policy)) == [1.0, 1.0, 1.0, 0.0]  # one step from each cell
    assert list(termination_probability(mdp, policy)) == [0.0, 0.0, 0.0, 1.0]  # the goal reached once
    finishes = np.zeros((S, 1, 1))
    finishes[2, 0, 0] = 1.0  # the step that enters the goal
    assert expected_total(mdp, policy, finishes) == 1.0
    assert expected_total(mdp, policy, mdp.proxy) == evaluate(mdp, policy).proxy_return == 3.0
    assert expected_total(mdp, policy, mdp.proxy, gamma=0.5) == 1 + 0.5 + 0.25


def test_optimal_plans_are_remembered_per_table_and_freed_with_it():
    mdp = random_mdp(3)
    plan = optimal_plan(mdp, "proxy")
    assert plan is optimal_plan(mdp, "proxy")
    assert optimal_plan(mdp, "intended") is not plan and optimal_plan(mdp, "proxy", gamma=0.9) is not plan
    assert plan.returns == solve(mdp, "proxy").returns
    table = weakref.ref(mdp)
    del mdp, plan
    gc.collect()
    assert table() is None  # the remembered plans kept no hold on their table


@pytest.mark.parametrize("seed, gamma, honour", [(0, 1.0, False), (1, 0.9, True), (2, 1.0, True), (3, 0.95, False)])
def test_returns_alone_are_the_plans_returns_bit_for_bit(seed, gamma, honour):
    """One row of actions, rewritten at every step, leaves the values as the whole plan has them."""
    for mdp in (random_mdp(seed, S=9, A=3, K=3, horizon=7, forced=True),
                random_mdp(seed, S=9, A=3, K=1, horizon=7, deterministic=True, integer_rewards=True)
                .replace(speed_bonus=np.zeros((9, 3, 1)))):  # the second takes the integer kernel at gamma 1
        for objective in ("proxy", "intended"):
            expected = solve(mdp, objective, gamma=gamma, honour_forced_epsilon=honour).returns
            got = optimal_returns(mdp, objective, gamma=gamma, honour_forced_epsilon=honour)
            assert np.array(got).tobytes() == np.array(expected).tobytes(), (objective, mdp.deterministic)


def test_a_plan_not_kept_leaves_its_returns_for_later(monkeypatch):
    mdp, other = random_mdp(4), random_mdp(5)
    plan = optimal_plan(mdp, "intended", keep=False)
    assert optimal_plan(mdp, "intended", keep=False) is not plan  # solved afresh: nothing held the plan
    kept = optimal_plan(other, "proxy")
    monkeypatch.setattr(sys.modules["specgame.solve"], "_solve", None)  # no more solving: what was kept answers
    assert optimal_returns(mdp, "intended") == plan.returns
    assert optimal_returns(other, "proxy") == kept.returns
    with pytest.raises(TypeError):
        optimal_returns(other, "intended")  # neither its plan nor its returns kept: it would solve


def test_cliff_walking_optimum_is_minus_13():
    mdp = from_gymnasium(gymnasium.make("CliffWalking-v1"), horizon=100)
    plan = solve(mdp)
    assert plan.proxy_return == -13.0
    assert plan.intended_return == -13.0
    assert evaluate(mdp, uniform_policy(mdp)).proxy_return < -500  # random walks off the cliff a lot


# -- the integer kernel: the float kernel's plans, bit for bit ---------------------------------------


def float_kernel(mdp, objective):
    """The plan's actions and values as the float kernel (``_backward``) finds them."""
    actions = np.zeros((mdp.horizon, mdp.n_states), np.int8)
    values = _backward(tuple(mdp.kernel_arrays()), mdp.horizon, 1.0, objective == "intended", False, actions)
    return actions, values


def assert_same_as_float_kernel(mdp):
    for objective in ("proxy", "intended"):
        plan = solve(mdp, objective)
        actions, (proxy_values, intended_values) = float_kernel(mdp, objective)
        assert np.array_equal(plan.actions, actions), objective
        assert plan.proxy_values.tobytes() == proxy_values.tobytes(), objective
        assert plan.intended_values.tobytes() == intended_values.tobytes(), objective


@pytest.mark.parametrize("seed, scale, integer", [(seed, 1, np.int16) for seed in range(12)]
                         + [(12, 10_000, np.int32), (13, 10**9, None)])
def test_integer_returns_are_planned_in_integers_with_the_float_kernels_ties(seed, scale, integer):
    """Rewards in {0, 1} make ties everywhere; large rewards take wider integers, and
    returns past the integers' reach stay in floats."""
    tied = random_mdp(seed, S=12, A=4, K=1, horizon=6, deterministic=True, integer_rewards=True)
    mdp = tied.replace(speed_bonus=np.zeros(tied.shape), proxy=scale * tied.proxy, intended=scale * tied.intended)
    assert _integer_type(mdp, 1.0, False) == integer
    assert_same_as_float_kernel(mdp)


def test_only_exact_integer_sums_take_the_integer_kernel():
    mdp = random_mdp(0, deterministic=True, integer_rewards=True, K=1, forced=True)
    assert _integer_type(mdp, 1.0, False) is None  # a speed bonus: fractions of a step
    plain = mdp.replace(speed_bonus=np.zeros(mdp.shape))
    assert _integer_type(plain, 1.0, False) == np.int16
    assert _integer_type(plain, 0.9, False) is None  # discounting
    assert _integer_type(plain, 1.0, True) is None  # forced exploration mixes in a mean
    assert _integer_type(plain.replace(proxy=plain.proxy + 0.5), 1.0, False) is None
    assert _integer_type(random_mdp(0, integer_rewards=True).replace(speed_bonus=np.zeros((4, 2, 2))),
                         1.0, False) is None  # stochastic


@pytest.mark.parametrize("env_id", env_ids(skip_large=True, tables_only=True))
def test_every_small_table_plans_the_same_on_either_kernel(env_id):
    mdp = to_mdp(env_id)
    if _integer_type(mdp, 1.0, False) is None:  # solve takes the float kernel itself: nothing to compare
        return
    assert_same_as_float_kernel(mdp)


# -- bad input -------------------------------------------------------------------------------------


def blend_terms(mdp, weights, scale_p, scale_i):
    """The proxy, intended and speed terms [B, values] of ``(1 − λ) R_intended / scale_i + λ R_proxy / scale_p``."""
    values = mdp.reward_values
    return (np.array([lam * values / scale_p for lam in weights]),
            np.array([(1 - lam) * values / scale_i for lam in weights]),
            np.array([values * (1 - lam) / scale_i for lam in weights]))


@pytest.mark.parametrize("deterministic, scales", [(False, (2.0, 3.0)), (True, (1.0, 1.0))])
def test_blends_solved_in_one_pass_are_each_blend_solved_alone_bit_for_bit(deterministic, scales):
    # Integer rewards and unit scales make many exact ties: the tie-break must be the same too.
    weights = (0.0, 0.3, 0.5, 1.0)
    for seed in range(12):
        mdp = random_mdp(seed, S=6, A=3, K=2, horizon=5, deterministic=deterministic, integer_rewards=deterministic)
        returns, plan = solve_blends(mdp, *blend_terms(mdp, weights, *scales), plan_of=1)
        assert solve_blends(mdp, *blend_terms(mdp, weights, *scales))[0] == returns  # the plan changes nothing
        for lam, got in zip(weights, returns):
            blend = mdp.replace(intended=(1 - lam) * mdp.intended_of() / scales[1] + lam * mdp.proxy_of() / scales[0],
                                speed_bonus=(1 - lam) * mdp.speed_bonus_of() / scales[1])
            alone = solve(blend, "intended")
            assert got == alone.returns, (seed, lam)
            if lam == weights[1]:
                assert np.array_equal(plan.actions, alone.actions) and plan.returns == alone.returns
                assert evaluate(mdp, plan).proxy_return == pytest.approx(got.proxy_return)


@pytest.mark.parametrize("call, message", [
    (lambda m: solve_blends(m, *blend_terms(m, (0.5,), 1.0, 1.0)[:2], np.zeros((2, 1))), "blend terms' shapes must be"),
    (lambda m: solve_blends(m, *blend_terms(m, (0.5,), 1.0, 1.0), plan_of=1), "plan_of must be -1 or"),
    (lambda m: solve(m, "reward"), "objective must be one of 'proxy', 'intended', got 'reward'"),
    (lambda m: solve(m, gamma=0.0), "gamma must be in"),
    (lambda m: evaluate(m, np.zeros(3, dtype=int)), "shape must be \\(n_obs,\\)"),
    (lambda m: evaluate(m, np.array([0, 1, 2, 0])), "actions must be in \\[0, 2\\)"),
    (lambda m: evaluate(m, np.zeros(4)), "dtype must be an int dtype"),
    (lambda m: evaluate(m, np.full((4, 2), 0.6)), "row 0's sum must be 1, got 1.2"),
    (lambda m: evaluate(m, np.full((4, 3), 1 / 3)), "shape must be \\(n_obs, actions\\) = \\(4, 2\\)"),
    (lambda m: evaluate(m, np.array([[-0.5, 1.5]] * 4)), "non-negative"),
    (lambda m: evaluate(m, np.zeros((2, 2, 2))), "policy must be"),
    (lambda m: evaluate(m, solve(random_mdp(0, horizon=3))), "solved for another table"),
    (lambda m: expected_total(m, uniform_policy(m), np.zeros((4, 2))), "reward's shape must be the table's shape"),
    (lambda m: epsilon_greedy_policy(np.zeros((4, 2)), 1.5), "epsilon must be in \\[0, 1\\], got 1.5"),
    (lambda m: greedy_policy(np.zeros(4)), "q table's shape must be"),
    (lambda m: greedy_policy(np.full((4, 2), np.nan)), "free of NaN"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call(random_mdp(0))
