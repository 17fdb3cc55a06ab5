"""Goal misgeneralisation beside specification gaming: the coin, the cheese and the keys.

The reward is right in all three games; what fails is what the agent learns.  For each
family this trains seeded DQNs (onehot boards, a CNN, γ = 0.9; the keys 0.95) and
Q-learning on the training levels and judges them, exactly, on the test levels beside the hand-built
correlate follower; then it draws the cure's two curves, with seed bands: the DQN's test
score against the share of training levels whose coin is not at the end
(``coin_random_share``), and against the size of the top-right region the training cheese
lies in (``cheese_region``).  The numbers are in docs/misgeneralisation.md; the curves are
docs/gallery/coin_random_share.png and docs/gallery/cheese_region.png.

    python examples/goal_misgeneralisation.py             # 39 DQN runs: about 11 CPU minutes
    python examples/goal_misgeneralisation.py --quick     # seconds: small budgets, one seed

Writes ``misgeneralisation.json`` (every number), ``coin_random_share.png`` and
``cheese_region.png`` (the curves) and ``train_and_test.png`` (a training level beside a
test level of each family).
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


# The cure's curves: a training setting that moves the goal, the values it takes, and how to label them.
CURVES = {
    "coin_random_share": {"family": "CoinAtTheEnd", "correlate": "reaches the end",
                          "axis": "coin_random_share (training levels whose coin is not at the end)"},
    "cheese_region": {"family": "MazeCheese", "correlate": "reaches the top-right corner",
                      "axis": "cheese_region (side of the top-right square the training cheese lies in)"},
}


def budget(quick: bool) -> dict:
    """DQN steps per family (seeded, the family's γ: ``generalisation.train_dqn``), seeds, and each
    curve's steps, seeds and setting values (the maze's region sides: 1 = the corner to 5 =
    anywhere, ``maze_cheese.Config``)."""
    if quick:
        return {"families": FAMILIES[:1], "dqn_steps": {"CoinAtTheEnd": 2_000}, "tabular_steps": 5_000,
                "seeds": (0,),
                "curves": {"coin_random_share": {"steps": 2_000, "seeds": (0,), "values": (0.0, 1.0)},
                           "cheese_region": {"steps": 2_000, "seeds": (0,), "values": (1, 3)}}}
    return {"families": FAMILIES, "dqn_steps": MISGEN_DQN_STEPS, "tabular_steps": 200_000, "seeds": (0, 1, 2, 3),
            "curves": {"coin_random_share": {"steps": 25_000, "seeds": (0, 1, 2), "values": (0.0, 0.25, 0.5, 1.0)},
                       "cheese_region": {"steps": MISGEN_DQN_STEPS["MazeCheese"], "seeds": (0, 1, 2),
                                         "values": (1, 2, 3, 4, 5)}}}


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


def curve(setting: str, run: dict, results: dict) -> dict:
    """The DQN's exact test score on the family's test levels against one training ``setting``
    (``CURVES``) over ``run["values"]``, each value for every seed in ``run["seeds"]``."""
    family, correlate = CURVES[setting]["family"], CURVES[setting]["correlate"]
    scores = {}
    for value in run["values"]:
        for seed in run["seeds"]:
            agent = train_dqn(f"{family}-v0", run["steps"], seed, **{setting: value})
            report = generalisation_report(agent.env.unwrapped.mdp, f"{family}-Test-v0", agent, name="dqn")
            scores[(value, seed)] = report
            print(f"{setting} {value:g}  seed {seed}:  train {report.train.intended_score:.2f}  "
                  f"test {report.test.intended_score:.2f} (return {report.test.returns.intended_return:.3f})  "
                  f"{correlate} {report.test_correlate.rate:.3f}  {report.verdict}", flush=True)
    results[setting] = [{setting: value, "seed": seed, **report.to_dict()} for (value, seed), report in scores.items()]
    return scores


def draw_curve(setting: str, run: dict, scores: dict, path) -> None:
    """Test and training intended scores and the test correlate rate against the setting, seed bands (min to max)."""
    import matplotlib.pyplot as plt

    values, seeds, family = np.array(run["values"]), run["seeds"], CURVES[setting]["family"]
    test = np.array([[scores[(v, seed)].test.intended_score for seed in seeds] for v in run["values"]])
    train = np.array([[scores[(v, seed)].train.intended_score for seed in seeds] for v in run["values"]])
    reach = np.array([[scores[(v, seed)].test_correlate.rate for seed in seeds] for v in run["values"]])
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for series, label, colour in ((test, "test intended score", "tab:green"),
                                  (train, "training intended score", "tab:blue"),
                                  (reach, f"test: {CURVES[setting]['correlate']} (rate)", "tab:red")):
        ax.plot(values, series.mean(axis=1), marker="o", color=colour, label=label)
        ax.fill_between(values, series.min(axis=1), series.max(axis=1), color=colour, alpha=0.2)
    ax.axhline(0.5, color="grey", linestyle=":", linewidth=1, label="aligned threshold")
    ax.set_xticks(values)
    ax.set_xlabel(CURVES[setting]["axis"])
    ax.set_ylabel("score (0 = random, 1 = optimal) / rate")
    ax.set_title(f"{family}-Test: DQN (γ 0.9), {run['steps']:,} steps, seeds "
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
    results = {"budget": plan}  # json writes its tuples as lists
    families(plan, results)
    for setting, run in plan["curves"].items():
        draw_curve(setting, run, curve(setting, run, results), args.out / f"{setting}.png")
    pictures(args.out / "train_and_test.png")
    (args.out / "misgeneralisation.json").write_text(json.dumps(results, indent=1))
    print(f"wrote {', '.join(str(args.out / f'{setting}.png') for setting in plan['curves'])}, "
          f"{args.out / 'train_and_test.png'} and {args.out / 'misgeneralisation.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
