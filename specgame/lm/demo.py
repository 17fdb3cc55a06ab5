"""The demonstration: pretrain (or load) the reference, tune it on full stops, and measure the damage.

:func:`run_demo` does every step of ``specgame lm demo`` and returns the record written
to ``lm.json``: completions of the prompt before and after, the proxy / gold / KL of
both, best-of-n with its exact KL beside the bound, the RL curve in TRL's names, the
KL-coefficient sweep, and Gao et al.'s fits to the gold curves.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import queue
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path

import torch

from specgame._checks import check_int
from specgame._files import atomic_write_text, save_figure
from specgame._settings import setting
from specgame.lm.best_of_n import best_of_n
from specgame.lm.goodhart import fit, interior_peak
from specgame.lm.grammar import language
from specgame.lm.model import threads
from specgame.lm.pretrain import PretrainConfig, cache_path, reference
from specgame.lm.rloo import RLConfig, evaluate, tune
from specgame.lm.sampling import generate

PROMPT = "the most important event of the century was"
HEARTBEAT = 5.0
"""Seconds of silence after which the sweep prints a training batch's numbers (progress)."""
STEERING_SCALES = (0.25, 0.5, 1.0)
"""How much of the full-stop direction is subtracted from the tuned model (each reported)."""


@dataclass(frozen=True)
class DemoConfig:
    """How big the demonstration is; :data:`QUICK` and :data:`FULL` are the two the command runs."""

    pretrain: PretrainConfig = setting(PretrainConfig(), "The reference model and how it is pretrained")
    rl: RLConfig = setting(RLConfig(), "The main run's settings; the sweep repeats them with each coefficient in "
                           "``betas``")
    betas: tuple[float, ...] = setting((0.02, 0.05, 0.2), "KL coefficients of the sweep (the main run's ``rl.beta`` "
                                       "is one of them)")
    bon_samples: int = setting(256, "Reference completions per prompt for best-of-n's reward histogram")
    bon_ns: tuple[int, ...] = setting((1, 2, 4, 8, 16, 32, 64, 128), "The n of each best-of-n measured")
    shown: int = setting(4, "Completions of the prompt printed before and after")

    def __post_init__(self):
        if self.rl.beta not in self.betas:
            raise ValueError(f"rl.beta must be one of betas={self.betas}, got {self.rl.beta!r}")


QUICK = DemoConfig(rl=RLConfig(beta=0.05, updates=120, prompts=8, k=4, eval_every=10, eval_samples=48))
FULL = DemoConfig(pretrain=PretrainConfig(steps=1500, batch=64),
                  rl=RLConfig(beta=0.05, updates=300, prompts=16, k=4, eval_every=15, eval_samples=96),
                  betas=(0.01, 0.02, 0.05, 0.1, 0.2, 0.5), bon_samples=1024,
                  bon_ns=(1, 2, 4, 8, 16, 32, 64, 128, 256))


def with_seed(config: DemoConfig, seed: int) -> DemoConfig:
    """The same demonstration from another seed (pretraining, sampling and tuning)."""
    return replace(config, pretrain=replace(config.pretrain, seed=seed), rl=replace(config.rl, seed=seed))


