"""The model, its pretraining and cache, RLOO and best-of-n, on the tiny language (seconds, not minutes)."""

import dataclasses
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from specgame.lm import objective  # noqa: E402
from specgame.lm.best_of_n import best_of_n, exact_kl, kl_bound, level_law  # noqa: E402
from specgame.lm.goodhart import fit, interior_peak  # noqa: E402
from specgame.lm.grammar import language  # noqa: E402
from specgame.lm.model import Memory, ModelConfig, TransformerLM, load_model, resolve_device, save_model  # noqa: E402
from specgame.lm.pretrain import PretrainConfig, cache_path, pretrain, reference  # noqa: E402
from specgame.lm.rloo import RLConfig, tune  # noqa: E402

TINY = PretrainConfig(grammar="tiny", steps=120, batch=32, context=16, d_model=32, n_layers=1, n_heads=2)
TINY_RL = RLConfig(beta=0.02, lr=2e-3, updates=12, prompts=4, k=4, length=6, eval_every=6, eval_samples=16)


@pytest.fixture(scope="session")
def pretrained():
    return pretrain(TINY)


@pytest.fixture(scope="session")
def tuned(pretrained):
    return tune(pretrained[0], language("tiny"), TINY_RL)


def test_pretraining_lowers_the_held_out_loss_to_near_the_entropy(pretrained):
    """Seeds 0, 1 and 2 each: from near uniform guessing to within 0.15 nats a word of the exact
    conditional entropy.  Measured (seeds 0-5, ATen default and avx2 alike to 1e-7): first loss
    2.89-2.92 (uniform 2.89), held-out loss 0.53-0.56, gap 0.082-0.106, after the prompt 0.059-0.070."""
    for seed, (_, record) in ((0, pretrained), *((s, pretrain(dataclasses.replace(TINY, seed=s))) for s in (1, 2))):
        assert record["first_loss"] > math.log(language("tiny").n_words) - 0.5, seed  # near uniform guessing
        assert record["heldout_loss"] < record["first_loss"] - 2.0, seed
        assert 0 <= record["gap"] < 0.15, seed
        assert record["after_prompt_gap"] < 0.2, seed


def test_pretraining_is_bit_reproducible_from_the_seed(pretrained):
    again, _ = pretrain(TINY)
    for (name, a), (_, b) in zip(pretrained[0].state_dict().items(), again.state_dict().items()):
        assert torch.equal(a, b), name


def test_pretraining_leaves_the_thread_count_and_global_generator_alone():
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    pretrain(PretrainConfig(grammar="tiny", steps=2, batch=4, context=16, d_model=8, n_layers=1, n_heads=1))
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == threads


def test_the_reference_is_cached_and_a_damaged_file_is_retrained(tmp_path, monkeypatch, pretrained):
    monkeypatch.setenv("SPECGAME_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("SPECGAME_NO_CACHE", raising=False)
    config = PretrainConfig(grammar="tiny", steps=5, batch=4, context=16, d_model=8, n_layers=1, n_heads=1)
    first, record = reference(config)
    assert record["cached"] is False and cache_path(config).exists()
    second, record = reference(config)
    assert record["cached"] is True
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values()))
    cache_path(config).write_bytes(cache_path(config).read_bytes()[:200])  # truncated
    third, record = reference(config)
    assert record["cached"] is False
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), third.state_dict().values()))
    other = PretrainConfig(grammar="tiny", steps=6, batch=4, context=16, d_model=8, n_layers=1, n_heads=1)
    assert cache_path(other) != cache_path(config)  # keyed by the settings


