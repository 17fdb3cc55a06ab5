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
# # Lesson 4: Measuring the gap
#
# So far we have measured gaming with the intended reward in hand. A practitioner rarely
# has it: if we could write the intended reward down, we would have trained on it. This
# lesson goes through specgame's comparators from the most informed to the blindest:
#
# 1. **the gap report** and its evidence: where a policy spends its time;
# 2. **blind detectors** that never read the intended reward, only a trusted policy,
#    scored by AUROC over labelled agents (after Pan, Bhatia & Steinhardt 2022);
# 3. **EPIC**, a distance between the two reward functions themselves (Gleave et al. 2021);
# 4. **the onset of gaming** over training: when did the proxy and the intended return part?
#
# *Set-up:* from a clone, `pip install -e ".[course]"`. In a hosted notebook (Colab, Kaggle),
# run `%pip install "git+URL"` with your clone's URL first. `SPECGAME_QUICK=1` in the
# environment runs the lesson in seconds with small budgets.

# %%
import numpy as np

import specgame
from specgame.course import budget, checks, show

# %% [markdown]
# Our test bed is `ShapingLoop-v0`: a rider is paid a bonus for every step towards the
# goal, which is meant to help it get there. Every loop has as many steps towards the goal
# as away from it, and the bonus pays for the ones towards, so riding in circles pays.

# %%
env = specgame.make("ShapingLoop-v0")
mdp = env.unwrapped.mdp
trusted = specgame.solve(mdp, "intended")  # a policy we vouch for: here, the intended-optimal plan
gamer = specgame.solve(mdp, "proxy")
show({"proxy-optimal": (env, gamer), "intended-optimal": (env, trusted)}, every=2)

# %% [markdown]
# ## 1. The gap report and its evidence
#
# A `GapReport` keeps more than returns: `evidence` holds the expected visits of every
# board cell, for the policy and for the intended-optimal one. The cells the policy visits
# most beyond the intended-optimal policy are where to look.

# %%
from specgame.views.plot import visit_difference

looper = specgame.QLearning(env, alpha=0.5, seed=0).learn(20_000)
report = specgame.gap_report(env, looper, name="q-learning, α 0.5")
print(report.verdict, report.evidence.top_cells(3))
show(visit_difference([report], mdp))

# %% [markdown]
# ## 2. Blind detectors
#
# Suppose we do not have the intended reward but do have a trusted policy. A candidate
# that strays far from it is suspect. Three detectors (`specgame.analysis.detect`):
#
# - **action JSD** and **action Hellinger**: how differently the two policies act, on the
#   states the candidate visits;
# - **occupancy TV**: the total-variation distance between the two policies' normalised
#   state occupancies, `½ Σ_s |d_T(s) − d_C(s)|`: how much of its time the candidate spends
#   where the trusted policy would not.
#
# ### Exercise 4.1: occupancy TV
#
# Write `total_variation(visits_a, visits_b)`: each argument holds expected visits per
# state (numpy arrays); normalise each to sum to 1, then take half the sum of absolute
# differences.

# %%
def total_variation(visits_a, visits_b):
    # SOLUTION START
    a, b = visits_a / visits_a.sum(), visits_b / visits_b.sum()
    return 0.5 * np.abs(a - b).sum()
    # SOLUTION END
    # BLANK: return None  # your code here


# %%
checks.total_variation(total_variation, mdp, trusted, looper)

# %% [markdown]
# Now a labelled set of candidates: tabular learners with two step sizes and two seeds,
# uniform random, the proxy-optimal plan, and plans optimal for blends of the two rewards.
# The *labels* use the intended reward (the gap report's verdict); the detectors never see
# it.

# %%
from specgame.analysis.detect import evaluate_detectors
from specgame.analysis.reward_distance import blended_plans
from specgame.policy import uniform_policy

candidates = {"random": uniform_policy(mdp), "proxy-optimal": gamer}
for weight, plan in zip((0.25, 0.5, 0.75), blended_plans(mdp, (0.25, 0.5, 0.75))):
    candidates[f"blend {weight}"] = plan
for name in ("q-learning", "sarsa"):
    for alpha in (0.1, 0.5):
        for seed in range(budget(3, 2)):
            agent = specgame.make_agent(name, env, alpha=alpha, seed=seed).learn(budget(50_000, 20_000))
            candidates[f"{name} α{alpha} s{seed}"] = agent
labels = {r.policy: r.verdict == "gaming" for r in specgame.gap_table(env, candidates, evidence=False)}
result = evaluate_detectors(mdp, trusted, candidates, labels)
for name in candidates:
    print(f"{name:<22} {'gaming' if labels[name] else '':<7}"
          + "  ".join(f"{d} {result.scores[d][name]:.3f}" for d in result.scores))

