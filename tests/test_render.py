"""Rendering, headless: every env's frames and text, the window, the HUD, the overlays."""

import re

import gymnasium as gym
import numpy as np
import pytest

import specgame
from specgame import render
from specgame.policy import state_occupancy
from specgame.solve import solve

ENV_IDS = specgame.list_envs(tables_only=True)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_every_env_renders_frames_of_the_board_shape_and_text(env_id):
    env = gym.make(env_id, render_mode="rgb_array", tile_size=12)
    env.reset(seed=0)
    env.action_space.seed(0)
    for _ in range(3):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        frame = env.render()
        board = env.unwrapped.board()
        assert frame.shape == (len(board) * 12, len(board[0]) * 12, 3) and frame.dtype == np.uint8
        if terminated or truncated:  # some games end in a step (lava): start another
            env.reset()
    text = gym.make(env_id, render_mode="ansi")
    text.reset(seed=0)
    shown = text.render()
    assert shown.startswith("\n".join(text.unwrapped.board()))
    coloured = render.ansi(text.unwrapped.board(), colour=True, tiles=text.unwrapped.mdp.tiles)
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == "\n".join(text.unwrapped.board())
    assert coloured.count("\x1b[38;2;") == sum(len(row) for row in text.unwrapped.board())  # every cell inked


def test_different_looks_get_different_tiles_and_tiles_are_cached():
    """Every look named by the generic tiles or by a game draws differently; unknown
    characters draw themselves."""
    from specgame.envs import ENVIRONMENTS, env_class

    looks = set(render.TILES.values())
    for name in ENVIRONMENTS:
        looks |= {spec for spec in env_class(name).rules.TILES.values() if spec[1] != "letter"}
    pictures = {render.tile("?", 16, {"?": spec}).tobytes() for spec in looks}
    pictures |= {render.tile(ch, 16).tobytes() for ch in ("é", "k")}
    assert len(pictures) == len(looks) + 2 and len(looks) > 40
    assert render.tile("B", 16) is render.tile("B", 16)
    assert not render.tile("B", 16).flags.writeable


def test_env_tiles_override_the_default_and_bad_specs_are_named():
    own = render.tile("T", 16, {"T": ("floor", "tomato", "red")})
    assert not np.array_equal(own, render.tile("T", 16))
    with pytest.raises(ValueError, match="unknown glyph 'kettle'"):
        render.tile("K", 16, {"K": ("floor", "kettle", "red")})
    with pytest.raises(ValueError, match="tile_size must be an int ≥ 4"):
        render.rasterise(["ab"], 2)


def test_a_board_looks_the_same_in_the_window_and_in_the_figures():
    """WhiskyGold's whisky (its own TILES) is drawn alike by env.render and visit_difference."""
    from specgame.analysis.compare import gap_report
    from specgame.views.plot import visit_difference

    env = gym.make("specgame/WhiskyGold-v0", render_mode="rgb_array", tile_size=16)
    env.reset(seed=0)
    mdp = env.unwrapped.mdp
    assert mdp.tiles["W"] == ("brown", "dot", "gold") and env.unwrapped.state_index == int(np.argmax(mdp.initial))
    fig = visit_difference(gap_report(mdp, solve(mdp, "proxy")), mdp)
    figure_board = np.asarray(fig.axes[0].images[0].get_array())
    assert np.array_equal(figure_board, env.render())
    whisky = mdp.board(env.unwrapped.state_index)[2].index("W")
    assert np.array_equal(figure_board[32:48, 16 * whisky:16 * whisky + 16], render.tile("W", 16, mdp.tiles))


def test_human_mode_opens_and_closes_twice_and_shows_the_env_totals():
    for _ in range(2):
        env = gym.make("specgame/BoatRaceLoop-v0", render_mode="human", tile_size=8)
        env.unwrapped.metadata = {**env.unwrapped.metadata, "render_fps": 0}  # no waiting in tests
        env.reset(seed=0)
        plan = solve(env.unwrapped.mdp, "intended")
        done = False
        while not done:
            core = env.unwrapped
            _, _, terminated, truncated, info = env.step(int(plan.actions[core.steps_taken, core.state_index]))
            done = terminated or truncated
        hud = env.unwrapped._window.last_hud
        assert (hud.step, hud.proxy_return, hud.intended_return) == (
            info["length"], info["proxy_return"], info["intended_return"])
        assert hud.texts()["proxy"] == "12" and hud.texts()["intended"] == "3.40"
        env.close()
        env.close()