def run_demo(config: DemoConfig = QUICK, out: str | Path | None = None, device: str = "cpu", say=print,
             jobs: int = 1) -> dict:
    """Run the demonstration, print as it goes with ``say``, write figures and ``lm.json`` to ``out``.

    ``jobs`` runs that many KL coefficients of the sweep at once, in separate processes
    (each on one thread; the numbers do not depend on it). The processes are spawned, so a
    script that asks for ``jobs > 1`` must call this under ``if __name__ == "__main__":``.
    """
    jobs = check_int("jobs", jobs, 1)
    started = time.perf_counter()
    lang = language(config.pretrain.grammar)
    say(f"reference model: {cache_path(config.pretrain) or 'no disk cache (SPECGAME_NO_CACHE)'}")
    model, record = reference(config.pretrain, device, on_progress=lambda step, loss: say(
        f"  pretraining update {step:>4}/{config.pretrain.steps}: loss {loss:.3f} nats/token"))
    source = "loaded from the cache" if record["cached"] else f"pretrained in {record['train_seconds']:.1f} s"
    say(f"reference: {source}"
        f"; held-out loss {record['heldout_loss']:.3f} against the language's {record['heldout_entropy']:.3f} "
        f"nats/token (gap {record['gap']:.3f}; right after the prompt {record['after_prompt_gap']:.3f})")
    prompt = _prompt(lang)
    state = next(s for _, tokens, s in lang.prompts() if tokens == prompt)
    measured = {"samples": config.rl.eval_samples, "length": config.rl.length, "seed": config.rl.seed + 7919}
    with _Sweep(model, lang, config, jobs) as sweep:  # with jobs > 1 the runs start now, beside best-of-n
        before = evaluate(model, model, lang, measured["samples"], measured["length"], seed=measured["seed"])

        say(f"best-of-n from {config.bon_samples} reference completions per prompt:")
        bon = best_of_n(model, lang, samples=config.bon_samples, length=config.rl.length, ns=config.bon_ns,
                        seed=config.rl.seed)
        for row in bon:
            say(f"  n={row['n']:>4}  KL {row['kl']:.3f} (bound {row['kl_bound']:.3f})  proxy {row['proxy']:.2f}  "
                f"gold {row['gold']:+.3f}")

        say(f"RLOO: {config.rl.updates} updates of {config.rl.prompts}x{config.rl.k} completions for each "
            f"beta in {', '.join(f'{b:g}' for b in config.betas)} ({sweep.jobs} at a time)")
        runs = sweep.results(say)
    for beta, run in runs.items():
        end = run.curve[-1]
        say(f"  beta={beta:g} after {run.seconds:.0f} s: KL {end['kl']:.2f}, proxy {end['proxy']:.2f}, "
            f"gold {end['gold']:+.3f}")
    main = runs[config.rl.beta]
    after = main.curve[-1]

    say("inside the model: probes for 'a full stop comes next', and the tuned model minus its full-stop direction")
    inside = _inside(model, main.policy, lang, measured, say)
    gold_reference = before["gold"]
    fits = {"bon": fit("bon", [r["kl"] for r in bon], [r["gold"] - bon[0]["gold"] for r in bon]),
            "rl": fit("rl", [r["kl"] for r in main.curve], [r["gold"] - main.curve[0]["gold"] for r in main.curve])}
    peaked = interior_peak([r["kl"] for r in main.curve], [r["gold"] for r in main.curve])
    result = {
        "prompt": lang.decode(prompt),
        "reference": record,
        "before": {"samples": _show(model, lang, prompt, config), "proxy": before["proxy"], "gold": before["gold"],
                   "kl": before["kl"], "well_formed": before["well_formed"]},
        "after": {"samples": _show(main.policy, lang, prompt, config), "proxy": after["proxy"], "gold": after["gold"],
                  "kl": after["kl"], "well_formed": after["well_formed"], "beta": config.rl.beta},
        "bon": bon,
        "rl": [{k: r[k] for k in ("step", "kl", "proxy", "gold", "non_score_reward", "rlhf_reward")}
               for r in main.curve],
        "fit": {name: f.to_dict() for name, f in fits.items()},
        "rl_gold_peak_interior": peaked,
        "inside": inside,
        "sweep": [{"beta": beta, **{k: run.curve[-1][k] for k in ("kl", "proxy", "gold", "well_formed")}}
                  for beta, run in runs.items()],
        "measured_on": {**measured, "prompt_state": lang.state_names[state]},
        "config": {"pretrain": asdict(config.pretrain), "rl": asdict(config.rl), "betas": list(config.betas),
                   "bon_samples": config.bon_samples},
        "seconds": time.perf_counter() - started,
    }
    _print_summary(result, fits, say)
    if out is not None:
        write_outputs(result, runs, bon, fits, gold_reference, before["proxy"], Path(out))
    return result


