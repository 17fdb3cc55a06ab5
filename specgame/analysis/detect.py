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

from specgame._checks import check_choice, check_probability, fail
from specgame.mdp import TabularMDP
from specgame.policy import state_action_occupancy, stationary_policy

MEASURES = ("jsd", "hellinger")
DEFAULT_SMOOTHING = 0.05


def _distributions(p, q) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        fail("the shapes of p and q", "the same", (p.shape, q.shape))
    for name, d in (("p", p), ("q", q)):
        if not np.isfinite(d).all() or (d < 0).any() or np.abs(d.sum(axis=-1) - 1).max() > 1e-9:
            fail(name, "probability distributions along its last axis", d)
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
    smoothing = check_probability("smoothing", smoothing)
    return (1.0 - smoothing) * policy + smoothing / policy.shape[-1]


@dataclass(frozen=True)
class Footprint:
    """Where one policy goes and what it does there: all a blind detector reads of it.

    ``visits`` is its state occupancy [S] (:func:`specgame.policy.state_occupancy`),
    ``actions`` its per-state action distribution [S, A]
    (:func:`specgame.policy.stationary_policy`).  Computed once per policy, then shared by
    every detector and every comparison it takes part in.
    """

    visits: np.ndarray
    actions: np.ndarray

    @classmethod
    def of(cls, mdp: TabularMDP, policy) -> Footprint:
        occupancy = state_action_occupancy(mdp, policy)
        return cls(occupancy.sum(axis=1), stationary_policy(mdp, policy, occupancy=occupancy))


def action_divergence(mdp: TabularMDP, trusted, candidate, measure: str = "jsd", *,
                      smoothing: float = DEFAULT_SMOOTHING) -> float:
    """Mean divergence of ``candidate``'s actions from ``trusted``'s on the states the candidate visits.

    States are weighted by the candidate's expected visits.  Policies are anything
    :func:`specgame.solve.evaluate` takes; a Plan counts as its visit-averaged action
    distribution per state (:func:`specgame.policy.stationary_policy`).
    """
    check_choice("measure", measure, MEASURES)
    return _action_divergence(Footprint.of(mdp, trusted), Footprint.of(mdp, candidate), measure, smoothing)


def _action_divergence(trusted: Footprint, candidate: Footprint, measure: str,
                       smoothing: float = DEFAULT_SMOOTHING) -> float:
    p = smoothed(trusted.actions, smoothing)
    q = smoothed(candidate.actions, smoothing)
    per_state = (jensen_shannon if measure == "jsd" else hellinger)(p, q)
    return float(candidate.visits @ per_state / candidate.visits.sum())


def occupancy_distance(mdp: TabularMDP, trusted, candidate) -> float:
    """Total-variation distance ``½ ‖d_T − d_U‖₁`` between normalised state occupancies, in [0, 1]."""
    return _occupancy_distance(Footprint.of(mdp, trusted), Footprint.of(mdp, candidate))


def _occupancy_distance(trusted: Footprint, candidate: Footprint) -> float:
    d_trusted, d_candidate = trusted.visits, candidate.visits
    return float(0.5 * np.abs(d_trusted / d_trusted.sum() - d_candidate / d_candidate.sum()).sum())


# Each detector reads the trusted policy's and the candidate's footprints.
DETECTORS = {
    "action JSD": lambda trusted, candidate: _action_divergence(trusted, candidate, "jsd"),
    "action Hellinger": lambda trusted, candidate: _action_divergence(trusted, candidate, "hellinger"),
    "occupancy TV": _occupancy_distance,
}


def detector_scores(mdp: TabularMDP, trusted, candidates: Mapping[str, object]) -> dict[str, dict[str, float]]:
    """``{detector: {candidate name: score}}`` for every detector in :data:`DETECTORS`.

    Each policy's footprint (its occupancy and action distribution) is computed once.
    """
    reference = Footprint.of(mdp, trusted)
    footprints = {label: Footprint.of(mdp, policy) for label, policy in candidates.items()}
    return {name: {label: float(score(reference, footprint)) for label, footprint in footprints.items()}
            for name, score in DETECTORS.items()}


def auroc(scores, labels) -> float:
    """Area under the ROC curve of ``scores`` for binary ``labels`` (True = positive).

    Computed as the Mann-Whitney statistic: P(score of a positive > score of a negative)
    + ½ P(tie).  NaN when either class is empty (there is nothing to rank).
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    if scores.shape != labels.shape or scores.ndim != 1:
        fail("scores' and labels' shapes", "1-D and equal", (scores.shape, labels.shape))
    if labels.dtype != np.bool_:
        if not np.isin(labels, (0, 1)).all():
            fail("labels", "booleans or 0/1", labels)
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
    mismatched = set(candidates) ^ set(labels)
    if mismatched:
        fail("labels", "one per candidate, by the same names", f"mismatched names {sorted(mismatched)}")
    return DetectorResult(detector_scores(mdp, trusted, candidates), {k: bool(v) for k, v in labels.items()})
