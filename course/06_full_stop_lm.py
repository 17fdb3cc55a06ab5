# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 6: The language model that writes full stops
#
# A language model fine-tuned with reinforcement learning on a reward that counts full
# stops learns to stop answering and write full stops. It is the same story as the boat in
# lesson 1, with a transformer in place of a table. What usually makes this hard to study
# is the intended objective: "good text" has no formula. Here it has one, because the
# language is ours: a small probabilistic grammar whose every probability we know, so the
# quality of any text is measured exactly.
#
# You will
#
# 1. compute the exact entropy rate of the language, the floor of any model's loss;
# 2. pretrain a small reference transformer on it;
# 3. write RLOO's leave-one-out baseline and tune the model on full stops with a KL leash;
# 4. compute best-of-n's exact KL and compare it with the formula usually quoted.
#
# *Set-up:* `pip install -e ".[course,dqn]"` (torch). `SPECGAME_QUICK=1` runs the lesson in
# seconds on a tiny 18-word language with the smallest model the tests use; without it,
# the lesson uses the English-like language and the settings of `specgame lm demo --quick`
# (about half a minute of CPU once the reference is pretrained and cached).

# %%
import numpy as np
import torch

from specgame.course import budget, checks
from specgame.lm.grammar import language

lang = language(budget("english", "tiny"))
print(f"{lang.n_words} words, {len(lang.state_names)} grammar states")
for probability, prompt, _ in lang.prompts():
    print(f"prompt {lang.decode(prompt)!r} (probability {probability:.2f})")
print(lang.decode(lang.sample(1, 40, np.random.default_rng(0))[0]))

# %% [markdown]
# ## 1. The exact language
#
# The grammar is a finite-state machine: in state `s` it writes word `v` with probability
# `exp(lang.logp[s, v])` and moves to `lang.next_state[s, v]` (`-inf` and `-1` where the
# word is impossible). Each word is possible at most once per state, so any text has one
# path through the states and its exact log-probability is a sum along it
# (`lang.log_prob(tokens)`).
#
# How unpredictable is the language? In state `s`, the next word's entropy is
# `H(s) = −Σ_v p(v|s) log p(v|s)`. Over a long stream the states are visited in the
# proportions of the chain's stationary law `π` (`lang.stationary()`), so the entropy
# rate, nats per word, is `Σ_s π(s) H(s)`. No model can average a lower loss on the
# stream.
#
# ### Exercise 6.1: the entropy of each state
#
# Write `state_entropy(logp)`: `logp` is the `[S, V]` table of log-probabilities, with
# `-inf` for impossible words. Return the entropy of each row in nats. Careful: `0 · (−inf)`
# is `nan` in floating point; impossible words contribute 0.

# %%
def state_entropy(logp):
    # SOLUTION START
    p = np.exp(logp)
    safe = np.where(np.isfinite(logp), logp, 0.0)
    return -(p * safe).sum(axis=1)
    # SOLUTION END
    # BLANK: return None  # your code here


# %%
checks.state_entropy(state_entropy)

# %%
rate = lang.stationary() @ state_entropy(lang.logp)
print(f"entropy rate of the {budget('english', 'tiny')} language: {rate:.3f} nats/word")

# %% [markdown]
# ## 2. A reference model
#
# A causal transformer (tied embeddings, pre-LayerNorm) trained on fresh text from the
# language at every step; the language is an endless corpus. `reference` trains it once
# and caches it under the user cache folder. The record compares its held-out loss with the
# language's exact conditional entropy on the same text: the gap is how far the model is
# from knowing the language perfectly.

# %%
from specgame.lm.pretrain import PretrainConfig, reference

TINY = PretrainConfig(grammar="tiny", steps=120, batch=32, context=16, d_model=32, n_layers=1, n_heads=2)
model, record = reference(budget(PretrainConfig(), TINY))
print(f"held-out loss {record['heldout_loss']:.3f} nats/word, exact entropy {record['heldout_entropy']:.3f}: "
      f"gap {record['gap']:.3f}")

# %% [markdown]
# ## 3. RL on full stops, on a KL leash
#
# The proxy is the number of full stops in a completion of fixed length. The *gold* score
# is what the designer meant: each word's exact log-probability in the language measured
# against the entropy where it stands (typical text scores about 0; a word the language
# never writes there is charged −8), plus 1 when the answer is well formed, every word
# possible and the last one ending a sentence (`specgame/lm/objective.py`).
#
# The optimiser is **RLOO** (REINFORCE leave-one-out): for each prompt, sample `k`
# completions; each completion's reward is `proxy − β · KL(policy ‖ reference)`, and its
# baseline is the mean reward of the *other* `k − 1`. The baseline removes what the
# prompt's group has in common without using the completion's own reward, so the gradient
# stays unbiased. `β` is the leash: the price of each nat of drift from the reference.
#
# ### Exercise 6.2: the leave-one-out advantage
#
# Write `advantages(rewards)`: `rewards` is an array `[groups, k]`, one row per group of `k`
# completions of a prompt. Return the array of the same shape holding each reward minus
# the mean of the other rewards in its row.

