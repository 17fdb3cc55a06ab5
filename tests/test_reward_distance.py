"""Facts about EPIC, the hack rate and the per-env danger numbers, each against an independent calculation."""

import numpy as np
import pytest

from specgame.analysis.reward_distance import (
    dense_rewards,
    epic_distance,
    epic_distance_dense,
    hack_rate,
    proxy_danger,
    transitions,
)
from specgame.mdp import TabularMDP, to_mdp
from specgame.policy import uniform_policy


def full_support_mdp(proxy, intended, seed=0):
    """Every (s, a) can reach every s' (outcome k = s'), so R[s, a, s'] is the reward table itself."""
    S, A, _ = proxy.shape
    rng = np.random.default_rng(seed)
    return TabularMDP(next_state=np.tile(np.arange(S), (S, A, 1)), prob=rng.dirichlet(np.ones(S), size=(S, A)),
                      proxy=proxy, intended=intended, terminal=np.zeros(S, bool), initial=np.full(S, 1 / S),
                      obs=np.arange(S), horizon=20)


def recipe_epic(ra, rb, gamma, coverage=None):
    """The tabular recipe of the research notes, written out with np.average (uniform D_S, D_A)."""
    S, A, _ = ra.shape
    ds, da = np.full(S, 1 / S), np.full(A, 1 / A)

    def canonical(r):
        mean_sa = np.average(r, axis=2, weights=ds)
        mean_s = np.average(mean_sa, axis=1, weights=da)
        return r + gamma * mean_s[None, None, :] - mean_s[:, None, None] - gamma * np.average(mean_s, weights=ds)

    w = (np.ones_like(ra) if coverage is None else coverage).ravel()
    x, y = canonical(ra).ravel(), canonical(rb).ravel()
    rho = np.cov(x, y, aweights=w)[0, 1] / np.sqrt(np.cov(x, aweights=w) * np.cov(y, aweights=w))
    return np.sqrt((1 - rho) / 2)


@pytest.fixture(scope="module")
def rewards():
    rng = np.random.default_rng(1)
    return rng.normal(size=(6, 3, 6)), rng.normal(size=(6, 3, 6))


@pytest.mark.parametrize("gamma", [1.0, 0.9])
def test_epic_is_zero_for_a_potential_shaped_reward(rewards, gamma):
    reward, _ = rewards
    potential = np.random.default_rng(2).normal(size=6) * 5
    shaped = reward + gamma * potential[None, None, :] - potential[:, None, None]
    assert epic_distance_dense(reward, shaped, gamma) == pytest.approx(0.0, abs=1e-6)
    mdp = full_support_mdp(reward, shaped)
    assert epic_distance(mdp, gamma=gamma) == pytest.approx(0.0, abs=1e-6)
    assert epic_distance(mdp, uniform_policy(mdp), gamma=gamma) == pytest.approx(0.0, abs=1e-6)


def test_epic_is_invariant_to_positive_rescaling_and_matches_the_recipe(rewards):
    a, b = rewards
    distance = epic_distance_dense(a, b, 0.9)
    assert distance == pytest.approx(recipe_epic(a, b, 0.9))
    assert epic_distance_dense(a, 7.5 * b, 0.9) == pytest.approx(distance)
    assert epic_distance_dense(a, -b, 0.9) != pytest.approx(distance)  # negation is not a rescaling
    assert 0.0 < distance < 1.0
    mdp = full_support_mdp(a, b)
    assert epic_distance(mdp, gamma=0.9) == pytest.approx(distance)
    assert epic_distance(full_support_mdp(3 * a, b)) == pytest.approx(epic_distance(mdp))


def test_sparse_uniform_epic_equals_the_dense_one_on_a_sparse_table():
    rng = np.random.default_rng(3)
    S, A, K = 7, 3, 2
    mdp = TabularMDP(next_state=rng.integers(0, S, (S, A, K)), prob=np.full((S, A, K), 0.5),
                     proxy=rng.normal(size=(S, A, K)), intended=rng.normal(size=(S, A, K)),
                     terminal=np.zeros(S, bool), initial=np.full(S, 1 / S), obs=np.arange(S), horizon=9)
    proxy, intended = dense_rewards(mdp)
    for gamma in (1.0, 0.8):
        assert epic_distance(mdp, gamma=gamma) == pytest.approx(recipe_epic(proxy, intended, gamma))
    # On-policy coverage: the visits of uniform random times P(s'|s,a), from an independent occupancy.
    from specgame.policy import state_action_occupancy

    coverage = np.zeros((S, A, S))
    visits = state_action_occupancy(mdp, uniform_policy(mdp))
    for s in range(S):
        for a in range(A):
            for k in range(K):
                coverage[s, a, mdp.next_state[s, a, k]] += visits[s, a] * mdp.prob[s, a, k]
    assert epic_distance(mdp, uniform_policy(mdp)) == pytest.approx(recipe_epic(proxy, intended, 1.0, coverage))


