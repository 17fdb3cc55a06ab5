"""Goal misgeneralisation beside specification gaming: the coin, the cheese and the keys.

The reward is right in all three games; what fails is what the agent learns.  For each
family this trains seeded DQNs (onehot boards, a CNN, γ = 0.9; the keys 0.95) and
Q-learning on the training levels and judges them, exactly, on the test levels beside the hand-built
correlate follower; then it draws the cure's curve: the DQN's test score against the
share of training levels whose coin is not at the end (``coin_random_share``), with seed
bands.  The numbers are in docs/misgeneralisation.md; the curve is docs/gallery/coin_random_share.png.

    python examples/goal_misgeneralisation.py             # 24 DQN runs: about 9 CPU minutes
    python examples/goal_misgeneralisation.py --quick     # seconds: small budgets, one seed

Writes ``misgeneralisation.json`` (every number), ``coin_random_share.png`` (the curve)
and ``train_and_test.png`` (a training level beside a test level of each family).
"""

import json
import sys

import gymnasium as gym
import imageio.v3 as iio
import numpy as np
from _common import arguments

from specgame import render
from specgame.agents import QLearning
from specgame.analysis.generalisation import (
    MISGEN_DQN_STEPS,
    CorrelateFollower,
    generalisation_report,
    generalisation_table,
    train_dqn,
)

FAMILIES = ("CoinAtTheEnd", "MazeCheese", "KeysAndChests")


def budget(quick: bool) -> dict:
    """DQN steps per family (seeded, the family's γ: ``generalisation.train_dqn``), seeds, and the curve's shares."""
    if quick:
        return {"families": FAMILIES[:1], "dqn_steps": {"CoinAtTheEnd": 2_000}, "tabular_steps": 5_000,
                "seeds": (0,), "curve_steps": 2_000, "curve_seeds": (0,), "shares": (0.0, 1.0)}
    return {"families": FAMILIES, "dqn_steps": MISGEN_DQN_STEPS, "tabular_steps": 200_000, "seeds": (0, 1, 2, 3),
            "curve_steps": 25_000, "curve_seeds": (0, 1, 2),
            "shares": (0.0, 0.25, 0.5, 1.0)}


def families(plan: dict, results: dict) -> None:
    """Each family: the DQN per seed, Q-learning and the correlate follower, train beside test."""
    for family in plan["families"]:
        policies = {"correlate-follower": CorrelateFollower()}
        for seed in plan["seeds"]:
            policies[f"dqn seed {seed}"] = train_dqn(f"{family}-v0", plan["dqn_steps"][family], seed)
        train = policies["dqn seed 0"].env.unwrapped.mdp
        policies["q-learning"] = QLearning(train, seed=0).learn(plan["tabular_steps"])
        table = generalisation_table(train, f"{family}-Test-v0", policies)
        print(table, "\n", flush=True)
        results[family] = {r.policy: r.to_dict() for r in table}


def curve(plan: dict, results: dict) -> dict:
    """The DQN's exact test score on CoinAtTheEnd-Test against the training share of moved coins."""
    scores = {}
    for share in plan["shares"]:
        for seed in plan["curve_seeds"]:
            agent = train_dqn("CoinAtTheEnd-v0", plan["curve_steps"], seed, coin_random_share=share)
            report = generalisation_report(agent.env.unwrapped.mdp, "CoinAtTheEnd-Test-v0", agent, name="dqn")
            scores[(share, seed)] = report
            print(f"coin_random_share {share:.2f}  seed {seed}:  train {report.train.intended_score:.2f}  "
                  f"test {report.test.intended_score:.2f} (return {report.test.returns.intended_return:.3f})  "
                  f"reaches the end {report.test_correlate.rate:.3f}  {report.verdict}", flush=True)
    results["coin_random_share"] = [{"share": share, "seed": seed, **report.to_dict()}
                                    for (share, seed), report in scores.items()]
    return scores


def draw_curve(plan: dict, scores: dict, path) -> None:
    import matplotlib.pyplot as plt

    shares, seeds = np.array(plan["shares"]), plan["curve_seeds"]
    test = np.array([[scores[(s, seed)].test.intended_score for seed in seeds] for s in shares])
    train = np.array([[scores[(s, seed)].train.intended_score for seed in seeds] for s in shares])
    reach = np.array([[scores[(s, seed)].test_correlate.rate for seed in seeds] for s in shares])
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for values, label, colour in ((test, "test intended score", "tab:green"),
                                  (train, "training intended score", "tab:blue"),
                                  (reach, "test: reaches the end (rate)", "tab:red")):
        ax.plot(shares, values.mean(axis=1), marker="o", color=colour, label=label)
        ax.fill_between(shares, values.min(axis=1), values.max(axis=1), color=colour, alpha=0.2)
    ax.axhline(0.5, color="grey", linestyle=":", linewidth=1, label="aligned threshold")
    ax.set_xlabel("coin_random_share (training levels whose coin is not at the end)")
    ax.set_ylabel("score (0 = random, 1 = optimal) / rate")
    ax.set_title(f"CoinAtTheEnd-Test: DQN (γ 0.9), {plan['curve_steps']:,} steps, seeds "
                 f"{', '.join(map(str, seeds))} (band: min to max)", fontsize=9)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def pictures(path) -> None:
    """A training level beside a test level of each family, at the start of an episode."""
    stills = []
    for family in FAMILIES:
        for variant, seed in (("-v0", 0), ("-Test-v0", 3)):
            env = gym.make(f"specgame/{family}{variant}", render_mode="rgb_array", tile_size=16)
            env.reset(seed=seed)
            stills.append(render.caption(env.render(), f"{family}{variant}", scale=1))
    iio.imwrite(path, render.side_by_side(stills), optimize=True)


def main(argv=None) -> int:
    args = arguments(__doc__, "goal_misgeneralisation", argv)
    plan = budget(args.quick)
    results = {"budget": {key: list(value) if isinstance(value, tuple) else value for key, value in plan.items()}}
    families(plan, results)
    scores = curve(plan, results)
    draw_curve(plan, scores, args.out / "coin_random_share.png")
    pictures(args.out / "train_and_test.png")
    (args.out / "misgeneralisation.json").write_text(json.dumps(results, indent=1))
    print(f"wrote {args.out / 'coin_random_share.png'}, {args.out / 'train_and_test.png'} and "
          f"{args.out / 'misgeneralisation.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
