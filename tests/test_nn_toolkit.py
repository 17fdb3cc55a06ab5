"""The torch toolkit: hook points (capture and steer by name), linear probes, figure saving."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from specgame._files import save_figure  # noqa: E402
from specgame.lm.inside import Steered  # noqa: E402
from specgame.lm.model import Memory, ModelConfig, TransformerLM, resid  # noqa: E402
from specgame.nn import threads  # noqa: E402
from specgame.nn.hooks import capture, read, steering  # noqa: E402
from specgame.nn.probes import probe_category, probe_value, split  # noqa: E402


@pytest.fixture(scope="module")
def lm():
    torch.manual_seed(0)
    return TransformerLM(ModelConfig(n_words=12, context=10, d_model=16, n_layers=2, n_heads=2)).eval()


def tokens(rows=3, length=7):
    return torch.randint(0, 12, (rows, length), generator=torch.Generator().manual_seed(1))


def no_hooks(model) -> bool:
    return not any(m._forward_hooks for m in model.modules())


def test_capture_reads_the_residual_stream_in_call_order_and_removes_its_hooks(lm):
    names = [resid(2), "blocks.0.mlp", resid(0), resid(1)]
    logits, found = read(lm, names, tokens())
    assert list(found) == [resid(0), "blocks.0.mlp", resid(1), resid(2)]  # the order the forward pass ran
    with torch.inference_mode():  # the last hook point is what the unembedding reads
        assert torch.equal(lm.norm(found[resid(2)]) @ lm.embed.weight.T, logits)
        assert torch.equal(found[resid(1)], lm.blocks[0](found[resid(0)]))
    assert no_hooks(lm)
    with pytest.raises(RuntimeError), capture(lm, [resid(0)]):
        raise RuntimeError("a failing forward pass")
    assert no_hooks(lm)


def test_a_module_that_is_not_there_is_refused_by_name(lm):
    named = r"hook point must be the name of a submodule, one of \['embed', .*got 'hook_resid.9'"
    with pytest.raises(ValueError, match=named):
        read(lm, [resid(9)], tokens())
    assert no_hooks(lm)


def test_steering_adds_a_vector_or_applies_a_function_and_only_inside_the_block(lm):
    text = tokens()
    direction = torch.randn(16, generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        plain = lm(text)
        with steering(lm, {resid(1): torch.zeros(16)}):
            assert torch.equal(lm(text), plain)  # adding nothing changes no bit
        with steering(lm, {resid(1): 2.0 * direction}):
            added = lm(text)
        with steering(lm, {resid(1): lambda x: x + 2.0 * direction}):
            assert torch.equal(lm(text), added)
        assert not torch.allclose(added, plain)
        assert torch.equal(lm(text), plain)
    assert no_hooks(lm)


def test_the_steered_lm_subtracts_its_direction_from_the_stream_with_or_without_a_memory(lm):
    text = tokens(2, 6)
    direction = torch.randn(16, generator=torch.Generator().manual_seed(3))
    steered = Steered(lm, direction, layer=2, scale=1.5).eval()
    with torch.inference_mode():
        _, found = read(lm, [resid(2)], text)
        expected = lm.norm(found[resid(2)] - 1.5 * direction) @ lm.embed.weight.T
        assert torch.equal(steered(text), expected)
        memory = Memory(2)
        pieces = [steered(text[:, :3], memory=memory)] + [steered(text[:, t:t + 1], memory=memory) for t in range(3, 6)]
    assert torch.allclose(torch.cat(pieces, 1), expected, atol=1e-5)
    assert no_hooks(lm)


def test_a_captured_relu_input_carries_the_gradient():
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())
    x = torch.ones(1, 3, requires_grad=True)
    with capture(net, ["1"], inputs=True) as found:
        net(x)
    found["1"].sum().backward()  # the ReLU's input: a gradient even where the ReLU is off
    assert torch.allclose(x.grad, net[0].weight.sum(0, keepdim=True))


def separable(n=600, seed=0):
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.15).astype(np.int64)  # a rare label, as a full stop is
    x = rng.standard_normal((n, 5)).astype(np.float32)
    x[:, 2] += 4.0 * labels
    return x, labels


@pytest.mark.parametrize("method", ["ridge", "logistic"])
def test_both_probe_methods_read_a_planted_label_and_not_a_shuffled_one(method):
    x, labels = separable()
    train, test = split(len(labels), seed=0)
    shuffled = np.random.default_rng(1).permutation(labels)
    with threads():
        one = probe_category(x, labels, train, test, method=method)
        stack = probe_category(np.stack([x, x]), np.stack([labels, shuffled]), train, test, method=method)
    assert one > 0.95
    assert stack[0] > 0.95 and 0.3 < stack[1] < 0.7  # chance is 0.5 whatever the base rate


def test_probe_settings_are_checked_and_a_value_probe_scores_r_squared():
    x, labels = separable()
    train, test = split(len(labels), seed=0)
    with pytest.raises(ValueError, match="method must be one of"):
        probe_category(x, labels, train, test, method="svm")
    with pytest.raises(ValueError, match="n_labels must be 2 for the logistic method"):
        probe_category(x, labels + (labels > 0), train, test, method="logistic", n_labels=3)
    value = 3.0 * x[:, 0] - x[:, 4]
    assert probe_value(x, value, train, test) > 0.99
    assert probe_value(x, np.random.default_rng(2).standard_normal(len(x)), train, test) < 0.1


def test_save_figure_writes_the_format_of_the_suffix_and_closes_a_pyplot_figure(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    save_figure(fig, tmp_path / "line.svg")
    assert (tmp_path / "line.svg").read_text().lstrip().startswith("<?xml")
    assert not plt.fignum_exists(fig.number)
    fig, _ = plt.subplots()
    save_figure(fig, tmp_path / "plain", tight=True)  # no suffix: PNG
    assert (tmp_path / "plain").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*.tmp"))
