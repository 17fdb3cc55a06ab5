"""Playing, watching and recording, headless."""

import gymnasium as gym
import imageio.v3 as iio
import numpy as np
import pytest

from specgame.app import runs
from specgame.app.cli import main
from specgame.views import play


def test_record_writes_one_gif_frame_per_step_plus_the_start(tmp_path, capsys):
    path = tmp_path / "racer.gif"
    assert main(["record", "BoatRaceLoop-v0", "--agent", "intended-optimal", "--gif", str(path),
                 "--tile-size", "8"]) == 0
    frames = iio.imread(path, index=None)
    assert frames.shape[0] == 91  # the racer finishes its 3 laps in 90 steps
    assert "proxy 12.00, intended 3.40" in capsys.readouterr().out


def test_record_side_by_side_runs_until_the_longer_episode_ends(tmp_path):
    path = tmp_path / "race.gif"
    assert main(["record", "BoatRaceLoop-v0", "--agent", "proxy-optimal", "--side-by-side", "--gif", str(path),
                 "--tile-size", "8", "--max-steps", "100"]) == 0
    frames = iio.imread(path, index=None)
    assert frames.shape[0] == 101
    single = iio.imread(tmp_path / "race.gif", index=0)
    assert single.shape[1] > 2 * 14 * 8  # two boards next to each other


def test_watching_a_run_folder_uses_its_saved_agent(tmp_path):
    run = tmp_path / "run"
    assert main(["train", "CliffWalking-v0", "--steps", "20000", "--out", str(run)]) == 0
    loaded = runs.load(run)
    assert (loaded.env_id, loaded.agent_name) == ("specgame/CliffWalking-v0", "q-learning")
    assert main(["record", str(run), "--gif", str(tmp_path / "cliff.gif"), "--tile-size", "8"]) == 0
    assert main(["record", str(run), "--agent", "sarsa", "--gif", str(tmp_path / "x.gif")]) == 2


def test_bad_recordings_are_refused_with_what_is_allowed(tmp_path, capsys):
    assert main(["record", "CliffWalking-v0", "--agent", "random", "--gif", str(tmp_path / "a.png")]) == 2
    assert "must end in .gif or .mp4" in capsys.readouterr().err
    assert main(["record", "CliffWalking-v0", "--agent", "genius", "--gif", str(tmp_path / "a.gif")]) == 2
    assert "unknown agent 'genius'" in capsys.readouterr().err
    assert main(["watch", str(tmp_path / "nosuchfolder")]) == 2
    assert f"no run folder at {tmp_path / 'nosuchfolder'}: it does not exist" in capsys.readouterr().err
    assert main(["watch", "runs/nosuchfolder"]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no frames"):
        play.write_video(tmp_path / "empty.gif", [])


def test_a_player_at_the_keyboard_moves_and_sees_both_scores():
    env = play.make_env("CliffWalking-v0", tile_size=8)
    player = play.Player(env)
    assert player.keys["up"] == 0 and player.keys["d"] == 1 and player.keys["1"] == 0
    player.press("up")
    player.press("x")  # not a key of this game: nothing happens
    assert player.runner.hud.step == 1 and player.runner.hud.proxy_return == -1.0
    for key in ["right"] * 11 + ["down"]:
        player.press(key)
    assert player.runner.done and player.runner.info["intended_return"] == -13.0
    assert "R: AGAIN" in player.runner.hud.texts()["note"]
    player.press("r")
    assert player.runner.hud.step == 0 and not player.runner.done
    player.press("escape")
    assert player.quit


def test_watch_shows_an_episode_in_a_window_and_prints_its_scores(monkeypatch, capsys):
    shown = []
    monkeypatch.setattr(play.render.Window, "show", lambda self, frame, hud=None: shown.append(frame.shape))
    assert main(["watch", "CliffWalking-v0", "--agent", "intended-optimal", "--fps", "1000", "--tile-size", "8"]) == 0
    assert len(shown) >= 14  # start, 13 steps, then the final board held
    assert "intended-optimal: proxy -13.00, intended -13.00, 13 steps" in capsys.readouterr().out


def test_play_runs_the_real_event_loop_to_the_end_of_an_episode(monkeypatch, capsys):
    """`specgame play`, headless: key presses go through pygame's own event queue."""
    import pygame

    presses = iter(["up"] + ["right"] * 11 + ["down", "q"])  # the shortest way round the cliff, then quit
    real_show = play.render.Window.show

    def show_then_press(self, frame, hud=None):
        real_show(self, frame, hud)
        key = next(presses, None)
        if key is not None:
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.key.key_code(key)))

    monkeypatch.setattr(play.render.Window, "show", show_then_press)
    assert main(["play", "CliffWalking-v0", "--fps", "1000"]) == 0
    out = capsys.readouterr().out
    assert "episode over: proxy return -13.00, intended return -13.00, 13 steps" in out
    assert "1 episode(s) finished" in out


def test_plans_act_on_the_state_and_the_step():
    env = gym.make("specgame/BoatRaceLoop-v0")
    mdp = env.unwrapped.mdp
    from specgame.solve import solve

    runner = play.Runner(play.make_env("BoatRaceLoop-v0", tile_size=8), play.plan_policy(solve(mdp, "proxy")))
    while not runner.done:
        runner.step()
    assert runner.info["intended_return"] == 0 and runner.info["proxy_return"] > 30
    assert np.isclose(runner.hud.proxy_return, runner.info["proxy_return"])


def test_the_language_model_is_watched_and_recorded_with_a_random_writer(tmp_path, monkeypatch, capsys):
    """FullStopLM-v0 has no table: `watch` and `record` default to the random policy, the one that
    needs none, and refuse what needs one with what is allowed."""
    path = tmp_path / "words.gif"
    assert main(["record", "FullStopLM-v0", "--gif", str(path), "--tile-size", "8", "--set", "length=6"]) == 0
    assert iio.imread(path, index=None).shape[0] == 7  # the prompt, then one frame per word
    assert "random: proxy" in capsys.readouterr().out
    shown = []
    monkeypatch.setattr(play.render.Window, "show", lambda self, frame, hud=None: shown.append(frame.shape))
    assert main(["watch", "FullStopLM-v0", "--fps", "1000", "--tile-size", "8", "--set", "length=4"]) == 0
    assert len(shown) >= 5 and len(set(shown)) == 1
    assert "random: proxy" in capsys.readouterr().out
    assert main(["record", "FullStopLM-v0", "--agent", "sarsa", "--gif", str(path)]) == 2
    assert "so sarsa cannot act on it; what can: random" in capsys.readouterr().err
    assert main(["watch", "FullStopLM-v0", "--side-by-side"]) == 2
    assert "no intended-optimal plan" in capsys.readouterr().err
    assert main(["play", "FullStopLM-v0"]) == 2
    assert "its 218 actions are words, not moves" in capsys.readouterr().err
