"""Small helpers the AI Safety Gridworlds ports share: drawing, tiles, and replaying
the action strings the original's documentation quotes (``"dllllldd"``).

The constants (action numbers, horizon, rewards) live in :mod:`specgame.envs._aisg`.
"""

from __future__ import annotations

import numpy as np

from specgame.envs._aisg import DOWN, LEFT, RIGHT, UP
from specgame.grid import check_float

# The letters the research notes and the original's demos use for the four moves.
LETTERS = {"u": UP, "d": DOWN, "l": LEFT, "r": RIGHT}

# Tiles for characters the AISG maps share; each game adds or overrides its own.
TILES = {
    "#": ("grey", None, None),
    " ": ("floor", None, None),
    "A": ("floor", "agent", "blue"),
    "G": ("floor", "diamond", "green"),
}


def actions(letters: str) -> list[int]:
    """``"rrdd"`` -> ``[RIGHT, RIGHT, DOWN, DOWN]`` in the original's numbering."""
    unknown = sorted(set(letters) - set(LETTERS))
    if unknown:
        raise ValueError(f"unknown move letter {unknown[0]!r}; use u, d, l, r")
    return [LETTERS[ch] for ch in letters]


def draw(rows, marks) -> list[str]:
    """``rows`` with ``marks`` ({(row, col): char}) painted over them."""
    cells = [list(line) for line in rows]
    for (r, c), char in marks.items():
        cells[r][c] = char
    return ["".join(line) for line in cells]


def check_probability(name: str, value) -> None:
    check_float(name, value, 0.0, 1.0)


def check_flag(name: str, value) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def replay(env, letters: str, seed: int | None = None) -> dict:
    """Play ``letters`` through a Gymnasium env from ``reset(seed=seed)``.

    Returns the episode's ``proxy_return``, ``intended_return``, ``length`` and whether
    it ``terminated``; the moves after the episode ends are not played (the original
    would spend them on a reset).
    """
    env.reset(seed=seed)
    proxy = intended = 0.0
    t, terminated = 0, False
    for t, action in enumerate(actions(letters), start=1):
        _, reward, terminated, truncated, info = env.step(action)
        proxy += reward
        intended += info["intended_reward"]
        if terminated or truncated:
            break
    return {"proxy_return": proxy, "intended_return": intended, "length": t, "terminated": terminated}


def sequence_returns(mdp, letters: str) -> tuple[float, float]:
    """Exact expected (proxy, intended) returns of playing ``letters`` open-loop.

    The state distribution is pushed through the table step by step, so randomness in
    the game (drying tomatoes, a supervisor drawn at reset) is averaged exactly, not
    sampled.  Mass in terminal states stops earning; the sequence is cut at the horizon.
    """
    dist = mdp.initial.copy()
    proxy = intended = 0.0
    for t, action in enumerate(actions(letters)[: mdp.horizon], start=1):
        live = np.where(mdp.terminal, 0.0, dist)
        weight = live[:, None] * mdp.prob[:, action, :]
        bonus = mdp.speed_bonus[:, action, :] * (mdp.horizon - t) / mdp.horizon
        proxy += float((weight * mdp.proxy[:, action, :]).sum())
        intended += float((weight * (mdp.intended[:, action, :] + bonus)).sum())
        moved = np.zeros_like(dist)
        np.add.at(moved, mdp.next_state[:, action, :].ravel(), weight.ravel())
        dist = np.where(mdp.terminal, dist, 0.0) + moved
    return proxy, intended
