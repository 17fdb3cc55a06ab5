"""The numba search (grid_jit) builds the same table as the Python search, faster."""

import numpy as np
import pytest

from specgame import grid
from specgame.envs import rocks_diamonds, side_effects_sokoban


def by_state(mdp):
    """The table keyed by decoded state, so two numberings can be compared."""
    states = [tuple(int(v) for v in row) for row in mdp.states]
    rows = {}
    for s, state in enumerate(states):
        rows[state] = (
            tuple(states[n] for n in mdp.next_state[s, :, 0]),
            tuple(mdp.proxy[s, :, 0]), tuple(mdp.intended[s, :, 0]),
            bool(mdp.terminal[s]), float(mdp.initial[s]), tuple(mdp.board(s)),
        )
    return rows


@pytest.mark.parametrize("rules, config", [
    (side_effects_sokoban, {"level": 0}),
    (side_effects_sokoban, {"level": 2}),
    (side_effects_sokoban, {"level": 0, "noops": True}),
    (rocks_diamonds, {"level": 1}),
])
def test_the_kernel_search_equals_the_python_search(rules, config):
    cfg = grid.make_config(rules, **config)
    fast = grid._enumerate_kernel(rules, cfg, 100_000)
    slow = grid._enumerate(rules, cfg, 100_000)  # steps the same rules one Python call at a time
    assert fast.shape == slow.shape and fast.n_obs == slow.n_obs and fast.alphabet == slow.alphabet
    assert by_state(fast) == by_state(slow)
    # Equal boards share an observation id, and only they do.
    for mdp in (fast, slow):
        boards = [mdp.board(s) for s in range(mdp.n_states)]
        firsts = {}
        for s, board in enumerate(boards):
            assert firsts.setdefault(tuple(board), mdp.obs[s]) == mdp.obs[s]
        assert len(firsts) == mdp.n_obs


def test_states_are_numbered_so_that_walking_stays_near():
    """Sorted with the agent's cell as the lowest digits: a move that pushes nothing lands
    within one block of states that differ only in the agent's cell."""
    mdp = grid.compile(side_effects_sokoban, level=2)
    s = np.arange(mdp.n_states)
    jumps = np.abs(mdp.next_state[:, :, 0] - s[:, None])
    assert np.median(jumps) < 64


def test_the_limit_stops_the_kernel_search():
    with pytest.raises(grid.TooManyStates, match="more than 1,000 reachable states.*level=2"):
        grid.compile(side_effects_sokoban, max_states=1_000, level=2)


def test_a_state_the_key_cannot_hold_is_refused_by_name():
    import types

    game = types.ModuleType("wide_game")
    game.__dict__.update({k: v for k, v in vars(side_effects_sokoban).items() if not k.startswith("__")})
    game.initial_states = lambda config: [(1.0, side_effects_sokoban.State(300, 1, -1, -1, -1, 0))]
    with pytest.raises(ValueError, match=r"wide_game: a start state has a field outside \[-1, 254\]"):
        grid._enumerate_kernel(game, side_effects_sokoban.Config(), 100)


def test_a_push_over_a_range_of_a_state_is_the_push_over_its_slice():
    from specgame.envs._sokoban import NO_CELLS, offsets, push_cells, walls_of

    rows = ("#######", "#  X  #", "# X X #", "#  X  #", "#######")
    walls, offset = walls_of(rows), offsets(7)
    for agent in (9, 15, 16, 22, 23):
        for action in range(len(offset)):
            state = np.array([0, 0, 10, 16, 18, 24, 0, 0], dtype=np.int64)  # things in fields 2..5
            alone = state[2:6].copy()
            assert push_cells(agent, offset[action], alone, walls, NO_CELLS, 0) == \
                push_cells(agent, offset[action], state, walls, NO_CELLS, 0, 2, 6)
            assert (state[2:6] == alone).all() and (state[[0, 1, 6, 7]] == 0).all()