def test_hud_panel_draws_its_numbers():
    one = render.hud_panel(400, render.Hud(5, 12.0, 0.0))
    other = render.hud_panel(400, render.Hud(5, 13.0, 0.0))
    assert one.shape == other.shape and not np.array_equal(one, other)
    assert render.Hud(1, 2.0, 3.0).texts()["gap"] == "-1"
    framed = render.with_hud(np.zeros((40, 100, 3), np.uint8), render.Hud(0, 0.0, 0.0))
    assert framed.shape[1] == render.MIN_WIDTH  # a narrow board is centred on a wider panel


def test_overlays_colour_valued_cells_and_only_those():
    board = ["  ", "  "]
    values = np.array([[0.0, np.nan], [1.0, 2.0]])
    plain = render.rasterise(board, 16)
    heat = render.value_heatmap(board, values, 16)
    assert np.array_equal(heat[:16, 16:], plain[:16, 16:])  # NaN: untouched
    assert not np.array_equal(heat[16:, :16], heat[16:, 16:])  # different values, different colours
    arrows = render.policy_arrows(board, np.array([[0, -1], [1, 2]]), ("up", "down", "noop"), 16)
    assert np.array_equal(arrows[:16, 16:], plain[:16, 16:]) and not np.array_equal(arrows[:16, :16], plain[:16, :16])
    with pytest.raises(ValueError, match="board's shape"):
        render.visitation_heat(board, np.zeros((3, 3)))


def test_visits_per_cell_add_up_to_the_expected_episode_length():
    env = gym.make("specgame/BoatRaceLoop-v0")
    mdp = env.unwrapped.mdp
    plan = solve(mdp, "intended")
    per_state = state_occupancy(mdp, plan)
    totals = render.cell_totals(mdp, per_state)
    assert totals.sum() == pytest.approx(90.0)  # the racer finishes in 90 steps
    assert totals[1, 1] > 0 and totals[0, 0] == 0  # on the track, never on land


@pytest.mark.parametrize("width", [40, 100, 200])
def test_a_hud_narrower_than_its_words_is_clipped_not_broken(width):
    # A small --tile-size finishing an episode: title, step and note do not fit the width.
    hud = render.Hud(step=5, proxy_return=1, intended_return=0, horizon=150, title="q-learning seed 0",
                     note="episode over")
    panel = render.hud_panel(width, hud)
    assert panel.shape[1] == width and (panel != render.PANEL).any()


def test_a_text_page_breaks_lines_between_runs_and_keeps_the_newest_lines():
    runs = [("ab", render.LIGHT, None), (" cd", render.LIGHT, None), (" efg", render.PROXY_INK, render.GAP_INK)]
    page = render.text_page(runs, columns=5, rows=2, scale=1)
    assert page.shape == (4 + 2 * 11 - 4 + 4, 4 + 5 * 6 - 1 + 4, 3)  # padding 4, lines 11 apart, letters 6 apart

    def where(ink):
        return np.argwhere((page == np.array(ink, dtype=np.uint8)).all(axis=-1))

    assert where(render.LIGHT)[:, 0].max() < 4 + 7  # "ab cd" fill the first line
    assert where(render.PROXY_INK)[:, 0].min() >= 4 + 11  # "efg" does not fit beside them
    assert where(render.PROXY_INK)[:, 1].min() == 4  # and starts the second line without its space
    underline = where(render.GAP_INK)
    assert set(underline[:, 0]) == {4 + 11 + 8}  # a line under "efg", under its letters only (3 × 6 - 1 pixels)
    assert (underline[:, 1].min(), underline[:, 1].max()) == (4, 4 + 16)
    last = render.text_page(runs, columns=5, rows=1, scale=1)
    assert not (last == np.array(render.LIGHT, dtype=np.uint8)).all(axis=-1).any()  # one row: the newest line
    with pytest.raises(ValueError, match="columns must be a positive int, got 0"):
        render.text_page(runs, columns=0, rows=1)
