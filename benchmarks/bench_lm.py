"""Pretraining the full-stop language model: its time, and its gap to the language's exact entropy.

    python benchmarks/bench_lm.py [--steps N] [--seed S] [--updates N]

Trains the reference from scratch (the cache is not read), one torch thread, and prints
the held-out loss beside the language's exact conditional entropy on the same text, overall
and right after the prompt (where RL looks first), then times a few RLOO updates.
Done-when of issue 17: the gap is under 0.1 nats per token.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's specgame, not an installed one


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--steps", type=int, default=None, help="pretraining updates (default: the reference's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--updates", type=int, default=20, help="RLOO updates to time (default %(default)s)")
    args = parser.parse_args(argv)

    from specgame.lm.grammar import language
    from specgame.lm.pretrain import PretrainConfig, pretrain
    from specgame.lm.rloo import RLConfig, tune

    config = PretrainConfig(seed=args.seed)
    if args.steps is not None:
        config = replace(config, steps=args.steps)
    lang = language(config.grammar)
    print(f"language: {lang.n_words} words, {len(lang.state_names)} states, entropy rate "
          f"{lang.entropy_rate():.4f} nats/token")
    cpu = time.process_time()
    model, record = pretrain(config)
    cpu = time.process_time() - cpu
    print(f"pretraining: {config.steps} updates x {config.batch} sequences of {config.context} tokens, "
          f"{record['train_seconds']:.1f} s wall, {cpu:.1f} s CPU")
    print(f"held-out loss {record['heldout_loss']:.4f} vs exact conditional entropy {record['heldout_entropy']:.4f}: "
          f"gap {record['gap']:.4f} nats/token")
    print(f"right after the prompt: loss {record['after_prompt_loss']:.4f} vs {record['after_prompt_entropy']:.4f}: "
          f"gap {record['after_prompt_gap']:.4f} nats/token")
    rl = RLConfig(updates=args.updates, eval_every=0, eval_samples=8, seed=args.seed)
    cpu = time.process_time()
    result = tune(model, lang, rl)
    cpu = time.process_time() - cpu
    print(f"RLOO: {args.updates} updates of {rl.prompts}x{rl.k} completions of {rl.length} words, "
          f"{result.seconds / args.updates * 1000:.0f} ms wall and {cpu / args.updates * 1000:.0f} ms CPU per update "
          "(two evaluations included)")
    return 0 if record["gap"] < 0.1 else 1


if __name__ == "__main__":
    sys.exit(main())
