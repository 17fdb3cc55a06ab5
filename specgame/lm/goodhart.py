"""Goodhart's curve: the gold score against d = sqrt(KL), fitted with Gao et al.'s forms.

Gao, Schulman & Hilton (2022) found that, measured from the reference, the gold score
follows R(d) = d (alpha - beta d) for best-of-n sampling and R(d) = d (alpha - beta log d)
for RL, while the proxy keeps rising. Both forms are linear in (alpha, beta), so the fit
is ordinary least squares through the origin (R(0) = 0: the reference itself).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

FORMS = ("bon", "rl")


@dataclass(frozen=True)
class Fit:
    """R(d) = d (alpha - beta d) ("bon") or d (alpha - beta log d) ("rl"), and its R²."""

    form: str
    alpha: float
    beta: float
    r2: float

    def __call__(self, d):
        d = np.asarray(d, dtype=float)
        if self.form == "bon":
            return d * (self.alpha - self.beta * d)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(d > 0, d * (self.alpha - self.beta * np.log(np.where(d > 0, d, 1.0))), 0.0)

    @property
    def peak(self) -> float:
        """The d where the fitted gold is highest (inf if the fit never turns down)."""
        if self.beta <= 0:
            return float("inf")
        return self.alpha / (2 * self.beta) if self.form == "bon" else float(np.exp(self.alpha / self.beta - 1))

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "form"}


def fit(form: str, kl, gold_gain) -> Fit:
    """Fit ``gold_gain`` (gold minus the reference's) against d = sqrt(``kl``) with Gao's ``form``."""
    if form not in FORMS:
        raise ValueError(f"form must be one of {', '.join(map(repr, FORMS))}, got {form!r}")
    d = np.sqrt(np.maximum(np.asarray(kl, dtype=float), 0.0))
    gain = np.asarray(gold_gain, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        second = d * d if form == "bon" else np.where(d > 0, d * np.log(np.where(d > 0, d, 1.0)), 0.0)
    design = np.stack([d, -second], axis=1)
    (alpha, beta), *_ = np.linalg.lstsq(design, gain, rcond=None)
    residual = gain - design @ np.array([alpha, beta])
    spread = np.sum((gain - gain.mean()) ** 2)
    r2 = 1.0 - np.sum(residual**2) / spread if spread > 0 else float("nan")
    return Fit(form, float(alpha), float(beta), float(r2))


def interior_peak(kl, gold) -> bool:
    """Whether the measured gold is highest strictly between the first and the last point (by d)."""
    order = np.argsort(np.asarray(kl, dtype=float))
    best = int(np.argmax(np.asarray(gold, dtype=float)[order]))
    return 0 < best < len(order) - 1
