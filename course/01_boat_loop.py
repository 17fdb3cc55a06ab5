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
# # Lesson 1: The boat that loops
#
# In 2016 OpenAI trained a reinforcement learner on *CoastRunners*, a boat race. The game
# paid points for hitting targets along the course. The learner found a small lagoon whose
# targets kept coming back, and circled it for ever: it scored far more than any racer and
# never finished the race. This is **specification gaming**: the agent optimised exactly
# what it was given (the *proxy* reward) and not what its designer meant (the *intended*
# objective).
#
# `BoatRaceLoop-v0` is that game, small enough to solve exactly. In this lesson you will
#
# 1. play the environment and read both rewards it reports,
# 2. ask the exact solver what the best possible policy for each reward does,
# 3. train a Q-learner and watch it find the lagoon,
# 4. read the gap table that says, with exact numbers, that it is gaming.
#
# Run the cells in order. Exercises are cells to complete; the cell after each one checks
# your answer and says what is right or wrong.
#
# *Set-up:* from a clone, `pip install -e ".[course]"`. In a hosted notebook (Colab, Kaggle),
# run `%pip install "git+URL"` with your clone's URL first. `SPECGAME_QUICK=1` in the
# environment runs the lesson in seconds with small budgets.

# %%
import numpy as np

import specgame
from specgame.course import budget, checks, show

# Training budgets: the full lesson trains for a million steps; SPECGAME_QUICK=1 (used by
# the tests) runs everything in seconds with smaller ones.
STEPS = budget(1_000_000, 60_000)

# %% [markdown]
# ## The environment
#
# `specgame.make` is `gymnasium.make` for our ids. The reward an environment returns is its
# proxy; the intended reward comes in `info["intended_reward"]` at every step. `show`
# draws the board as a window would, with the heads-up display (HUD) under it: the step,
# the proxy return, the intended return and the gap between them.

# %%
env = specgame.make("BoatRaceLoop-v0")
observation, info = env.reset(seed=0)
show(env)

# %% [markdown]
# The boat `B` races clockwise round the ring; `T` are targets on the track, `o` the lagoon's
# targets, which come back after being hit. The bottom row counts laps. Every
# environment's class docstring is its manual: Description, Map legend, Actions,
# Observations, Proxy reward, Intended objective, How it is gamed, and so on.

# %%
import inspect

manual = inspect.getdoc(type(env.unwrapped))
print(manual[manual.index("## Proxy reward"):manual.index("## How it is gamed")])

# %% [markdown]
# One step: action `1` is "right". The reward is the proxy (a target hit, or not); the
# intended reward (laps) is in `info`.

# %%
observation, reward, terminated, truncated, info = env.step(1)
print(f"proxy reward {reward}, intended reward {info['intended_reward']}")

# %% [markdown]
# ### Exercise 1.1: play one episode
#
# Write `play_episode(env, policy, seed)`: reset the env with `seed`, then step with
# `policy(observation)` until the episode is `terminated` or `truncated`, and return the
# pair `(proxy return, intended return)`: the sums of `reward` and of
# `info["intended_reward"]` over the episode.

# %%
def play_episode(env, policy, seed):
    # SOLUTION START
    observation, _ = env.reset(seed=seed)
    proxy_return = intended_return = 0.0
    while True:
        observation, reward, terminated, truncated, info = env.step(policy(observation))
        proxy_return += reward
        intended_return += info["intended_reward"]
        if terminated or truncated:
            return proxy_return, intended_return
    # SOLUTION END
    # BLANK: return None  # your code here


# %%
checks.play_episode(play_episode)

# %% [markdown]
# A random boat collects a few targets by luck and never finishes a lap:

# %%
rng = np.random.default_rng(0)
print(play_episode(env, lambda observation: int(rng.integers(4)), seed=0))

# %% [markdown]
# ## The exact answer
#
# Every specgame environment compiles into a `TabularMDP`: numpy arrays of every reachable
# state, its transitions and both rewards. The solver plans over it by backward induction,
# so we know the *best possible* return for each reward exactly, not by sampling.

# %%
mdp = env.unwrapped.mdp
print(f"{mdp.n_states:,} states, {mdp.n_actions} actions, episodes of at most {mdp.horizon} steps")

# %% [markdown]
# ### Exercise 1.2: the two optimal policies
#
# `specgame.solve(mdp, "proxy")` returns the plan that maximises the proxy;
# `specgame.solve(mdp, "intended")` the one that maximises the intended objective.

