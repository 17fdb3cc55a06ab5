"""The figures of looking inside: matplotlib only; each returns a figure and never calls ``show()``."""

from __future__ import annotations

import numpy as np

from specgame import render


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def probe_heatmap(results, title: str = ""):
    """Layers × features: the probe's held-out score beside its two controls (one panel each)."""
    plt = _pyplot()
    layers = list(dict.fromkeys(r.layer for r in results))
    features = list(dict.fromkeys(r.feature for r in results))
    panels = (("trained network", "score"), ("random network (control)", "score_random_net"),
              ("shuffled labels (control)", "score_shuffled"))
    fig, axes = plt.subplots(1, 3, figsize=(4 + 0.5 * len(layers) * 3, 1.2 + 0.32 * len(features)), sharey=True)
    for ax, (name, attribute) in zip(axes, panels):
        grid = np.full((len(features), len(layers)), np.nan)
        for r in results:
            grid[features.index(r.feature), layers.index(r.layer)] = getattr(r, attribute)
        image = ax.imshow(grid, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        for (i, j), value in np.ndenumerate(grid):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6,
                    color="white" if value < 0.6 else "black")
        ax.set_xticks(range(len(layers)), layers, rotation=45, ha="right", fontsize=7)
        ax.set_title(name, fontsize=9)
    axes[0].set_yticks(range(len(features)), features, fontsize=7)
    fig.colorbar(image, ax=axes, shrink=0.6, label="balanced accuracy / R² (held-out states)")
    fig.suptitle(title or "Linear probes against their controls")
    return fig


def boards_figure(mdp, states, captions, title: str = "", tile_size: int = 16):
    """Boards of ``states`` drawn with the game's sprites, one caption each."""
    plt = _pyplot()
    n = len(states)
    fig, axes = plt.subplots(1, n, figsize=(2.6 * n, 2.6), squeeze=False)
    for ax, state, caption in zip(axes[0], states, captions):
        ax.imshow(render.rasterise(mdp.board(int(state)), tile_size, mdp.tiles))
        ax.set_title(caption, fontsize=8)
        ax.axis("off")
    fig.suptitle(title)
    return fig


def visualisation_figure(mdp, vis, title: str = "", tile_size: int = 16):
    """The optimised board beside the best real state, with the activation each reaches."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(6, 3))
    axes[0].imshow(render.rasterise(vis.board, tile_size, mdp.tiles))
    axes[0].set_title(f"optimised input: {vis.activation:.2f}", fontsize=9)
    axes[1].imshow(render.rasterise(mdp.board(vis.best_state), tile_size, mdp.tiles))
    axes[1].set_title(f"best real state: {vis.best_activation:.2f}", fontsize=9)
    for ax in axes:
        ax.axis("off")
    fig.suptitle(title or f"Feature visualisation: {vis.layer} unit {vis.unit}")
    return fig


def steering_figure(rows, title: str = ""):
    """Per (layer, vector): lagoon entry rate, specificity and laps against the coefficient."""
    plt = _pyplot()
    baseline = next(r for r in rows if r.coefficient == 0)
    curves = {}
    for r in rows:
        if r.coefficient != 0:
            curves.setdefault((r.layer, r.vector), []).append(r)
    measures = (("lagoon_entry_rate", "lagoon entry rate at the decision cells"),
                ("specificity", "specificity (acts as unsteered elsewhere)"), ("laps", "expected laps (exact)"))
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, (attribute, label) in zip(axes, measures):
        for (layer, vector), points in curves.items():
            points = sorted([*points, baseline], key=lambda r: r.coefficient)
            ax.plot([p.coefficient for p in points], [getattr(p, attribute) for p in points], "o-", ms=3,
                    label=f"{vector} @ {layer}")
        ax.axvline(0, color="grey", lw=0.5)
        ax.set_xlabel("coefficient")
        ax.set_title(label, fontsize=9)
    axes[0].legend(fontsize=7)
    fig.suptitle(title or "Steering, evaluated exactly by the solver")
    fig.tight_layout()
    return fig


def sae_figure(report, title: str = ""):
    """Histograms of the best match score of each dictionary feature and each raw unit."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.4))
    bins = np.linspace(0, 1, 21)
    ax.hist([s for _, s in report.feature_labels], bins=bins, alpha=0.6, density=True,
            label=f"SAE features: {report.matched}/{report.features} ≥ {report.threshold}")
    ax.hist([s for _, s in report.unit_labels], bins=bins, alpha=0.6, density=True,
            label=f"raw units: {report.units_matched}/{report.units} ≥ {report.threshold}")
    ax.axvline(report.threshold, color="black", lw=0.8, ls="--")
    ax.set_xlabel("best match with a true feature (phi)")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    ax.set_title(title or f"Sparse dictionary vs raw units at {report.layer}", fontsize=10)
    fig.tight_layout()
    return fig
