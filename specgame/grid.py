"""The gridworld authoring kit: ASCII maps, movement, and ``compile()``.

A game is a rules module that follows the contract :class:`specgame.game.Game` (its
``Config``, ``State``, ``TILES``, ``actions``, ``initial_states``, ``transitions``,
``is_terminal`` and ``board``); this module offers the pieces most games use (maps,
moves, :class:`Outcome`), and :func:`compile` enumerates a game's reachable states
breadth-first into a TabularMDP.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import weakref
from collections import deque
from pathlib import Path
from typing import NamedTuple

import numpy as np

from specgame import _checks
from specgame.game import Outcome as Outcome  # the games take it from here, with the map helpers
from specgame.game import check_game, game_name
from specgame.mdp import Boards, TabularMDP

# Action order shared by our own gridworlds (Gymnasium's CliffWalking uses the same).
UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
MOVE_NAMES = ("up", "right", "down", "left")
STEP = {UP: (-1, 0), RIGHT: (0, 1), DOWN: (1, 0), LEFT: (0, -1)}

MAX_STATES = 2_000_000


class Position(NamedTuple):
    """The State of a game in which only the agent's cell shapes the future."""

    row: int
    col: int


# -- maps ----------------------------------------------------------------------------------


def parse_map(text: str, legend: str | None = None) -> tuple[str, ...]:
    """Read ASCII art into rows of equal length.

    Leading and trailing blank lines are dropped and Windows line ends are accepted; every
    row must be as wide as the first, and with ``legend`` every character must be in it.
    Errors (``ValueError``) name the line and column, counted from 1 after the dropped lines.
    """
    if not isinstance(text, str):
        raise ValueError(f"the map must be a string, got {type(text).__name__}")
    lines = text.replace("\r\n", "\n").strip("\n").split("\n")
    if not lines[0]:
        raise ValueError("the map is empty")
    width = len(lines[0])
    for number, line in enumerate(lines, start=1):
        if len(line) != width:
            column = min(len(line), width) + 1
            what = "ends" if len(line) < width else "goes on"
            raise ValueError(f"map line {number}, column {column}: the line {what} here; it is {len(line)} "
                             f"characters wide, but line 1 is {width}")
        if legend is not None:
            for column, char in enumerate(line, start=1):
                if char not in legend:
                    raise ValueError(f"map line {number}, column {column}: {char!r} is not in the legend {legend!r}")
    return tuple(lines)


def find(rows, char: str) -> list[tuple[int, int]]:
    """Every (row, col) where ``char`` stands, in reading order."""
    return [(r, c) for r, line in enumerate(rows) for c, ch in enumerate(line) if ch == char]


def move(row: int, col: int, action: int, passable, steps=STEP) -> tuple[int, int]:
    """Where a step in direction ``action`` lands; a blocked step stays put.

    ``passable(row, col)`` says whether a cell can be entered; leaving the grid is blocked
    by the caller's predicate (it sees out-of-range coordinates).  ``steps`` maps each
    action to its (row, col) offset; the default is our gridworlds' numbering.
    """
    d_row, d_col = steps[action]
    target = row + d_row, col + d_col
    return target if passable(*target) else (row, col)


def inside(rows, row: int, col: int) -> bool:
    return 0 <= row < len(rows) and 0 <= col < len(rows[0])


# -- compilation ---------------------------------------------------------------------------

# module -> {config: table}.  Keyed by the module object, not its name (two games built at
# run time may share a name), and weakly, so such games are freed with their tables.
_memory_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def make_config(rules, **config):
    """Build the rules' ``Config`` from keyword arguments, naming unknown ones."""
    fields = {f.name for f in dataclasses.fields(rules.Config)}
    unknown = sorted(set(config) - fields)
    if unknown:
        raise ValueError(f"{game_name(rules)} has no parameter {unknown[0]!r}; "
                         f"its parameters are {sorted(fields)}")
    return rules.Config(**config)


class TooManyStates(ValueError):
    """A game whose reachable states outnumber ``max_states``; names the settings that grew it."""

    def __init__(self, rules, cfg, max_states: int):
        game = game_name(rules)
        try:
            defaults = rules.Config()
        except (TypeError, ValueError):  # a Config with required fields: every setting is a suspect
            defaults = None
        changed = [f"{f.name}={getattr(cfg, f.name)!r}" + (f" (default {getattr(defaults, f.name)!r})"
                                                           if defaults is not None else "")
                   for f in dataclasses.fields(cfg)
                   if defaults is None or getattr(cfg, f.name) != getattr(defaults, f.name)]
        cause = (f"the settings {', '.join(changed)} made it large; choose smaller values"
                 if changed else "even its default settings make it large")
        super().__init__(f"{game} has more than {max_states:,} reachable states (max_states={max_states:,}): "
                         f"{cause}, or raise max_states")
        self.max_states = max_states
        self.changed = changed


