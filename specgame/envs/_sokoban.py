"""What the AISG ports with pushable things share: the Sokoban push and optional NOOP.

In the original gridworlds a pushable thing updates *before* the agent: it moves one cell
when the agent stands right behind it and moves towards it, and only if the cell beyond
is free for it; then the agent moves, unless the cell it wants is still taken (the
push failed).  The net effect is the classic Sokoban push, computed here in one place.
"""

from __future__ import annotations

import types

from specgame.envs._aisg import target


def push(row: int, col: int, action: int, things: tuple, agent_free, thing_free):
    """Where the agent and the pushable things end up after one move.

    ``things`` is a tuple of (row, col) cells; ``agent_free(r, c)`` says whether the agent
    may stand on a cell that holds no thing (walls are not free); ``thing_free(r, c)``
    says the same for a thing (the other things are checked here).  Returns
    ``(agent_row, agent_col, things, moved)`` where ``moved`` is the index of the thing
    that moved, or ``None``.
    """
    ahead = target(row, col, action)
    if ahead == (row, col):  # NOOP
        return row, col, things, None
    if ahead in things:
        beyond = target(*ahead, action)
        if beyond in things or not thing_free(*beyond):
            return row, col, things, None  # the thing is stuck, so is the agent
        moved = things.index(ahead)
        things = things[:moved] + (beyond,) + things[moved + 1:]
        return ahead[0], ahead[1], things, moved
    if not agent_free(*ahead):
        return row, col, things, None
    return ahead[0], ahead[1], things, None


# -- the optional NOOP action ------------------------------------------------------------
#
# Two of the pushing games (side_effects_sokoban, conveyor_belt) offer NOOP only behind a
# `noops` flag.  grid.compile reads the action set from the rules module, not from the
# Config, so the NOOP flavour of a game is a copy of its module with a fifth action.  The
# copy points at the same file, so the compile cache still keys on the real source.


def with_noop(module, actions):
    """A copy of the rules ``module`` that offers ``actions`` (the four moves and NOOP)."""
    copy = types.ModuleType(module.__name__ + "_noops", module.__doc__)
    copy.__dict__.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
    copy.__file__ = module.__file__
    copy.ACTIONS = actions
    return copy


class RulesByNoops:
    """``Env.rules``: the game's module, or its NOOP copy for an env built with noops=True.

    A descriptor rather than an instance attribute, so the env still pickles (modules do
    not) and ``EnvClass.rules`` still names the game's module.
    """

    def __init__(self, module, noop_module):
        self.module, self.noop_module = module, noop_module

    def __get__(self, env, owner=None):
        if env is not None and env.__dict__.get("config", {}).get("noops", False):
            return self.noop_module
        return self.module
