"""Best-of-n sampling from the reference, with its exact KL beside the usual bound.

Best-of-n writes n completions with the reference and keeps the one with the most full
stops (ties broken at random). The proxy takes few integer values, so the policy is
exact given the reference's reward histogram p(r) for each prompt: the kept completion's
reward is r with probability q(r) = F(r)^n - F(r-1)^n (F the cumulative histogram), and
within a reward level it is distributed as the reference is. So

    KL(best-of-n || reference) = sum_r q(r) log(q(r) / p(r)),

its expected proxy is sum_r q(r) r and its expected gold sum_r q(r) * mean gold at r. The
often-quoted KL = log n - (n - 1)/n is only an upper bound (Beirami et al. 2024).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from specgame._checks import check_int, fail
from specgame.lm import objective
from specgame.lm.language import Language
from specgame.lm.model import TransformerLM, threads
from specgame.lm.sampling import generate

DEFAULT_NS = (1, 2, 4, 8, 16, 32, 64, 128)


def kl_bound(n: int) -> float:
    """The usual closed form log n - (n - 1)/n, an upper bound on best-of-n's KL."""
    return math.log(n) - (n - 1) / n


def level_law(rewards: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reward levels, the reference's histogram p over them, and best-of-n's law q over them."""
    levels, counts = np.unique(rewards, return_counts=True)
    p = counts / counts.sum()
    cdf = np.cumsum(p)
    below = np.concatenate([[0.0], cdf[:-1]])
    q = cdf**n - below**n
    return levels, p, q


def exact_kl(p: np.ndarray, q: np.ndarray) -> float:
    keep = q > 0
    return float(np.sum(q[keep] * np.log(q[keep] / p[keep])))


def best_of_n(reference: TransformerLM, lang: Language, *, samples: int = 512, length: int = 20,
              ns=DEFAULT_NS, seed: int = 0) -> list[dict]:
    """Best-of-n's exact KL, its bound, proxy and gold for each n, averaged over prompts.

    ``samples`` reference completions per prompt make the reward histogram; an n much
    larger than ``samples`` would rest on the few highest samples, so n must stay at most
    ``samples``.
    """
    samples = check_int("samples", samples, 2)
    ns = [check_int("n", n, 1) for n in ns]
    if max(ns) > samples:
        fail("every n", f"at most samples={samples}", max(ns))
    generator = torch.Generator().manual_seed(seed)
    rows = [{"n": n, "kl": 0.0, "kl_bound": kl_bound(n), "proxy": 0.0, "gold": 0.0} for n in ns]
    with threads():
        for weight, tokens, state in lang.prompts():
            text = generate(reference, lang, tokens, samples, length, generator).cpu().numpy()
            rewards = objective.proxy(lang, text)
            golds = objective.gold(lang, text, state)
            for row in rows:
                levels, p, q = level_law(rewards, row["n"])
                gold_at = np.array([golds[rewards == r].mean() for r in levels])
                row["kl"] += weight * exact_kl(p, q)
                row["proxy"] += weight * float(q @ levels)
                row["gold"] += weight * float(q @ gold_at)
    return rows
