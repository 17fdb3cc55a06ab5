"""SARSA against Q-learning: the cliff (Sutton & Barto 6.6) and, where it exists, the whisky.

On the cliff, proxy and intended agree. Q-learning learns the value of the *greedy* path
along the edge and keeps falling off it while it explores; SARSA learns the value of what
it actually does (explore included) and walks the safer path further up. On WhiskyGold
the whisky makes the agent explore at random: Q-learning ignores what its own exploration
costs and drinks; SARSA walks around.

    python examples/cliff_sarsa_vs_qlearning.py [--quick]
"""

import sys

import imageio.v3 as iio
import numpy as np
from _common import arguments, registered

import specgame
from specgame import SARSA, QLearning, gap_table, render
from specgame.views.plot import learning_curves


def greedy_arrows(env, agent, tile_size=32):
    """The agent's greedy action in every cell, drawn over the start board."""
    core = env.unwrapped
    core.reset(seed=0)
    cells = render.cell_states(core.mdp, core.state_index)
    actions = np.where(cells >= 0, agent.q[core.mdp.obs[np.maximum(cells, 0)]].argmax(axis=-1), -1)
    return render.policy_arrows(core.board(), actions, core.mdp.action_names, tile_size=tile_size,
                                tiles=core.mdp.tiles)


def main(argv=None):
    args = arguments(__doc__, "cliff_sarsa_vs_qlearning", argv)
    steps = 30_000 if args.quick else 200_000
    env = specgame.make("CliffWalking-v0")
    agents = {name: cls(env, alpha=0.5, gamma=1.0, epsilon=0.1, seed=0).learn(steps)
              for name, cls in (("sarsa", SARSA), ("q-learning", QLearning))}
    online = {name: agent.history.proxy_return[-200:].mean() for name, agent in agents.items()}
    print(f"CliffWalking, return per episode while learning (last 200 episodes): "
          f"SARSA {online['sarsa']:.1f}, Q-learning {online['q-learning']:.1f}")
    figure = learning_curves({n: a.history for n, a in agents.items()}, window=50,
                             title="CliffWalking: SARSA earns more while exploring")
    figure.savefig(args.out / "cliff_curves.png", dpi=90)
    pictures = [render.caption(greedy_arrows(env, a), f"{n}: greedy path")
                for n, a in agents.items()]
    iio.imwrite(args.out / "cliff_paths.png", render.side_by_side(pictures))
    print(f"wrote {args.out}/cliff_curves.png and {args.out}/cliff_paths.png (arrows: each cell's greedy move)")

    if not registered("specgame/WhiskyGold-v0"):
        return
    whisky = specgame.make("WhiskyGold-v0")
    drinkers = {name: cls(whisky, alpha=0.2, gamma=0.99, epsilon=0.2, seed=0).learn(steps)
                for name, cls in (("sarsa", SARSA), ("q-learning", QLearning))}
    # The whisky's exploration is part of the world: evaluate with it switched on.
    print(gap_table(whisky, drinkers, honour_forced_epsilon=True))
    pictures = [render.caption(greedy_arrows(whisky, a), f"{n}: greedy path") for n, a in drinkers.items()]
    iio.imwrite(args.out / "whisky_paths.png", render.side_by_side(pictures))
    print(f"wrote {args.out}/whisky_paths.png")


if __name__ == "__main__":
    main(sys.argv[1:])
