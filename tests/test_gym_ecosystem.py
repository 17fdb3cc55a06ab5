"""Gymnasium's own tools on our envs: ``gymnasium.utils.play.play`` through the real pygame loop."""

import gymnasium as gym
import pygame
import pytest

from specgame import keys
from specgame.envs import env_ids

# The large tables take minutes and GBs to compile; their keys come from the same action names.
TABLE_IDS = env_ids(skip_large=True, tables_only=True)
# a move answers to its arrow and to its WASD letter
MOVES = {"up": (pygame.K_UP, "w"), "down": (pygame.K_DOWN, "s"), "left": (pygame.K_LEFT, "a"),
         "right": (pygame.K_RIGHT, "d")}


@pytest.mark.parametrize("env_id", TABLE_IDS)
def test_every_env_maps_keys_to_valid_actions_covering_every_move(env_id):
    env = gym.make(env_id)
    mapping = env.unwrapped.get_keys_to_action()
    names = env.unwrapped.mdp.action_names
    assert all(isinstance(k, tuple) and len(k) == 1 and isinstance(k[0], int) for k in mapping)
    assert all(action in env.action_space for action in mapping.values())
    for action, name in enumerate(names):
        if name in MOVES:
            arrow, letter = MOVES[name]
            assert mapping[(arrow,)] == mapping[(ord(letter),)] == action
    # every action has a key (its number, at most nine actions in our games)
    assert set(mapping.values()) == set(range(env.action_space.n))
    env.close()


def test_key_codes_are_pygames_codes_for_the_key_names():
    pygame.display.init()
    try:
        for name, action in keys.keymap(["up", "down", "left", "right", "noop"]).items():
            assert keys.key_codes(["up", "down", "left", "right", "noop"])[(pygame.key.key_code(name),)] == action
    finally:
        pygame.display.quit()


def play_on_this_machine():
    """Gymnasium's ``play``, imported without keeping its side effect: importing it switches
    matplotlib to TkAgg for the whole process, which breaks every later headless figure."""
    import matplotlib

    backend = matplotlib.get_backend()
    try:
        from gymnasium.utils.play import play
    finally:
        matplotlib.use(backend)
    return play


def test_gymnasium_play_runs_an_episode_headless_and_quits():
    """Hold the right arrow through a 12-step episode, then close the window: the totals are the
    ones the same actions give when stepped by hand."""
    env = gym.make("specgame/BoatRaceLoop-v0", render_mode="rgb_array", horizon=12, tile_size=8)
    right = env.unwrapped.mdp.action_names.index("right")
    steps = []

    def callback(obs, next_obs, action, reward, terminated, truncated, info):
        steps.append((action, reward, info))
        if terminated or truncated:
            pygame.event.post(pygame.event.Event(pygame.QUIT))

    pygame.display.init()
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RIGHT))
    play_on_this_machine()(env, fps=1000, seed=0, callback=callback, wait_on_player=True)

    assert [a for a, _, _ in steps] == [right] * 12
    hand = gym.make("specgame/BoatRaceLoop-v0", horizon=12)
    hand.reset(seed=0)
    for _ in range(12):
        *_, info = hand.step(right)
    last = steps[-1][2]
    assert (last["proxy_return"], last["intended_return"], last["length"]) == (
        info["proxy_return"], info["intended_return"], 12)
    assert sum(r for _, r, _ in steps) == pytest.approx(info["proxy_return"])
