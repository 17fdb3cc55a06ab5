"""`specgame compare ENV --test VARIANT`: training and test columns, through the command."""

import json

from test_misgen import one_numba_thread  # noqa: F401  (the solver on one thread here too)

from specgame.app.cli import main


def test_compare_with_a_test_variant_prints_both_columns_and_saves_them(tmp_path, capsys):
    assert main(["compare", "KeysAndChests-v0", "--test", "KeysAndChests-Test-v0", "--agents", "q-learning",
                 "--seeds", "1", "--steps", "3000", "-q", "--json", str(tmp_path / "c.json")]) == 0
    out = capsys.readouterr().out
    assert "train intended" in out and "test intended" in out and "collects every key" in out
    assert "level_seed=1, chests=1, horizon=7" in out  # what the test variant changes
    saved = json.loads((tmp_path / "c.json").read_text())["q-learning"]["test"]["reports"][0]
    assert saved["policy"] == "q-learning seed 0" and saved["verdict"] in ("incompetent", "misgeneralised")
    assert saved["test_correlate"]["name"] == "collects every key"


def test_a_test_variant_of_another_game_is_one_clear_line(capsys):
    assert main(["compare", "BoatRaceLoop-v0", "--test", "KeysAndChests-Test-v0", "--agents", "q-learning",
                 "--seeds", "1", "--steps", "100", "-q"]) == 2
    assert "--test specgame/KeysAndChests-Test-v0: the test table" in capsys.readouterr().err
