"""A sparse autoencoder on one layer's activations, and its features matched against the answer key.

The dictionary (Bricken et al. 2023; Cunningham et al. 2023): ``f = relu(W_enc (x - b_dec) + b_enc)``,
``x̂ = W_dec f + b_dec``, trained to reconstruct the activations of every state with an L1
penalty on ``f`` (decoder columns kept at unit norm, so the penalty cannot be dodged by
shrinking ``f``).  Its features are claimed more interpretable than the raw units; with an
answer key the claim is measured: each feature (and each raw unit) is matched to the true
indicator it best picks out, and we count the shares that match some true feature well.

The match score of a unit and an indicator is the best correlation (the phi coefficient,
Matthews') over thresholds of "the unit is above the threshold" with "the indicator is
true": 1 when the unit fires on exactly the states where, say, the boat is on cell (5, 7),
0 for a unit that fires always (unlike F1, which would credit it with every common label).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specgame._checks import check_int, check_number
from specgame.interpret.activations import torch
from specgame.nn import seeded, threads

THRESHOLD = 0.9  # a unit "matches" a true feature when its best phi reaches this


@dataclass
class SparseAutoencoder:
    """A trained dictionary: ``encode(x)`` gives the features [N, n_features] of activations [N, units]."""

    w_enc: np.ndarray  # [units, features]
    b_enc: np.ndarray  # [features]
    w_dec: np.ndarray  # [features, units], rows of unit norm
    b_dec: np.ndarray  # [units]
    scale: float  # activations are divided by this before encoding (their mean distance from their mean)

    def encode(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float32) / self.scale
        return np.maximum((x - self.b_dec) @ self.w_enc + self.b_enc, 0.0)

    def decode(self, f: np.ndarray) -> np.ndarray:
        return (f @ self.w_dec + self.b_dec) * self.scale

    def explained_variance(self, x: np.ndarray) -> float:
        """1 - (reconstruction error / variance) of ``x``: how much of the layer the dictionary keeps."""
        x = np.asarray(x, np.float64)
        error = ((x - self.decode(self.encode(x))) ** 2).sum()
        return float(1.0 - error / ((x - x.mean(axis=0)) ** 2).sum())


def train_sae(x: np.ndarray, n_features: int, *, l1: float = 0.1, steps: int = 3000, batch_size: int = 1024,
              learning_rate: float = 1e-2, seed: int = 0) -> SparseAutoencoder:
    """Fit a sparse autoencoder with ``n_features`` features to the rows of ``x`` [N, units]."""
    n_features = check_int("n_features", n_features, 1)
    steps = check_int("steps", steps, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    l1 = check_number("l1", l1, 0)
    learning_rate = check_number("learning_rate", learning_rate, 0, low_open=True)
    x = np.asarray(x, np.float32)
    # The L1 penalty is weighed against the error in what varies (b_dec holds the mean), so the
    # scale is that of the variation: by the plain norm, a large common offset made every feature
    # too dear to keep and the dictionary died.
    scale = float(np.linalg.norm(x - x.mean(axis=0), axis=1).mean()) or 1.0
    data = torch.from_numpy(x / scale)
    units = data.shape[1]
    with threads(), seeded(seed):
        w_dec = torch.randn(n_features, units)
        w_dec /= w_dec.norm(dim=1, keepdim=True)
        w_enc = w_dec.T.clone().requires_grad_(True)  # tied at the start, free after
        w_dec.requires_grad_(True)
        b_enc = torch.zeros(n_features, requires_grad=True)
        b_dec = data.mean(dim=0).clone().requires_grad_(True)
        optimizer = torch.optim.Adam([w_enc, b_enc, w_dec, b_dec], lr=learning_rate)
        generator = torch.Generator().manual_seed(seed)
        for _ in range(steps):
            batch = data[torch.randint(len(data), (min(batch_size, len(data)),), generator=generator)]
            f = torch.relu((batch - b_dec) @ w_enc + b_enc)
            error = ((f @ w_dec + b_dec - batch) ** 2).sum(dim=1).mean()
            loss = error + l1 * f.abs().sum(dim=1).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                w_dec /= w_dec.norm(dim=1, keepdim=True).clamp_min(1e-8)
    return SparseAutoencoder(w_enc.detach().numpy(), b_enc.detach().numpy(), w_dec.detach().numpy(),
                             b_dec.detach().numpy(), scale)


def match_scores(units: np.ndarray, truth: np.ndarray, thresholds: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """For each column of ``units`` [N, U]: the best phi with any column of ``truth`` (bool [N, T])
    over ``thresholds`` cut points, and the index of that truth column.  Units that never vary score 0."""
    thresholds = check_int("thresholds", thresholds, 1)
    units = np.asarray(units, np.float32)
    n = len(truth)
    true = torch.from_numpy(np.asarray(truth, np.float32))  # counting by matrix product: torch's, on one thread
    positives = true.sum(dim=0).double()[None, :]  # [1, T]
    best = np.zeros(units.shape[1])
    which = np.zeros(units.shape[1], np.int64)
    with threads():
        for j in range(units.shape[1]):
            values = units[:, j]
            low, high = values.min(), values.max()
            if high <= low:
                continue
            # cut points: just above the minimum (for sparse features, "fires at all") and quantiles above it
            cuts = np.unique(np.concatenate([[low + 1e-6 * (high - low)],
                                             np.quantile(values[values > low], np.linspace(0, 0.98, thresholds))]))
            fired = torch.from_numpy((values[None, :] > cuts[:, None]).astype(np.float32))  # [cuts, N]
            both = (fired @ true).double()  # [cuts, T]: fired and true (exact: counts below 2**24)
            firing = fired.sum(dim=1).double()[:, None]
            spread = firing * (n - firing) * positives * (n - positives)
            phi = torch.where(spread > 0, (n * both - firing * positives) / spread.clamp_min(1e-30).sqrt(), 0.0)
            flat = int(torch.argmax(phi))
            best[j], which[j] = float(phi.flatten()[flat]), flat % true.shape[1]
    return best, which


@dataclass(frozen=True)
class MatchReport:
    """The share of dictionary features and of raw units that match some true feature at ≥ threshold."""

    layer: str
    features: int
    matched: int
    units: int
    units_matched: int
    threshold: float
    explained_variance: float
    feature_labels: tuple  # (best true feature name, score) per dictionary feature that ever fires
    unit_labels: tuple  # the same for each raw unit that varies

    def to_dict(self) -> dict:
        return {"layer": self.layer, "features": self.features, "matched": self.matched, "units": self.units,
                "units_matched": self.units_matched, "threshold": self.threshold,
                "explained_variance": self.explained_variance,
                "share_matched": self.matched / max(self.features, 1),
                "share_units_matched": self.units_matched / max(self.units, 1)}


def compare_with_units(layer: str, x: np.ndarray, sae: SparseAutoencoder, truth: np.ndarray, names,
                       threshold: float = THRESHOLD) -> MatchReport:
    """Match the live dictionary features and the layer's varying raw units against ``truth`` columns."""
    threshold = check_number("threshold", threshold, 0, 1)
    f = sae.encode(x)
    alive = f.max(axis=0) > 0  # a feature that never fires describes nothing
    feature_scores, feature_best = match_scores(f[:, alive], truth)
    varying = x.std(axis=0) > 0
    unit_scores, unit_best = match_scores(x[:, varying], truth)
    labels = tuple((names[i], float(s)) for i, s in zip(feature_best, feature_scores))
    unit_labels = tuple((names[i], float(s)) for i, s in zip(unit_best, unit_scores))
    return MatchReport(layer, int(alive.sum()), int((feature_scores >= threshold).sum()), int(varying.sum()),
                       int((unit_scores >= threshold).sum()), threshold, sae.explained_variance(x), labels,
                       unit_labels)
