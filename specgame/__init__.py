"""specgame: a testbed for specification gaming in reinforcement learning.

Environments whose reward (the *proxy*) disagrees with what their designer meant (the
*intended* objective), fast agents that find the disagreement, and comparators that
measure it.  ``import specgame`` registers the ``specgame/…`` ids with Gymnasium.

The public API is here, loaded on first use so that ``import specgame`` stays quick::

    import specgame
    env = specgame.make("BoatRaceLoop-v0")
    agent = specgame.QLearning(env, seed=0).learn(100_000)
    print(specgame.gap_report(env, agent, name="q-learning"))

The layers underneath (see ``docs/architecture.md``): the core (``mdp``, ``grid``,
``env``, ``solve``, ``policy``, ...), then ``envs`` and ``agents``, then ``analysis``,
then ``views``, then ``app`` (the command line).
"""

from __future__ import annotations

import importlib

from specgame._version import __version__
from specgame.envs import env_ids as list_envs  # noqa: E402
from specgame.envs import make, register_envs  # noqa: E402

# ``solve`` names both a module and its main function.  Importing the module here, before
# binding the function, keeps ``specgame.solve`` the function: a submodule imported later
# would otherwise replace the package attribute with the module.
from specgame.solve import evaluate, solve  # noqa: E402

# name -> module that defines it; each is imported the first time it is asked for.
_LAZY = {
    "TabularMDP": "specgame.mdp",
    "gap_report": "specgame.analysis.compare",
    "gap_table": "specgame.analysis.compare",
    "GapReport": "specgame.analysis.compare",
    "Thresholds": "specgame.analysis.compare",
    "QLearning": "specgame.agents",
    "SARSA": "specgame.agents",
    "ExpectedSARSA": "specgame.agents",
    "TabularConfig": "specgame.agents",
    "DQN": "specgame.agents",
    "DQNConfig": "specgame.agents",
    "AGENTS": "specgame.agents",
    "make_agent": "specgame.agents",
}

__all__ = ["__version__", "evaluate", "list_envs", "make", "register_envs", "solve", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        value = getattr(module, "make" if name == "make_agent" else name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'specgame' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