def compile(rules, max_states: int | None = None, **config) -> TabularMDP:  # noqa: A001
    """Enumerate the reachable states of ``rules`` under ``config`` into a TabularMDP.

    ``max_states`` defaults to the game's ``MAX_STATES``, else 2,000,000.  Results are
    cached in memory, and on disk under the user cache directory (set
    ``SPECGAME_CACHE_DIR``, or ``SPECGAME_NO_CACHE=1`` to switch the disk cache off); the
    disk key includes the rules' source, so editing a game invalidates its tables.  Games
    with a ``KERNEL`` are not cached on disk: enumerating them is faster than reading
    their tables back.
    """
    check_game(rules)
    if max_states is None:
        max_states = getattr(rules, "MAX_STATES", MAX_STATES)
    _checks.check_int("max_states", max_states, 1)
    cfg = make_config(rules, **config)
    tables = _memory_cache.setdefault(rules, {})
    if cfg in tables:
        return _within(tables[cfg], rules, cfg, max_states)
    path = None if hasattr(rules, "KERNEL") else _cache_path(rules, cfg)
    mdp = None
    if path is not None and path.exists():
        try:
            mdp = TabularMDP.load(path)
        except (ValueError, OSError):
            mdp = None  # a stale or damaged cache entry is rebuilt below
    if mdp is None:
        enumerate_ = _enumerate_kernel if hasattr(rules, "KERNEL") else _enumerate
        mdp = enumerate_(rules, cfg, max_states)
        if path is not None:
            try:
                mdp.save(path)
            except OSError:
                pass  # a read-only cache directory only costs speed
    tables[cfg] = mdp
    return _within(mdp, rules, cfg, max_states)


def _within(mdp: TabularMDP, rules, cfg, max_states: int) -> TabularMDP:
    """A cached table answers to the same limit as a fresh enumeration would."""
    if mdp.n_states > max_states:
        raise TooManyStates(rules, cfg, max_states)
    return mdp


def _cache_path(rules, cfg) -> Path | None:
    from specgame._files import user_cache_dir
    from specgame._version import __version__

    root = user_cache_dir()
    if root is None:
        return None

    try:
        source = inspect.getsource(rules)
    except (OSError, TypeError):
        return None  # a game without a source file (built at run time) cannot be keyed safely
    digest = hashlib.sha256()
    # TILES too: a game may take its look from another module (the AISG games share tiles).
    for part in (__version__, source, inspect.getsource(_enumerate), repr(cfg), repr(sorted(rules.TILES.items()))):
        digest.update(part.encode())
    return root / f"{game_name(rules)}-{digest.hexdigest()[:20]}.npz"


def _enumerate(rules, cfg, max_states: int) -> TabularMDP:
    n_actions = len(rules.actions(cfg))
    index: dict = {}
    order: list = []

    def visit(state):
        if state not in index:
            if len(order) >= max_states:
                raise TooManyStates(rules, cfg, max_states)
            index[state] = len(order)
            order.append(state)
            queue.append(state)
        return index[state]

    queue: deque = deque()
    start = [(p, visit(s)) for p, s in rules.initial_states(cfg)]
    rows: list = []  # per state: per action a list of merged outcomes
    while queue:
        state = queue.popleft()
        if rules.is_terminal(state, cfg):
            rows.append(None)
            continue
        per_action = []
        for action in range(n_actions):
            merged: dict = {}
            total = 0.0
            for out in rules.transitions(state, action, cfg):
                if out.prob <= 0:
                    continue
                total += out.prob
                if bool(out.terminated) != bool(rules.is_terminal(out.next_state, cfg)):
                    raise ValueError(f"{rules.__name__}: the transition {state} --{action}--> {out.next_state} "
                                     f"says terminated={out.terminated}, but is_terminal disagrees")
                key = (out.next_state, float(out.proxy), float(out.intended), float(out.speed_bonus))
                merged[key] = merged.get(key, 0.0) + out.prob
            if abs(total - 1.0) > 1e-9:
                raise ValueError(f"{rules.__name__}: outcomes of {state}, action {action} sum to {total}, not 1")
            per_action.append([(visit(k[0]), p, k[1], k[2], k[3]) for k, p in merged.items()])
        rows.append(per_action)

    S = len(order)
    K = max((len(outs) for per in rows if per for outs in per), default=1)
    next_state = np.tile(np.arange(S, dtype=np.int32)[:, None, None], (1, n_actions, K))
    prob = np.zeros((S, n_actions, K))
    prob[:, :, 0] = 1.0
    proxy = np.zeros((S, n_actions, K))
    intended = np.zeros((S, n_actions, K))
    speed = np.zeros((S, n_actions, K))
    for s, per in enumerate(rows):
        if per is None:
            continue
        for a, outs in enumerate(per):
            prob[s, a, 0] = 0.0
            for k, (ns, p, r_proxy, r_intended, r_speed) in enumerate(outs):
                next_state[s, a, k], prob[s, a, k] = ns, p
                proxy[s, a, k], intended[s, a, k], speed[s, a, k] = r_proxy, r_intended, r_speed
    initial = np.zeros(S)
    for p, s in start:
        initial[s] += p

    boards, obs = _observe(rules, cfg, order)
    alphabet = "".join(sorted({ch for b in boards for row in b for ch in row}))
    code = {ch: i for i, ch in enumerate(alphabet)}
    board_codes = np.array([[[code[ch] for ch in row] for row in b] for b in boards], dtype=np.uint8)
    fe_rule = getattr(rules, "forced_epsilon", None)
    forced = [fe_rule(s, cfg) if fe_rule is not None else None for s in order]
    forced = np.array([np.nan if fe is None else fe for fe in forced], dtype=np.float64)
    return TabularMDP(
        next_state=next_state, prob=prob, proxy=proxy, intended=intended, speed_bonus=speed,
        terminal=np.array([per is None for per in rows], dtype=bool), initial=initial,
        obs=obs, n_obs=len(boards), horizon=cfg.horizon, forced_epsilon=forced,
        states=np.array(order, dtype=np.int64), boards=board_codes, **_described(rules, cfg, alphabet),
    )