def test_saved_models_load_weights_only_and_refuse_foreign_files(tmp_path):
    model = TransformerLM(ModelConfig(n_words=10, context=8, d_model=8, n_layers=1, n_heads=2))
    save_model(model, {"format": "test"}, tmp_path / "m.pt")
    loaded, header = load_model(tmp_path / "m.pt")
    assert header["format"] == "test" and loaded.config == model.config
    tokens = torch.tensor([[1, 2, 3]])
    assert torch.equal(loaded(tokens), model.eval()(tokens))
    torch.save({"weights": model.state_dict()}, tmp_path / "bare.pt")  # no header
    with pytest.raises(ValueError, match="not a readable specgame language model"):
        load_model(tmp_path / "bare.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="junk.pt"):
        load_model(tmp_path / "junk.pt")


def test_feeding_a_text_word_by_word_against_a_memory_gives_the_same_logits():
    model = TransformerLM(ModelConfig(n_words=10, context=8, d_model=8, n_layers=2, n_heads=2)).eval()
    text = torch.tensor([[0, 3, 4, 5, 1, 2], [0, 3, 4, 9, 9, 7]])  # one shared prompt, then two continuations
    memory = Memory(2)
    pieces = [model(text[:1, :3], memory=memory).expand(2, -1, -1)]  # the prompt read once, for both rows
    pieces += [model(text[:, t:t + 1], memory=memory) for t in range(3, 6)]
    assert torch.allclose(torch.cat(pieces, 1), model(text), atol=1e-5)
    with pytest.raises(ValueError, match="the tokens after a memory must be one at a time, got 2"):
        model(text[:, :2], memory=memory)


def test_bad_settings_are_refused_where_they_enter():
    with pytest.raises(ValueError, match="beta must be in \\[0, inf\\], got -1"):
        RLConfig(beta=-1)
    with pytest.raises(ValueError, match="k must be an int ≥ 2, got 1"):
        RLConfig(k=1)
    with pytest.raises(ValueError, match="grammar must be one of"):
        PretrainConfig(grammar="french")
    with pytest.raises(ValueError, match="device must be one of"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device must be 'cpu' or 'auto' on a machine without a GPU, got 'cuda'"):
            resolve_device("cuda")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="n_heads must divide d_model=64, got 5"):
        ModelConfig(n_words=10, n_heads=5)


def test_rl_raises_the_proxy_and_the_kl(tuned):
    """Seed 0's 12 updates; the bounds hold for each of seeds 0-5 (measured: the proxy rises by
    1.5-3.4 full stops, the final KL is 9-19 nats, under ATen default and avx2 alike)."""
    start, end = tuned.curve[0], tuned.curve[-1]
    assert start["kl"] == pytest.approx(0.0, abs=1e-9)
    assert end["proxy"] > start["proxy"] + 0.3
    assert end["kl"] > 0.05
    assert [row["step"] for row in tuned.curve] == [0, 6, 12]
    row = tuned.log[-1]  # TRL's names, with their definitions
    assert row["non_score_reward"] == pytest.approx(-TINY_RL.beta * row["objective/kl"])
    assert row["rlhf_reward"] == pytest.approx(row["proxy"] - TINY_RL.beta * row["objective/kl"])


def test_rl_is_reproducible_and_leaves_the_reference_alone(pretrained, tuned):
    model, _ = pretrained
    before = {k: v.clone() for k, v in model.state_dict().items()}
    again = tune(model, language("tiny"), TINY_RL)
    assert again.log == tuned.log
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_best_of_n_law_and_exact_kl():
    rewards = np.array([0, 0, 1, 1, 1, 2, 2, 3])
    levels, p, q = level_law(rewards, 1)
    assert np.allclose(p, q) and exact_kl(p, q) == 0.0
    levels, p, q = level_law(rewards, 3)
    assert q.sum() == pytest.approx(1.0)
    assert q[-1] == pytest.approx(1 - (7 / 8) ** 3)  # at least one of three draws is the top reward
    for n in (1, 2, 4, 16, 100):
        assert exact_kl(*level_law(rewards, n)[1:]) <= kl_bound(n) + 1e-12


def test_best_of_n_from_the_model_stays_under_the_bound(pretrained):
    rows = best_of_n(pretrained[0], language("tiny"), samples=64, length=6, ns=(1, 2, 8, 32))
    assert rows[0]["kl"] == pytest.approx(0.0, abs=1e-12)
    for row in rows:
        assert 0.0 <= row["kl"] <= row["kl_bound"] + 1e-12
    assert rows[-1]["proxy"] >= rows[0]["proxy"]
    with pytest.raises(ValueError, match="every n must be at most samples=64, got 128"):
        best_of_n(pretrained[0], language("tiny"), samples=64, ns=(128,))


def test_gao_fits_recover_their_parameters():
    kl = np.linspace(0.01, 9, 20)
    d = np.sqrt(kl)
    bon = fit("bon", kl, d * (0.7 - 0.2 * d))
    assert (bon.alpha, bon.beta, bon.r2) == pytest.approx((0.7, 0.2, 1.0))
    assert bon.peak == pytest.approx(0.7 / 0.4)
    rl = fit("rl", kl, d * (0.5 - 0.3 * np.log(d)))
    assert (rl.alpha, rl.beta, rl.r2) == pytest.approx((0.5, 0.3, 1.0))
    assert interior_peak(kl, d * (0.7 - 0.2 * d)) and not interior_peak(kl, d)


def test_kl_is_zero_for_the_same_model_and_positive_otherwise():
    logits = torch.randn(3, 5, 7)
    p = torch.log_softmax(logits, -1)
    assert torch.allclose(objective.position_kl(p, p), torch.zeros(3, 5))
    assert (objective.position_kl(p, torch.log_softmax(logits.flip(-1), -1)) > 0).all()


def test_the_demo_writes_its_record_and_figures(tmp_path, monkeypatch):
    import json

    from specgame.lm.demo import DemoConfig, run_demo

    monkeypatch.setenv("SPECGAME_NO_CACHE", "1")
    config = DemoConfig(pretrain=TINY, rl=TINY_RL, betas=(0.02, 0.5), bon_samples=32, bon_ns=(1, 2, 4), shown=2)
    lines = []
    run_demo(config, out=tmp_path, say=lines.append)
    record = json.loads((tmp_path / "lm.json").read_text())
    assert record["prompt"] in ("the event was", "my answer is")
    for when in ("before", "after"):
        assert set(record[when]) >= {"samples", "proxy", "gold", "kl"} and len(record[when]["samples"]) == 2
    assert record["before"]["kl"] == pytest.approx(0.0, abs=1e-9) and record["after"]["kl"] > 0
    assert [row["n"] for row in record["bon"]] == [1, 2, 4]
    assert all(row["kl"] <= row["kl_bound"] + 1e-12 for row in record["bon"])
    assert [row["step"] for row in record["rl"]] == [0, 6, 12]
    assert set(record["rl"][0]) == {"step", "kl", "proxy", "gold", "non_score_reward", "rlhf_reward"}
    assert set(record["fit"]) == {"bon", "rl"} and set(record["fit"]["rl"]) == {"alpha", "beta", "r2"}
    assert [row["beta"] for row in record["sweep"]] == [0.02, 0.5]
    assert len(record["inside"]["probes"]["tuned"]) == TINY.n_layers + 1
    assert (tmp_path / "goodhart.png").stat().st_size > 1000 and (tmp_path / "frontier.png").exists()
    assert (tmp_path / "progress.csv").read_text().startswith("step,objective/kl,")
    assert any(line.startswith("Gao fit (RL") for line in lines)
    for beta in (0.02, 0.5):  # each run's evaluations are printed as they come
        assert [line.split()[2] for line in lines if line.startswith(f"  beta={beta} update")
                and "training batch" not in line] == ["0/12:", "6/12:", "12/12:"]
