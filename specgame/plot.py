"""Matplotlib figures.  Every function returns a Figure and never calls ``show()``."""

from __future__ import annotations

import numpy as np


def _pyplot():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo"):
        import os

        if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
            matplotlib.use("Agg")  # headless machines: draw to files only
    import matplotlib.pyplot as plt

    return plt


def smooth(values, window: int) -> np.ndarray:
    """Moving average over the last ``window`` episodes (fewer at the start)."""
    values = np.asarray(values, dtype=float)
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - max(int(window), 1), 0)
    return (cumulative[ends] - cumulative[starts]) / (ends - starts)


def learning_curves(histories: dict, window: int = 100, references: dict | None = None, title: str = ""):
    """Proxy and intended return per episode over training, one colour per agent.

    ``histories`` maps a name to an object with ``proxy_return``, ``intended_return`` and
    ``length`` arrays (an agent's ``.history``); x is environment steps.  ``references``
    may map a label to ``(proxy, intended)`` returns drawn as dashed lines.
    """
    plt = _pyplot()
    fig, (ax_proxy, ax_intended) = plt.subplots(1, 2, figsize=(11, 4), sharex=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, history) in enumerate(histories.items()):
        steps = np.cumsum(history.length)
        colour = colours[i % len(colours)]
        ax_proxy.plot(steps, smooth(np.asarray(history.proxy_return, float), window), color=colour, label=name)
        ax_intended.plot(steps, smooth(np.asarray(history.intended_return, float), window), color=colour,
                         label=name)
    for j, (label, (proxy, intended)) in enumerate((references or {}).items()):
        style = dict(color="0.3", linestyle=("--", ":", "-.")[j % 3], linewidth=1)
        ax_proxy.axhline(proxy, label=label, **style)
        ax_intended.axhline(intended, label=label, **style)
    ax_proxy.set_title("proxy return (what it is trained on)")
    ax_intended.set_title("intended return (what was meant)")
    for ax in (ax_proxy, ax_intended):
        ax.set_xlabel("environment steps")
        ax.grid(alpha=0.3)
    ax_intended.legend(loc="best", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def filmstrip(frames, columns: int = 8, title: str = ""):
    """Frames of an episode in a grid, numbered by step."""
    plt = _pyplot()
    frames = list(frames)
    rows = max(1, -(-len(frames) // columns))
    height, width = frames[0].shape[:2]
    fig, axes = plt.subplots(rows, columns, figsize=(columns * width / 110, rows * height / 110 + 0.4))
    for i, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if i < len(frames):
            ax.imshow(frames[i])
            ax.set_title(f"t={i}", fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
