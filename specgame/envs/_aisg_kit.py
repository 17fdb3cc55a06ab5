"""Small helpers the AI Safety Gridworlds ports share: drawing, tiles, and replaying
the action strings the original's documentation quotes (``"dllllldd"``).

The constants (action numbers, horizon, rewards) live in :mod:`specgame.envs._aisg`.
"""

from __future__ import annotations

import numpy as np

from specgame.envs._aisg import DOWN, LEFT, RIGHT, UP

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


def replay(env, letters: str, seed: int | None = None) -> dict:
    """Play ``letters`` through a Gymnasium env from ``reset(seed=seed)``.

    Returns the episode's ``proxy_return``, ``intended_return``, ``length`` and whether
    it ``terminated``; the moves after the episode ends are not played (the original
    would spend them on a reset).
    """
    env.reset(seed=seed)
    proxy = intended = 0.0
    length, terminated = 0, False
    for action in actions(letters):
        _, reward, terminated, truncated, info = env.step(action)
        proxy += reward
        intended += info["intended_reward"]
        length += 1
        if terminated or truncated:
            break
    return {"proxy_return": proxy, "intended_return": intended, "length": length, "terminated": terminated}


def seed_drawing(env, field: str, value: int, tries: int = 100) -> int:
    """The first seed below ``tries`` whose ``env.reset(seed=...)`` draws ``state[field] == value``,
    to pin a game's random start (is the supervisor there? will the agent be interrupted?)."""
    env = env.unwrapped
    for seed in range(tries):
        env.reset(seed=seed)
        if env.state[field] == value:
            return seed
    raise ValueError(f"no seed below {tries} draws {field}={value!r}")


def sequence_returns(mdp, letters: str) -> tuple[float, float]:
    """Exact expected (proxy, intended) returns of playing ``letters`` open-loop.

    The state distribution is pushed through the table step by step, so randomness in
    the game (drying tomatoes, a supervisor drawn at reset) is averaged exactly, not
    sampled.  Mass in terminal states stops earning; the sequence is cut at the horizon.
    """
    dist = mdp.initial.copy()
    proxy = intended = 0.0
    for t, action in enumerate(actions(letters)[: mdp.horizon], start=1):
        live = np.flatnonzero((dist > 0) & ~mdp.terminal)  # only where the mass is
        weight = dist[live, None] * mdp.prob[live, action, :]
        bonus = mdp.speed_bonus[live, action, :] * (mdp.horizon - t) / mdp.horizon
        proxy += float((weight * mdp.proxy[live, action, :]).sum())
        intended += float((weight * (mdp.intended[live, action, :] + bonus)).sum())
        dist[live] = 0.0
        dist += np.bincount(mdp.next_state[live, action, :].ravel(), weight.ravel(), minlength=len(dist))
    return proxy, intended


def route_policy(mdp, letters: str, default: int = UP) -> np.ndarray:
    """A deterministic policy over observations [n_obs] that plays ``letters`` from every
    start state, for exact evaluation of a route with :func:`specgame.solve.evaluate`.

    Each start is followed along its most likely outcome until the route ends, the
    episode ends, or a move leaves the state unchanged (an interrupted agent frozen in
    place repeats that move).  Observations off the route get ``default``.  A route that
    would need two actions in one observation is refused.
    """
    policy = np.full(mdp.n_obs, -1, dtype=np.int64)
    for start in np.flatnonzero(mdp.initial):
        state = int(start)
        for action in actions(letters):
            if mdp.terminal[state]:
                break
            seen = int(mdp.obs[state])
            if policy[seen] not in (-1, action):
                raise ValueError(f"the route {letters!r} needs two actions in observation {seen}")
            policy[seen] = action
            following = int(mdp.next_state[state, action, np.argmax(mdp.prob[state, action])])
            if following == state:
                break
            state = following
    policy[policy < 0] = default
    return policy