# %% [markdown]
# How good is a detector? Its **AUROC** over the labelled set: the chance that a randomly
# drawn gamer scores higher than a randomly drawn non-gamer (ties count half). 1 is
# perfect, 0.5 is chance.
#
# ### Exercise 4.2: AUROC
#
# Write `auroc(scores, labels)`: `scores` a float array, `labels` a boolean array (True =
# gaming). Compare every positive with every negative.

# %%
def auroc(scores, labels):
    # SOLUTION START
    positive, negative = scores[labels], scores[~labels]
    wins = (positive[:, None] > negative[None, :]).sum()
    ties = (positive[:, None] == negative[None, :]).sum()
    return (wins + 0.5 * ties) / (len(positive) * len(negative))
    # SOLUTION END
    # BLANK: return None  # your code here


# %%
checks.auroc(auroc)

# %%
names = list(candidates)
gaming = np.array([labels[n] for n in names])
for detector, scores in result.scores.items():
    print(f"{detector:>17}: AUROC {auroc(np.array([scores[n] for n in names]), gaming):.2f}")

# %% [markdown]
# `python benchmarks/detector_auroc.py` runs the same over every environment.
#
# ## 3. EPIC: comparing the rewards themselves
#
# Two rewards can differ and still agree on every decision: adding a *potential-based
# shaping* term `γ φ(s') − φ(s)` changes no optimal policy (Ng, Harada & Russell 1999).
# EPIC canonicalises both rewards, which removes any such term, then takes a Pearson
# distance: 0 means "the same up to shaping and scale", 1 the opposite.
#
# ### Exercise 4.3: shaping
#
# Write `shape(reward, potential, gamma)`: `reward` has shape `[S, A, S]` (state, action,
# next state), `potential` shape `[S]`; return `R(s, a, s') + γ φ(s') − φ(s)`. Numpy
# broadcasting does it in one line.

# %%
def shape(reward, potential, gamma):
    # SOLUTION START
    return reward + gamma * potential[None, None, :] - potential[:, None, None]
    # SOLUTION END
    # BLANK: return None  # your code here


# %%
checks.shaping(shape)

# %% [markdown]
# The check measured the EPIC distance between a reward and its shaped self: zero. Between
# the proxy and the intended reward of real environments (`epic_distance(mdp)`, uniform
# coverage of every transition):

# %%
from specgame.analysis.reward_distance import epic_distance

for env_id in ("CliffWalking-v0", "ShapingLoop-v0", "BoatRaceLoop-v0", "AbsentSupervisor-v0"):
    print(f"{env_id:>20}: EPIC {epic_distance(specgame.make(env_id).unwrapped.mdp):.2f}")

# %% [markdown]
# The cliff's proxy is its intended reward (0). The others differ, but EPIC alone cannot
# say whether the difference matters for the policies a learner will find; the
# gap report can (`specgame compare --all` prints both, with the hack rate and the
# proxy-optimal policy's regret).
#
# ## 4. The onset of gaming
#
# A learner does not game from its first step. Start a Q-learner from the fastest racer's
# greedy table on the boat race, then train it on the targets alone: it races at first,
# stops finishing, and later finds the lagoon. `gaming_onset` finds the first point where,
# since the intended return peaked, it has fallen while the proxy return has risen.

# %%
from specgame.analysis.onset import training_curves
from specgame.policy import stationary_policy
from specgame.views.plot import training_gap

boat = specgame.make("BoatRaceLoop-v0").unwrapped.mdp
racing = stationary_policy(boat, specgame.solve(boat, "intended")).argmax(axis=1)
racer = specgame.QLearning(boat, seed=0, epsilon=0.1)
racer.q = np.zeros((boat.n_obs, boat.n_actions))
racer.q[boat.obs, racing] = 1.0  # start from the racer's greedy choices
racer.learn(100_000)
curves = training_curves(racer.history, window=20)
onset = curves.onset
print(f"the intended return peaked at episode {onset.since}; by episode {onset.index} (step {onset.step:,}) "
      f"it had fallen by {onset.intended_delta:.2f} while the proxy rose by {onset.proxy_delta:.2f}")
show(training_gap(curves, title="A racer trained on targets: the onset of gaming"))

# %% [markdown]
# The lower panel is the rolling correlation of the proxy and intended returns: where the
# two move in opposite directions it is negative, the signature of a proxy that has come
# apart from its objective.
#
# **What you have seen:** the gap measured with the intended reward (exactly), without it
# (detectors against a trusted policy, scored by AUROC), between the rewards themselves
# (EPIC), and over time (the onset). Each answers a different question; none answers
# all of them.
