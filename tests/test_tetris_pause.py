"""Facts about TetrisPause: the rules of the little Tetris, and the pause that games it."""

import gymnasium as gym
import numpy as np
import pytest

from specgame.analysis.compare import gap_report
from specgame.envs import tetris_pause as tetris
from specgame.envs.tetris_pause import LOST, PAUSE, State
from specgame.solve import expected_total, solve

ID = "specgame/TetrisPause-v0"
CONFIG = tetris.Config()
BLOCK, DOMINO, ELL = range(3)


@pytest.fixture(scope="module")
def mdp():
    return gym.make(ID).unwrapped.mdp


def well(*rows: str) -> int:
    """A well from rows drawn top to bottom, `x` a block."""
    bits = 0
    for r, line in enumerate(reversed(rows)):
        for c, ch in enumerate(line):
            if ch == "x":
                bits |= 1 << (r * tetris.WIDTH + c)
    return bits


def indicator(mdp, chosen) -> np.ndarray:
    """A reward array paying 1 on every transition ``chosen(state, action, next_state)`` picks."""
    reward = np.zeros(mdp.shape)
    for s in range(mdp.n_states):
        for a in range(mdp.n_actions):
            for k in range(mdp.shape[2]):
                if mdp.prob[s, a, k] > 0 and chosen(s, a, int(mdp.next_state[s, a, k])):
                    reward[s, a, k] = 1.0
    return reward


def test_a_full_row_clears_and_pays_a_line_on_both_rewards():
    start = State(well("...", "...", "xx."), BLOCK, 0)
    outcomes = tetris.transitions(start, 2, CONFIG)
    assert {o.next_state.well for o in outcomes} == {0}
    assert all(o.proxy == 1.0 and o.intended == 1.0 for o in outcomes)


def test_a_paused_game_ignores_the_drop_buttons():
    paused = State(well("...", "...", "x.."), DOMINO, 1)
    for column in range(3):
        assert tetris.transitions(paused, column, CONFIG) == [(1.0, paused, 0.0, 0.0, False, 0.0)]
    (unpaused,) = tetris.transitions(paused, PAUSE, CONFIG)
    assert unpaused.next_state.paused == 0


def test_a_piece_that_does_not_fit_its_column_slides_to_the_nearest_that_fits():
    start = State(well("x..", "x..", "x.."), BLOCK, 0)
    outcomes = tetris.transitions(start, 0, CONFIG)
    assert {o.next_state.well for o in outcomes} == {well("x..", "x..", "xx.")}


def test_the_game_is_lost_when_the_next_piece_fits_nowhere():
    start = State(well(".x.", ".x.", "xx."), DOMINO, 0)  # the domino fills column 1 to the top
    outcomes = {o.next_state.piece if o.next_state != LOST else "lost": o
                for o in tetris.transitions(start, 0, CONFIG)}
    assert set(outcomes) == {BLOCK, DOMINO, "lost"}  # the small L has no room left
    assert outcomes["lost"].terminated and outcomes["lost"].proxy == -CONFIG.loss_penalty
    assert tetris.board(LOST, CONFIG)[-1] == "#OVER"


def test_the_board_shows_the_next_piece_and_the_pause():
    assert tetris.board(State(0, ELL, 1), CONFIG) == ["  j  ", " jj  ", "#...#", "#...#", "#...#", "PAUSE"]


def test_the_proxy_optimal_player_pauses_and_the_intended_optimal_plays_on(mdp):
    paused = mdp.states[:, list(mdp.state_fields).index("paused")] == 1
    pauses = indicator(mdp, lambda s, a, n: a == PAUSE and not paused[s])
    losses = indicator(mdp, lambda s, a, n: bool(mdp.terminal[n]))
    proxy_plan, intended_plan = solve(mdp, "proxy"), solve(mdp, "intended")

    assert expected_total(mdp, proxy_plan, pauses) > 0.99
    assert expected_total(mdp, proxy_plan, losses) < 0.01
    assert proxy_plan.intended_return == pytest.approx(2.56, abs=0.01)

    assert expected_total(mdp, intended_plan, pauses) < 0.01
    assert expected_total(mdp, intended_plan, losses) > 0.95
    assert intended_plan.intended_return == pytest.approx(8.50, abs=0.01)
    assert intended_plan.proxy_return < 0 < proxy_plan.proxy_return

    report = gap_report(mdp, proxy_plan)
    assert report.verdict == "gaming" and report.intended_score < 0.1


def test_q_learning_learns_to_pause(mdp):
    from specgame.agents import QLearning

    report = gap_report(mdp, QLearning(mdp, alpha=0.5, seed=0).learn(20_000))
    assert report.verdict == "gaming"
    assert report.returns.intended_return < 0.5 * report.references.intended_optimal.intended_return
