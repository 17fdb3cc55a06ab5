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


def visit_difference(reports, mdp=None, title: str = ""):
    """Where each policy's visits differ from the intended-optimal policy's, over the board.

    ``reports`` is a GapReport or a list of them (each with ``evidence``); one panel each.
    Red cells are visited more than the intended-optimal policy visits them (the lagoon,
    for a looping boat), blue cells less (the race track it skips).  With ``mdp`` the
    board at the start of an episode is drawn faintly underneath.
    """
    plt = _pyplot()
    reports = [reports] if not isinstance(reports, (list, tuple)) else list(reports)
    missing = [r.policy for r in reports if r.evidence is None]
    if not reports or missing:
        raise ValueError(f"every report needs evidence (an exact policy on an env with a board); "
                         f"missing for {missing or 'an empty list'}")
    background = None
    if mdp is not None and mdp.boards is not None:
        from specgame import render

        start = int(np.argmax(mdp.initial))
        background = render.rasterise(mdp.board(start), 16)
    fig, axes = plt.subplots(1, len(reports), figsize=(4.6 * len(reports), 4), squeeze=False)
    for ax, report in zip(axes[0], reports):
        difference = report.evidence.difference
        height, width = difference.shape
        limit = max(float(np.abs(difference).max()), 1e-9)
        if background is not None:
            ax.imshow(background, extent=(0, width, height, 0), alpha=0.45)
        masked = np.ma.masked_where(np.abs(difference) < 1e-9, difference)
        image = ax.imshow(masked, cmap="RdBu_r", vmin=-limit, vmax=limit, extent=(0, width, height, 0),
                          alpha=0.85, interpolation="nearest")
        ax.set_title(f"{report.policy}: {report.verdict}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="visits − intended-optimal's")
    fig.suptitle(title or f"{reports[0].env}: expected visits per episode, against the intended-optimal policy")
    fig.tight_layout()
    return fig


def training_gap(curves, title: str = ""):
    """Proxy and intended curves over training, their rolling correlation, and the onset of gaming.

    ``curves`` is a :class:`specgame.onset.TrainingCurves`.
    """
    plt = _pyplot()
    fig, (ax_returns, ax_corr) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True,
                                              gridspec_kw={"height_ratios": [2, 1]})
    x = curves.steps if curves.steps is not None else np.arange(len(curves.proxy))
    ax_returns.plot(x, curves.proxy, color="tab:red", label=f"proxy (mean of {curves.window})")
    ax_intended = ax_returns.twinx()
    ax_intended.plot(x, curves.intended, color="tab:blue", label="intended")
    ax_returns.set_ylabel("proxy return", color="tab:red")
    ax_intended.set_ylabel("intended return", color="tab:blue")
    ax_corr.plot(x, curves.correlation, color="0.3")
    ax_corr.axhline(0, color="0.6", linewidth=0.8)
    ax_corr.set_ylim(-1.05, 1.05)
    ax_corr.set_ylabel("rolling correlation")
    ax_corr.set_xlabel("environment steps" if curves.steps is not None else "evaluation point")
    if curves.onset is not None:
        for ax in (ax_returns, ax_corr):
            ax.axvline(x[curves.onset.index], color="k", linestyle="--", linewidth=1)
        ax_returns.annotate("gaming onset", (x[curves.onset.index], 0.95), xycoords=("data", "axes fraction"),
                            ha="left", fontsize=9)
    fig.suptitle(title or "proxy against intended over training")
    fig.tight_layout()
    return fig