def test_outcomes_landing_in_one_state_merge_into_their_mean_reward():
    # State 0 has three outcomes, two of them back to 0; state 1 is terminal (a self-loop).
    mdp = TabularMDP(next_state=[[[0, 0, 1]], [[1, 1, 1]]], prob=[[[0.25, 0.25, 0.5]], [[1.0, 0.0, 0.0]]],
                     proxy=[[[4.0, 0.0, 1.0]], [[0.0] * 3]], intended=np.zeros((2, 1, 3)),
                     speed_bonus=[[[0.0, 0.0, 10.0]], [[0.0] * 3]], terminal=[False, True],
                     initial=[1.0, 0.0], obs=[0, 1], horizon=5)
    t = transitions(mdp)
    assert list(zip(t.state, t.next_state)) == [(0, 0), (0, 1), (1, 1)] and list(t.prob) == [0.5, 0.5, 1.0]
    assert list(t.proxy) == [2.0, 1.0, 0.0]
    assert t.intended[1] == pytest.approx(10 * 4 / 5)  # the speed bonus at its first-step value
    assert transitions(mdp, speed_bonus="ignore").intended[1] == 0.0


def test_a_deterministic_table_lists_each_state_action_once_in_order():
    rng = np.random.default_rng(5)
    S, A = 6, 3
    mdp = TabularMDP(next_state=rng.integers(0, S, (S, A, 1)), prob=np.ones((S, A, 1)),
                     proxy=rng.normal(size=(S, A, 1)), intended=rng.normal(size=(S, A, 1)),
                     terminal=np.zeros(S, bool), initial=np.full(S, 1 / S), obs=np.arange(S), horizon=4)
    t = transitions(mdp)
    listed = list(zip(t.state, t.action, t.next_state, t.prob, t.proxy, t.intended))
    assert listed == [(s, a, mdp.next_state[s, a, 0], 1.0, mdp.proxy[s, a, 0], mdp.intended[s, a, 0])
                      for s in range(S) for a in range(A)]
    proxy, intended = dense_rewards(mdp)
    assert epic_distance(mdp) == pytest.approx(recipe_epic(proxy, intended, 1.0))


def test_hack_rate_counts_opposite_rankings():
    proxy = [1.0, 2.0, 3.0, 4.0]
    assert hack_rate(proxy, [2 * p + 1 for p in proxy]) == 0.0  # equivalent: same order
    assert hack_rate(proxy, [4.0, 3.0, 2.0, 1.0]) == 1.0  # every pair reversed
    # By hand: intended 1, 3, 2, 4 -> pairs with J_t(i) < J_t(j): 5 of the 6 differ... all 6 differ;
    # only (policy 2, policy 1) has lower intended and higher proxy: 1 of 6.
    assert hack_rate(proxy, [1.0, 3.0, 2.0, 4.0]) == pytest.approx(1 / 6)
    assert hack_rate(proxy, [5.0, 5.0, 5.0, 5.0]) == 0.0  # no pair differs on the intent


def test_hack_rate_is_half_of_one_minus_kendall_tau_without_ties():
    rng = np.random.default_rng(4)
    proxy, intended = rng.normal(size=30), rng.normal(size=30)
    assert len(set(proxy)) == len(set(intended)) == 30  # no ties: tau-a and tau-b agree
    # Kendall's tau by its definition: (concordant - discordant pairs) / all pairs
    signs = [np.sign(proxy[i] - proxy[j]) * np.sign(intended[i] - intended[j])
             for i in range(30) for j in range(i + 1, 30)]
    tau = sum(signs) / len(signs)
    assert hack_rate(proxy, intended) == pytest.approx((1 - tau) / 2)


def test_the_aligned_control_is_harmless_and_the_boat_race_is_dangerous():
    cliff = proxy_danger(to_mdp("specgame/CliffWalking-v0"))
    assert (cliff.epic_uniform, cliff.epic_on_policy, cliff.proxy_optimal_regret, cliff.hack_rate) == (0, 0, 0, 0)
    boat = proxy_danger(to_mdp("specgame/BoatRaceLoop-v0"), weights=(0.0, 0.5, 1.0))
    assert boat.proxy_optimal_regret == pytest.approx(3.4)  # the racer's 3.4 against the looper's 0
    assert boat.normalised_regret == pytest.approx(1.0, abs=0.01)
    assert boat.hack_rate > 0.3 and boat.epic_uniform > 0.5
    assert boat.policies == 3 + 3  # three blends, then proxy-optimal, intended-optimal and random


