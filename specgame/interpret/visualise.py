"""What drives a unit: its top dataset examples, and an input optimised to drive it.

Dataset examples come from the complete state set, so "the top-k states" is exact, not a
sample.  Feature visualisation optimises a *relaxed* board: one softmax over the board's
characters per cell, restricted to the characters that cell ever shows in a real board
(a wall stays a wall), sharpened by an entropy penalty, and for a ReLU layer the unit's input is driven (an
inactive unit has no gradient); the decoded board (the most likely
character per cell) is then run through the network as a real onehot input, so its
activation can be set beside the best real state's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specgame._checks import check_int, check_number, fail
from specgame.interpret.activations import _observations, activations, check_layer, run, torch
from specgame.mdp import TabularMDP
from specgame.nn import seeded, threads
from specgame.nn.hooks import capture


def top_examples(net, mdp: TabularMDP, layer: str, unit: int, k: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` states on which ``unit`` of ``layer`` is largest (one state per distinct board), and its values."""
    acts = activations(net, mdp).of(layer)
    unit = check_int("unit", unit, 0, acts.shape[1] - 1)
    k = check_int("k", k, 1)
    values = acts[:, unit]
    _, first = np.unique(mdp.obs, return_index=True)  # one state per board
    order = first[np.argsort(-values[first], kind="stable")][:k]
    return order, values[order]


@dataclass(frozen=True)
class Visualisation:
    """An optimised board for one unit, beside the best real state."""

    layer: str
    unit: int
    board: list  # rows of characters: the decoded optimum
    activation: float  # the unit on the decoded board (a real onehot input)
    best_state: int  # the real state where the unit is largest
    best_activation: float


def visualise(net, mdp: TabularMDP, layer: str, unit: int, *, steps: int = 300, learning_rate: float = 0.1,
              entropy: float = 0.05, seed: int = 0) -> Visualisation:
    """Optimise a relaxed board to drive ``unit`` of ``layer`` up; decode it and measure it for real."""
    steps = check_int("steps", steps, 1)
    learning_rate = check_number("learning_rate", learning_rate, 0, low_open=True)
    entropy = check_number("entropy", entropy, 0)
    inputs = _observations(mdp)  # [n_obs, C, H, W]
    allowed = torch.from_numpy(inputs.max(axis=0) > 0)  # which characters each cell ever shows
    best_states, best_values = top_examples(net, mdp, layer, unit, 1)
    # Drive a ReLU's input, not its output: a unit that is off at the start has no gradient.
    before_relu = isinstance(net.get_submodule(check_layer(net, layer)), torch.nn.ReLU)
    trainable = [p for p in net.parameters() if p.requires_grad]
    for parameter in trainable:  # the gradient goes to the input only, never into the weights' .grad
        parameter.requires_grad_(False)
    try:
        with capture(net, [layer], inputs=before_relu) as captured, threads(), seeded(seed):
            logits = (0.01 * torch.randn(allowed.shape)).requires_grad_(True)
            optimizer = torch.optim.Adam([logits], lr=learning_rate)
            for _ in range(steps):
                p = torch.softmax(logits.masked_fill(~allowed, -1e9), dim=0)
                net(p[None])
                unit_value = captured[layer].flatten(1)[0, unit]
                spread = -(p * torch.log(p.clamp_min(1e-9))).sum(dim=0).mean()
                loss = -unit_value + entropy * spread
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
    finally:
        for parameter in trainable:
            parameter.requires_grad_(True)
    codes = logits.detach().masked_fill(~allowed, -1e9).argmax(dim=0).numpy()
    planes = (codes[None] == np.arange(len(mdp.alphabet))[:, None, None]).astype(np.float32)
    _, layers = run(net, planes[None], (layer,))
    board = ["".join(mdp.alphabet[c] for c in row) for row in codes]
    return Visualisation(layer, int(unit), board, float(layers[layer][0, unit]), int(best_states[0]),
                         float(best_values[0]))


def most_selective_unit(net, mdp: TabularMDP, layer: str, truth: np.ndarray) -> int:
    """The unit of ``layer`` whose activation correlates best with any column of ``truth`` (bool [S, T])."""
    acts = activations(net, mdp).of(layer).astype(np.float64)
    varying = acts.std(axis=0) > 0
    if not varying.any():
        fail("layer", "a layer with at least one unit that varies across states", layer)
    a = (acts - acts.mean(axis=0)) / np.where(varying, acts.std(axis=0), 1.0)
    t = truth.astype(np.float64)
    t = (t - t.mean(axis=0)) / np.where(t.std(axis=0) > 0, t.std(axis=0), 1.0)
    correlation = np.abs(a.T @ t) / len(a)
    correlation[~varying] = 0.0
    return int(np.unravel_index(np.argmax(correlation), correlation.shape)[0])
