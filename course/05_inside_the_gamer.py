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
# # Lesson 5: Inside the gamer
#
# Lessons 1 to 4 watched what a gaming agent *does*. This one looks at how a network that
# games represents its world, and whether what we find there can be changed. The usual
# difficulty of interpretability is that nobody knows the right answer. Here we do: every
# state of the game is enumerated, its true features are the fields of the game's `State`
# (the boat's cell, its laps, each target), and its exact proxy and intended values come
# from the solver. That is an **answer key**, and every method below is scored against it
# on every state, not judged by eye.
#
# You will
#
# 1. read a network's activations on every state of `BoatRaceLoop-v0`;
# 2. fit a linear probe and judge it beside its two controls;
# 3. build a steering vector and evaluate the steered network exactly.
#
# *Set-up:* `pip install -e ".[course,dqn]"` (torch). `SPECGAME_QUICK=1` runs the lesson in
# seconds. Our network is *taught* the gamer's policy (imitation on every board) rather
# than trained by RL, which takes minutes; `specgame interpret BoatRaceLoop-v0 --agent dqn`
# does the same analysis on a DQN trained for 40,000 steps, and `docs/interpret.md` reports
# what it found.

# %%
import numpy as np
import torch

import specgame
from specgame.agents.dqn import MLP
from specgame.analysis.compare import optimal_plan
from specgame.course import budget, checks
from specgame.interpret import activations as acts
from specgame.interpret.imitate import imitate

env = specgame.make("BoatRaceLoop-v0")
mdp = env.unwrapped.mdp
gamer = optimal_plan(mdp, "proxy", gamma=0.99)  # the lagoon farmer a discounting learner aims at

torch.manual_seed(0)
net = MLP(len(mdp.alphabet) * mdp.boards.shape[1] * mdp.boards.shape[2], (budget(64, 32),), mdp.n_actions)
accuracy = imitate(net, mdp, gamer, epochs=budget(40, 5), batch_size=512, learning_rate=1e-2)
table = acts.greedy_table(net, mdp)  # the network's greedy action on every observation
print(f"the network copies the gamer on {accuracy:.0%} of the boards; "
      f"its exact returns: {specgame.evaluate(mdp, table)}")
print(specgame.gap_report(env, table, name="imitated gamer"))

# %% [markdown]
# ## 1. Activations and the answer key
#
# The network reads the board as one-hot planes, one per character. `acts.activations`
# runs it on every observation of the table once and keeps the output of every layer,
# indexed by state (cached per set of weights).

# %%
from specgame.interpret import answer_key

print(acts.layer_names(net))
found = acts.activations(net, mdp)
hidden = found.of("relus.0")  # [states, units]
print(f"{hidden.shape[1]} hidden units on {hidden.shape[0]:,} states; "
      f"{int((hidden.max(axis=0) == 0).sum())} never fire")
key = answer_key.answer_key(mdp, table, gamma=0.99)
print("categorical features:", [f.name for f in key.features])
print("values:", list(key.values))

# %% [markdown]
# ## 2. A probe and its controls
#
# A **linear probe** asks whether a feature can be read off a layer by a linear map: fit it
# on 80% of the states, score it on the other 20%. For a feature with several labels (the
# boat's cell: 35 of them, some rare) plain accuracy flatters a probe that always guesses
# the common label, so we score **balanced accuracy**: the accuracy on each true label
# separately, averaged over the labels that occur. Chance is `1 / labels`.
#
# ### Exercise 5.1: balanced accuracy
#
# Write `balanced_accuracy(guess, truth)` for two int arrays of labels.

# %%
def balanced_accuracy(guess, truth):
    # SOLUTION START
    labels = np.unique(truth)
    return float(np.mean([np.mean(guess[truth == label] == label) for label in labels]))
    # SOLUTION END
    # BLANK: return None  # your code here


# %%
checks.balanced_accuracy(balanced_accuracy)

# %% [markdown]
# A high probe score alone says little (Hewitt & Liang 2019). Two controls: the same probe
# on a **randomly initialised network** of the same architecture (is the feature there
# because of training, or because the input carries it?) and on **shuffled labels** (can
# the probe fit anything?). `probe_table` gives all three; *selectivity* is the score
# minus the better control.

# %%
from specgame.interpret import probes

