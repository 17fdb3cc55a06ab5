"""The fast path of :func:`specgame.grid.compile`: games whose rules are numba kernels.

A few games are too large for the Python breadth-first search (the AI Safety Gridworlds'
bigger Sokoban levels and rocks-and-diamonds room have 5 to 13 million states).  Such a
game keeps the usual rules module, but writes its step, end test and board as jitted
functions and names them in its ``KERNEL`` (a :class:`Kernel`); :func:`python_face` then
builds its ``transitions``, ``is_terminal`` and ``board`` from those same kernels, so the
game is described once.

The kernels see a state as an int64 array of the ``State`` fields and read the game's
constants from one ``NamedTuple`` of the game's (``constants``: arrays, ints and floats,
read by name, ``constants.width``):

- ``step(state, action, constants, out) -> (proxy, intended)`` writes the next state
  into ``out`` (the game is deterministic);
- ``terminal(state, constants) -> bool``;
- ``draw(state, constants, out)`` draws the board into ``out`` (uint8 [H, W]) as ASCII codes.

Each game also hands its kernels to :func:`explore` and :func:`observe` inside two small
jitted functions of its own.  They are needed for numba's on-disk cache, not for
correctness: a function that takes kernels as arguments (``explore`` itself) is compiled
anew in every process, while a function that reaches them as globals of a module is
cached with them.  So each game writes::

    game = sys.modules[__name__]  # numba caches only if the kernels are reached this way

    @njit(cache=True)
    def _explore(constants, starts, n_actions, max_states):
        return grid_jit.explore(game._step, game._terminal, constants, starts, n_actions, max_states)

Numba's cache keys on the game's file only: after editing this module or a kernel the
game imports (``envs/_sokoban.py``), delete the ``__pycache__`` folders of the games.

Every field must lie in [-1, 254] and a state may have at most 8 fields: the search packs
a state into one 64-bit key.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit

from specgame.game import Kernel as Kernel  # the games take it from here, with the search
from specgame.game import Outcome

OK, TOO_MANY, OUT_OF_RANGE = 0, 1, 2
MAX_FIELDS = 8


def python_face(kernel: Kernel, State) -> tuple[Callable, Callable, Callable]:
    """The rules' ``transitions``, ``is_terminal`` and ``board``, calling ``kernel``'s
    kernels one state at a time (for the env's checks, tests and teaching; compiling
    uses the kernels directly)."""
    def is_terminal(state, config) -> bool:
        return bool(kernel.terminal(np.array(state, dtype=np.int64), kernel.constants(config)))

    def transitions(state, action: int, config):
        out = np.empty(len(state), dtype=np.int64)
        proxy, intended = kernel.step(np.array(state, dtype=np.int64), action, kernel.constants(config), out)
        next_state = State(*(int(v) for v in out))
        return [Outcome(1.0, next_state, proxy, intended, terminated=is_terminal(next_state, config))]

    def board(state, config) -> list[str]:
        out = np.empty(kernel.shape(config), dtype=np.uint8)
        kernel.draw(np.array(state, dtype=np.int64), kernel.constants(config), out)
        return ["".join(chr(c) for c in line) for line in out]

    return transitions, is_terminal, board


# -- a hash table from 64-bit keys to indices, open addressing ------------------------------
#
# Each slot holds (key, index) side by side, so a probe costs one cache miss; index -1
# marks a free slot.  The table is kept at most half full.


@njit(cache=True)
def _pack(state) -> int:
    key = 0
    for field in state[::-1]:
        key = key * 256 + (field + 1)
    return key


@njit(cache=True)
def _slot(key, mask) -> int:
    # Fibonacci hashing; the multiply wraps in uint64 by design.
    return int((np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(20)) & mask


@njit(cache=True)
def _new_table(size):
    table = np.zeros((size, 2), np.int64)
    table[:, 1] = -1
    return table


@njit(cache=True)
def _rehash(table):
    bigger = _new_table(2 * table.shape[0])
    mask = bigger.shape[0] - 1
    for i in range(table.shape[0]):
        if table[i, 1] >= 0:
            j = _slot(table[i, 0], mask)
            while bigger[j, 1] >= 0:
                j = (j + 1) & mask
            bigger[j, 0], bigger[j, 1] = table[i, 0], table[i, 1]
    return bigger


@njit(cache=True)
def _grow(array, n):
    bigger = np.empty((2 * array.shape[0],) + array.shape[1:], array.dtype)
    bigger[:n] = array[:n]
    return bigger


@njit(cache=True)
def _insert(state, states, table, n):
    """The index of ``state``, adding it if new: (index, n, states, table)."""
    key = _pack(state)
    mask = table.shape[0] - 1
    j = _slot(key, mask)
    while table[j, 1] >= 0:
        if table[j, 0] == key:
            return table[j, 1], n, states, table
        j = (j + 1) & mask
    if n == states.shape[0]:
        states = _grow(states, n)
    states[n] = state
    table[j, 0], table[j, 1] = key, n
    n += 1
    if 2 * n > table.shape[0]:
        table = _rehash(table)
    return n - 1, n, states, table


@njit(cache=True)
def _in_range(state) -> bool:
    for field in state:
        if field < -1 or field > 254:
            return False
    return True


@njit(cache=True)
def explore(step, terminal, constants, starts, n_actions, max_states):
    """Breadth-first search from ``starts`` (int64 [n, F]) over a deterministic game.

    Returns ``(status, n, states, next_state, proxy, intended, ends)``, arrays cut to the
    ``n`` states found.  ``status`` is OK; TOO_MANY when more than ``max_states`` states
    are reachable; or OUT_OF_RANGE when a step leads to a field outside [-1, 254] (``n``
    is then the index of the state it was taken from).  The starts are checked by the
    caller.
    """
    F = starts.shape[1]
    states = np.empty((1024, F), np.int64)
    table = _new_table(4096)
    next_state = np.empty((1024, n_actions), np.int32)
    proxy = np.zeros((1024, n_actions))
    intended = np.zeros((1024, n_actions))
    ends = np.zeros(1024, np.bool_)
    n = 0
    for i in range(starts.shape[0]):
        _, n, states, table = _insert(starts[i], states, table, n)
    out = np.empty(F, np.int64)
    s = 0
    while s < n:  # n grows as new states are found: the queue is states[s:n]
        if next_state.shape[0] < states.shape[0]:
            next_state, proxy, intended, ends = (_grow(next_state, s), _grow(proxy, s),
                                                 _grow(intended, s), _grow(ends, s))
        if terminal(states[s], constants):
            ends[s] = True
            next_state[s, :] = s
            proxy[s, :] = 0.0
            intended[s, :] = 0.0
        else:
            ends[s] = False
            for a in range(n_actions):
                proxy[s, a], intended[s, a] = step(states[s], a, constants, out)
                if not _in_range(out):
                    return OUT_OF_RANGE, s, states, next_state, proxy, intended, ends
                before = n
                index, n, states, table = _insert(out, states, table, n)
                if n > max_states:
                    return TOO_MANY, before, states, next_state, proxy, intended, ends
                next_state[s, a] = index
        s += 1
    # Copies, so that the spare capacity is freed with the working arrays.
    return OK, n, states[:n].copy(), next_state[:n].copy(), proxy[:n].copy(), intended[:n].copy(), ends[:n].copy()


@njit(cache=True)
def local_order(states, next_state, proxy, intended, ends, n_starts):
    """Renumber the states so that most moves land near where they start.

    The ``n_starts`` start states keep the first numbers (drawing a start then scans only
    them).  The rest are sorted by packed key: the states that differ only in the agent's
    cell (fields 0 and 1, the key's lowest digits) form one block, and a move that
    pushes nothing stays in its block, so the solver and the learners mostly read memory
    that is already in cache (breadth-first order scatters these neighbours over the
    whole table).  Returns the renumbered arrays and ``new_index`` [old index].
    """
    n = states.shape[0]
    keys = np.empty(n, np.int64)
    for s in range(n):
        keys[s] = _pack(states[s])
    order = np.concatenate((np.arange(n_starts), n_starts + np.argsort(keys[n_starts:])))
    new_index = np.empty(n, np.int64)
    new_index[order] = np.arange(n)
    next_sorted = np.empty_like(next_state)
    for i in range(n):
        for a in range(next_state.shape[1]):
            next_sorted[i, a] = new_index[next_state[order[i], a]]
    return states[order], next_sorted, proxy[order], intended[order], ends[order], new_index


# -- observations: one id per distinct board ------------------------------------------------


@njit(cache=True)
def _board_hash(board) -> int:
    h = np.uint64(0xCBF29CE484222325)  # FNV-1a
    for byte in board.ravel():
        h = (h ^ np.uint64(byte)) * np.uint64(0x100000001B3)
    return int(h >> np.uint64(1))


@njit(cache=True)
def _same(a, b) -> bool:
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            if a[i, j] != b[i, j]:
                return False
    return True


@njit(cache=True)
def observe(draw, constants, states, rows, cols):
    """Draw every state's board; equal boards share an id.  Returns (obs, boards)."""
    n = states.shape[0]
    obs = np.empty(n, np.int32)
    boards = np.zeros((1024, rows, cols), np.uint8)
    table = _new_table(4096)  # board hash -> id
    n_obs = 0
    scratch = np.zeros((rows, cols), np.uint8)
    for s in range(n):
        draw(states[s], constants, scratch)
        h = _board_hash(scratch)
        mask = table.shape[0] - 1
        j = _slot(h, mask)
        found = -1
        while table[j, 1] >= 0:
            if table[j, 0] == h and _same(boards[table[j, 1]], scratch):
                found = table[j, 1]
                break
            j = (j + 1) & mask
        if found < 0:
            if n_obs == boards.shape[0]:
                boards = _grow(boards, n_obs)
            boards[n_obs] = scratch
            table[j, 0], table[j, 1] = h, n_obs
            found = n_obs
            n_obs += 1
            if 2 * n_obs > table.shape[0]:
                table = _rehash(table)
        obs[s] = found
    return obs, boards[:n_obs].copy()


@njit(cache=True)
def to_alphabet(boards):
    """Recode ASCII boards in place to indices into their sorted characters; returns those."""
    used = np.zeros(256, np.bool_)
    flat = boards.ravel()
    for i in range(flat.shape[0]):
        used[flat[i]] = True
    characters = np.flatnonzero(used)
    code = np.zeros(256, np.uint8)
    code[characters] = np.arange(characters.shape[0])
    for i in range(flat.shape[0]):
        flat[i] = code[flat[i]]
    return characters
