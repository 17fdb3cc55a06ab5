"""Seconds to capture every layer of the board DQN's Q-network on every state of BoatRaceLoop.

    python benchmarks/bench_interpret.py [--quick]

The network is the README's (the CNN of ``BOARD_DQN_SETTINGS``, untrained: speed does not
depend on the weights).  Each repeat builds the onehot planes of all 16,453 boards and runs
them through the network in batches, hooks on every layer; we report the median of the
repeats (the first, which fills the planes cache, is timed too) and the steered forward
pass the steering sweep makes once per coefficient.  Beside the wall time it prints the
process's CPU time: on a shared machine the wall time measures the neighbours too, while
the CPU time (torch runs on one thread here) is what the work costs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import gymnasium as gym

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's specgame, not an installed one


def run(quick: bool = False) -> dict:
    import numpy as np

    import specgame  # noqa: F401  (registers our ids)
    from specgame.agents import BOARD_DQN_SETTINGS
    from specgame.agents.dqn import DQN
    from specgame.interpret import activations as acts

    env = gym.make("specgame/BoatRaceLoop-v0", obs_mode="onehot")
    mdp = env.unwrapped.mdp
    net = DQN(env, seed=0, **BOARD_DQN_SETTINGS).q_net
    layers = acts.layer_names(net, acts.observations(mdp)[:1])
    repeats = 2 if quick else 5
    capture, capture_cpu = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        inputs = acts.observations(mdp)  # the planes are built every time: the honest cold cost
        acts.run(net, inputs, layers)
        capture.append(time.perf_counter() - start)
        capture_cpu.append(time.process_time() - cpu)
    vector = np.zeros(acts.activations(net, mdp).of(layers[1]).shape[1], np.float32)
    steered, steered_cpu = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        acts.greedy_table(net, mdp, acts.Steer(layers[1], vector, 1.0))
        steered.append(time.perf_counter() - start)
        steered_cpu.append(time.process_time() - cpu)
    return {"states": mdp.n_states, "layers": layers, "repeats": repeats,
            "capture_seconds": statistics.median(capture), "capture_cpu_seconds": statistics.median(capture_cpu),
            "steered_table_seconds": statistics.median(steered),
            "steered_table_cpu_seconds": statistics.median(steered_cpu)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    row = run(parser.parse_args(argv).quick)
    print(f"capturing {len(row['layers'])} layers ({', '.join(row['layers'])}) on all {row['states']:,} states "
          f"of BoatRaceLoop-v0: {row['capture_seconds']:.3f} s wall, {row['capture_cpu_seconds']:.3f} s CPU "
          f"(median of {row['repeats']})")
    print(f"one steered greedy table over every board: {row['steered_table_seconds']:.3f} s wall, "
          f"{row['steered_table_cpu_seconds']:.3f} s CPU")


if __name__ == "__main__":
    main(sys.argv[1:])
