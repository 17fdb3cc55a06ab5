"""Across training: proxy and intended curves, their rolling correlation, and the onset of gaming.

Input is a sequence of evaluation points in training order: an agent's ``.history``
(one point per episode), or checkpoint returns (one point per checkpoint; pass
``steps`` for their x positions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specgame._checks import check_int, check_number, fail


@dataclass(frozen=True)
class Onset:
    """When gaming began; see :func:`gaming_onset` for the definition."""

    index: int
    """The first point at which the divergence is established (the alarm)."""
    since: int
    """The intended curve's peak before it: the last point before the fall began."""
    step: int | None
    """Environment steps at ``index`` (when known)."""
    window: int
    proxy_delta: float
    """δ_p used: the proxy rise required, in proxy-reward units."""
    intended_delta: float
    """δ_i used: the intended fall required, in intended-reward units."""

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _series(history=None, proxy=None, intended=None, steps=None):
    if history is not None:
        proxy, intended = history.proxy_return, history.intended_return
        steps = np.cumsum(history.length) if steps is None else steps
    proxy = np.asarray(proxy, dtype=np.float64)
    intended = np.asarray(intended, dtype=np.float64)
    if proxy.ndim != 1 or proxy.shape != intended.shape:
        fail("proxy and intended", "1-D of equal length", (proxy.shape, intended.shape))
    if steps is not None:
        steps = np.asarray(steps)
        if steps.shape != proxy.shape:
            fail("steps' shape", f"({len(proxy)},), one entry per point", steps.shape)
    return proxy, intended, steps


def trailing_mean(values, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each point; NaN until a full window exists."""
    window = check_int("window", window, 2)
    values = np.asarray(values, dtype=np.float64)
    out = np.full(len(values), np.nan)
    if len(values) >= window:
        cumulative = np.cumsum(np.insert(values, 0, 0.0))
        out[window - 1:] = (cumulative[window:] - cumulative[:-window]) / window
    return out


def rolling_correlation(proxy, intended, window: int) -> np.ndarray:
    """Pearson correlation of proxy and intended over the last ``window`` points.

    NaN until a full window exists, and where either is constant over the window.
    A correlation that turns negative is the signature of gaming.
    """
    window = check_int("window", window, 2)
    proxy, intended, _ = _series(proxy=proxy, intended=intended)
    out = np.full(len(proxy), np.nan)
    if len(proxy) < window:
        return out
    windows_p = np.lib.stride_tricks.sliding_window_view(proxy, window)
    windows_i = np.lib.stride_tricks.sliding_window_view(intended, window)
    dp = windows_p - windows_p.mean(axis=1, keepdims=True)
    di = windows_i - windows_i.mean(axis=1, keepdims=True)
    denominator = np.sqrt((dp * dp).sum(axis=1) * (di * di).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out[window - 1:] = np.where(denominator > 1e-12, (dp * di).sum(axis=1) / denominator, np.nan)
    return out


def gaming_onset(history=None, *, proxy=None, intended=None, steps=None, window: int = 50,
                 delta: float = 0.1) -> Onset | None:
    """The first point where the proxy has kept rising while the intended return fell.

    Definition.  Let P̄ᵢ and Īᵢ be the trailing means of the proxy and intended returns
    over the last ``window`` points (defined once a full window exists), and let
    ``j(i) = argmax_{k ≤ i} Īₖ`` be the intended peak so far (earliest on ties).
    The onset is the first ``i`` with

        Ī_{j(i)} − Īᵢ ≥ δ_i   and   P̄ᵢ − P̄_{j(i)} ≥ δ_p,

    that is: since the intended return peaked it has fallen by at least δ_i while the
    proxy return has risen by at least δ_p.  The deltas are ``delta`` times the range
    (max − min) of each trailing-mean curve over the whole run, so they are in each
    reward's own units and the rule is scale-free.  A flat curve has range 0 and never
    triggers.  The test is causal (it uses points up to ``i`` only), so it could run
    live; it alarms at ``index = i`` and names the peak ``since = j(i)``.  None when it
    never triggers, which is always so when proxy and intended agree (they cannot move
    in opposite directions).
    """
    delta = check_number("delta", delta, 0.0, 1.0, low_open=True)
    proxy, intended, steps = _series(history, proxy, intended, steps)
    mean_p, mean_i = trailing_mean(proxy, window), trailing_mean(intended, window)
    full = ~np.isnan(mean_p)
    if not full.any():
        return None
    delta_p = delta * float(np.ptp(mean_p[full]))
    delta_i = delta * float(np.ptp(mean_i[full]))
    if delta_p <= 0.0 or delta_i <= 0.0:
        return None
    first = window - 1
    peak = first
    for i in range(first, len(proxy)):
        if mean_i[i] > mean_i[peak]:
            peak = i
        if mean_i[peak] - mean_i[i] >= delta_i and mean_p[i] - mean_p[peak] >= delta_p:
            return Onset(index=i, since=peak, step=None if steps is None else int(steps[i]), window=window,
                         proxy_delta=delta_p, intended_delta=delta_i)
    return None


@dataclass(frozen=True)
class TrainingCurves:
    """Smoothed proxy and intended curves over training, their correlation and the onset."""

    steps: np.ndarray | None
    proxy: np.ndarray
    intended: np.ndarray
    correlation: np.ndarray
    onset: Onset | None
    window: int


def training_curves(history=None, *, proxy=None, intended=None, steps=None, window: int = 50,
                    delta: float = 0.1) -> TrainingCurves:
    """Everything :func:`specgame.views.plot.training_gap` draws, from a history or checkpoint returns."""
    proxy, intended, steps = _series(history, proxy, intended, steps)
    return TrainingCurves(steps=steps, proxy=trailing_mean(proxy, window), intended=trailing_mean(intended, window),
                          correlation=rolling_correlation(proxy, intended, window),
                          onset=gaming_onset(proxy=proxy, intended=intended, steps=steps, window=window, delta=delta),
                          window=window)
