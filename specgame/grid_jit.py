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

The compiled search carries the code of this module and of the kernels the game imports
(``envs/_sokoban.py``), so its cache is stamped with all of them (``specgame._jit``): after
an upgrade or an edit of any of them, the game compiles afresh on first use.

Every field must lie in [-1, 254] and a state may have at most 8 fields: the search packs
a state into one 64-bit key.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numba import objmode, prange

from specgame._jit import njit  # registers the cache locator before the decorators run
from specgame.game import Kernel as Kernel  # the games take it from here, with the search
from specgame.game import Outcome
from specgame.mdp import cells_per_byte, pack_boards

OK, TOO_MANY, OUT_OF_RANGE, TOO_MANY_REWARDS = 0, 1, 2, 3
MAX_FIELDS = 8
MAX_REWARDS = 256  # distinct reward values a table may have: they are stored as one-byte codes


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
# Each slot holds (key, index) side by side, so a probe costs one cache miss: three uint32,
# the key's lower and upper halves and index + 1 (0 marks a free slot), twelve bytes where
# an int64 pair would take sixteen (the table is the largest array of the search).  The
# table is kept at most half full.  While searching, a state is only its key (eight bytes,
# however many fields): the queue is the array of keys, and a state is unpacked into a
# scratch row when its turn comes.


@njit(cache=True)
def _pack(state) -> int:
    key = 0
    for i in range(state.shape[0] - 1, -1, -1):
        key = key * 256 + (state[i] + 1)
    return key


@njit(cache=True)
def _unpack(key, state) -> None:
    for i in range(state.shape[0]):
        state[i] = (key >> (8 * i) & 255) - 1


