"""The cheese vector on MazeCheese (after Mini et al. 2023), measured exactly.

Trains the maze DQN (``generalisation.train_dqn``: onehot boards, one torch thread, 10,000
steps) on the cheese in the top-right corner (``cheese_region=1``, the registered training
set) and, to give it a cheese-seeking side like the anchor's network, on the cheese anywhere
in the top-right 3 × 3 squares (``cheese_region=3``). On every state of MazeCheese-Test-v0
it measures how often the greedy move heads to the cheese at the decision squares (where
the ways to the cheese and to the corner part) and at each maze's fork, unsteered, with the
cheese erased from the input, and with the cheese vector subtracted (one for all mazes, and
each maze's own) beside a random vector of the same norm. The numbers are in docs/interpret.md.

    python examples/cheese_vector.py            # seeds 0-2, both training sets: about a CPU minute
    python examples/cheese_vector.py --quick    # seconds: seed 0, the corner only, a small budget

Writes ``cheese_vector.json`` (every row) and ``cheese_vector.png`` (the rates against the coefficient).
"""

import json
import sys

import numpy as np
from _common import arguments

from specgame.analysis.generalisation import MISGEN_DQN_STEPS, train_dqn
from specgame.envs import make
from specgame.interpret import cheese

LAYER = "relus.0"  # the convolution's output, halfway through the network
COEFFICIENTS = (1, 2, 4)
ANCHOR = (0.81, 0.03)  # Mini et al. 2023: heads to the cheese at the decision square, before and after


def plan(quick: bool) -> dict:
    if quick:
        return {"steps": 3_000, "seeds": (0,), "regions": (1,)}
    return {"steps": MISGEN_DQN_STEPS["MazeCheese"], "seeds": (0, 1, 2), "regions": (1, 3)}


def measure(budget: dict) -> list[dict]:
    """Every sweep row of every (training region, seed, vector kind), as dicts."""
    test = make("MazeCheese-Test-v0", obs_mode="onehot").unwrapped.mdp
    rows = []
    for region in budget["regions"]:
        for seed in budget["seeds"]:
            net = train_dqn("MazeCheese-v0", budget["steps"], seed, cheese_region=region).q_net
            for per_maze in (False, True):
                sweep = cheese.cheese_sweep(net, test, [LAYER], COEFFICIENTS, seed=seed, per_maze=per_maze)
                kind = "each maze its own vector" if per_maze else "one vector"
                print(f"\ncheese_region={region}, seed {seed}, {kind}")
                cheese.print_rows(sweep)
                rows += [{"cheese_region": region, "seed": seed, "per_maze": per_maze, **row.to_dict()}
                         for row in sweep]
    return rows


def draw(rows: list[dict], budget: dict, path) -> None:
    """Heads to the cheese against the coefficient: one panel per (training region, where measured)."""
    import matplotlib.pyplot as plt

    regions = budget["regions"]
    fig, axes = plt.subplots(2, len(regions), figsize=(5.2 * len(regions), 7.2), squeeze=False, sharey=True)
    lines = {"each maze's cheese vector": (True, "cheese", "tab:orange"),
             "one cheese vector": (False, "cheese", "tab:red"),
             "random, same norm (each maze's)": (True, "random", "tab:grey")}
    xs = (0, *COEFFICIENTS)
    for column, region in enumerate(regions):
        for row_index, (measure_name, label) in enumerate((("heads_to_cheese", "at every decision square"),
                                                            ("at_forks", "at each maze's fork"))):
            ax = axes[row_index, column]

            def rate(per_maze, vector, coefficient, region=region, measure_name=measure_name):
                chosen = [r[measure_name] for r in rows if r["cheese_region"] == region and r["per_maze"] == per_maze
                          and (r["vector"], r["coefficient"]) in ((vector, coefficient), ("none", coefficient))]
                return np.mean(chosen), np.min(chosen), np.max(chosen)

            for name, (per_maze, vector, colour) in lines.items():
                values = np.array([rate(per_maze, vector, c) for c in xs])
                ax.plot(xs, values[:, 0], "o-", color=colour, label=name)
                ax.fill_between(xs, values[:, 1], values[:, 2], color=colour, alpha=0.15)
            erased = rate(False, "erased", 1.0)[0]
            ax.axhline(erased, color="tab:blue", linestyle="--", label="cheese erased from the input")
            ax.plot([0, 1], ANCHOR, "*", color="black", markersize=12, label="Mini et al. 2023 (.81 → .03)")
            ax.set_title(f"trained with cheese_region={region}: {label}", fontsize=10)
            ax.set_xlabel(f"coefficient (vector subtracted at {LAYER})")
            ax.set_ylim(0, 1)
        axes[0, column].set_ylabel("heads to the cheese (exact share)")
        axes[1, column].set_ylabel("heads to the cheese (exact share)")
    axes[0, 0].legend(fontsize=8, loc="upper right")
    seeds = ", ".join(map(str, budget["seeds"]))
    fig.suptitle(f"The cheese vector on MazeCheese-Test-v0 (DQN, {budget['steps']:,} steps, seeds {seeds}: "
                 f"mean and range)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    args = arguments(__doc__, "cheese_vector", argv if argv is not None else sys.argv[1:])
    budget = plan(args.quick)
    rows = measure(budget)
    (args.out / "cheese_vector.json").write_text(json.dumps({"layer": LAYER, "anchor": ANCHOR, **budget,
                                                             "rows": rows}, indent=1))
    draw(rows, budget, args.out / "cheese_vector.png")
    print(f"\nwrote {args.out / 'cheese_vector.json'} and {args.out / 'cheese_vector.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
