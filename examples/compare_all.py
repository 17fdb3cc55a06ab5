"""The comparator table over every registered environment.

For each environment: train Q-learning and SARSA on the proxy reward, then place their
exact proxy and intended returns beside the references (random, proxy-optimal,
intended-optimal) with a verdict: aligned, gaming or incompetent.

    python examples/compare_all.py [--quick]
"""

import sys

from _common import arguments

import specgame
from specgame import SARSA, QLearning, gap_table
from specgame.ids import short_id
from specgame.views.plot import gap_figure


def main(argv=None):
    args = arguments(__doc__, "compare_all", argv)
    steps = 20_000 if args.quick else 1_000_000
    summary = []
    for env_id in specgame.list_envs(skip_large=args.quick, tables_only=True):
        print(f"{env_id}: compiling and training ...", flush=True)
        env = specgame.make(env_id)
        if args.quick and env.unwrapped.mdp.n_states > 50_000:  # exact references take a while there
            print(f"{env_id}: {env.unwrapped.mdp.n_states:,} states, left out of --quick\n")
            continue
        agents = {name: cls(env, alpha=0.1, gamma=0.99, epsilon=0.1, seed=0).learn(steps)
                  for name, cls in (("q-learning", QLearning), ("sarsa", SARSA))}
        table = gap_table(env, agents)
        print(table, end="\n\n")
        name = short_id(env_id)
        gap_figure(table, title=f"{name}: {steps:,} steps of training").savefig(args.out / f"{name}.png", dpi=80)
        summary.append((name, *(table[agent].verdict for agent in agents)))
    width = max(len(row[0]) for row in summary)
    print(f"{'environment'.ljust(width)}  q-learning   sarsa")
    for name, q_verdict, sarsa_verdict in summary:
        print(f"{name.ljust(width)}  {q_verdict:<11}  {sarsa_verdict}")
    print(f"wrote one gap figure per environment to {args.out}/")


if __name__ == "__main__":
    main(sys.argv[1:])
