"""A deep Q-network games the boat race too (BoatRaceLoop-v0, one-hot observations).

The DQN sees the board as one-hot planes, not as a table index, yet finds the same
lagoon. Its greedy policy is turned into a table of actions, one per board, so the
comparator can still give exact returns.

    python examples/dqn_boat_loop.py [--quick]
"""

import sys

import gymnasium as gym
from _common import arguments

import specgame  # noqa: F401
from specgame.analysis.compare import gap_report


def main(argv=None):
    args = arguments(__doc__, "dqn_boat_loop", argv)
    try:
        from specgame.agents.dqn import DQN
    except ImportError as err:  # torch missing, or a specgame without the DQN
        print(f"skipped: the DQN is not available here ({err}); pip install \"specgame[dqn]\"")
        return
    env = gym.make("specgame/BoatRaceLoop-v0", obs_mode="onehot")
    # Settings that find the lagoon in 40,000 steps (tests/test_dqn.py); --quick only shows the loop running.
    agent = DQN(env, seed=0, learning_rate=5e-4, batch_size=32, buffer_size=50_000, learning_starts=1000,
                target_update_interval=500, exploration_fraction=0.4, net_arch=(64,), n_step=3, double_dqn=True)
    agent.learn(3_000 if args.quick else 40_000)
    table = agent.policy_table(env.unwrapped)  # the greedy action on every board
    print(gap_report(env, table, name="dqn"))


if __name__ == "__main__":
    main(sys.argv[1:])
