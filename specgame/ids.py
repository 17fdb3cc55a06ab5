"""Environment ids: the one resolver every entry point uses, and the short name of an id.

Our ids live in Gymnasium's ``specgame/`` namespace, and the prefix is optional wherever an
id is taken (``specgame.make``, ``to_mdp``, ``rollout``, ``DQN(...)``, every command):
``BoatRaceLoop-v0`` and ``specgame/BoatRaceLoop-v0`` name the same environment.  Other
Gymnasium ids (``FrozenLake-v1``, ``mygames/ButtonPress-v0``) pass through as they are.

This reads Gymnasium's registry, which ``import specgame`` fills (``specgame.envs``), so it
sits in the core and knows no game.
"""

from __future__ import annotations

import gymnasium

from specgame._checks import did_you_mean

NAMESPACE = "specgame"


class UnknownEnvironment(ValueError):
    """An id that names no registered environment; ``suggestion`` is the did-you-mean, or ``""``."""

    def __init__(self, env_id: str, suggestion: str, known: list[str]):
        super().__init__(f"unknown environment {env_id!r}{suggestion}; known: {', '.join(known)}")
        self.env_id, self.suggestion, self.known = env_id, suggestion, known


def short_id(env_id: str) -> str:
    """The id without its namespace: ``specgame/BoatRaceLoop-v0`` -> ``BoatRaceLoop-v0``."""
    return env_id.rsplit("/", 1)[-1]


def our_ids() -> list[str]:
    """Every id registered in the ``specgame/`` namespace, in the order registered."""
    return [env_id for env_id in gymnasium.registry if env_id.startswith(f"{NAMESPACE}/")]


def resolve_id(env_id: str) -> str:
    """The full registered id of ``env_id``: ours with or without ``specgame/``, another
    Gymnasium id unchanged.  An unknown id raises :class:`UnknownEnvironment` (a ValueError)
    with the closest of ours."""
    if not isinstance(env_id, str) or not env_id:
        raise ValueError(f"env_id must be an environment id such as 'BoatRaceLoop-v0', got {env_id!r}")
    name = env_id.removeprefix(f"{NAMESPACE}/")
    if "/" not in name and f"{NAMESPACE}/{name}" in gymnasium.registry:
        return f"{NAMESPACE}/{name}"
    if env_id in gymnasium.registry:
        return env_id
    known = our_ids()
    raise UnknownEnvironment(env_id, did_you_mean(name, [short_id(i) for i in known]), known)
