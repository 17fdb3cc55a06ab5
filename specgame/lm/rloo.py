"""Policy gradient with a KL leash (RLOO): fine-tuning the reference on the full-stop reward.

Each update draws prompts from the language's prompt distribution, writes ``k``
completions per prompt with the policy, and scores each with

    rlhf_reward = proxy - beta * KL(policy || reference)

where the KL is exact at every position (full softmax) and summed over the completion.
Each completion's baseline is the mean rlhf_reward of the other ``k - 1`` completions of
the same prompt (REINFORCE Leave-One-Out). The loss is the REINFORCE term on that
advantage plus ``beta`` times the KL itself, whose gradient at the visited contexts the
REINFORCE term does not carry.

The log uses TRL's names, so users recognise them: ``objective/kl`` (the KL summed over
tokens), ``non_score_reward`` (= -beta * KL) and ``rlhf_reward`` (= score - beta * KL),
beside ``proxy`` and ``gold``.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch

from specgame._settings import setting, validate
from specgame.lm import objective
from specgame.lm.language import Language
from specgame.lm.model import TransformerLM, seeded, threads
from specgame.lm.sampling import completion_log_probs, generate


@dataclass(frozen=True)
class RLConfig:
    """Settings of one fine-tuning run."""

    beta: float = setting(0.1, "KL coefficient: the strength of the leash to the reference", low=0.0)
    lr: float = setting(1e-4, "Adam's learning rate (5e-4 collapses to full stops in a few dozen updates: no curve)",
                        low=0.0, high=1.0, low_open=True)
    updates: int = setting(300, "Optimiser updates", low=0)
    prompts: int = setting(16, "Prompts drawn per update (from the language's prompt distribution)", low=1)
    k: int = setting(4, "Completions per prompt (the leave-one-out group)", low=2)
    length: int = setting(20, "Words per completion (fixed: fair baselines, comparable KLs)", low=1)
    eval_every: int = setting(25, "Updates between evaluations of the curve (0: only at the start and the end)", low=0)
    eval_samples: int = setting(96, "Completions per prompt in each evaluation", low=2)
    seed: int = setting(0, "Seeds the sampling and the prompt draws", kind="seed")

    def __post_init__(self):
        validate(self)


@dataclass
class RLResult:
    """The tuned policy, one log row per update (TRL's names) and the evaluated curve."""

    policy: TransformerLM
    log: list[dict]
    curve: list[dict]
    config: RLConfig
    seconds: float


def tune(reference: TransformerLM, lang: Language, config: RLConfig = RLConfig(), on_eval=None,
         on_update=None) -> RLResult:
    """Fine-tune a copy of ``reference`` with RLOO on the full-stop proxy; ``reference`` is untouched.

    ``on_eval(row)`` is called with each evaluation row as it is made, ``on_update(row)`` with
    each update's log row (for progress output).
    """
    prompts = lang.prompts()
    weights = np.array([p for p, _, _ in prompts])
    rng = np.random.default_rng(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    policy = copy.deepcopy(reference).train()
    reference = reference.eval()
    log, curve = [], []
    started = time.perf_counter()
    with threads(), seeded(config.seed):
        optimiser = torch.optim.Adam(policy.parameters(), lr=config.lr)

        def checkpoint(step):
            row = {"step": step, **evaluate(policy, reference, lang, config.eval_samples, config.length,
                                            seed=config.seed + 7919, beta=config.beta)}
            curve.append(row)
            if on_eval is not None:
                on_eval(row)

        checkpoint(0)
        for step in range(1, config.updates + 1):
            counts = rng.multinomial(config.prompts, weights)
            rows = [_group_loss(policy, reference, lang, prompts[i], int(counts[i]), config, generator)
                    for i in np.flatnonzero(counts)]
            loss = sum(r.pop("loss") * r["n"] for r in rows) / sum(r["n"] for r in rows)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
            optimiser.step()
            log.append({"step": step, **_pooled(rows, config.beta)})
            if on_update is not None:
                on_update(log[-1])
            if (config.eval_every and step % config.eval_every == 0) or step == config.updates:
                checkpoint(step)
    return RLResult(policy.eval(), log, curve, config, time.perf_counter() - started)


def _group_loss(policy, reference, lang, prompt, groups: int, config: RLConfig, generator) -> dict:
    """The RLOO loss and the log's numbers for ``groups`` groups of ``k`` completions of one prompt."""
    _, tokens, state = prompt
    completions = generate(policy, lang, tokens, groups * config.k, config.length, generator)
    with torch.no_grad():
        reference_logp = completion_log_probs(reference, lang, tokens, completions)
    policy_logp = completion_log_probs(policy, lang, tokens, completions)
    kl = objective.position_kl(policy_logp, reference_logp).sum(-1)  # [n], exact, with gradients
    written = policy_logp.gather(-1, completions[..., None]).squeeze(-1).sum(-1)
    text = completions.cpu().numpy()
    score = torch.as_tensor(objective.proxy(lang, text), dtype=kl.dtype, device=kl.device)
    reward = (score - config.beta * kl.detach()).view(groups, config.k)
    baseline = (reward.sum(1, keepdim=True) - reward) / (config.k - 1)  # leave-one-out
    advantage = (reward - baseline).view(-1)
    loss = -(advantage * written).mean() + config.beta * kl.mean()
    gold = objective.gold(lang, text, state)
    entropy = -(policy_logp.exp() * policy_logp).sum(-1).sum(-1)
    return {"loss": loss, "n": len(completions), "kl": kl.detach().sum().item(), "score": score.sum().item(),
            "gold": float(gold.sum()), "entropy": entropy.detach().sum().item()}


def _pooled(rows: list[dict], beta: float) -> dict:
    n = sum(r["n"] for r in rows)
    kl, score = sum(r["kl"] for r in rows) / n, sum(r["score"] for r in rows) / n
    return {"objective/kl": kl, "objective/entropy": sum(r["entropy"] for r in rows) / n,
            "non_score_reward": -beta * kl, "rlhf_reward": score - beta * kl,
            "proxy": score, "gold": sum(r["gold"] for r in rows) / n}


@torch.no_grad()
def evaluate(policy: TransformerLM, reference: TransformerLM, lang: Language, samples: int, length: int, *,
             seed: int, beta: float = 0.0) -> dict:
    """Proxy, gold and exact KL of ``policy``, averaged over prompts with their probabilities.

    ``samples`` completions per prompt, drawn from a generator seeded with ``seed`` (the same
    draws at every checkpoint, so differences come from the policy).
    """
    generator = torch.Generator().manual_seed(seed)
    totals = {"kl": 0.0, "proxy": 0.0, "gold": 0.0, "well_formed": 0.0}
    was_training = policy.training
    policy.eval()
    with threads():
        for weight, tokens, state in lang.prompts():
            _add_prompt(totals, weight, tokens, state, policy, reference, lang, samples, length, generator)
    policy.train(was_training)
    totals = {key: float(value) for key, value in totals.items()}
    totals["kl"] = max(totals["kl"], 0.0)  # rounding can make a KL of 0 print as -1e-17
    totals.update({"non_score_reward": -beta * totals["kl"], "rlhf_reward": totals["proxy"] - beta * totals["kl"]})
    return totals


def _add_prompt(totals: dict, weight: float, tokens, state: int, policy, reference, lang: Language, samples: int,
                length: int, generator) -> None:
    """Add one prompt's mean KL, proxy, gold and well-formed share to ``totals``, weighted by its probability."""
    completions = generate(policy, lang, tokens, samples, length, generator)
    kl = objective.position_kl(completion_log_probs(policy, lang, tokens, completions).double(),
                               completion_log_probs(reference, lang, tokens, completions).double()).sum(-1)
    text = completions.cpu().numpy()
    totals["kl"] += weight * kl.mean().item()
    totals["proxy"] += weight * objective.proxy(lang, text).mean()
    totals["gold"] += weight * objective.gold(lang, text, state).mean()
    totals["well_formed"] += weight * objective.well_formed(lang, text, state).mean()
