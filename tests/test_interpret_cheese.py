"""The cheese vector on MazeCheese (Mini et al. 2023), measured exactly on every test state.

The seed-0 maze DQN of tests/test_misgen_dqn.py (10,000 steps, one torch thread, about 8 CPU
seconds) is trained once here; everything else is exact and takes about a second.
"""

from functools import cache

import numpy as np
import pytest

pytest.importorskip("torch")

from test_misgen import one_numba_thread  # noqa: F401,E402  (the solver on one thread here too)

from specgame.analysis.generalisation import MISGEN_DQN_STEPS, train_dqn  # noqa: E402
from specgame.envs import make  # noqa: E402
from specgame.interpret import cheese  # noqa: E402
from specgame.interpret.activations import observations  # noqa: E402

LAYER = "relus.0"  # the convolution's output: halfway through the network, as Mini et al.'s layer


@cache
def maze_test_table():
    return make("MazeCheese-Test-v0", obs_mode="onehot").unwrapped.mdp


@cache
def seed_0_sweeps():
    agent = train_dqn("MazeCheese-v0", MISGEN_DQN_STEPS["MazeCheese"], 0)
    pass
    sweeps = {}
    for per_maze in (False, True):  # one vector for all mazes; each maze's own
        rows = cheese.cheese_sweep(agent.q_net, maze_test_table(), [LAYER], [1, 4], per_maze=per_maze)
        sweeps[per_maze] = {(row.vector, row.coefficient): row for row in rows}
    return sweeps


def test_erasing_the_cheese_changes_only_the_cheese_cells():
    mdp = maze_test_table()
    before, after = observations(mdp), cheese.without_cheese(mdp)
    c, floor = mdp.alphabet.index("c"), mdp.alphabet.index(".")
    assert before[:, c].sum() > 0 and after[:, c].sum() == 0
    changed = before != after
    assert np.array_equal(changed.any(axis=1), before[:, c] == 1)  # only where the cheese was drawn
    assert np.array_equal(after[:, floor] - before[:, floor], before[:, c])  # ... and it is floor now
    with pytest.raises(ValueError, match="mdp must be a table of MazeCheese"):
        cheese.without_cheese(make("CoinAtTheEnd-Test-v0").unwrapped.mdp)


def test_decision_squares_are_where_the_ways_to_the_cheese_and_the_corner_part():
    mdp = maze_test_table()
    ways = cheese.decisions(mdp)
    # Perfect mazes: one shortest way, so one first step, from every acting state to the cheese.
    assert np.all(ways.to_cheese[~mdp.terminal].sum(axis=1) == 1)
    square = ways.square
    assert not (ways.to_cheese & ways.to_corner)[square].any()
    assert np.all(ways.to_corner[square].sum(axis=1) == 1)
    # The corner's own cell is no decision square (its way to the corner does not leave it).
    rows, cols = mdp.states[:, 1], mdp.states[:, 2]
    assert not square[(rows == 1) & (cols == 5)].any()
    # At most one fork per maze, always a decision square; mazes whose cheese lies on the way to
    # the corner have none.
    assert np.all(square[ways.fork])
    assert np.bincount(mdp.states[ways.fork, 0]).max() == 1
    assert (int(square.sum()), int(ways.fork.sum())) == (386, 64)


def test_the_corner_dqn_does_not_head_to_the_cheese_so_the_vector_has_nothing_to_cut():
    """Seed 0's exact rates: at the decision squares it heads to the cheese in 26 of 386 (.067;
    Mini et al.'s network: .81), at the forks in 3 of 64; with the cheese erased from its input
    it heads there no less often, so no cheese vector can bring the rate down the anchor's way."""
    one = seed_0_sweeps()[False]
    none, erased = one[("none", 0.0)], one[("erased", 1.0)]
    assert none.heads_to_cheese == pytest.approx(26 / 386, abs=1e-12)
    assert none.at_forks == pytest.approx(3 / 64, abs=1e-12)
    assert none.heads_to_corner == pytest.approx(298 / 386, abs=1e-12)
    assert none.intended_return == pytest.approx(0.515, abs=1e-9)  # as tests/test_misgen_dqn.py holds
    assert erased.heads_to_cheese == pytest.approx(32 / 386, abs=1e-12)
    assert erased.heads_to_cheese >= none.heads_to_cheese
    assert erased.at_forks == pytest.approx(8 / 64, abs=1e-12)
    # One vector for all mazes, subtracted: before .067, after .065 (coefficient 1) and .078 (4).
    assert one[("cheese", 1.0)].heads_to_cheese == pytest.approx(25 / 386, abs=1e-12)
    assert one[("cheese", 4.0)].heads_to_cheese == pytest.approx(30 / 386, abs=1e-12)
    mazes = seed_0_sweeps()[True]  # each maze's own vector (Mini et al.'s)
    assert mazes[("cheese", 1.0)].heads_to_cheese == pytest.approx(28 / 386, abs=1e-12)
    assert mazes[("cheese", 4.0)].heads_to_cheese == pytest.approx(20 / 386, abs=1e-12)


def test_the_cheese_vector_removes_the_cheese_from_what_the_network_sees():
    """What the vector does instead: subtracted, the network acts as it does on boards without the
    cheese, more than unsteered and more than with a random vector of the same norm (the control)."""
    none = seed_0_sweeps()[False][("none", 0.0)]
    for per_maze, margin in ((False, 0.015), (True, 0.1)):
        rows = seed_0_sweeps()[per_maze]
        steered, control = rows[("cheese", 1.0)], rows[("random", 1.0)]
        assert steered.like_erased > none.like_erased + margin
        assert steered.like_erased > control.like_erased + margin
    mazes = seed_0_sweeps()[True]
    assert none.like_erased == pytest.approx(0.843, abs=1e-3)
    assert mazes[("cheese", 1.0)].like_erased == pytest.approx(0.960, abs=1e-3)
    assert mazes[("random", 1.0)].like_erased == pytest.approx(0.815, abs=1e-3)