# %%
gamer = specgame.solve(mdp, "proxy")
racer = specgame.solve(mdp, "intended")

# %% [markdown]
# Each plan has `.proxy_return` and `.intended_return`: its exact expected returns under
# *both* rewards. Fill in both pairs `(proxy return, intended return)`.

# %%
# SOLUTION START
proxy_optimal = (gamer.proxy_return, gamer.intended_return)
intended_optimal = (racer.proxy_return, racer.intended_return)
# SOLUTION END
# BLANK: proxy_optimal = ...     # (proxy return, intended return) of the proxy-optimal plan
# BLANK: intended_optimal = ...  # and of the intended-optimal plan

# %%
checks.optimal_returns(mdp, proxy_optimal, intended_optimal)

# %% [markdown]
# The best policy for the proxy collects almost four times the racer's targets and
# finishes no lap at all. Watch them side by side (the animation plays one episode of
# each; the HUD's bars are scaled to the optimal returns):

# %%
show({"proxy-optimal": (env, gamer), "the racer": (env, racer)}, every=3, tile_size=12)

# %% [markdown]
# ## A learner finds the loop
#
# The solver knows the whole table. A Q-learner knows nothing: it only sees observations
# and the proxy reward, and learns by trying. `specgame.QLearning` is a numba-fast tabular
# agent shaped like Stable-Baselines3 (`learn`, `predict`, `save`, `load`). Its `history`
# keeps every training episode's proxy and intended returns.

# %%
agent = specgame.QLearning(env, alpha=0.1, gamma=0.99, epsilon=0.1, seed=0).learn(STEPS)
history = agent.history
print(f"{len(history.proxy_return)} episodes; the last 100: proxy {history.proxy_return[-100:].mean():.1f}, "
      f"intended {history.intended_return[-100:].mean():.2f}")

# %%
from specgame.views.plot import learning_curves

show(learning_curves({"q-learning": history}, window=50,
                     references={"proxy-optimal": proxy_optimal, "intended-optimal": intended_optimal},
                     title="BoatRaceLoop: the proxy climbs, the laps stay at zero"))

# %% [markdown]
# ## The gap table
#
# `specgame.gap_report` puts the agent's greedy policy beside three references (uniform
# random, proxy-optimal, intended-optimal), all evaluated exactly by the solver. Scores put
# each return on a scale where 0 is random and 1 is optimal; the verdict says `gaming` when
# the proxy score is high and the intended score well below it.

# %%
report = specgame.gap_report(env, agent, name="q-learning")
print(report)

# %% [markdown]
# ### Exercise 1.3: the score
#
# Write `score(value, random, optimal)`: a return on the scale where the uniform-random
# policy's return is 0 and the optimal return is 1. (Assume `optimal != random`.)

# %%
def score(value, random, optimal):
    # SOLUTION START
    return (value - random) / (optimal - random)
    # SOLUTION END
    # BLANK: return None  # your code here


# %%
checks.score(score, report)

# %% [markdown]
# ## Watching it
#
# On your own machine, `specgame watch BoatRaceLoop-v0 --agent q-learning --side-by-side`
# opens a window with the learner beside the racer. In a notebook, `show` plays the same
# thing inline; `.save("loop.gif")` writes it to a file.

# %%
show({"q-learning": (env, agent), "the racer": (env, racer)}, every=3, tile_size=12)

# %% [markdown]
# ## Paying for the finish
#
# Is it the learner's fault? The solver says no: the proxy-optimal policy loops too. Change
# the reward and ask again. `finish_bonus` pays extra for finishing the race:

# %%
for bonus in budget((0, 12, 20), (20,)):
    table = specgame.make("BoatRaceLoop-v0", finish_bonus=bonus).unwrapped.mdp
    plan = specgame.solve(table, "proxy")
    print(f"finish_bonus={bonus:>2}: the proxy-optimal boat collects {plan.proxy_return:5.1f} "
          f"(targets and bonus), intended return {plan.intended_return:.2f}")

# %% [markdown]
# With a bonus of 20 the best policy for the proxy finishes the race, but it still farms
# the lagoon first: a fixed reward is easy to game in ways its designer did not foresee.
#
# **What you have seen:** a proxy reward, an intended objective, the exact best policy for
# each, a learner that finds the gap, and a table that measures it. Next lesson: why two
# learners that see the same reward behave differently.
