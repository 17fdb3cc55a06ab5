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
# # Lesson 2: On-policy and off-policy
#
# Two learners see the same rewards and learn different things. SARSA is *on-policy*: it
# learns the value of what it actually does, exploration included. Q-learning is
# *off-policy*: it learns the value of acting greedily, whatever it does meanwhile. On the
# cliff (Sutton & Barto, example 6.6) that makes Q-learning walk the edge and fall while
# it explores. On WhiskyGold (AI Safety Gridworlds) a bottle of whisky on the way to the
# gold changes the agent itself: after drinking it explores at random nine times in ten.
# Only the learner that counts its own behaviour sees that drinking is bad.
#
# *Set-up:* from a clone, `pip install -e ".[course]"`. In a hosted notebook (Colab, Kaggle),
# run `%pip install "git+URL"` with your clone's URL first. `SPECGAME_QUICK=1` in the
# environment runs the lesson in seconds with small budgets.

# %%
import specgame
from specgame.course import budget, checks, show
from specgame.policy import epsilon_greedy_policy
from specgame.views.plot import learning_curves

STEPS = budget(200_000, 30_000)

# %% [markdown]
# ## Two targets
#
# Both learners move `Q[s, a]` towards a target after each step `(s, a, r, s')`. They
# differ only in how they value the next state `s'`:
#
# - **SARSA** uses the action `a'` it will really take next (ε-greedy):
#   `r + γ Q[s', a']`;
# - **Q-learning** uses the best action, whether it will take it or not:
#   `r + γ max_a Q[s', a]`.
#
# ### Exercise 2.1: the targets
#
# Write both. `q_next` is the row `Q[s', :]` (a numpy array), `next_action` is `a'`.

# %%
def sarsa_target(reward, gamma, q_next, next_action):
    # SOLUTION START
    return reward + gamma * q_next[next_action]
    # SOLUTION END
    # BLANK: return None  # your code here


def q_learning_target(reward, gamma, q_next):
    # SOLUTION START
    return reward + gamma * q_next.max()
    # SOLUTION END
    # BLANK: return None  # your code here


# %%
checks.td_targets(sarsa_target, q_learning_target)

# %% [markdown]
# ## The cliff
#
# Walk from the bottom-left corner to the bottom-right; every step costs 1 and falling off
# the cliff between them costs 100. Here the proxy *is* the intended objective: this is
# the aligned control, where nothing can be gamed.

# %%
cliff = specgame.make("CliffWalking-v0")
cliff.reset(seed=0)
show(cliff)

# %%
learners = {"sarsa": specgame.SARSA, "q-learning": specgame.QLearning}
walkers = {name: cls(cliff, alpha=0.5, gamma=1.0, epsilon=0.1, seed=0).learn(STEPS)
           for name, cls in learners.items()}
for name, agent in walkers.items():
    print(f"{name:>10}: return per episode while learning (last 200) {agent.history.proxy_return[-200:].mean():.1f}")
show(learning_curves({n: a.history for n, a in walkers.items()}, window=50,
                     title="CliffWalking: SARSA earns more while it explores"))

# %% [markdown]
# Greedily, each walks its learned path. Q-learning's runs along the edge (the shortest);
# SARSA's keeps a row or more away, because it has learned what its own random steps cost
# there.

# %%
show({name: (cliff, agent) for name, agent in walkers.items()}, tile_size=24)

# %% [markdown]
# ### Exercise 2.2: value as they behave
#
# The exact evaluator `specgame.evaluate(mdp, policy)` takes a table of action
# probabilities per observation. `epsilon_greedy_policy(agent.q, 0.1)` makes that table for
# an agent that explores with ε = 0.1. Fill `returns` with each walker's exact proxy return
# *as it behaves*, ε = 0.1 included; pass `honour_forced_epsilon=True` so that an
# environment that takes over exploration (as the whisky will) is counted too.

# %%
mdp = cliff.unwrapped.mdp
# SOLUTION START
returns = {name: specgame.evaluate(mdp, epsilon_greedy_policy(agent.q, 0.1), honour_forced_epsilon=True).proxy_return
           for name, agent in walkers.items()}
# SOLUTION END
# BLANK: returns = {}  # {name: exact proxy return of the ε-greedy agent}
print(returns)

# %%
checks.behaving_returns(mdp, walkers, 0.1, returns)

# %% [markdown]
# Greedy, Q-learning's path is the better one (it is the optimal path). Exploring, it is
# the worse: an off-policy learner optimises for a policy it is not running.
#
# ## Whisky and gold
#
# Now the same difference is a safety problem. The whisky `W` stands on the short way to
# the gold `G`. Drinking pays +5, and from then on the environment takes over the agent's
# exploration: ε becomes 0.9. (After drinking, the top row turns into `W`s.)

# %%
whisky = specgame.make("WhiskyGold-v0")
whisky.reset(seed=0)
show(whisky)

# %% [markdown]
# Both learners start optimistic (`q0=50`, the gold's worth, for every action): an action
# not yet tried looks good, so both try the way round as well as the way through.

# %%
drinkers = {name: cls(whisky, alpha=0.3, gamma=0.99, epsilon=0.1, q0=50.0, seed=0).learn(20_000)
            for name, cls in learners.items()}
# The whisky's exploration is part of the world: evaluate with it switched on.
print(specgame.gap_table(whisky, drinkers, honour_forced_epsilon=True))

# %% [markdown]
# Each agent's greedy episode. (The env itself does not scramble a drunk agent's moves:
# the forced ε is handed to the agent, as in the original, so the animation shows the
# route each one has chosen.)

# %%
show({name: (whisky, agent) for name, agent in drinkers.items()}, tile_size=24, max_steps=40)

# %% [markdown]
# ### Exercise 2.3: who drinks?
#
# From the table and the animation: which agent's greedy path goes over the whisky?
# Answer with its name, `"sarsa"` or `"q-learning"`.

# %%
# SOLUTION START
answer = "q-learning"
# SOLUTION END
# BLANK: answer = ...

# %%
checks.drinker(whisky.unwrapped.mdp, drinkers, answer)

# %% [markdown]
# Q-learning values the state after the whisky as if it will act greedily there; it never
# will. This is one of the AI Safety Gridworlds' lessons: an agent that ignores what a
# change to itself will do to its behaviour can be led to make the change. Rainbow (an
# off-policy DQN) drank in the paper; Rainbow-SARSA walked round.
#
# **What you have seen:** the same reward, two update rules, two behaviours; and an exact
# evaluator that tells you what each policy is worth as it really behaves. Next lesson:
# a tour of the other gridworlds.
