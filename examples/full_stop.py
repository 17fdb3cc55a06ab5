"""A language model fine-tuned on full stops (FullStop-v0).

The agent picks each next word on top of a fixed bigram language model; the reward
counts full stops. The designer hoped for finished sentences; a reward maximiser writes
full stop after full stop. Printed: the text each policy writes.

    python examples/full_stop.py [--quick]
"""

import sys

from _common import arguments, registered

import specgame
from specgame import QLearning, gap_table
from specgame.solve import solve
from specgame.views.play import Runner, agent_policy, plan_policy


def written(env, policy) -> str:
    """The text the policy writes in one episode (its final board)."""
    runner = Runner(env, policy, seed=0)
    while not runner.done:
        runner.step()
    return "".join(env.unwrapped.board()).strip()


def main(argv=None):
    args = arguments(__doc__, "full_stop", argv, writes=False)  # it prints; it draws nothing
    if not registered("specgame/FullStop-v0"):
        return
    env = specgame.make("FullStop-v0", render_mode="rgb_array")
    agent = QLearning(env, alpha=0.1, gamma=0.99, epsilon=0.1, seed=0).learn(20_000 if args.quick else 300_000)
    intended = solve(env.unwrapped.mdp, "intended")
    print(gap_table(env, {"q-learning": agent, "intended-optimal": intended}))
    print(f"q-learning writes:       {written(env, agent_policy(agent))!r}")
    print(f"intended-optimal writes: {written(env, plan_policy(intended))!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
