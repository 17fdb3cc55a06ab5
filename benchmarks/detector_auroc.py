"""How well do the blind detectors spot gaming?  AUROC over labelled agents, every env.

For each registered env: the trusted policy is the intended-optimal plan (a stand-in for
a policy a practitioner has vetted).  The candidates are tabular agents (Q-learning,
SARSA, Expected SARSA) over seeds and training budgets, uniform random, the
proxy-optimal plan, and the optimal plans of blends of the two rewards.  Each candidate
is labelled with the intended reward (GapReport verdict "gaming" or not); the detectors
(action JSD, action Hellinger, occupancy TV) never read it.  Prints the labelled agents,
then AUROC per env and pooled over envs (NaN where an env has only one class).

    python benchmarks/detector_auroc.py            # 3 seeds x 2 budgets
    python benchmarks/detector_auroc.py --quick    # 1 seed x 1 small budget, no tables of millions of states
"""

from __future__ import annotations

import argparse
import sys

import specgame
from specgame.agents import agent_class
from specgame.analysis.compare import gap_table
from specgame.analysis.detect import DETECTORS, auroc, evaluate_detectors
from specgame.analysis.reward_distance import blended_plans
from specgame.envs import resolve_id
from specgame.mdp import to_mdp
from specgame.policy import uniform_policy
from specgame.solve import solve

LEARNERS = ("q-learning", "sarsa", "expected-sarsa")  # the agents judged, each over seeds and budgets


def candidates_for(mdp, seeds, budgets) -> dict:
    policies = {"random": uniform_policy(mdp), "proxy-optimal": solve(mdp, "proxy")}
    for lam, plan in zip((0.25, 0.5, 0.75), blended_plans(mdp, (0.25, 0.5, 0.75))):
        policies[f"blend {lam:g}"] = plan
    for name in LEARNERS:
        for steps in budgets:
            for seed, agent in zip(seeds, agent_class(name).train_seeds(mdp, seeds, steps)):
                policies[f"{name} {steps // 1000}k s{seed}"] = agent
    return policies


def chosen_envs(envs: str | None, quick: bool) -> list[str]:
    """The ``--envs`` ids, or every registered one; --quick leaves out the tables of millions of
    states (each takes minutes and GBs to compile)."""
    return [resolve_id(e) for e in envs.split(",")] if envs else specgame.list_envs(skip_large=quick)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="1 seed, one 30k-step budget, and no env of millions of states")
    parser.add_argument("--envs", help="comma-separated env ids (default: every registered env)")
    args = parser.parse_args(argv)
    seeds, budgets = (range(1), (30_000,)) if args.quick else (range(3), (30_000, 300_000))
    env_ids = chosen_envs(args.envs, args.quick)

    pooled_scores = {name: [] for name in DETECTORS}
    pooled_labels = []
    rows = []
    for number, env_id in enumerate(env_ids, 1):
        print(f"[{number}/{len(env_ids)}] {env_id}: compiling, training the candidates, scoring", flush=True)
        mdp = to_mdp(env_id)
        trusted = solve(mdp, "intended")
        policies = candidates_for(mdp, seeds, budgets)
        verdicts = {r.policy: r.verdict for r in gap_table(mdp, policies, evidence=False)}
        labels = {name: verdict == "gaming" for name, verdict in verdicts.items()}
        result = evaluate_detectors(mdp, trusted, policies, labels)
        print(f"\n{env_id}: trusted = intended-optimal plan; {sum(labels.values())} gaming of {len(labels)}")
        for name in policies:
            scores = "  ".join(f"{d} {result.scores[d][name]:.3f}" for d in DETECTORS)
            print(f"  {name:<26} {verdicts[name]:<12} {scores}")
        rows.append((env_id, sum(labels.values()), len(labels), result.auroc))
        for detector in DETECTORS:
            pooled_scores[detector] += [result.scores[detector][n] for n in policies]
        pooled_labels += [labels[n] for n in policies]

    header = f"\n{'env':<34} {'gaming':>7} " + " ".join(f"{d:>17}" for d in DETECTORS)
    print(header)
    print("-" * len(header.strip()))
    for env_id, positives, total, by_detector in rows:
        print(f"{env_id:<34} {positives:>3}/{total:<3} " + " ".join(f"{by_detector[d]:>17.3f}" for d in DETECTORS))
    pooled = {d: auroc(pooled_scores[d], pooled_labels) for d in DETECTORS}
    print(f"{'pooled over envs':<34} {sum(pooled_labels):>3}/{len(pooled_labels):<3} "
          + " ".join(f"{pooled[d]:>17.3f}" for d in DETECTORS))
    print("AUROC: chance a gaming agent scores above a non-gaming one (0.5 = chance; nan = one class only).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
