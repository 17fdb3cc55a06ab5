"""Linear probes: can a linear map read a label (or a value) from a layer's activations?

A probe is fitted on the training rows and scored on held-out rows.  A label is scored by
*balanced* accuracy (the mean recall over the labels present: chance is 1 / labels however
rare a label is); a value by R².  Two estimators, one per kind of data:

- ``"ridge"``: class-weighted ridge regression on standardised activations, one closed-form
  solve in float64 (no learning rate, no epochs).  For the grid networks' few thousand states.
- ``"logistic"``: logistic regression trained with Adam on standardised activations, the
  classes weighed equally in the loss, every probe of a stack trained at once in torch.
  For the language model's ten thousand tokens, and two labels only.

They stay two because they answer differently (a least-squares fit and a logistic fit draw
different boundaries), and each study's published numbers come from its own.
"""

from __future__ import annotations

import numpy as np

from specgame._checks import check_choice, fail
from specgame.nn import import_torch

RIDGE = 1e-2  # ridge penalty per training row, on standardised activations
METHODS = ("ridge", "logistic")


def split(n: int, seed: int = 0, held_out: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """A random (train, test) split of ``n`` rows, as sorted index arrays."""
    order = np.random.default_rng(seed).permutation(n)
    cut = n - max(1, int(round(n * held_out)))
    return np.sort(order[:cut]), np.sort(order[cut:])


def probe_category(x, labels, train, test, *, method: str = "ridge", n_labels: int | None = None,
                   ridge: float = RIDGE, steps: int = 200):
    """Held-out balanced accuracy of a linear probe reading ``labels`` (ints or bools) from ``x``.

    ``x`` is [rows, units] for one probe, or a stack [probes, rows, units] with ``labels``
    [probes, rows] (each probe its own activations and labels, the same rows): then a list,
    one score per probe.  ``train`` and ``test`` select rows (index arrays or masks).
    ``n_labels`` (default: the largest label + 1) is how many labels there are; ``ridge``
    is the ridge method's penalty, ``steps`` the logistic method's Adam steps.
    """
    method = check_choice("method", method, METHODS)
    stacked = np.ndim(x) == 3
    if not stacked:
        x, labels = x[None], np.asarray(labels)[None]
    labels = np.asarray(labels)
    n_labels = int(labels.max()) + 1 if n_labels is None else n_labels
    if method == "ridge":
        scores = [_ridge_category(one, own, n_labels, train, test, ridge) for one, own in zip(x, labels)]
    elif n_labels != 2:
        fail("n_labels", "2 for the logistic method (it reads a yes/no label)", n_labels)
    else:
        scores = _logistic_category(x, labels, train, test, steps)
    return scores if stacked else scores[0]


def probe_value(x, values, train, test, ridge: float = RIDGE) -> float:
    """R² on ``test`` of a ridge probe fitted on ``train`` (0 = as good as the mean, can go below)."""
    x = _design(x, train)
    values = np.asarray(values, np.float64)
    fit = x[test] @ _ridge(x[train], values[train], np.ones(len(train)), ridge)
    residual = ((values[test] - fit) ** 2).sum()
    total = ((values[test] - values[train].mean()) ** 2).sum()
    return float(1.0 - residual / total) if total > 0 else 0.0


def _balanced_accuracy(guess: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([np.mean(guess[truth == label] == label) for label in np.unique(truth)]))


# -- ridge: one closed-form solve -----------------------------------------------------------------


def _design(x, train) -> np.ndarray:
    """Standardised on the training rows (constant units dropped: they carry nothing), plus a bias column."""
    x = np.asarray(x, np.float64)
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    keep = std > 1e-8
    x = (x[:, keep] - mean[keep]) / std[keep]
    return np.concatenate([x, np.ones((len(x), 1))], axis=1)


def _ridge(x, y, weights, ridge):
    xw = x * weights[:, None]
    gram = xw.T @ x
    gram[np.diag_indices_from(gram)] += ridge * weights.sum()
    return np.linalg.solve(gram, xw.T @ y)


def _ridge_category(x, labels, n_labels, train, test, ridge) -> float:
    """A least-squares fit of the one-hot labels, each row weighed by 1 / its label's count."""
    x = _design(x, train)
    counts = np.bincount(labels[train], minlength=n_labels).astype(np.float64)
    weights = 1.0 / np.maximum(counts, 1)[labels[train]]
    target = np.eye(n_labels)[labels[train]]
    guess = (x[test] @ _ridge(x[train], target, weights, ridge)).argmax(axis=1)
    return _balanced_accuracy(guess, labels[test])


# -- logistic: Adam, every probe of a stack at once -----------------------------------------------


def _logistic_category(x, labels, train, test, steps: int) -> list[float]:
    """Each probe reads its own ``x[i]`` for its own ``labels[i]``; all train together on the sum of
    their losses (each gradient is its own probe's).  A rare label (a full stop follows one token
    in twelve) is weighed up in the loss so that always answering "no" does not pay."""
    torch = import_torch("a logistic probe")
    x = torch.as_tensor(x)
    mean, std = x[:, train].mean(1, keepdim=True), x[:, train].std(1, keepdim=True) + 1e-6
    x = (x - mean) / std
    seen, unseen = x[:, train], x[:, test]
    target = torch.as_tensor(labels[:, train], dtype=torch.float32)
    weight = torch.zeros(x.shape[0], x.shape[2], requires_grad=True)
    bias = torch.zeros(x.shape[0], 1, requires_grad=True)
    optimiser = torch.optim.Adam([weight, bias], lr=0.05)
    positives = target.sum(1, keepdim=True).clamp(min=1.0)
    balance = (target.shape[1] - positives) / positives
    with torch.enable_grad():
        for _ in range(steps):
            logits = torch.einsum("ptd,pd->pt", seen, weight) + bias
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, pos_weight=balance,
                                                                        reduction="none").mean(1).sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    with torch.no_grad():
        predicted = (torch.einsum("ptd,pd->pt", unseen, weight) + bias > 0).numpy()
    return [_balanced_accuracy(guess, truth) for guess, truth in zip(predicted, labels[:, test])]
