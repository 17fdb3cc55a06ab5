"""Linear probes, each beside its two controls (Hewitt & Liang 2019).

A probe reads one answer-key feature from one layer's activations with a linear map,
fitted on a random 80 % of the states and scored on the other 20 %.  A categorical feature
is scored by *balanced* accuracy (the mean recall over its labels: chance is 1 / labels,
however rare a label is); a value by R².  The fit is the toolkit's ridge probe
(:mod:`specgame.nn.probes`): ridge regression on standardised activations, class-weighted
for categories (one closed-form solve: no learning rate, no epochs, the same answer every time).

A score means little alone, so every probe comes with two controls measured the same way:
the same probe on a randomly initialised network of the same architecture (what the
architecture gives for free), and on labels shuffled across states (what a linear map can
memorise).  The *selectivity* is the score minus the larger control.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import numpy as np

from specgame._checks import check_int
from specgame.interpret.activations import activations
from specgame.interpret.answer_key import AnswerKey, Feature
from specgame.nn import seeded
from specgame.nn.probes import probe_category, probe_value, split


@dataclass(frozen=True)
class ProbeResult:
    """One probe: ``score`` on held-out states, and the same probe's two controls."""

    layer: str
    feature: str
    score: float
    score_random_net: float
    score_shuffled: float
    metric: str  # "balanced accuracy" or "R²"
    chance: float  # the score of knowing nothing: 1 / labels, or 0 for R²

    @property
    def selectivity(self) -> float:
        return self.score - max(self.score_random_net, self.score_shuffled)

    def to_dict(self) -> dict:
        return {**asdict(self), "selectivity": self.selectivity}


def _score(x, target, train, test):
    if isinstance(target, Feature):
        return probe_category(x, target.labels, train, test, method="ridge", n_labels=target.n_labels)
    return probe_value(x, target, train, test)


def random_network(net, seed: int = 0):
    """A copy of ``net`` with every parameter freshly initialised (same architecture, no training)."""
    fresh = copy.deepcopy(net)
    with seeded(seed):
        for module in fresh.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
    return fresh


def probe_table(net, mdp, key: AnswerKey, layers=None, *, seed: int = 0, max_states: int | None = None,
                reduce: bool = True, progress=None) -> list[ProbeResult]:
    """Every layer × every feature and value of ``key``: the probe and its two controls.

    ``max_states`` probes a random subset of the states (all by default); ``reduce`` probes a
    convolution's per-channel means rather than its every cell; ``progress`` (a function of
    a message) hears of each layer as it starts.
    """
    seed = check_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    states = np.arange(mdp.n_states)
    if max_states is not None and check_int("max_states", max_states, 10) < mdp.n_states:
        states = np.sort(rng.choice(mdp.n_states, max_states, replace=False))
    train, test = split(len(states), seed)
    trained = activations(net, mdp, layers)
    untrained = activations(random_network(net, seed + 1), mdp, trained.layers)
    targets = [(f.name, Feature(f.name, f.labels[states], f.names)) for f in key.features]
    targets += [(name, values[states]) for name, values in key.values.items()]
    results = []
    for number, layer in enumerate(trained.layers, 1):
        if progress is not None:
            progress(f"probing layer {number}/{len(trained.layers)} ({layer}): {len(targets)} features")
        x = trained.of(layer, reduce)[states]
        x_random = untrained.of(layer, reduce)[states]
        for name, target in targets:
            shuffled = _shuffled(target, rng)
            is_category = isinstance(target, Feature)
            results.append(ProbeResult(
                layer, name, _score(x, target, train, test), _score(x_random, target, train, test),
                _score(x, shuffled, train, test), "balanced accuracy" if is_category else "R²",
                1.0 / target.n_labels if is_category else 0.0))
    return results


def _shuffled(target, rng):
    if isinstance(target, Feature):
        return Feature(target.name, rng.permutation(target.labels), target.names)
    return rng.permutation(target)


def r_squared(x: np.ndarray, y: np.ndarray) -> float:
    """R² of the best line through (x, y): the squared correlation (0 when either is constant)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1] ** 2)


def value_head_fit(net, mdp, key: AnswerKey) -> dict:
    """How well the network's value (its largest output, max_a Q) tracks each exact value: R² per value."""
    value = activations(net, mdp, ()).outputs.max(axis=1)
    live = ~mdp.terminal  # terminal states never act: their outputs are never trained
    return {name: r_squared(value[live], values[live]) for name, values in key.values.items()}

