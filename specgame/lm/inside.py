"""Inside the model: where "a full stop comes next" is written, and what removing it does.

- :func:`probes`: a linear probe per layer of the residual stream for "the next token is a
  full stop", on held-out text of the language, each beside its control (the same probe
  trained on shuffled labels; Hewitt & Liang's selectivity = accuracy minus control).
- :func:`full_stop_direction`: the mean residual activation before full stops minus the
  mean elsewhere, at one layer.
- :func:`steer`: the model with that direction subtracted at that layer; measured with the
  same exact proxy / gold / KL as every other policy, beside the unsteered baseline.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from specgame.lm.language import Language
from specgame.lm.model import TransformerLM, seeded, training_threads


@torch.inference_mode()
def activations(model: TransformerLM, lang: Language, n: int = 400,
                seed: int = 11) -> tuple[list[torch.Tensor], np.ndarray]:
    """The residual stream at every layer for held-out text ([tokens, d_model] each), and the labels.

    The label of a position is whether the token after it is a full stop.
    """
    text = lang.corpus(n, model.config.context, seed)
    stream = model.residuals(torch.as_tensor(text[:, :-1]))
    labels = (text[:, 1:] == lang.full_stop).reshape(-1)
    return [x.reshape(-1, x.shape[-1]).float() for x in stream], labels


def _probe_accuracy(x: torch.Tensor, y: np.ndarray, train: np.ndarray, steps: int = 200) -> float:
    """Held-out balanced accuracy of a logistic-regression probe (Adam on standardised activations).

    Full stops are rare (about one token in twelve), so both the loss and the accuracy weigh
    the two classes equally: always answering "no" scores 0.5, not 0.92.
    """
    mean, std = x[train].mean(0), x[train].std(0) + 1e-6
    x = (x - mean) / std
    target = torch.as_tensor(y, dtype=torch.float32)
    weight = torch.zeros(x.shape[1], requires_grad=True)
    bias = torch.zeros(1, requires_grad=True)
    optimiser = torch.optim.Adam([weight, bias], lr=0.05)
    positives = max(float(target[train].sum()), 1.0)
    balance = torch.tensor((len(target[train]) - positives) / positives)
    with torch.enable_grad():
        for _ in range(steps):
            loss = nn.functional.binary_cross_entropy_with_logits(x[train] @ weight + bias, target[train],
                                                                  pos_weight=balance)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    with torch.no_grad():
        predicted = (x[~train] @ weight + bias > 0).numpy()
    truth = y[~train]
    return float(0.5 * (predicted[truth].mean() + (~predicted[~truth]).mean()))


def probes(model: TransformerLM, lang: Language, n: int = 400, seed: int = 11) -> list[dict]:
    """Per layer (0 = the embedding): balanced probe accuracy, its shuffled-label control, selectivity.

    ``base_rate`` is the share of positions followed by a full stop.
    """
    stream, labels = activations(model, lang, n, seed)
    rng = np.random.default_rng(seed)
    train = rng.random(len(labels)) < 0.7
    shuffled = rng.permutation(labels)
    base = float(labels.mean())
    rows = []
    with training_threads(), seeded(seed):
        for layer, x in enumerate(stream):
            accuracy = _probe_accuracy(x, labels, train)
            control = _probe_accuracy(x, shuffled, train)
            rows.append({"layer": layer, "accuracy": accuracy, "control": control,
                         "selectivity": accuracy - control, "base_rate": base})
    return rows


def full_stop_direction(model: TransformerLM, lang: Language, layer: int, n: int = 400, seed: int = 11) -> torch.Tensor:
    """Mean activation at ``layer`` before full stops minus the mean elsewhere ([d_model])."""
    stream, labels = activations(model, lang, n, seed)
    x = stream[layer]
    before = torch.as_tensor(labels)
    return x[before].mean(0) - x[~before].mean(0)


class Steered(nn.Module):
    """``model`` with ``direction`` times ``scale`` subtracted from the residual stream at ``layer``."""

    def __init__(self, model: TransformerLM, direction: torch.Tensor, layer: int, scale: float = 1.0):
        super().__init__()
        self.model, self.layer, self.scale = model, layer, scale
        self.register_buffer("direction", direction.detach().clone())
        self.config = model.config

    def _edit(self, layer: int, x: torch.Tensor) -> torch.Tensor:
        return x - self.scale * self.direction if layer == self.layer else x

    def forward(self, tokens: torch.Tensor, edit=None, memory=None) -> torch.Tensor:
        return self.model(tokens, self._edit, memory)


def steer(model: TransformerLM, lang: Language, layer: int | None = None, scale: float = 1.0) -> Steered:
    """The model minus its own full-stop direction at ``layer`` (default: the last block's output)."""
    layer = model.config.n_layers if layer is None else layer
    with training_threads():
        direction = full_stop_direction(model, lang, layer)
    return Steered(model, direction, layer, scale).eval()
