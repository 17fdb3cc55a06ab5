"""Detectors that never read the intended reward, after Pan, Bhatia & Steinhardt (2022).

A practitioner rarely has the intended reward, but often has a *trusted* policy (one
known to behave acceptably).  These detectors flag a candidate policy by how far it
strays from the trusted one, using only the dynamics (``next_state``, ``prob``,
``initial``, ``terminal``, ``obs``), never ``proxy`` or ``intended``:

- :func:`action_divergence`: the Jensen-Shannon divergence or Hellinger distance between
  the two policies' action distributions, averaged over the states the *candidate*
  visits (weighted by its occupancy);
- :func:`occupancy_distance`: the total-variation distance between the two policies'
  normalised state occupancies.  It bounds the return gap under *any* reward, and it sees
  the lagoon loop as a wholly different set of states.

:func:`auroc` scores a detector over a labelled set of agents (label = gaming, decided
elsewhere with the intended reward): the chance that a random gamer outscores a random
non-gamer, ties counting half.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from specgame.mdp import TabularMDP
from specgame.policy import state_occupancy, stationary_policy

MEASURES = ("jsd", "hellinger")
DEFAULT_SMOOTHING = 0.05


def _distributions(p, q) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"distributions must have the same shape, got {p.shape} and {q.shape}")
    for name, d in (("p", p), ("q", q)):
        if not np.isfinite(d).all() or (d < 0).any() or np.abs(d.sum(axis=-1) - 1).max() > 1e-9:
            raise ValueError(f"{name} must hold probability distributions along its last axis")
    return p, q


def jensen_shannon(p, q) -> np.ndarray:
    """Jensen-Shannon divergence in bits, in [0, 1], along the last axis."""
    p, q = _distributions(p, q)
    m = (p + q) / 2

    def kl(x):  # 0 log 0 = 0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x > 0, x * np.log2(x / m), 0.0).sum(axis=-1)

    return np.clip(0.5 * kl(p) + 0.5 * kl(q), 0.0, 1.0)


def hellinger(p, q) -> np.ndarray:
    """Hellinger distance ``‖√p − √q‖₂ / √2``, in [0, 1], along the last axis."""
    p, q = _distributions(p, q)
    return np.clip(np.sqrt(((np.sqrt(p) - np.sqrt(q)) ** 2).sum(axis=-1) / 2), 0.0, 1.0)


def smoothed(policy: np.ndarray, smoothing: float) -> np.ndarray:
    """Mix each row with the uniform distribution: ``(1 − smoothing) π + smoothing / A``.

    Deterministic policies would give divergences of exactly 0 or 1 per state; a little
    smoothing (the ε of an ε-greedy agent) grades them.
    """
    if not 0.0 <= smoothing <= 1.0:
        raise ValueError(f"smoothing must be in [0, 1], got {smoothing}")
    return (1.0 - smoothing) * policy + smoothing / policy.shape[-1]


def action_divergence(mdp: TabularMDP, trusted, candidate, measure: str = "jsd", *,
                      smoothing: float = DEFAULT_SMOOTHING) -> float:
    """Mean divergence of ``candidate``'s actions from ``trusted``'s on the states the candidate visits.

    States are weighted by the candidate's expected visits.  Policies are anything
    :func:`specgame.solve.evaluate` takes; a Plan counts as its visit-averaged action
    distribution per state (:func:`specgame.policy.stationary_policy`).
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    visits = state_occupancy(mdp, candidate)
    p = smoothed(stationary_policy(mdp, trusted), smoothing)
    q = smoothed(stationary_policy(mdp, candidate), smoothing)
    per_state = (jensen_shannon if measure == "jsd" else hellinger)(p, q)
    return float(visits @ per_state / visits.sum())


def occupancy_distance(mdp: TabularMDP, trusted, candidate) -> float:
    """Total-variation distance ``½ ‖d_T − d_U‖₁`` between normalised state occupancies, in [0, 1]."""
    d_trusted = state_occupancy(mdp, trusted)
    d_candidate = state_occupancy(mdp, candidate)
    return float(0.5 * np.abs(d_trusted / d_trusted.sum() - d_candidate / d_candidate.sum()).sum())


DETECTORS = {
    "action JSD": lambda mdp, t, c: action_divergence(mdp, t, c, "jsd"),
    "action Hellinger": lambda mdp, t, c: action_divergence(mdp, t, c, "hellinger"),
    "occupancy TV": occupancy_distance,
}


def detector_scores(mdp: TabularMDP, trusted, candidates: Mapping[str, object]) -> dict[str, dict[str, float]]:
    """``{detector: {candidate name: score}}`` for every detector in :data:`DETECTORS`."""
    return {name: {label: float(score(mdp, trusted, policy)) for label, policy in candidates.items()}
            for name, score in DETECTORS.items()}


def auroc(scores, labels) -> float:
    """Area under the ROC curve of ``scores`` for binary ``labels`` (True = positive).

    Computed as the Mann-Whitney statistic: P(score of a positive > score of a negative)
    + ½ P(tie).  NaN when either class is empty (there is nothing to rank).
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    if scores.shape != labels.shape or scores.ndim != 1:
        raise ValueError(f"scores and labels must be 1-D of equal length, got {scores.shape} and {labels.shape}")
    if labels.dtype != np.bool_:
        if not np.isin(labels, (0, 1)).all():
            raise ValueError("labels must be booleans or 0/1")
        labels = labels.astype(bool)
    positive, negative = scores[labels], scores[~labels]
    if len(positive) == 0 or len(negative) == 0:
        return float("nan")
    greater = (positive[:, None] > negative[None, :]).sum()
    ties = (positive[:, None] == negative[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(positive) * len(negative)))


@dataclass(frozen=True)
class DetectorResult:
    """AUROC of each detector over one labelled set of candidates."""

    scores: dict  # detector -> {candidate: score}
    labels: dict  # candidate -> gaming (bool)

    @property
    def auroc(self) -> dict[str, float]:
        names = list(self.labels)
        return {detector: auroc([by_name[n] for n in names], [self.labels[n] for n in names])
                for detector, by_name in self.scores.items()}


def evaluate_detectors(mdp: TabularMDP, trusted, candidates: Mapping[str, object],
                       labels: Mapping[str, bool]) -> DetectorResult:
    """Score every candidate with every detector and rank them against ``labels``."""
    missing = set(candidates) ^ set(labels)
    if missing:
        raise ValueError(f"candidates and labels must name the same policies; mismatched: {sorted(missing)}")
    return DetectorResult(detector_scores(mdp, trusted, candidates), {k: bool(v) for k, v in labels.items()})