# %%
def advantages(rewards):
    # SOLUTION START
    k = rewards.shape[1]
    others = (rewards.sum(axis=1, keepdims=True) - rewards) / (k - 1)
    return rewards - others
    # SOLUTION END
    # BLANK: return None  # your code here


# %%
checks.leave_one_out(advantages)

# %% [markdown]
# `tune` runs RLOO with exactly this baseline (`specgame/lm/rloo.py`) on a copy of the
# reference. Its curve is evaluated on fresh samples: the proxy, the gold score and the
# exact KL, summed over the completion's positions, each over the whole vocabulary.

# %%
from specgame.lm.rloo import RLConfig, tune
from specgame.lm.sampling import generate

TINY_RL = RLConfig(beta=0.02, lr=1e-3, updates=12, prompts=4, k=4, length=6, eval_every=6, eval_samples=16)
run = tune(model, lang, budget(RLConfig(beta=0.05, updates=120, prompts=8, eval_every=20), TINY_RL))
for row in run.curve:
    print(f"update {row['step']:>4}: full stops {row['proxy']:5.2f}   gold {row['gold']:+.3f}   KL {row['kl']:6.2f}")
_, prompt, _ = lang.prompts()[0]
for name, policy in (("reference", model), ("tuned", run.policy)):
    text = generate(policy, lang, prompt, 1, run.config.length, torch.Generator().manual_seed(1))[0]
    print(f"{name:>9}: {lang.decode(prompt)} … {lang.decode(text.tolist())}")

# %% [markdown]
# The proxy rises and the gold falls as the policy drifts from the reference: the
# full-stop collapse in miniature. `docs/lm.md` describes the full run, where the gold
# first rises (shorter sentences end more answers cleanly) and then falls: Goodhart's
# curve.
#
# ## 4. Best-of-n, exactly
#
# The simplest optimiser needs no training: sample `n` completions from the reference and
# keep the one with the most full stops. Its KL to the reference is often quoted as
# `log n − (n − 1)/n`; that is only an upper bound. Because the proxy takes a few integer
# values, best-of-n's law over them is exact: if the reference's reward levels, sorted,
# have probabilities `p` and cumulative `F`, the best of `n` draws is at or below level `i`
# with probability `F_i^n`, so it is *at* level `i` with probability `F_i^n − F_{i−1}^n`.
#
# ### Exercise 6.3: best-of-n's law
#
# Write `best_of_n_law(p, n)`: `p` holds the probabilities of the sorted reward levels;
# return `q`, the probabilities of the same levels for the best of `n` draws.

# %%
def best_of_n_law(p, n):
    # SOLUTION START
    cdf = np.cumsum(p)
    below = np.concatenate([[0.0], cdf[:-1]])
    return cdf**n - below**n
    # SOLUTION END
    # BLANK: return None  # your code here


# %%
checks.best_of_n_law(best_of_n_law)

# %% [markdown]
# With the law, the KL is a finite sum, `Σ_i q_i log(q_i / p_i)`. `best_of_n` samples the
# reference's reward histogram for each prompt and does exactly that:

# %%
from specgame.lm.best_of_n import best_of_n

rows = best_of_n(model, lang, samples=budget(1024, 64), length=run.config.length, ns=budget((1, 4, 16, 64, 256),
                                                                                              (1, 2, 8, 32)))
for row in rows:
    print(f"n = {row['n']:>3}: exact KL {row['kl']:.3f} ≤ bound {row['kl_bound']:.3f}   "
          f"full stops {row['proxy']:.2f}   gold {row['gold']:+.3f}")

# %% [markdown]
# The exact KL stays below the bound at every `n`, and best-of-n only ever writes texts the
# reference would: it reweights them, and its drift is counted in nats just like RL's.
# `specgame lm demo` draws both optimisers' gold against √KL (Goodhart's curve), fits Gao,
# Schulman & Hilton's forms to them, and sweeps β.
#
# **What you have seen:** with an exact language the intended objective is exact too;
# a KL leash slows the drift but the proxy still pulls the model towards full stops, and
# best-of-n's KL is a sum you can compute instead of a bound you have to trust.
