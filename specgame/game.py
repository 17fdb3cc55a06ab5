"""The game contract: what a rules module must define to become a specgame environment.

A game is a plain Python module (``specgame/envs/boat_race_loop.py`` is one; the worked
example in ``docs/architecture.md`` is another).  :class:`Game` spells out its pieces as
a ``typing.Protocol``, so a type checker can hold a module to it, and :func:`check_game`
checks them when the game's env class is declared (``class MyEnv(SpecGameEnv,
rules=__name__)``), naming the first missing piece.  :func:`specgame.grid.compile` turns
a module that passes into a :class:`~specgame.mdp.TabularMDP`.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple, Protocol


class Outcome(NamedTuple):
    """One possible result of taking an action (what ``transitions`` returns a list of).

    ``speed_bonus`` adds ``speed_bonus * (horizon - t) / horizon`` to the intended reward,
    where ``t`` is the step count after this step: "finish, and finish quickly".
    """

    prob: float
    next_state: tuple
    proxy: float
    intended: float
    terminated: bool = False
    speed_bonus: float = 0.0


class Kernel(NamedTuple):
    """What a rules module offers the fast path of compile (see :mod:`specgame.grid_jit`)."""

    step: Callable  # (state, action, constants, out) -> (proxy, intended)
    terminal: Callable  # (state, constants) -> bool
    draw: Callable  # (state, constants, out): the board as ASCII codes
    explore: Callable  # (constants, starts, n_actions, max_states) -> explore()'s results
    observe: Callable  # (constants, states, rows, cols) -> observe()'s results
    constants: Callable  # config -> the game's NamedTuple of constants the kernels read
    shape: Callable  # config -> (rows, cols) of the board


class Game(Protocol):
    """A rules module.  Each piece is a module-level name.

    - ``Config``: a frozen dataclass of the game's parameters, with a ``horizon`` field
      (the episode's step limit).  Each field is declared once with
      :func:`specgame._settings.setting` (default, help, range) and ``__post_init__`` calls
      :func:`specgame._settings.validate`.  Every field should have a default: the
      registered ids build it from keyword arguments.
    - ``State``: a ``NamedTuple`` of ints holding everything that shapes the future.
    - ``TILES``: the game's look, ``{character: (ground, glyph, colour)}`` (names from
      :mod:`specgame._sprites`); characters not in it are drawn with the generic tiles of
      :data:`specgame.render.TILES`.  Compiling keeps it with the table (``mdp.tiles``).
    - ``actions(config)``: the action names, in index order.
    - ``initial_states(config)``: ``[(probability, State)]``.
    - ``transitions(state, action, config)``: ``[Outcome]``.
    - ``is_terminal(state, config)``: whether the episode is over.
    - ``board(state, config)``: what the agent sees, as rows of characters; states with
      equal boards are one observation.

    Optional: ``forced_epsilon(state, config) -> float | None`` (the agent's exploration
    is handed over, as after drinking whisky), ``MAX_STATES`` (the game's own limit for
    compile), and ``KERNEL`` (the same rules as numba kernels, for games with millions of
    states, a :class:`Kernel`; see :mod:`specgame.grid_jit`).
    """

    Config: ClassVar[type]
    State: ClassVar[type]
    TILES: ClassVar[Mapping[str, tuple]]

    def actions(self, config) -> Sequence[str]: ...

    def initial_states(self, config) -> Sequence[tuple[float, Any]]: ...

    def transitions(self, state, action: int, config) -> Sequence[Any]: ...

    def is_terminal(self, state, config) -> bool: ...

    def board(self, state, config) -> Sequence[str]: ...


# piece -> (how many arguments, what it is): the functions of the Protocol, for messages.
FUNCTIONS = {
    "actions": (1, "actions(config) -> the action names"),
    "initial_states": (1, "initial_states(config) -> [(probability, State)]"),
    "transitions": (3, "transitions(state, action, config) -> [Outcome]"),
    "is_terminal": (2, "is_terminal(state, config) -> bool"),
    "board": (2, "board(state, config) -> rows of characters"),
}
OPTIONAL_FUNCTIONS = {"forced_epsilon": (2, "forced_epsilon(state, config) -> float or None")}


class GameError(ValueError):
    """A rules module that does not follow :class:`Game`; the message names the piece."""


def game_name(rules) -> str:
    """The short name of a rules module (``boat_race_loop``)."""
    return getattr(rules, "__name__", repr(rules)).rsplit(".", 1)[-1]


def check_game(rules):
    """Check that ``rules`` has every piece of :class:`Game`; returns it.

    Cheap: it looks at names, types and signatures, and never compiles the game.  Raises
    :class:`GameError` naming the module and its first missing or malformed piece.
    """
    module = getattr(rules, "__name__", repr(rules))

    def refuse(piece: str, problem: str):
        raise GameError(f"the game {module} {problem} [{piece}]; see specgame.game.Game")

    config = getattr(rules, "Config", None)
    if config is None:
        refuse("Config", "has no Config: a frozen dataclass of its parameters")
    if not dataclasses.is_dataclass(config) or not isinstance(config, type):
        refuse("Config", "has a Config that is not a dataclass")
    if not config.__dataclass_params__.frozen:
        refuse("Config", "has a Config that is not frozen: use @dataclass(frozen=True)")
    if "horizon" not in {f.name for f in dataclasses.fields(config)}:
        refuse("Config.horizon", "has a Config without a horizon field, the episode's step limit")
    state = getattr(rules, "State", None)
    if state is None:
        refuse("State", "has no State: a NamedTuple of ints")
    if not (isinstance(state, type) and issubclass(state, tuple) and hasattr(state, "_fields")):
        refuse("State", "has a State that is not a NamedTuple")
    tiles = getattr(rules, "TILES", None)
    if tiles is None:
        refuse("TILES", "has no TILES: its look, {character: (ground, glyph, colour)} ({} for the generic tiles)")
    if not isinstance(tiles, Mapping) or not all(isinstance(ch, str) and len(ch) == 1 and isinstance(spec, tuple)
                                                 and len(spec) == 3 for ch, spec in tiles.items()):
        refuse("TILES", "has TILES that is not a dict of one character -> (ground, glyph, colour)")
    for pieces, required in ((FUNCTIONS, True), (OPTIONAL_FUNCTIONS, False)):
        for name, (arity, what) in pieces.items():
            function = getattr(rules, name, None)
            if function is None and not required:
                continue
            if not callable(function):
                refuse(name, f"has no function {what}")
            if not _takes(function, arity):
                refuse(name, f"has a {name} that does not take {arity} arguments: it must be {what}")
    limit = getattr(rules, "MAX_STATES", None)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        refuse("MAX_STATES", f"has MAX_STATES = {limit!r}, which is not a positive int")
    kernel = getattr(rules, "KERNEL", None)
    if kernel is not None:
        if not isinstance(kernel, Kernel):
            refuse("KERNEL", "has a KERNEL that is not a specgame.grid_jit.Kernel")
    return rules


def _takes(function: Callable, arity: int) -> bool:
    try:
        inspect.signature(function).bind(*range(arity))
    except TypeError:
        return False
    except ValueError:  # no signature to read (a builtin): trust it
        return True
    return True