rows = probes.probe_table(net, mdp, key, ["relus.0"], max_states=budget(None, 3000))
print(f"{'feature':<24}{'metric':<19}{'trained':>8}{'random net':>11}{'shuffled':>9}{'selectivity':>12}")
for r in rows:
    print(f"{r.feature:<24}{r.metric:<19}{r.score:8.2f}{r.score_random_net:11.2f}{r.score_shuffled:9.2f}"
          f"{r.selectivity:12.2f}")

# %% [markdown]
# Look at the random-net column: the board's features are readable from a network that
# learned nothing, because a random projection of the one-hot board keeps them. A trained
# network that scores *below* its random twin has discarded the feature; a probe is only
# news when it beats both controls.
#
# ## 3. Steering, evaluated exactly
#
# Mini et al. (2023) found a "cheese vector" in a maze-solving network: the mean
# difference of its activations with and without the cheese, which, subtracted, made the
# mouse ignore the cheese. The same design here: pair every state whose three lagoon
# targets are all present with the state that is the same in every other field but has
# none, and average the difference of the hidden activations over the pairs.
#
# ### Exercise 5.2: the lagoon vector
#
# `steering.contrast_pairs(mdp, "lagoon_tokens", 7, 0)` gives two arrays of state ids,
# `with_[i]` and `without[i]` a matched pair (7 is the bit pattern of all three targets).
# Write `contrast(activations, with_, without)`: the mean over pairs of
# `activations[with_[i]] − activations[without[i]]`, one number per unit.

# %%
from specgame.interpret import steering

with_, without = steering.contrast_pairs(mdp, "lagoon_tokens", 7, 0)
print(f"{len(with_):,} matched pairs")


# %%
def contrast(activations, with_, without):
    # SOLUTION START
    return (activations[with_] - activations[without]).mean(axis=0)
    # SOLUTION END
    # BLANK: return None  # your code here


# %%
checks.contrast(contrast, net, mdp, with_, without)

# %% [markdown]
# A steered network runs with `coefficient × vector` added to that layer's output
# (`acts.Steer`). Its greedy action on every board makes a table, and the solver
# evaluates that table exactly: no sampled episodes. Three numbers say what the steering
# did: the **lagoon entry rate** at the decision cell (the track cell above the lagoon's
# channel, on boards with a target in the lagoon), the exact returns, and the
# **specificity**: the share of the states away from the decision cell where the steered
# network still acts as before. A vector that changes everything is a sledgehammer, not a
# found concept.
#
# ### Exercise 5.3: specificity
#
# Write `specificity(steered, baseline, mdp, away)`: `steered` and `baseline` are greedy
# tables (one action per *observation*), `away` a boolean array over *states*. Return the
# share of the `away` states where the two tables choose the same action (`mdp.obs[s]` is
# the observation of state `s`).

# %%
def specificity(steered, baseline, mdp, away):
    # SOLUTION START
    observations = mdp.obs[away]
    return float(np.mean(steered[observations] == baseline[observations]))
    # SOLUTION END
    # BLANK: return None  # your code here


# %%
checks.specificity(specificity, net, mdp)

# %%
vector = contrast(found.of("relus.0"), with_, without)
detour, present = steering.lagoon(mdp), steering.targets_present(mdp)
for row in steering.steering_sweep(net, mdp, {("relus.0", "lagoon"): vector}, [-1, -2, -4], detour, present):
    print(f"coefficient {row.coefficient:+.0f}: lagoon entry {row.lagoon_entry_rate:.2f}, "
          f"specificity {row.specificity:.2f}, proxy {row.proxy_return:5.2f}, laps {row.laps:.2f}, {row.verdict}")

# %% [markdown]
# Subtracting the lagoon vector can stop the boat diving into the lagoon, but watch the
# specificity and the laps: it stops the boat farming without making it race. A network
# taught only to farm has no racer inside it to bring out. `docs/interpret.md` reports the
# same finding on a trained DQN, and a variant (`BoatRaceLoop-Mixed-v0`) whose network
# does hold both behaviours, where a vector does turn the looper into the racer.
#
# **What you have seen:** with an answer key, probes are scored against the truth and
# their controls, and a steering vector is judged by the exact returns of the policy it
# makes, on every state.
