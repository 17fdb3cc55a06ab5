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
from specgame.lm.model import TransformerLM, resid, seeded, threads
from specgame.nn.hooks import read, steering
from specgame.nn.probes import probe_category


@torch.inference_mode()
def activations(model: TransformerLM, lang: Language, n: int = 400,
                seed: int = 11) -> tuple[list[torch.Tensor], np.ndarray]:
    """The residual stream at every layer for held-out text ([tokens, d_model] each), and the labels.

    The label of a position is whether the token after it is a full stop.
    """
    text = lang.corpus(n, model.config.context, seed)
    names = [resid(layer) for layer in range(model.config.n_layers + 1)]
    _, found = read(model, names, torch.as_tensor(text[:, :-1]))
    labels = (text[:, 1:] == lang.full_stop).reshape(-1)
    return [found[name].reshape(-1, found[name].shape[-1]).float() for name in names], labels


def probes(model: TransformerLM, lang: Language, n: int = 400, seed: int = 11) -> list[dict]:
    """Per layer (0 = the embedding): balanced probe accuracy, its shuffled-label control, selectivity.

    The probes are the toolkit's logistic ones (:mod:`specgame.nn.probes`): full stops are rare
    (about one token in twelve), so the loss and the accuracy weigh the two classes equally and
    always answering "no" scores 0.5, not 0.92.  ``base_rate`` is the share of positions
    followed by a full stop.
    """
    stream, labels = activations(model, lang, n, seed)
    rng = np.random.default_rng(seed)
    train = rng.random(len(labels)) < 0.7
    shuffled = rng.permutation(labels)
    base = float(labels.mean())
    with threads(), seeded(seed):  # each layer's probe and its control, all trained together
        found = probe_category(torch.stack([x for x in stream for _ in range(2)]),
                               np.stack([labels, shuffled] * len(stream)), train, ~train, method="logistic")
    return [{"layer": layer, "accuracy": accuracy, "control": control, "selectivity": accuracy - control,
             "base_rate": base} for layer, (accuracy, control) in enumerate(zip(found[::2], found[1::2]))]


def full_stop_direction(model: TransformerLM, lang: Language, layer: int, n: int = 400, seed: int = 11) -> torch.Tensor:
    """Mean activation at ``layer`` before full stops minus the mean elsewhere ([d_model])."""
    stream, labels = activations(model, lang, n, seed)
    x = stream[layer]
    before = torch.as_tensor(labels)
    return x[before].mean(0) - x[~before].mean(0)


class Steered(nn.Module):
    """``model`` with ``direction`` times ``scale`` subtracted from the residual stream at ``layer``
    (the hook point ``hook_resid.{layer}``), on every call."""

    def __init__(self, model: TransformerLM, direction: torch.Tensor, layer: int, scale: float = 1.0):
        super().__init__()
        self.model, self.layer, self.scale = model, layer, scale
        self.register_buffer("direction", direction.detach().clone())
        self.config = model.config

    def forward(self, tokens: torch.Tensor, memory=None) -> torch.Tensor:
        with steering(self.model, {resid(self.layer): -self.scale * self.direction}):
            return self.model(tokens, memory=memory)


def steer(model: TransformerLM, lang: Language, layer: int | None = None, scale: float = 1.0) -> Steered:
    """The model minus its own full-stop direction at ``layer`` (default: the last block's output)."""
    layer = model.config.n_layers if layer is None else layer
    with threads():
        direction = full_stop_direction(model, lang, layer)
    return Steered(model, direction, layer, scale).eval()
