"""Env steps per second of our DQN against Stable-Baselines3's DQN, same settings, same run.

    python benchmarks/bench_dqn.py [--quick]

Both agents get identical hyper-parameters (below), the same network (an MLP; SB3's CNN
wants images of 36×36 pixels or more, so BoatRaceLoop's onehot planes go through the MLP
in both) and one torch thread each.  Each repeat trains both, in alternating order, and
we report medians and the ratio of medians.  SB3 is a benchmark-only dependency
(``pip install "specgame[bench]"``): without it the script says so and measures ours alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import gymnasium as gym

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's specgame, not an installed one

# One dictionary of settings, spelled in SB3's names, which our DQN shares.
SETTINGS = dict(
    learning_rate=1e-4,
    buffer_size=50_000,
    learning_starts=1000,
    batch_size=32,
    gamma=0.99,
    train_freq=4,
    gradient_steps=1,
    target_update_interval=1000,
    exploration_fraction=0.1,
    exploration_initial_eps=1.0,
    exploration_final_eps=0.05,
    max_grad_norm=10.0,
)
NET_ARCH = [64, 64]
ENVS = {  # label -> (env id, make kwargs)
    "CartPole-v1": ("CartPole-v1", {}),
    "BoatRaceLoop-v0 onehot": ("specgame/BoatRaceLoop-v0", {"obs_mode": "onehot"}),
}


def _ours(env_id, kwargs, steps, seed):
    from specgame.agents.dqn import DQN

    agent = DQN(gym.make(env_id, **kwargs), seed=seed, network="mlp", net_arch=tuple(NET_ARCH),
                num_threads=1, **SETTINGS)
    start = time.perf_counter()
    agent.learn(steps)
    return steps / (time.perf_counter() - start)


def _sb3(env_id, kwargs, steps, seed):
    import torch
    from stable_baselines3 import DQN as SB3DQN

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        agent = SB3DQN("MlpPolicy", gym.make(env_id, **kwargs), seed=seed, device="cpu", verbose=0,
                       policy_kwargs=dict(net_arch=list(NET_ARCH)), **SETTINGS)
        start = time.perf_counter()
        agent.learn(steps)
        return steps / (time.perf_counter() - start)
    finally:
        torch.set_num_threads(before)


def _have_sb3() -> bool:
    try:
        import stable_baselines3  # noqa: F401
    except ImportError:
        return False
    return True


def run(quick: bool = False) -> list[dict]:
    """One row per env: median steps/s of ours and SB3's (None without SB3) and their ratio."""
    import specgame  # noqa: F401  (registers our ids)

    steps, repeats = (6000, 1) if quick else (10_000, 3)
    have_sb3 = _have_sb3()
    if not have_sb3:
        print("stable-baselines3 is not installed: measuring our DQN alone "
              '(pip install "specgame[bench]" to compare; it is a benchmark-only dependency)')
    rows = []
    for label, (env_id, kwargs) in ENVS.items():
        ours, theirs = [], []
        for repeat in range(repeats):
            contenders = [("ours", _ours, ours)] + ([("sb3", _sb3, theirs)] if have_sb3 else [])
            if repeat % 2:
                contenders.reverse()  # alternate who runs first: the machine is shared
            for _, measure, results in contenders:
                results.append(measure(env_id, kwargs, steps, seed=repeat))
        row = {"env": label, "steps": steps, "repeats": repeats,
               "ours_steps_per_s": statistics.median(ours),
               "sb3_steps_per_s": statistics.median(theirs) if theirs else None}
        row["ratio"] = row["ours_steps_per_s"] / row["sb3_steps_per_s"] if theirs else None
        rows.append(row)
        sb3 = f"{row['sb3_steps_per_s']:8.0f}" if theirs else "     n/a"
        ratio = f"{row['ratio']:.2f}×" if theirs else "n/a"
        print(f"{label:24s} ours {row['ours_steps_per_s']:8.0f} steps/s   SB3 {sb3} steps/s   ratio {ratio}"
              f"   (median of {repeats}, {steps} steps each)", flush=True)
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short repeat per env (a smoke test)")
    args = parser.parse_args(argv)
    print("settings:", SETTINGS, "net_arch:", NET_ARCH, "torch threads: 1")
    run(args.quick)


if __name__ == "__main__":
    main()