@njit(cache=True)
def _slot(key, mask) -> int:
    # The agent's cell (fields 0 and 1: the key's two lowest bytes) places a state a few
    # slots from the others of its block, so the moves of one state probe one or two cache
    # lines rather than four random ones (the probes' cache misses bound the search).  The
    # rest of the key is Fibonacci-hashed; the multiply wraps in uint64 by design.
    bits = np.uint64(key)
    rest = ((bits >> np.uint64(16)) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(20)
    cell = (bits & np.uint64(255)) + ((bits >> np.uint64(8)) & np.uint64(255)) * np.uint64(8)
    return np.int64((rest + cell) & np.uint64(mask))


def _numpy_table(size: int) -> np.ndarray:
    return np.zeros((size, 3), np.uint32)


@njit(cache=True)
def _new_table(size):
    # numpy, not numba, allocates the table: numpy asks Linux for huge pages (2 MB) for
    # large arrays, so a probe into a table of hundreds of MB rarely misses the TLB as
    # well as the cache (a tenth less search time on the largest games).
    with objmode(table="uint32[:, ::1]"):
        table = _numpy_table(size)
    return table


@njit(cache=True)
def _key_at(table, j) -> int:
    return np.int64((np.uint64(table[j, 1]) << np.uint64(32)) | np.uint64(table[j, 0]))


@njit(cache=True)
def _index_at(table, j) -> int:
    """The index kept in slot ``j``, or -1 for a free slot."""
    return np.int64(table[j, 2]) - 1


@njit(cache=True)
def _put(table, j, key, index) -> None:
    bits = np.uint64(key)
    table[j, 0] = np.uint32(bits & np.uint64(0xFFFFFFFF))
    table[j, 1] = np.uint32(bits >> np.uint64(32))
    table[j, 2] = np.uint32(index + 1)


@njit(cache=True)
def _rehash(table):
    bigger = _new_table(2 * table.shape[0])
    mask = bigger.shape[0] - 1
    for i in range(table.shape[0]):
        if table[i, 2] != 0:
            j = _slot(_key_at(table, i), mask)
            while bigger[j, 2] != 0:
                j = (j + 1) & mask
            bigger[j] = table[i]
    return bigger


@njit(cache=True)
def _grow(array, n):
    bigger = np.empty((2 * array.shape[0],) + array.shape[1:], array.dtype)
    bigger[:n] = array[:n]
    return bigger


@njit(cache=True)
def _find(table, key) -> int:
    """The slot holding ``key``, or the free slot where it belongs."""
    mask = table.shape[0] - 1
    j = _slot(key, mask)
    while table[j, 2] != 0 and _key_at(table, j) != key:
        j = (j + 1) & mask
    return j


@njit(cache=True)
def _in_range(state) -> bool:
    for field in state:
        if field < -1 or field > 254:
            return False
    return True


@njit(cache=True)
def _reward_code(value, values, n_values):
    """``value``'s index in ``values[:n_values]``, adding it if new: (code, n_values), or
    (-1, n_values) past ``values``' capacity.  0.0 and -0.0 stay apart (decoding is exact)."""
    for j in range(n_values):
        if values[j] == value and math.copysign(1.0, values[j]) == math.copysign(1.0, value):
            return j, n_values
    if n_values == values.shape[0]:
        return -1, n_values
    values[n_values] = value
    return n_values, n_values + 1


@njit(cache=True)
def explore(step, terminal, constants, starts, n_actions, max_states):
    """Breadth-first search from ``starts`` (int64 [n, F]) over a deterministic game.

    Returns ``(status, n, keys, next_state, proxy_code, intended_code, reward_values,
    ends)``, arrays cut to the ``n`` states found: each state as its 64-bit key (see
    :func:`states_of`), and the rewards as one-byte codes into ``reward_values`` (the
    distinct values, at most MAX_REWARDS).  ``status`` is OK; TOO_MANY when more than
    ``max_states`` states are reachable; OUT_OF_RANGE when a step leads to a field outside
    [-1, 254] (``n`` is then the index of the state it was taken from); or TOO_MANY_REWARDS.
    The starts are checked by the caller.
    """
    F = starts.shape[1]
    keys = np.empty(1024, np.int64)  # the states found, in order: the queue is keys[s:n]
    table = _new_table(4096)
    next_state = np.empty((1024, n_actions), np.int32)
    proxy = np.zeros((1024, n_actions), np.uint8)
    intended = np.zeros((1024, n_actions), np.uint8)
    ends = np.zeros(1024, np.bool_)
    values = np.zeros(MAX_REWARDS)
    n_values = 0
    n = 0
    for i in range(starts.shape[0]):
        key = _pack(starts[i])
        j = _find(table, key)
        if _index_at(table, j) < 0:
            keys[n] = key
            _put(table, j, key, n)
            n += 1
    state = np.empty(F, np.int64)
    out = np.empty(F, np.int64)
    s = 0
    while s < n:
        if next_state.shape[0] <= s:
            next_state, proxy, intended, ends = (_grow(next_state, s), _grow(proxy, s),
                                                 _grow(intended, s), _grow(ends, s))
        _unpack(keys[s], state)
        ends[s] = terminal(state, constants)
        for a in range(n_actions):
            if ends[s]:  # a terminal state never acts: a self-loop paying nothing
                proxy_value, intended_value, index = 0.0, 0.0, s
            else:
                proxy_value, intended_value = step(state, a, constants, out)
                if not _in_range(out):
                    return OUT_OF_RANGE, s, keys[:n], next_state, proxy, intended, values[:n_values], ends
                key = _pack(out)
                j = _find(table, key)
                index = _index_at(table, j)
                if index < 0:  # a new state
                    if n == max_states:
                        return TOO_MANY, n, keys[:n], next_state, proxy, intended, values[:n_values], ends
                    if n == keys.shape[0]:
                        keys = _grow(keys, n)
                    index = n
                    keys[n] = key
                    _put(table, j, key, n)
                    n += 1
                    if 2 * n > table.shape[0]:
                        table = _rehash(table)
            next_state[s, a] = index
            code, n_values = _reward_code(proxy_value, values, n_values)
            proxy[s, a] = code
            other, n_values = _reward_code(intended_value, values, n_values)
            intended[s, a] = other
            if code < 0 or other < 0:
                return TOO_MANY_REWARDS, s, keys[:n], next_state, proxy, intended, values[:n_values], ends
        s += 1
    # Views: the spare capacity goes when the caller lets go of them (local_order copies).
    return OK, n, keys[:n], next_state[:n], proxy[:n], intended[:n], values[:n_values], ends[:n]


def local_order(keys, next_state, proxy, intended, ends, n_starts):
    """Renumber the states so that most moves land near where they start.

    The ``n_starts`` start states keep the first numbers (drawing a start then scans only
    them).  The rest are sorted by key: the states that differ only in the agent's cell
    (fields 0 and 1, the key's lowest digits) form one block, and a move that pushes
    nothing stays in its block, so the solver and the learners mostly read memory that
    is already in cache (breadth-first order scatters these neighbours over the whole
    table).  Returns the renumbered arrays and ``new_index`` [old index] (int32).
    """
    order = np.empty(keys.shape[0], np.int64)
    order[:n_starts] = np.arange(n_starts)
    order[n_starts:] = n_starts + np.argsort(keys[n_starts:])  # numpy's sort is twice numba's speed
    return _renumber(order, keys, next_state, proxy, intended, ends)


@njit(cache=True)
def _renumber(order, keys, next_state, proxy, intended, ends):
    n = keys.shape[0]
    new_index = np.empty(n, np.int32)
    for i in range(n):
        new_index[order[i]] = i
    next_sorted = np.empty_like(next_state)
    for i in range(n):
        for a in range(next_state.shape[1]):
            next_sorted[i, a] = new_index[next_state[order[i], a]]
    return keys[order], next_sorted, proxy[order], intended[order], ends[order], new_index


@njit(cache=True)
def _fill_states(keys, states) -> None:
    for s in range(keys.shape[0]):
        for i in range(states.shape[1]):
            states[s, i] = (keys[s] >> (8 * i) & 255) - 1


@njit(cache=True)
def _largest_field(keys, fields) -> int:
    largest = -1
    for s in range(keys.shape[0]):
        for i in range(fields):
            largest = max(largest, (keys[s] >> (8 * i) & 255) - 1)
    return largest


def states_of(keys: np.ndarray, fields: int) -> np.ndarray:
    """The states as rows of their fields, from their keys: int8 when every field is at
    most 127, else int16 (a field lies in [-1, 254])."""
    dtype = np.int8 if _largest_field(keys, fields) <= 127 else np.int16
    states = np.empty((keys.shape[0], fields), dtype)
    _fill_states(keys, states)
    return states


# -- observations: one id per distinct board ------------------------------------------------


@njit(cache=True)
def _board_hash(board) -> np.uint64:
    """A 64-bit hash of a board, eight bytes a word (a multiply per word, not per byte)."""
    h = np.uint64(0x9E3779B97F4A7C15)
    word = np.uint64(0)
    flat = board.ravel()
    for i in range(flat.shape[0]):
        word = (word << np.uint64(8)) | np.uint64(flat[i])
        if i % 8 == 7 or i == flat.shape[0] - 1:
            h = (h ^ word) * np.uint64(0xFF51AFD7ED558CCD)
            h ^= h >> np.uint64(31)
            word = np.uint64(0)
    return h


@njit(cache=True)
def _same(a, b) -> bool:
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            if a[i, j] != b[i, j]:
                return False
    return True


@njit(cache=True)
def _draw_state(draw, constants, states, s, row, out) -> None:
    for i in range(row.shape[0]):
        row[i] = states[s, i]  # the kernels read int64 fields, whatever type the table keeps
    draw(row, constants, out)


N_CHUNKS = 256  # the parallel loops share the states out in this many slices


@njit(cache=True, parallel=True)
def _board_hashes(draw, constants, states, rows, cols):
    """Every state's board hash (the states drawn in parallel, a scratch board per slice),
    and which ASCII characters the boards use (bool [256])."""
    n = states.shape[0]
    hashes = np.empty(n, np.uint64)
    used = np.empty((N_CHUNKS, 256), np.bool_)  # each slice fills its row
    for chunk in prange(N_CHUNKS):
        row = np.empty(states.shape[1], np.int64)
        scratch = np.empty((rows, cols), np.uint8)
        seen = np.zeros(256, np.bool_)
        for s in range(chunk * n // N_CHUNKS, (chunk + 1) * n // N_CHUNKS):
            _draw_state(draw, constants, states, s, row, scratch)
            hashes[s] = _board_hash(scratch)
            for r in range(rows):
                for c in range(cols):
                    seen[scratch[r, c]] = True
        for character in range(256):
            used[chunk, character] = seen[character]
    any_used = np.empty(256, np.bool_)
    for character in range(256):  # scalar loops: an array expression here would be a parallel loop each
        any_used[character] = False
        for chunk in range(N_CHUNKS):
            any_used[character] |= used[chunk, character]
    return hashes, any_used


@njit(cache=True, parallel=True)
def _draw_boards(draw, constants, states, shown_by, rows, cols, code, n_codes):
    """The boards of the states ``shown_by`` as character codes (``code`` [ASCII]), stored
    as :class:`specgame.mdp.Boards` keeps them (several a byte): no array of whole boards
    is made, only one scratch board per slice."""
    n, cells, per_byte = shown_by.shape[0], rows * cols, cells_per_byte(n_codes)
    stored = np.empty((n, (cells + per_byte - 1) // per_byte), np.uint8)
    for chunk in prange(N_CHUNKS):
        row = np.empty(states.shape[1], np.int64)
        scratch = np.empty((rows, cols), np.uint8)
        codes = np.empty((1, cells), np.uint8)
        for i in range(chunk * n // N_CHUNKS, (chunk + 1) * n // N_CHUNKS):
            _draw_state(draw, constants, states, shown_by[i], row, scratch)
            for j, cell in enumerate(scratch.ravel()):
                codes[0, j] = code[cell]
            pack_boards(codes, stored[i: i + 1], max(n_codes, 2), per_byte)
    return stored


@njit(cache=True)
def observe(draw, constants, states, rows, cols):
    """Draw every state's board; equal boards share an id, numbered in order of the first
    state showing each.  Returns (obs, characters, stored): the ids, the ASCII codes of
    the characters used (sorted; a board's codes index them) and the boards as
    :class:`specgame.mdp.Boards` stores them (several codes a byte).

    The states are drawn and hashed in parallel; then, in state order, a hash table keyed
    by the hash finds each board's id.  Equal hashes are confirmed by drawing both boards
    again (only states that share a board, and true collisions, pay for that), so the
    only array of boards is the final, packed one.  A slot holds the hash's upper half
    beside the id (eight bytes a slot).
    """
    n = states.shape[0]
    hashes, used = _board_hashes(draw, constants, states, rows, cols)
    obs = np.empty(n, np.int32)
    shown_by = np.empty(max(n, 1), np.int32)  # the first state showing each board
    size = 16
    while size < 2 * n:
        size *= 2
    mask = np.uint64(size - 1)
    table = np.zeros(size, np.uint64)  # (upper 32 bits of the hash, id + 1); 0: a free slot
    n_obs = 0
    row = np.empty(states.shape[1], np.int64)
    scratch = np.zeros((rows, cols), np.uint8)
    seen = np.zeros((rows, cols), np.uint8)
    for s in range(n):
        h = hashes[s]
        upper = h >> np.uint64(32)
        j = h & mask
        found = -1
        drawn = False
        while table[j] != 0:
            if table[j] >> np.uint64(32) == upper:
                candidate = np.int64(table[j] & np.uint64(0xFFFFFFFF)) - 1
                if hashes[shown_by[candidate]] == h:
                    if not drawn:
                        _draw_state(draw, constants, states, s, row, scratch)
                        drawn = True
                    _draw_state(draw, constants, states, shown_by[candidate], row, seen)
                    if _same(seen, scratch):
                        found = candidate
                        break
            j = (j + np.uint64(1)) & mask
        if found < 0:
            shown_by[n_obs] = s
            table[j] = (upper << np.uint64(32)) | np.uint64(n_obs + 1)
            found = n_obs
            n_obs += 1
        obs[s] = found
    table = np.zeros(1, np.uint64)  # freed before the boards are made
    hashes = np.zeros(1, np.uint64)
    characters = np.flatnonzero(used)
    code = np.zeros(256, np.uint8)
    code[characters] = np.arange(characters.shape[0])
    return obs, characters, _draw_boards(draw, constants, states, shown_by[:n_obs], rows, cols, code,
                                         characters.shape[0])
