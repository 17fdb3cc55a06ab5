"""What the AISG ports with pushable things share: the Sokoban push.

In the original gridworlds a pushable thing updates *before* the agent: it moves one cell
when the agent stands right behind it and moves towards it, and only if the cell beyond
is free for it; then the agent moves, unless the cell it wants is still taken (the
push failed).  The net effect is the classic Sokoban push, computed here in one place:
:func:`push_cells` is a numba kernel (the large games step it millions of times while
compiling), and :func:`push` is the same move for rules written in plain Python.
"""

from __future__ import annotations

import functools

import numpy as np

from specgame._jit import njit  # registers the cache locator before the decorators run
from specgame.envs._aisg import STEP


@functools.cache
def walls_of(rows) -> np.ndarray:
    """The map's walls as a flat bool array, indexed by ``row * width + col``."""
    return np.array([ch == "#" for line in rows for ch in line], dtype=np.bool_)


def offsets(width: int) -> np.ndarray:
    """Each action's step as a change of cell number ``row * width + col`` (NOOP: 0)."""
    return np.array([d_row * width + d_col for d_row, d_col in (STEP[a] for a in sorted(STEP))], dtype=np.int64)


@njit(cache=True)
def push_cells(agent, offset, things, walls, blockers, live, first=0, stop=-1):
    """One move by ``offset`` (see :func:`offsets`), with cells numbered ``row * width + col``.

    ``things`` (int64, -1 for an unused slot) is updated in place; ``walls`` (flat bool)
    stops everyone; ``blockers[i]`` stops a thing but not the agent while bit ``i`` of
    ``live`` is set, as Sokoban's coins do until they are taken.  Returns ``(agent, moved)``:
    the agent's new cell and the index of the thing that moved, or -1.  The maps are walled
    all round, so no move leaves them.

    With ``first`` and ``stop`` the things are ``things[first:stop]`` (indices from
    ``first``): a kernel can pass its whole state, as a slice (an array view numba counts
    references to) costs a kernel stepped millions of times a tenth of its time.
    """
    if offset == 0:  # NOOP
        return agent, -1
    stop = things.shape[0] if stop < 0 else stop
    ahead = agent + offset
    for i in range(first, stop):
        if things[i] == ahead:
            beyond = ahead + offset
            if walls[beyond]:
                return agent, -1  # the thing is stuck, so is the agent
            for j in range(first, stop):
                if things[j] == beyond:
                    return agent, -1
            for j in range(blockers.shape[0]):
                if live >> j & 1 and blockers[j] == beyond:
                    return agent, -1
            things[i] = beyond
            return ahead, i - first
    if walls[ahead]:
        return agent, -1
    return ahead, -1


@njit(cache=True)
def sort_cells(cells):
    """Sort cells in place, ascending with the unused slots (-1) last, as State stores them.

    (An insertion sort: there are at most three, and the kernel must not allocate.)
    """
    for i in range(1, cells.shape[0]):
        cell = cells[i]
        j = i
        while j > 0 and cell != -1 and (cells[j - 1] == -1 or cells[j - 1] > cell):
            cells[j] = cells[j - 1]
            j -= 1
        cells[j] = cell


NO_CELLS = np.empty(0, dtype=np.int64)


def push(row: int, col: int, action: int, things: tuple, rows):
    """Where the agent and the pushable things end up after one move, on the map ``rows``.

    ``things`` is a tuple of (row, col) cells; walls (``#``) stop everyone and other
    things stop a thing.  Returns ``(agent_row, agent_col, things, moved)`` where
    ``moved`` is the index of the thing that moved, or ``None``.
    """
    width = len(rows[0])
    cells = np.array([r * width + c for r, c in things], dtype=np.int64)
    agent, moved = push_cells(row * width + col, offsets(width)[action], cells, walls_of(tuple(rows)), NO_CELLS, 0)
    return (*divmod(int(agent), width), tuple(divmod(int(c), width) for c in cells),
            None if moved < 0 else int(moved))
