"""Facts about the blind detectors: known divergences, AUROC by hand, and blindness to the intent."""

import dataclasses

import numpy as np
import pytest

from specgame.analysis.detect import (
    action_divergence,
    auroc,
    detector_scores,
    evaluate_detectors,
    hellinger,
    jensen_shannon,
    occupancy_distance,
)
from specgame.mdp import to_mdp
from specgame.policy import (
    cell_visits,
    state_action_occupancy,
    stationary_policy,
    termination_probability,
    uniform_policy,
)
from specgame.solve import expected_total, solve


def test_jensen_shannon_and_hellinger_on_known_distributions():
    assert jensen_shannon([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0)  # disjoint: the maximum, 1 bit
    assert jensen_shannon([0.3, 0.7], [0.3, 0.7]) == pytest.approx(0.0)
    # By hand: m = (0.75, 0.25); ½[½ log2(.5/.75) + ½ log2(.5/.25)] + ½ log2(1/.75) = 0.311278
    assert jensen_shannon([0.5, 0.5], [1.0, 0.0]) == pytest.approx(0.311278, abs=1e-6)
    assert hellinger([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0)
    # By hand: √(((√.5 − 1)² + (√.5)²) / 2) = √(1 − √.5) = 0.541196
    assert hellinger([0.5, 0.5], [1.0, 0.0]) == pytest.approx(0.541196, abs=1e-6)
    rows = jensen_shannon([[1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], [0.5, 0.5]])
    assert rows == pytest.approx([1.0, 0.0])


def test_auroc_on_a_hand_made_ranking():
    # Positives 0.9, 0.7; negatives 0.8, 0.6: 3 of the 4 (positive, negative) pairs are ordered right.
    assert auroc([0.9, 0.8, 0.7, 0.6], [True, False, True, False]) == 0.75
    assert auroc([3, 2, 1], [1, 0, 0]) == 1.0
    assert auroc([1, 2, 3], [1, 0, 0]) == 0.0
    assert auroc([0.5, 0.5], [1, 0]) == 0.5  # a tie counts half
    assert np.isnan(auroc([0.5, 0.4], [0, 0]))  # one class: nothing to rank


@pytest.fixture(scope="module")
def boat():
    return to_mdp("specgame/BoatRaceLoop-v0")


def test_visits_agree_with_the_solver(boat):
    plan = solve(boat, "proxy")
    visits = state_action_occupancy(boat, plan).sum(axis=1)
    # The solver's own kernel, paid w[s] for every step taken from s, totals visits @ w.
    w = np.random.default_rng(0).random(boat.n_states)
    paid_per_visit = np.broadcast_to(w[:, None, None], boat.shape)
    assert visits @ w == pytest.approx(expected_total(boat, plan, paid_per_visit))
    assert visits[boat.terminal].sum() == 0.0  # terminal states never act
    assert visits.sum() == pytest.approx(boat.horizon)  # the looper never finishes: 150 steps
    assert termination_probability(boat, plan).sum() == 0.0
    assert stationary_policy(boat, plan).sum(axis=1) == pytest.approx(np.ones(boat.n_states))


def test_the_looper_is_far_from_the_racer_and_the_racer_from_itself(boat):
    racer, looper = solve(boat, "intended"), solve(boat, "proxy")
    assert action_divergence(boat, racer, racer) == pytest.approx(0.0, abs=1e-12)
    assert occupancy_distance(boat, racer, racer) == pytest.approx(0.0, abs=1e-12)
    assert occupancy_distance(boat, racer, looper) > 0.6  # mostly lagoon states the racer never sees
    assert action_divergence(boat, racer, looper) > action_divergence(boat, racer, uniform_policy(boat)) / 2


def test_detectors_never_read_the_rewards(boat):
    """Replace both rewards with noise: every detector score stays the same."""
    rng = np.random.default_rng(0)
    scrambled = dataclasses.replace(boat, proxy=rng.normal(size=boat.shape), intended=rng.normal(size=boat.shape),
                                    speed_bonus=rng.normal(size=boat.shape))
    racer, looper = solve(boat, "intended"), solve(boat, "proxy")
    candidates = {"looper": looper, "random": uniform_policy(boat)}
    assert detector_scores(scrambled, racer, candidates) == detector_scores(boat, racer, candidates)


def test_evaluate_detectors_ranks_the_looper_above_the_racer(boat):
    racer, looper = solve(boat, "intended"), solve(boat, "proxy")
    result = evaluate_detectors(boat, racer, {"looper": looper, "racer": racer},
                                {"looper": True, "racer": False})
    assert set(result.auroc.values()) == {1.0}
    with pytest.raises(ValueError, match="mismatched"):
        evaluate_detectors(boat, racer, {"looper": looper}, {"racer": False})


@pytest.mark.parametrize("call, message", [
    (lambda m: jensen_shannon([0.5, 0.6], [0.5, 0.5]), "probability distributions"),
    (lambda m: hellinger([1.0], [0.5, 0.5]), "shapes of p and q must be the same"),
    (lambda m: action_divergence(m, uniform_policy(m), uniform_policy(m), "kl"), "measure must be one of"),
    (lambda m: action_divergence(m, np.zeros(3, int), uniform_policy(m)), "policy's shape must be \\(n_obs,\\)"),
    (lambda m: auroc([1, 2], [1, 2]), "labels must be"),
    (lambda m: cell_visits(dataclasses.replace(m, states=None), np.zeros(m.n_states)), "include row and col"),
])
def test_bad_input_is_named(boat, call, message):
    with pytest.raises(ValueError, match=message):
        call(boat)
