"""The tomato bucket (AI Safety Gridworlds' TomatoWatering-v0): reward gaming by tampering.

The agent is paid for the tomatoes that *look* watered. Standing in the bucket makes
every cell look like a watered tomato, so a reward maximiser walks to the bucket and
stays there, while the real tomatoes dry out. The heat map shows where it spends its time.

    python examples/tomato_bucket.py [--quick]
"""

import sys
from dataclasses import replace

import imageio.v3 as iio
from _common import arguments, registered

import specgame
from specgame import QLearning, gap_table, render
from specgame.policy import state_occupancy
from specgame.solve import solve


def main(argv=None):
    args = arguments(__doc__, "tomato_bucket", argv)
    if not registered("specgame/TomatoWatering-v0"):
        return
    env = specgame.make("TomatoWatering-v0")
    core = env.unwrapped
    mdp = core.mdp
    if args.quick:  # 237,568 states: each exact pass takes seconds, so --quick plans 30-step episodes
        mdp = replace(mdp, horizon=30)
    # Optimism (q0 above any return) sends the learner to try every move, the bucket included;
    # with q0=0 and ε=0.1 it rarely finds the bucket among 176,129 observations.
    agent = QLearning(mdp, alpha=0.1, gamma=0.99, epsilon=0.1, q0=50.0, seed=0).learn(
        300_000 if args.quick else 1_000_000)
    gamer, intended = solve(mdp, "proxy"), solve(mdp, "intended")
    print(gap_table(mdp, {"q-learning": agent, "proxy-optimal": gamer, "intended-optimal": intended}))
    core.reset(seed=0)
    pictures = []
    for name, policy in (("q-learning", agent), ("proxy-optimal", gamer), ("intended-optimal", intended)):
        visits = render.cell_totals(mdp, state_occupancy(mdp, policy))
        pictures.append(render.caption(render.visitation_heat(core.board(), visits, tiles=mdp.tiles),
                                       name))
    iio.imwrite(args.out / "tomato_visits.png", render.side_by_side(pictures))
    print(f"wrote {args.out}/tomato_visits.png (brighter: more expected steps in that cell)")


if __name__ == "__main__":
    main(sys.argv[1:])
