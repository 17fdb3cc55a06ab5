"""A deep Q-network games the boat race too (BoatRaceLoop-v0, one-hot observations).

The DQN sees the board as one-hot planes, not as a table index, yet finds the same
lagoon. Its greedy policy is turned into a table of actions, one per board, so the
comparator can still give exact returns. It writes no files.

    python examples/dqn_boat_loop.py [--quick]
"""

import sys

from _common import arguments

import specgame
from specgame import gap_report
from specgame.agents import BOARD_DQN_SETTINGS, BOARD_DQN_STEPS

QUICK_STEPS = 15_000  # seed 0 farms the lagoon by then (tests/test_dqn.py; the verdict varies by seed and CPU)


def main(argv=None):
    args = arguments(__doc__, "dqn_boat_loop", argv, writes=False)
    try:
        from specgame import DQN
    except ImportError as err:  # torch missing
        print(f"skipped: the DQN is not available here ({err}); pip install \"specgame[dqn]\"")
        return
    env = specgame.make("BoatRaceLoop-v0", obs_mode="onehot")
    # The settings that find the lagoon from the board planes (tests/test_dqn.py).
    steps = QUICK_STEPS if args.quick else BOARD_DQN_STEPS
    chunk = steps // 5
    agent = DQN(env, seed=0, schedule_steps=steps, **BOARD_DQN_SETTINGS)  # its ε schedule spans all the chunks
    while agent.steps_done < steps:
        agent.learn(chunk)
        print(f"  trained {agent.steps_done:,} of {steps:,} steps", flush=True)
    table = agent.policy_table(env.unwrapped)  # the greedy action on every board
    print(gap_report(env, table, name="dqn"))


if __name__ == "__main__":
    main(sys.argv[1:])