def test_the_hack_rate_ranks_the_blends_by_their_intended_returns_not_the_blends():
    from specgame.analysis.reward_distance import _blend, blended_plans, blended_returns
    from specgame.solve import evaluate, solve

    mdp = to_mdp("specgame/BoatRaceLoop-v0")
    weights = (0.0, 0.5, 1.0)
    plans = blended_plans(mdp, weights)
    for plan, returns in zip(plans, blended_returns(mdp, weights)):
        exact = evaluate(mdp, plan)  # the plan run on the game's own two rewards
        assert returns.proxy_return == pytest.approx(exact.proxy_return, abs=1e-9)
        assert returns.intended_return == pytest.approx(exact.intended_return, abs=1e-9)
    assert plans[1].intended_return != pytest.approx(evaluate(mdp, plans[1]).intended_return)  # a blend's scale
    # The blend is built from the reward codes; the full arrays give the same plan, action for action.
    dense = mdp.replace(intended=0.5 * mdp.intended_of() / 3.0 + 0.5 * mdp.proxy_of() / 7.0,
                        speed_bonus=0.5 * mdp.speed_bonus_of() / 3.0)
    assert np.array_equal(solve(_blend(mdp, 0.5, 7.0, 3.0), "intended").actions, solve(dense, "intended").actions)


def test_the_reward_measures_say_each_stage_as_it_starts():
    heard = []
    mdp = to_mdp("specgame/ShapingLoop-v0")
    mdp = mdp.replace(horizon=mdp.horizon)  # a copy: no plan or return remembered by earlier tests
    proxy_danger(mdp, weights=(0.0, 1.0), progress=heard.append)
    # the optimal plans first, one at a time: their returns serve the references after them
    assert heard == ["EPIC on the optimal policies' transitions: the proxy-optimal plan",
                     "EPIC on the optimal policies' transitions: the intended-optimal plan",
                     "EPIC on the optimal policies' transitions", "references: uniform random",
                     "references: the proxy-optimal plan", "references: the intended-optimal plan",
                     "hack rate: solving the 2 blends in one pass (λ = 0, 1)",
                     "hack rate: the intended return of the λ = 1 blend's plan",
                     "EPIC under uniform coverage"]


@pytest.mark.parametrize("env_id", ["specgame/TetrisPause-v0", "specgame/ShapingLoop-v0"])
def test_the_blends_solved_in_one_pass_have_the_returns_of_each_blend_solved_alone(env_id):
    from specgame.analysis.reward_distance import _blends, _scales, blended_returns
    from specgame.solve import evaluate, optimal_returns, solve

    mdp = to_mdp(env_id)  # the tetris game is stochastic, the shaping loop deterministic with a speed bonus
    weights = (0.0, 0.25, 0.5, 0.75, 1.0)
    _, scale_p, scale_i = _scales(mdp, weights, None)
    alone = []
    for lam, blend in _blends(mdp, weights, None):  # each blend's table solved on its own
        if lam < 1:
            one = optimal_returns(blend, "intended")
            intended = (one.intended_return - lam * one.proxy_return / scale_p) * scale_i / (1 - lam)
            alone.append((one.proxy_return, intended))
        else:
            alone.append(tuple(evaluate(mdp, solve(blend, "intended"))))
    assert [tuple(r) for r in blended_returns(mdp, weights)] == alone  # bit for bit
    assert len(set(alone)) > 1  # the blends differ: a test that could fail


@pytest.mark.parametrize("env_id", ["specgame/TetrisPause-v0", "specgame/FullStop-v0",
                                    "specgame/BoatRaceLoop-Mixed-v0"])
def test_epic_in_pieces_of_a_few_states_equals_epic_in_one_piece(monkeypatch, env_id):
    import specgame.analysis.reward_distance as reward_distance
    from specgame.solve import optimal_plan

    mdp = to_mdp(env_id)  # stochastic, deterministic, stochastic with a speed bonus
    policies = [optimal_plan(mdp, "proxy"), optimal_plan(mdp, "intended")]
    assert mdp.n_states <= reward_distance.CHUNK_STATES  # one piece
    whole = (epic_distance(mdp), epic_distance(mdp, policies), epic_distance(mdp, gamma=0.9, speed_bonus="ignore"))
    one_piece = transitions(mdp)
    chunk = max(7, mdp.n_states // 9)  # several pieces, the last one shorter
    monkeypatch.setattr(reward_distance, "CHUNK_STATES", chunk)
    pieces = list(reward_distance._pieces(mdp, "first-step"))
    assert len(pieces) == -(-mdp.n_states // chunk) > 1
    for field in ("state", "action", "next_state", "prob", "proxy", "intended"):
        joined = np.concatenate([getattr(t, field) for _, _, t in pieces])
        assert np.array_equal(joined, getattr(one_piece, field)), field
    in_pieces = (epic_distance(mdp), epic_distance(mdp, policies), epic_distance(mdp, gamma=0.9, speed_bonus="ignore"))
    assert not np.isnan(whole).any() and len(set(whole)) == 3
    assert in_pieces == pytest.approx(whole, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda m: epic_distance(m, "everywhere"), "coverage must be 'uniform'"),
    (lambda m: epic_distance(m, gamma=0), "gamma must be in"),
    (lambda m: transitions(m, speed_bonus="average"), "speed_bonus must be one of"),
    (lambda m: hack_rate([1, 2], [1]), "equal length"),
    (lambda m: dense_rewards(to_mdp("specgame/BoatRaceLoop-v0")), "use transitions"),
])
def test_bad_input_is_named(rewards, call, message):
    with pytest.raises(ValueError, match=message):
        call(full_support_mdp(*rewards))
