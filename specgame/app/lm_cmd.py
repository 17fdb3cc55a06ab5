"""``specgame lm demo | pretrain | tune | sample``: the full-stop language model from the command line.

``add_parser(subparsers)`` adds the ``lm`` command to the ``specgame`` parser (it sets
``run``); ``run(args)`` returns the exit status (2 for a user mistake, printed as one line).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from specgame._files import atomic_write_text


def add_parser(subparsers) -> argparse.ArgumentParser:
    lm = subparsers.add_parser("lm", help="a small language model that games a full-stop reward (needs torch)")
    sub = lm.add_subparsers(dest="lm_command", required=True, metavar="LM_COMMAND")

    def common(p):
        p.add_argument("--seed", type=int, default=0, help="seed of pretraining, sampling and tuning (default 0)")
        p.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"),
                       help="where the model runs; auto takes a GPU when present (default cpu)")

    demo = sub.add_parser("demo", help="pretrain (or load), tune on full stops, print and draw what changed")
    demo.add_argument("--quick", action="store_true",
                      help="the small demonstration (minutes, not a quarter hour); SPECGAME_QUICK=1 does the same")
    demo.add_argument("--out", default="runs/lm-demo", help="folder for lm.json, progress.csv and the figures")
    demo.add_argument("--jobs", type=int, default=3,
                      help="KL coefficients tuned at once, one process and one thread each; three share two cores "
                           "well (default %(default)s)")
    common(demo)

    def reference_options(p):
        p.add_argument("--steps", type=int, default=None, help="the reference's pretraining updates (default 600)")

    pretrain = sub.add_parser("pretrain", help="pretrain the reference model (cached) and print its held-out gap")
    reference_options(pretrain)
    pretrain.add_argument("--retrain", action="store_true", help="train even when the cache has the model")
    pretrain.add_argument("--out", default=None, help="also save the model to this file (.pt)")
    common(pretrain)

    tune = sub.add_parser("tune", help="fine-tune the reference with RLOO on the full-stop reward")
    tune.add_argument("--beta", type=float, default=0.05, help="KL coefficient (default %(default)s)")
    tune.add_argument("--updates", type=int, default=150, help="optimiser updates (default %(default)s)")
    tune.add_argument("--lr", type=float, default=1e-4, help="learning rate (default %(default)s)")
    tune.add_argument("--out", default="runs/lm-tune", help="folder for policy.pt, progress.csv and curve.json")
    reference_options(tune)
    common(tune)

    sample = sub.add_parser("sample", help="complete a prompt with the reference or a tuned model")
    sample.add_argument("--model", default=None, help="a tuned model's policy.pt (default: the reference)")
    sample.add_argument("--prompt", default=None, help="the prompt (default: the most important event …)")
    sample.add_argument("-n", type=int, default=4, help="completions (default %(default)s)")
    sample.add_argument("--length", type=int, default=20, help="words per completion (default %(default)s)")
    reference_options(sample)
    common(sample)

    lm.set_defaults(run=run)
    return lm


def run(args) -> int:
    try:
        import torch  # noqa: F401
    except ImportError:
        print('specgame: error: the lm command needs torch: pip install "specgame[dqn]"', file=sys.stderr)
        return 2
    commands = {"demo": _demo, "pretrain": _pretrain, "tune": _tune, "sample": _sample}
    try:
        commands[args.lm_command](args)
    except ValueError as err:
        print(f"specgame: error: {err}", file=sys.stderr)
        return 2
    return 0


def _pretrain_config(args):
    from specgame.lm.pretrain import PretrainConfig

    config = PretrainConfig(seed=args.seed)
    return config if getattr(args, "steps", None) is None else replace(config, steps=args.steps)


def _pretraining_progress(config):
    return lambda step, loss: print(f"pretraining update {step:>4}/{config.steps}: loss {loss:.3f} nats/token",
                                    flush=True)


def _demo(args) -> None:
    from specgame._settings import budget
    from specgame.lm.demo import FULL, QUICK, run_demo, with_seed

    config = with_seed(QUICK if args.quick else budget(FULL, QUICK), args.seed)
    run_demo(config, out=args.out, device=args.device, jobs=args.jobs, say=lambda line: print(line, flush=True))
    print(f"wrote {Path(args.out) / 'lm.json'}, progress.csv, goodhart.png, frontier.png")


def _pretrain(args) -> None:
    from specgame.lm.model import save_model
    from specgame.lm.pretrain import cache_path, reference

    config = _pretrain_config(args)
    model, record = reference(config, args.device, retrain=args.retrain, on_progress=_pretraining_progress(config))
    print("loaded from the cache" if record["cached"] else f"pretrained in {record['train_seconds']:.1f} s", end="")
    print(f" ({cache_path(config) or 'no disk cache'})")
    print(f"held-out loss {record['heldout_loss']:.4f} nats/token; the language's exact conditional entropy on "
          f"the same text {record['heldout_entropy']:.4f} (gap {record['gap']:.4f}); entropy rate of the stream "
          f"{record['entropy_rate']:.4f}")
    print(f"right after the prompt: loss {record['after_prompt_loss']:.4f}, "
          f"entropy {record['after_prompt_entropy']:.4f} (gap {record['after_prompt_gap']:.4f})")
    if args.out:
        save_model(model, {"format": "specgame.lm.reference", "record": record}, args.out)
        print(f"saved {args.out}")


def _tune(args) -> None:
    from specgame.lm.demo import write_log
    from specgame.lm.grammar import language
    from specgame.lm.model import save_model
    from specgame.lm.pretrain import reference
    from specgame.lm.rloo import RLConfig, tune

    config = _pretrain_config(args)
    model, _ = reference(config, args.device, on_progress=_pretraining_progress(config))
    rl = RLConfig(beta=args.beta, updates=args.updates, lr=args.lr, seed=args.seed)
    result = tune(model, language(config.grammar), rl, on_eval=lambda row: print(
        f"update {row['step']:>4}: objective/kl {row['kl']:.3f}  proxy {row['proxy']:.2f}  gold {row['gold']:+.3f}  "
        f"rlhf_reward {row['rlhf_reward']:.3f}", flush=True))
    out = Path(args.out)
    save_model(result.policy, {"format": "specgame.lm.policy", "rl": _plain(rl),
                               "pretrain": _plain(config)}, out / "policy.pt")
    write_log(result.log, out / "progress.csv")
    atomic_write_text(out / "curve.json", json.dumps(result.curve, indent=2))
    print(f"wrote {out / 'policy.pt'}, progress.csv, curve.json")


def _plain(config) -> dict:
    from dataclasses import asdict

    return asdict(config)


def _sample(args) -> None:
    from specgame.lm import objective
    from specgame.lm.demo import PROMPT, completions
    from specgame.lm.grammar import language
    from specgame.lm.model import load_model
    from specgame.lm.pretrain import reference

    lang = language("english")
    prompt = lang.encode(args.prompt or PROMPT)
    state = lang.walk(prompt)[1]
    if state < 0:
        raise ValueError(f"prompt must be a text the language can start a document with, got {args.prompt!r}")
    if args.model:
        model, _ = load_model(args.model, args.device)
    else:
        config = _pretrain_config(args)
        model, _ = reference(config, args.device, on_progress=_pretraining_progress(config))
    texts = completions(model, lang, prompt, args.n, args.length, args.seed)
    for tokens in texts:
        print(f"{lang.decode(prompt)} … {lang.decode(tokens)}")
        print(f"    proxy {objective.proxy(lang, tokens):.0f}  gold {objective.gold(lang, [tokens], state)[0]:+.3f}")
