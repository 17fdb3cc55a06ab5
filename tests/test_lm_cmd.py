"""``specgame lm pretrain | tune | sample``: files written, models read back, mistakes reported."""

import json

import pytest

pytest.importorskip("torch")

from specgame.app.cli import main  # noqa: E402


def run(*argv) -> int:
    return main(["lm", *argv])  # the real command line


def test_pretrain_tune_and_sample(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPECGAME_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SPECGAME_NO_CACHE", raising=False)
    assert run("pretrain", "--steps", "3") == 0
    assert "pretrained in" in capsys.readouterr().out
    assert run("pretrain", "--steps", "3") == 0
    assert "loaded from the cache" in capsys.readouterr().out
    out = tmp_path / "tune"
    assert run("tune", "--steps", "3", "--updates", "2", "--out", str(out)) == 0
    curve = json.loads((out / "curve.json").read_text())
    assert [row["step"] for row in curve] == [0, 2]
    assert (out / "progress.csv").read_text().splitlines()[0].split(",")[:3] == ["step", "objective/kl",
                                                                                "objective/entropy"]
    capsys.readouterr()
    assert run("sample", "--model", str(out / "policy.pt"), "-n", "3", "--length", "5") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and lines[0].startswith("the most important event of the century was … ")
    assert lines[1].strip().startswith("proxy ")


def test_mistakes_are_one_line_and_status_2(capsys):
    assert run("sample", "--prompt", "the cat sat") == 2
    assert "every word must be in the language's" in capsys.readouterr().err
    assert run("sample", "--prompt", "war was") == 2
    assert "prompt must be a text the language can start a document with" in capsys.readouterr().err
