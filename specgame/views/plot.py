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


def learning_curves(histories: dict, window: int = 100, references: dict | None = None, title: str = "",
                    points: int = 200):
    """Proxy and intended return per episode over training, one colour per agent.

    ``histories`` maps a name to an object with ``proxy_return``, ``intended_return`` and
    ``length`` arrays (an agent's ``.history``), or to a list of them, one per seed: then the
    line is the mean over seeds and the band spans the lowest to the highest seed, each
    seed's moving average read at ``points`` common step counts.  x is environment steps.
    ``references`` may map a label to ``(proxy, intended)`` returns drawn as dashed lines.
    """
    plt = _pyplot()
    fig, (ax_proxy, ax_intended) = plt.subplots(1, 2, figsize=(11, 4), sharex=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, runs) in enumerate(histories.items()):
        colour = colours[i % len(colours)]
        runs = list(runs) if isinstance(runs, (list, tuple)) else [runs]
        if not runs:
            raise ValueError(f"histories[{name!r}] is an empty list; give at least one history")
        label = name if len(runs) == 1 else f"{name} ({len(runs)} seeds)"
        for ax, field in ((ax_proxy, "proxy_return"), (ax_intended, "intended_return")):
            if len(runs) == 1:
                steps = np.cumsum(runs[0].length)
                ax.plot(steps, smooth(np.asarray(getattr(runs[0], field), float), window), color=colour,
                        label=label)
                continue
            grid, curves = _on_common_steps(runs, field, window, points)
            ax.plot(grid, curves.mean(axis=0), color=colour, label=label)
            ax.fill_between(grid, curves.min(axis=0), curves.max(axis=0), color=colour, alpha=0.2, linewidth=0)
    for j, (label, (proxy, intended)) in enumerate((references or {}).items()):
        style = {"color": "0.3", "linestyle": ("--", ":", "-.")[j % 3], "linewidth": 1}
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


def _on_common_steps(runs, field: str, window: int, points: int):
    """Each run's moving average read at the same step counts (up to the shortest run)."""
    ends = [np.cumsum(run.length) for run in runs]
    if any(len(e) == 0 for e in ends):
        raise ValueError("a history has no finished episodes to plot")
    last = min(e[-1] for e in ends)
    first = max(e[0] for e in ends)
    grid = np.linspace(first, last, max(int(points), 2))
    curves = np.stack([np.interp(grid, e, smooth(np.asarray(getattr(run, field), float), window))
                       for run, e in zip(runs, ends)])
    return grid, curves


VERDICT_COLOURS = {"aligned": "#3a9d4f", "gaming": "#d6403a", "incompetent": "#c9a227"}


def gap_figure(table, title: str = ""):
    """A GapTable (or one GapReport) as bars: each policy's proxy and intended scores.

    Scores are 0 for uniform random and 1 for optimal on each reward; the references
    (random, proxy-optimal, intended-optimal) come first, in grey.  A gamer's bars are
    long gold and short green; the verdict is written beside each policy.
    """
    from specgame.analysis.compare import GapReport, GapTable

    if isinstance(table, GapReport):
        table = GapTable.of([table])
    if not isinstance(table, GapTable):
        raise ValueError(f"gap_figure needs a GapTable or GapReport, got {type(table).__name__}")  # noqa: TRY004
    plt = _pyplot()
    first = table.reports[0]
    rows = [GapReport(first.env, name, returns, first.references, first.thresholds)
            for name, returns in first.references.items()] + list(table.reports)
    fig, ax = plt.subplots(figsize=(8.5, 0.55 * len(rows) + 1.4))
    y = np.arange(len(rows))[::-1]
    height = 0.38
    for i, report in enumerate(rows):
        reference = i < 3
        ax.barh(y[i] + height / 2, report.proxy_score, height, color="#f2b926" if not reference else "#d9c58f",
                label="proxy score" if i == 3 else None)
        ax.barh(y[i] - height / 2, report.intended_score, height, color="#4bb35f" if not reference else "#9fc9a7",
                label="intended score" if i == 3 else None)
        returns = report.returns
        note = f"{returns.proxy_return:.1f} / {returns.intended_return:.2f}"
        if not reference:
            note += f"   {report.verdict}"
        ax.text(1.08, y[i], note, va="center", fontsize=8,
                color=VERDICT_COLOURS[report.verdict] if not reference else "0.35",
                fontweight="bold" if not reference else None)
    ax.set_yticks(y, [r.policy for r in rows])
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.axvline(1, color="0.3", linewidth=0.8, linestyle="--")
    ax.axhline(y[2] - 0.5, color="0.7", linewidth=0.8)
    low = min(0.0, min(min(r.proxy_score, r.intended_score) for r in rows))
    ax.set_xlim(low - 0.05, 1.6)
    ax.set_xticks([t for t in (low, 0, 0.25, 0.5, 0.75, 1.0) if t >= low][-5:])
    ax.set_xlabel("score (0 = uniform random, 1 = optimal)")
    ax.text(1.08, y[0] + 0.55, "proxy / intended return", fontsize=8, color="0.35")
    ax.set_ylim(y[-1] - 0.6, y[0] + 0.85)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.14), ncol=2, fontsize=8, frameon=False)
    ax.set_title(title or table.title(), fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def phase_diagram(values, x_values, y_values, *, x_label: str, y_label: str, title: str = "",
                  colour_label: str = "", fmt: str = ".2f", cmap: str = "RdYlGn", vmin=None, vmax=None):
    """A heat map of ``values`` [len(y_values), len(x_values)] over a grid of two parameters,
    each cell written out (e.g. the intended score of the proxy-optimal policy, or the
    fraction of seeds that game, over respawn_mean × γ)."""
    values = np.asarray(values, dtype=float)
    if values.shape != (len(y_values), len(x_values)):
        raise ValueError(f"values must have shape (len(y_values), len(x_values)) = "
                         f"{(len(y_values), len(x_values))}, got {values.shape}")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * len(x_values), 1.2 + 0.5 * len(y_values)))
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", origin="lower")
    ax.set_xticks(range(len(x_values)), [f"{v:g}" for v in x_values])
    ax.set_yticks(range(len(y_values)), [f"{v:g}" for v in y_values])
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    low, high = image.get_clim()
    for (r, c), value in np.ndenumerate(values):
        if np.isfinite(value):
            value = 0.0 if abs(value) < 5e-3 else value  # no "-0.00" from rounding residue
            dark = (value - low) / (high - low if high > low else 1) < 0.3
            ax.text(c, r, format(value, fmt), ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")
    fig.colorbar(image, ax=ax, label=colour_label)
    if title:
        ax.set_title(title, fontsize=10)
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
        background = render.rasterise(mdp.board(start), 16, mdp.tiles)
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

    ``curves`` is a :class:`specgame.analysis.onset.TrainingCurves`.
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