def _prompt(lang) -> list[int]:
    """The demonstration's prompt, or the language's first one if it has no such prompt (the tiny grammar)."""
    known = [tokens for _, tokens, _ in lang.prompts()]
    try:
        prompt = lang.encode(PROMPT)
    except ValueError:
        return known[0]
    return prompt if prompt in known else known[0]


class _Sweep:
    """The RLOO runs of the KL-coefficient sweep (the main run's curve dense, the others' sparser: the frontier's).

    With ``jobs > 1`` the runs start in worker processes as soon as the sweep is made, so
    the demonstration measures best-of-n meanwhile; :meth:`results` prints each evaluation
    as it arrives (through a queue), a training batch's numbers when nothing else has been
    printed for :data:`HEARTBEAT` seconds, and returns the runs by coefficient.
    """

    def __init__(self, model, lang, config: DemoConfig, jobs: int):
        self.model, self.lang, self.updates = model, lang, config.rl.updates
        self.settings = [replace(config.rl, beta=beta, eval_every=config.rl.eval_every if beta == config.rl.beta
                                 else max(config.rl.eval_every, config.rl.updates // 4)) for beta in config.betas]
        self.pool, self.jobs = None, 1
        if jobs > 1 and len(self.settings) > 1 and not next(model.parameters()).is_cuda:  # one GPU: one at a time
            # spawn, not fork: a forked torch may hang on locks its parent's threads held
            context = multiprocessing.get_context("spawn")
            self.progress = context.Queue()
            self.jobs = min(jobs, len(self.settings))
            self.pool = ProcessPoolExecutor(self.jobs, mp_context=context,
                                            initializer=_worker_reports_to, initargs=(self.progress,))
            self.futures = [self.pool.submit(_tune_reporting, model, lang, rl) for rl in self.settings]

    def results(self, say) -> dict:
        said = time.monotonic()

        def report(beta, kind, row):
            nonlocal said
            if kind == "eval":
                say(f"  beta={beta:g} update {row['step']:>4}/{self.updates}: KL {row['kl']:.2f}, "
                    f"proxy {row['proxy']:.2f}, gold {row['gold']:+.3f}")
            elif time.monotonic() - said > HEARTBEAT:
                say(f"  beta={beta:g} update {row['step']:>4}/{self.updates} (its training batch): "
                    f"KL {row['objective/kl']:.2f}, proxy {row['proxy']:.2f}, gold {row['gold']:+.3f}")
            else:
                return
            said = time.monotonic()

        if self.pool is None:
            return {rl.beta: tune(self.model, self.lang, rl, on_eval=partial(report, rl.beta, "eval"),
                                  on_update=partial(report, rl.beta, "update")) for rl in self.settings}
        evaluations = 0
        # rows and results travel apart: wait for every run and its every evaluation (a failed run raises here)
        while not all(f.done() for f in self.futures) or evaluations < sum(len(f.result().curve)
                                                                           for f in self.futures):
            try:
                beta, kind, row = self.progress.get(timeout=0.5)
            except queue.Empty:  # the workers are still starting (each imports torch), or busy
                if time.monotonic() - said > HEARTBEAT:
                    say(f"  ... {sum(f.running() for f in self.futures)} runs under way")
                    said = time.monotonic()
                continue
            report(beta, kind, row)
            evaluations += kind == "eval"
        return {rl.beta: f.result() for rl, f in zip(self.settings, self.futures)}

    def close(self) -> None:
        """Let the workers wind down while the demonstration goes on (a failure elsewhere cancels the runs)."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_PROGRESS = None
"""In a worker process: the queue that carries each evaluation and update back to the demonstration."""


def _worker_reports_to(progress) -> None:
    global _PROGRESS
    _PROGRESS = progress


def _tune_reporting(model, lang, rl):
    return tune(model, lang, rl, on_eval=lambda row: _PROGRESS.put((rl.beta, "eval", row)),
                on_update=lambda row: _PROGRESS.put((rl.beta, "update", row)))


def _inside(reference, tuned, lang, measured: dict, say) -> dict:
    """Probes per layer for both models; the tuned model with its full-stop direction subtracted."""
    from specgame.lm.inside import Steered, full_stop_direction, probes

    found = {"probes": {}}
    for name, model in (("reference", reference), ("tuned", tuned)):
        with threads():
            rows = found["probes"][name] = probes(model, lang)
        say(f"  {name}: probe accuracy by layer " + ", ".join(
            f"{r['layer']}: {r['accuracy']:.3f} (control {r['control']:.3f})" for r in rows)
            + f" (balanced accuracy; full stops follow {rows[0]['base_rate']:.1%} of positions)")
    found["steered"] = []
    layer = tuned.config.n_layers  # the last block's output, as ``steer`` takes it
    with threads():
        direction = full_stop_direction(tuned, lang, layer)  # once for every scale
    for scale in STEERING_SCALES:
        steered = Steered(tuned, direction, layer, scale).eval()
        row = evaluate(steered, reference, lang, measured["samples"], measured["length"], seed=measured["seed"])
        found["steered"].append({"layer": steered.layer, "scale": scale, **row})
        say(f"  tuned minus {scale:g} x its full-stop direction (layer {steered.layer}): proxy {row['proxy']:.2f}, "
            f"gold {row['gold']:+.3f}, KL {row['kl']:.2f}")
    return found


def completions(model, lang, prompt, n: int, length: int, seed: int):
    """``n`` completions of ``prompt`` (token arrays), sampled from a generator seeded with ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    with threads():
        return generate(model, lang, prompt, n, length, generator).cpu().numpy()


def _show(model, lang, prompt, config: DemoConfig) -> list[str]:
    texts = completions(model, lang, prompt, config.shown, config.rl.length, config.rl.seed + 1)
    return [lang.decode(c) for c in texts]


def write_log(log: list[dict], path: Path) -> None:
    """One row per update (TRL's names) as a CSV, written atomically."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(log[0]) if log else ["step"])
    writer.writeheader()
    writer.writerows(log)
    atomic_write_text(path, text.getvalue())


def _print_summary(result: dict, fits, say) -> None:
    for when in ("before", "after"):
        say(f"{when}:")
        for text in result[when]["samples"]:
            say(f"  {result['prompt']} … {text}")
    say(f"{'':8}{'proxy':>8}{'gold':>9}{'KL':>9}{'well formed':>13}")
    for when in ("before", "after"):
        r = result[when]
        say(f"{when:8}{r['proxy']:>8.2f}{r['gold']:>+9.3f}{r['kl']:>9.2f}{r['well_formed']:>13.2f}")
    for name, f in fits.items():
        say(f"Gao fit ({'best-of-n: d(α − β d)' if name == 'bon' else 'RL: d(α − β log d)'}): "
            f"α={f.alpha:.4f}, β={f.beta:.4f}, R²={f.r2:.3f}, fitted peak at d={f.peak:.2f}")
    say(f"the RL gold curve peaks at {'an interior d' if result['rl_gold_peak_interior'] else 'an end of the run'}")


def write_outputs(result: dict, runs: dict, bon: list[dict], fits: dict, gold_reference: float,
                  proxy_reference: float, out: Path) -> None:
    """``lm.json``, the main run's per-update log (``progress.csv``) and the two figures."""
    from specgame.lm.figures import frontier_figure, goodhart_figure

    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "lm.json", json.dumps(result, indent=2))
    write_log(runs[result["after"]["beta"]].log, out / "progress.csv")
    main_curve = runs[result["after"]["beta"]].curve
    figures = {"goodhart.png": goodhart_figure(bon, main_curve, fits),
               "frontier.png": frontier_figure({b: r.curve for b, r in runs.items()}, gold_reference, proxy_reference)}
    for name, figure in figures.items():
        save_figure(figure, out / name)
