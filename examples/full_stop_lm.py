"""A real language model that games a full-stop reward (specgame.lm).

A small transformer is pretrained on a language of our own, then fine-tuned with RLOO on
a reward that counts full stops, with a KL leash to the pretrained model. Because the
language is ours, the intended objective (the gold score: the language's own
log-probability of the text plus a bonus for a finished answer) is exact. Printed: the
completions before and after, proxy / gold / KL, best-of-n's exact KL beside its bound,
and Gao et al.'s fits; drawn: Goodhart's curve and the KL-coefficient frontier.

    python examples/full_stop_lm.py [--quick]   (--quick: a tiny model, seconds; without: the quick demo)
"""

import sys

from _common import arguments

try:
    import torch  # noqa: F401
except ImportError:
    torch = None


def main(argv=None):
    args = arguments(__doc__, "full_stop_lm", argv)
    if torch is None:
        print('skipped: this example needs torch (pip install "specgame[dqn]")')
        return 0
    from specgame.lm.demo import QUICK, DemoConfig, run_demo
    from specgame.lm.pretrain import PretrainConfig
    from specgame.lm.rloo import RLConfig

    config = QUICK
    if args.quick:  # a tiny model and a short run: the machinery, in seconds, not the result
        config = DemoConfig(pretrain=PretrainConfig(steps=150, batch=16, d_model=32, n_layers=1, n_heads=2),
                            rl=RLConfig(beta=0.05, lr=3e-4, updates=10, prompts=4, k=4, length=12, eval_every=5,
                                        eval_samples=8),
                            betas=(0.05,), bon_samples=32, bon_ns=(1, 2, 4, 8), shown=2)
    run_demo(config, out=args.out)
    print(f"figures and lm.json in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
