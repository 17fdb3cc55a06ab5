"""The figures: Goodhart's curve for both optimisers, and the KL-coefficient frontier (matplotlib only)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from specgame.lm.goodhart import Fit


def goodhart_figure(bon: list[dict], rl: list[dict], fits: dict[str, Fit]) -> Figure:
    """Proxy (top) and gold gain (bottom) against d = sqrt(KL), best-of-n left, RL right, with the fits.

    Each panel's gain is measured from its own first row (n = 1; update 0), the reference
    measured on the same samples, as the fits are.
    """
    figure = Figure(figsize=(9, 6), layout="constrained")
    axes = figure.subplots(2, 2, sharex="col")
    for column, (name, rows) in enumerate((("best-of-n", bon), ("RL (RLOO)", rl))):
        d = np.sqrt([max(r["kl"], 0.0) for r in rows])
        axes[0, column].plot(d, [r["proxy"] for r in rows], "o-", color="tab:red")
        axes[0, column].set_title(name)
        axes[0, column].set_ylabel("proxy: full stops per completion")
        gain = np.array([r["gold"] for r in rows]) - rows[0]["gold"]
        axes[1, column].plot(d, gain, "o", color="tab:blue", label="measured")
        fit = fits["bon" if column == 0 else "rl"]
        grid = np.linspace(0, d.max() if len(d) else 1, 200)
        axes[1, column].plot(grid, fit(grid), "-", color="tab:blue", alpha=0.6,
                             label=f"Gao fit: α={fit.alpha:.3g}, β={fit.beta:.3g}, R²={fit.r2:.2f}")
        axes[1, column].axhline(0, color="grey", lw=0.8)
        axes[1, column].set_xlabel("d = √KL(π ‖ π_ref)")
        axes[1, column].set_ylabel("gold − reference's gold")
        axes[1, column].legend(fontsize=8)
    if bon:
        for row in bon:
            axes[0, 0].annotate(f"n={row['n']}", (np.sqrt(max(row["kl"], 0.0)), row["proxy"]), fontsize=7)
    figure.suptitle("Goodhart's curve: proxy and gold against the distance from the reference")
    return figure


def frontier_figure(runs: dict[float, list[dict]], gold_reference: float, proxy_reference: float) -> Figure:
    """Proxy against gold along each KL coefficient's run, its final point marked."""
    figure = Figure(figsize=(6, 4.5), layout="constrained")
    ax = figure.subplots()
    for beta, curve in sorted(runs.items()):
        line, = ax.plot([r["gold"] for r in curve], [r["proxy"] for r in curve], "-", alpha=0.5)
        ax.plot(curve[-1]["gold"], curve[-1]["proxy"], "o", color=line.get_color(), label=f"β = {beta:g}")
    ax.plot(gold_reference, proxy_reference, "k*", markersize=12, label="reference")
    ax.set_xlabel("gold score (higher is what we meant)")
    ax.set_ylabel("proxy: full stops per completion")
    ax.set_title("The KL leash: proxy against gold for each coefficient β")
    ax.legend(fontsize=8)
    return figure
