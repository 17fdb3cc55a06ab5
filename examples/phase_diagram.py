"""When does the boat game? A phase diagram over respawn_mean × γ (BoatRaceLoop-v0).

For every pair of (how slowly lagoon targets come back, the discount γ) the exact solver
finds the best policy for the discounted proxy reward, and the comparator scores what
that policy does for the intended objective (undiscounted). Slow targets make racing
pay; heavy discounting makes the nearby lagoon look better again.

    python examples/phase_diagram.py [--quick]
"""

import sys

import numpy as np
from _common import arguments

from specgame import grid
from specgame.analysis.compare import gap_report
from specgame.envs import boat_race_loop
from specgame.solve import solve
from specgame.views.plot import phase_diagram


def main(argv=None):
    args = arguments(__doc__, "phase_diagram", argv)
    respawn_means = [8.0, 24.0] if args.quick else [4.0, 8.0, 12.0, 14.0, 16.0, 20.0, 24.0]
    gammas = [0.9, 0.99, 1.0] if args.quick else [0.8, 0.9, 0.95, 0.98, 0.99, 1.0]
    scores = np.empty((len(gammas), len(respawn_means)))
    for j, respawn_mean in enumerate(respawn_means):
        mdp = grid.compile(boat_race_loop, respawn_mean=respawn_mean)  # cached on disk after the first time
        for i, gamma in enumerate(gammas):
            best_for_proxy = solve(mdp, "proxy", gamma=gamma)
            scores[i, j] = gap_report(mdp, best_for_proxy).intended_score  # judged undiscounted
    print("intended score of the proxy-optimal boat (0 = random, 1 = the racer), by discount γ (rows)\n"
          "and respawn_mean (columns: steps a lagoon target takes to come back)")
    print(f"{'γ / respawn_mean':>17} |" + "".join(f"{m:>6g} st" for m in respawn_means))
    print("-" * 18 + "+" + "-" * (9 * len(respawn_means)))
    for gamma, row in zip(gammas, scores):
        print(f"{gamma:>17g} |" + "".join(f"{v + 0.0 if abs(v) >= 5e-3 else 0.0:9.2f}" for v in row))
    figure = phase_diagram(scores, respawn_means, gammas, x_label="respawn_mean (steps for a lagoon target to return)",
                           y_label="discount γ", colour_label="intended score (1 = the racer)", vmin=0, vmax=1,
                           title="BoatRaceLoop: intended score of the proxy-optimal boat")
    figure.savefig(args.out / "phase_diagram.png", dpi=90)
    print(f"wrote {args.out}/phase_diagram.png")


if __name__ == "__main__":
    main(sys.argv[1:])
