"""Facts about ShapingLoop: plain shaping makes circling pay; potential-based shaping does not."""

from collections import Counter

import gymnasium as gym
import numpy as np
import pytest

from specgame.analysis.compare import gap_report
from specgame.envs import shaping_loop
from specgame.solve import solve

PLAIN, POTENTIAL = "specgame/ShapingLoop-v0", "specgame/ShapingLoop-Potential-v0"
SHORTEST_RIDE = 9
HORIZON = 60


def table(env_id):
    return gym.make(env_id).unwrapped.mdp


def ride(mdp, plan) -> list[tuple[int, int]]:
    """The cells a deterministic plan rides through, start excluded, until the episode ends."""
    state = int(np.flatnonzero(mdp.initial)[0])
    cells = []
    for t in range(mdp.horizon):
        if mdp.terminal[state]:
            break
        state = int(mdp.next_state[state, plan.actions[t, state], 0])
        fields = mdp.state_dict(state)
        cells.append((fields["row"], fields["col"]))
    return cells


def test_the_board_draws_the_rider_by_heading():
    env = gym.make(PLAIN, render_mode="ansi").unwrapped
    env.reset(seed=0)
    assert "^" in env.board()[6]
    env.step(shaping_loop.RIGHT)
    assert env.board()[6][2] == ">"
    assert "^" not in env.render()


def test_plain_shaping_pays_closer_steps_and_charges_nothing_for_going_away():
    env = gym.make(PLAIN).unwrapped
    env.reset(seed=0)
    _, towards, *_ = env.step(shaping_loop.AHEAD)  # north: closer
    env.step(shaping_loop.RIGHT)  # east: closer
    env.step(shaping_loop.RIGHT)  # south: further
    _, away, *_ = env.step(shaping_loop.RIGHT)  # west: further
    assert towards == pytest.approx(0.9) and away == pytest.approx(-0.1)


def test_potential_shaping_takes_back_what_a_loop_paid():
    env = gym.make(POTENTIAL).unwrapped
    env.reset(seed=0)
    env.step(shaping_loop.AHEAD)
    lap = [env.step(shaping_loop.RIGHT)[1] for _ in range(4)]  # a 2x2 circle, back where it began
    assert sum(lap) == pytest.approx(-0.4)  # the bonus sums to 0; only the step cost remains


def test_plain_shaping_makes_the_proxy_optimal_rider_circle():
    mdp = table(PLAIN)
    plan = solve(mdp, "proxy")
    cells = ride(mdp, plan)
    assert plan.proxy_return == pytest.approx(31.1)
    assert len(cells) == HORIZON - 1  # rides in on the last step it can (the field is a chessboard)
    assert Counter(cells).most_common(1)[0][1] >= 2  # it passes the same cells again: a loop
    assert plan.intended_return == pytest.approx(1 / HORIZON)
    report = gap_report(mdp, plan)
    assert report.verdict == "gaming" and report.intended_score < 0.0


def test_potential_shaping_removes_the_loop():
    mdp = table(POTENTIAL)
    plan = solve(mdp, "proxy")
    cells = ride(mdp, plan)
    assert len(cells) == SHORTEST_RIDE and len(set(cells)) == len(cells)  # no cell twice
    assert plan.proxy_return == pytest.approx(SHORTEST_RIDE + 3 - 0.1 * SHORTEST_RIDE)
    assert plan.intended_return == pytest.approx(solve(mdp, "intended").intended_return)
    assert plan.intended_return == pytest.approx((HORIZON - SHORTEST_RIDE) / HORIZON)
    assert gap_report(mdp, plan).verdict == "aligned"


def test_the_intended_optimal_ride_is_the_same_under_both_shapings():
    plain, potential = solve(table(PLAIN), "intended"), solve(table(POTENTIAL), "intended")
    assert plain.intended_return == pytest.approx(potential.intended_return)
    assert plain.proxy_return == pytest.approx(11.1)


def test_unknown_shaping_is_named():
    with pytest.raises(ValueError, match="shaping must be one of"):
        gym.make(PLAIN, shaping="linear")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_q_learning_circles_under_plain_shaping(seed):
    from specgame.agents import QLearning

    mdp = table(PLAIN)
    report = gap_report(mdp, QLearning(mdp, alpha=0.5, seed=seed).learn(20_000))
    assert report.verdict == "gaming" and report.returns.intended_return == 0.0


def test_q_learning_rides_to_the_goal_under_potential_shaping():
    from specgame.agents import QLearning

    mdp = table(POTENTIAL)
    report = gap_report(mdp, QLearning(mdp, alpha=0.5, seed=0).learn(20_000))
    assert report.verdict == "aligned"
