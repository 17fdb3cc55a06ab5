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
from specgame.lm.model import TransformerLM, seeded, threads


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


def _probe_accuracies(x: torch.Tensor, y: np.ndarray, train: np.ndarray, steps: int = 200) -> list[float]:
    """Held-out balanced accuracy of logistic-regression probes, one per row of ``x`` [probes, tokens, d].

    Each probe reads its own activations ``x[i]`` for its own labels ``y[i]``; all are trained
    at once (Adam on standardised activations, the sum of their losses: each gradient is its
    own probe's). Full stops are rare (about one token in twelve), so both the loss and the
    accuracy weigh the two classes equally: always answering "no" scores 0.5, not 0.92.
    """
    mean, std = x[:, train].mean(1, keepdim=True), x[:, train].std(1, keepdim=True) + 1e-6
    x = (x - mean) / std
    seen, unseen = x[:, train], x[:, ~train]
    target = torch.as_tensor(y[:, train], dtype=torch.float32)
    weight = torch.zeros(x.shape[0], x.shape[2], requires_grad=True)
    bias = torch.zeros(x.shape[0], 1, requires_grad=True)
    optimiser = torch.optim.Adam([weight, bias], lr=0.05)
    positives = target.sum(1, keepdim=True).clamp(min=1.0)
    balance = (target.shape[1] - positives) / positives
    with torch.enable_grad():
        for _ in range(steps):
            logits = torch.einsum("ptd,pd->pt", seen, weight) + bias
            loss = nn.functional.binary_cross_entropy_with_logits(logits, target, pos_weight=balance,
                                                                  reduction="none").mean(1).sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    with torch.no_grad():
        predicted = (torch.einsum("ptd,pd->pt", unseen, weight) + bias > 0).numpy()
    truth = y[:, ~train]
    return [float(0.5 * (p[t].mean() + (~p[~t]).mean())) for p, t in zip(predicted, truth)]


def probes(model: TransformerLM, lang: Language, n: int = 400, seed: int = 11) -> list[dict]:
    """Per layer (0 = the embedding): balanced probe accuracy, its shuffled-label control, selectivity.

    ``base_rate`` is the share of positions followed by a full stop.
    """
    stream, labels = activations(model, lang, n, seed)
    rng = np.random.default_rng(seed)
    train = rng.random(len(labels)) < 0.7
    shuffled = rng.permutation(labels)
    base = float(labels.mean())
    with threads(), seeded(seed):  # each layer's probe and its control, all trained together
        found = _probe_accuracies(torch.stack([x for x in stream for _ in range(2)]),
                                  np.stack([labels, shuffled] * len(stream)), train)
    return [{"layer": layer, "accuracy": accuracy, "control": control, "selectivity": accuracy - control,
             "base_rate": base} for layer, (accuracy, control) in enumerate(zip(found[::2], found[1::2]))]


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
    with threads():
        direction = full_stop_direction(model, lang, layer)
    return Steered(model, direction, layer, scale).eval()