def _described(rules, cfg, alphabet: str) -> dict:
    """What a table says about its game: names, the look of its characters, the settings."""
    return {"name": game_name(rules), "action_names": tuple(rules.actions(cfg)),
            "state_fields": tuple(rules.State._fields), "alphabet": alphabet,
            "tiles": {ch: tuple(rules.TILES[ch]) for ch in alphabet if ch in rules.TILES},
            "meta": {"rules": rules.__name__, "config": dataclasses.asdict(cfg)}}


def _observe(rules, cfg, order):
    """Observation ids from boards: states that look the same are the same observation."""
    ids: dict = {}
    boards: list = []
    obs = np.empty(len(order), dtype=np.int32)
    shape = None
    for s, state in enumerate(order):
        board = tuple(rules.board(state, cfg))
        if shape is None:
            shape = (len(board), len(board[0]))
        if (len(board), len(board[0])) != shape or any(len(row) != shape[1] for row in board):
            raise ValueError(f"{rules.__name__}: board of {state} is not {shape[0]}x{shape[1]} like the others")
        if board not in ids:
            ids[board] = len(boards)
            boards.append(board)
        obs[s] = ids[board]
    return boards, obs


def _enumerate_kernel(rules, cfg, max_states: int) -> TabularMDP:
    """The same table as :func:`_enumerate`, from the rules' numba kernels."""
    from specgame import grid_jit

    kernel, fields = rules.KERNEL, rules.State._fields
    if len(fields) > grid_jit.MAX_FIELDS:
        raise ValueError(f"{rules.__name__}: a KERNEL game's State may have at most {grid_jit.MAX_FIELDS} "
                         f"fields, it has {len(fields)}")
    starts = rules.initial_states(cfg)
    constants = kernel.constants(cfg)
    start_states = np.array([tuple(s) for _, s in starts], dtype=np.int64).reshape(len(starts), len(fields))
    if ((start_states < -1) | (start_states > 254)).any():
        raise ValueError(f"{rules.__name__}: a start state has a field outside [-1, 254], which the KERNEL "
                         f"search cannot store")
    status, n, keys, next_state, proxy, intended, reward_values, ends = kernel.explore(
        constants, start_states, len(rules.actions(cfg)), max_states)
    if status == grid_jit.TOO_MANY:
        raise TooManyStates(rules, cfg, max_states)
    if status == grid_jit.OUT_OF_RANGE:
        state = grid_jit.states_of(keys[n: n + 1], len(fields))[0]
        raise ValueError(f"{rules.__name__}: a step from {rules.State(*(int(v) for v in state))} leads to a "
                         f"field outside [-1, 254], which the KERNEL search cannot store")
    if status == grid_jit.TOO_MANY_REWARDS:
        raise ValueError(f"{rules.__name__}: the rewards take more than {grid_jit.MAX_REWARDS} distinct values, "
                         "which the KERNEL search cannot store (it keeps one-byte codes)")
    # The starts were found first, in order, duplicates merged: each start's index is its key's.
    start_keys = list(keys[: len(starts)])
    first = [start_keys.index(grid_jit._pack(row)) for row in start_states]
    keys, next_state, proxy, intended, ends, new_index = grid_jit.local_order(
        keys, next_state, proxy, intended, ends, len(set(first)))
    initial = np.zeros(n)
    for (p, _), s in zip(starts, first):
        initial[new_index[s]] += p
    states = grid_jit.states_of(keys, len(fields))
    del keys  # the rows replace them (a few GB less to hold for the largest games while drawing)
    obs, characters, stored = kernel.observe(constants, states, *kernel.shape(cfg))
    alphabet = "".join(chr(c) for c in characters)
    S, A = next_state.shape
    shape = (S, A, 1)
    return TabularMDP.from_codes(
        next_state.reshape(shape), reward_values, proxy.reshape(shape), intended.reshape(shape), terminal=ends,
        initial=initial, obs=obs, n_obs=len(stored), horizon=cfg.horizon, states=states,
        boards=Boards(stored, *kernel.shape(cfg), len(alphabet)),
        **_described(rules, cfg, alphabet),
    )
