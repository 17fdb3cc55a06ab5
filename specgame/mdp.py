"""TabularMDP: the compiled, all-numpy form of an environment.

Every part of specgame reads this one table: the Gymnasium env steps through it, the
numba agents train on it and the exact solver plans over it, so all three agree on the
dynamics by construction.

Shapes: ``S`` states, ``A`` actions, ``K`` outcomes per (state, action) (padded with
zero-probability rows).  A terminal state never acts; its rows are a self-loop.

The table is stored compactly, fitted to the game (a 13-million-state game takes a
third of the memory of the plain float arrays): a deterministic game keeps no
probabilities, a game without a speed bonus or forced exploration keeps no array for
them, and the rewards are one-byte codes into a small table of their distinct values.
"""

from __future__ import annotations

import dataclasses
import functools
from functools import cached_property
from typing import NamedTuple

import numpy as np

from specgame._checks import check_int, fail
from specgame._files import atomic_write, json_bytes, read_npz
from specgame._jit import njit  # registers the cache locator before the decorators run

FORMAT = "specgame.TabularMDP"
FORMAT_VERSION = 3  # 3: boards several codes a byte (2: compact arrays; 1: every array in full; both still read)
READS = (1, 2, 3)
MAX_BYTE_CODES = 256  # more distinct reward values than this: four-byte codes


class KernelArrays(NamedTuple):
    """The compact arrays as the numba kernels read them (the solver's and the agents').

    An array a table does not keep is a one-entry stand-in, with a flag saying so, so the
    kernels compile once for every table of the same reward code type.
    """

    next_state: np.ndarray  # int32 [S, A, K]
    prob: np.ndarray  # float64 [S, A, K]; [1, 1, 1] when deterministic
    deterministic: bool  # K == 1 and every outcome certain
    reward_values: np.ndarray  # float64 [V]
    proxy_code: np.ndarray  # uint8 or int32 [S, A, K]: indices into reward_values
    intended_code: np.ndarray
    speed_code: np.ndarray  # as proxy_code; [1, 1, 1] when there is no speed bonus
    has_speed_bonus: bool
    terminal: np.ndarray  # bool [S]
    initial: np.ndarray  # float64 [S]
    obs: np.ndarray  # int32 [S]
    forced: np.ndarray  # float64 [S]; [1] when no state forces exploration
    has_forced: bool


class TabularMDP:
    """An episodic MDP with two rewards: the ``proxy`` (trained on) and the ``intended``.

    Build one from full arrays, as ``TabularMDP(next_state=…, prob=…, proxy=…,
    intended=…, terminal=…, initial=…, obs=…, horizon=…)`` with the optional
    ``speed_bonus``, ``forced_epsilon``, ``n_obs``, ``name``, ``action_names``,
    ``state_fields``, ``states``, ``boards``, ``alphabet``, ``tiles`` (the game's look:
    {character: (ground, glyph, colour)}) and ``meta``; or from the
    compact arrays with :meth:`from_codes`.  It is immutable; :meth:`replace` makes a
    changed copy.

    ``intended`` of a transition taken as step ``t`` of an episode (``t`` counts from 1)
    is ``intended[s, a, k] + speed_bonus[s, a, k] * (horizon - t) / horizon``: the
    speed bonus lets "finish, and finish quickly" be said without putting time in the state.

    What is stored (the compact form, read by the solver, the kernels and the env):

    - ``next_state`` int32 [S, A, K];
    - ``outcome_prob`` float64 [S, A, K], or None for a deterministic table (K == 1);
    - ``reward_values`` float64 [V], the distinct values of the proxy, the intended reward
      and the speed bonus; ``proxy_code``, ``intended_code`` and ``speed_code`` [S, A, K]
      index it (uint8 when V <= 256, else int32); ``speed_code`` is None when no
      transition has a speed bonus;
    - ``forced`` float64 [S] (NaN where the agent explores freely), or None when no
      state takes over the agent's exploration;
    - ``terminal`` bool [S], ``initial`` float64 [S], ``obs`` int32 [S];
    - ``states`` [S, F] in the narrowest integer type that holds them; ``boards``, the
      observations' boards as codes into ``alphabet``: a :class:`Boards`, read like a uint8
      array [n_obs, H, W] (``mdp.boards[ids]``) and stored several codes a byte.

    ``prob``, ``proxy``, ``intended``, ``speed_bonus`` and ``forced_epsilon`` give the full
    float64 arrays, built on first use and then kept: convenient on small tables, but
    several hundred MB each on the largest.  ``prob_of(index)`` and its siblings read
    any part of them without building the whole.
    """

    def __init__(self, next_state, prob, proxy, intended, terminal, initial, obs, horizon, speed_bonus=None,
                 forced_epsilon=None, n_obs=None, name="mdp", action_names=None, state_fields=(), states=None,
                 boards=None, alphabet="", tiles=None, meta=None):
        next_state = _as(next_state, np.int32, "next_state", 3)
        shape = next_state.shape
        prob = _as(prob, np.float64, "prob", 3, shape)
        proxy = _as(proxy, np.float64, "proxy", 3, shape)
        intended = _as(intended, np.float64, "intended", 3, shape)
        speed = None if speed_bonus is None else _as(speed_bonus, np.float64, "speed_bonus", 3, shape)
        for label, array in (("prob", prob), ("proxy", proxy), ("intended", intended), ("speed_bonus", speed)):
            if array is not None and not np.isfinite(array).all():
                raise ValueError(f"{label} must be finite; it holds NaN or inf")
        _check_prob(prob)
        if speed is not None and not speed.any():
            speed = None
        values, codes = encode_rewards([proxy, intended] + ([speed] if speed is not None else []))
        forced = None
        if forced_epsilon is not None:
            forced = _as(forced_epsilon, np.float64, "forced_epsilon", 1, (shape[0],))
            if np.isnan(forced).all():
                forced = None
        self._setup(next_state, None if shape[2] == 1 else prob, values, codes[0], codes[1],
                    codes[2] if speed is not None else None, terminal, initial, obs, horizon, forced, n_obs, name,
                    action_names, state_fields, states, boards, alphabet, tiles, meta)

    @classmethod
    def from_codes(cls, next_state, reward_values, proxy_code, intended_code, terminal, initial, obs, horizon,
                   outcome_prob=None, speed_code=None, forced=None, n_obs=None, name="mdp", action_names=None,
                   state_fields=(), states=None, boards=None, alphabet="", tiles=None, meta=None) -> TabularMDP:
        """A table from its compact arrays (see the class docstring), checked as the full form is."""
        mdp = cls.__new__(cls)
        next_state = _as(next_state, np.int32, "next_state", 3)
        shape = next_state.shape
        values = _as(reward_values, np.float64, "reward_values", 1)
        if not np.isfinite(values).all():
            raise ValueError("reward_values must be finite; it holds NaN or inf")
        code_type = np.uint8 if len(values) <= MAX_BYTE_CODES else np.int32
        codes = [None if c is None else _as(c, code_type, label, 3, shape)
                 for label, c in (("proxy_code", proxy_code), ("intended_code", intended_code),
                                  ("speed_code", speed_code))]
        for label, code in zip(("proxy_code", "intended_code", "speed_code"), codes):
            if code is not None and code.size and (int(code.min()) < 0 or int(code.max()) >= len(values)):
                raise ValueError(f"{label} must hold indices into reward_values in [0, {len(values)})")
        if outcome_prob is not None:
            outcome_prob = _as(outcome_prob, np.float64, "prob", 3, shape)
            if not np.isfinite(outcome_prob).all():
                raise ValueError("prob must be finite; it holds NaN or inf")
            _check_prob(outcome_prob)
            if shape[2] == 1:
                outcome_prob = None  # one outcome that sums to 1 is certain
        elif shape[2] != 1:
            raise ValueError(f"a table with K={shape[2]} outcomes per action needs outcome_prob")
        if forced is not None:
            forced = _as(forced, np.float64, "forced_epsilon", 1, (shape[0],))
        mdp._setup(next_state, outcome_prob, values, *codes, terminal, initial, obs, horizon, forced, n_obs,
                   name, action_names, state_fields, states, boards, alphabet, tiles, meta)
        return mdp

    def _setup(self, next_state, outcome_prob, reward_values, proxy_code, intended_code, speed_code, terminal,
               initial, obs, horizon, forced, n_obs, name, action_names, state_fields, states, boards, alphabet,
               tiles, meta):
        S = next_state.shape[0]
        set_ = object.__setattr__
        set_(self, "next_state", next_state)
        set_(self, "outcome_prob", outcome_prob)
        set_(self, "reward_values", reward_values)
        set_(self, "proxy_code", proxy_code)
        set_(self, "intended_code", intended_code)
        set_(self, "speed_code", speed_code)
        set_(self, "terminal", _as(terminal, np.bool_, "terminal", 1, (S,)))
        set_(self, "initial", _as(initial, np.float64, "initial", 1, (S,)))
        set_(self, "obs", _as(obs, np.int32, "obs", 1, (S,)))
        set_(self, "forced", forced)
        if n_obs is None:
            n_obs = int(self.obs.max()) + 1 if S else 0
        set_(self, "n_obs", _count("n_obs", n_obs))
        set_(self, "horizon", _count("horizon", horizon))
        set_(self, "name", name)
        set_(self, "action_names", None if action_names is None else tuple(action_names))
        set_(self, "state_fields", tuple(state_fields))
        set_(self, "states", None if states is None else _states(states))
        set_(self, "boards", _boards(boards, alphabet))
        set_(self, "alphabet", alphabet)
        set_(self, "tiles", _tiles({} if tiles is None else tiles))
        set_(self, "meta", {} if meta is None else meta)
        self._validate()

    def __setattr__(self, name, value):
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}: a TabularMDP is immutable; "
                                              "use replace()")

    def __delattr__(self, name):
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}: a TabularMDP is immutable")

    def __repr__(self) -> str:
        S, A, K = self.shape
        return (f"TabularMDP({self.name!r}, {S:,} states, {A} actions, {K} outcome{'s' * (K > 1)}, "
                f"horizon {self.horizon}, {self.nbytes / 2**20:,.1f} MiB)")

    def _validate(self):
        S, A, K = self.shape
        if S < 1 or A < 1 or K < 1:
            raise ValueError(f"a TabularMDP needs at least one state, action and outcome, got shape {self.shape}")
        if self.horizon < 1:
            raise ValueError(f"horizon must be a positive number of steps, got {self.horizon}")
        low, high = int(self.next_state.min()), int(self.next_state.max())
        if low < 0 or high >= S:
            raise ValueError(f"next_state must hold state indices in [0, {S}), got values in [{low}, {high}]")
        if not np.isfinite(self.initial).all():
            raise ValueError("initial must be finite; it holds NaN or inf")
        if (self.initial < 0).any() or abs(self.initial.sum() - 1.0) > 1e-9:
            raise ValueError(f"initial must be a probability distribution, it sums to {float(self.initial.sum())!r}")
        if self.initial[self.terminal].sum() > 0:
            raise ValueError("an episode cannot start in a terminal state")
        if self.obs.min() < 0 or self.obs.max() >= self.n_obs:
            raise ValueError(f"obs must hold observation ids in [0, n_obs={self.n_obs})")
        if self.forced is not None:
            fe = self.forced[~np.isnan(self.forced)]
            if ((fe < 0) | (fe > 1)).any():
                raise ValueError("forced_epsilon must be NaN or in [0, 1]")
        if self.action_names is not None and len(self.action_names) != A:
            raise ValueError(f"action_names has {len(self.action_names)} names for {A} actions")
        if self.boards is not None:
            if self.boards.shape[0] != self.n_obs:
                raise ValueError(f"boards has {self.boards.shape[0]} entries for n_obs={self.n_obs}")
            if self.boards.n_codes != len(self.alphabet):
                raise ValueError(f"boards are coded for {self.boards.n_codes} characters, but the alphabet "
                                 f"{self.alphabet!r} has {len(self.alphabet)}")
        if self.states is not None and self.states.shape != (S, len(self.state_fields)):
            raise ValueError(f"states must have shape ({S}, {len(self.state_fields)}) (one row per state, "
                             f"one column per field of {self.state_fields}), got {self.states.shape}")

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.next_state.shape

    @property
    def n_states(self) -> int:
        return self.shape[0]

    @property
    def n_actions(self) -> int:
        return self.shape[1]

    @property
    def deterministic(self) -> bool:
        """Whether every action has one certain outcome (then no probabilities are stored)."""
        return self.outcome_prob is None

    @property
    def nbytes(self) -> int:
        """Bytes held by the table's arrays (the full arrays built on request included)."""
        return sum(value.nbytes for value in vars(self).values() if isinstance(value, (np.ndarray, Boards)))

    # -- the full arrays, and any part of them --------------------------------------------

    def prob_of(self, index=...) -> np.ndarray:
        """``prob[index]`` (float64) without building the whole array."""
        if self.outcome_prob is not None:
            return self.outcome_prob[index]
        return np.ones(np.shape(self.next_state[index]))

    def proxy_of(self, index=...) -> np.ndarray:
        """``proxy[index]`` (float64) without building the whole array."""
        return self.reward_values[self.proxy_code[index]]

    def intended_of(self, index=...) -> np.ndarray:
        """``intended[index]`` (float64, without the speed bonus) without building the whole array."""
        return self.reward_values[self.intended_code[index]]

    def speed_bonus_of(self, index=...) -> np.ndarray:
        """``speed_bonus[index]`` (float64) without building the whole array."""
        if self.speed_code is not None:
            return self.reward_values[self.speed_code[index]]
        return np.zeros(np.shape(self.next_state[index]))

    def forced_epsilon_of(self, state: int) -> float:
        """The exploration rate the environment forces in ``state``, or NaN."""
        return float(self.forced[state]) if self.forced is not None else float("nan")

    @cached_property
    def prob(self) -> np.ndarray:
        """float64 [S, A, K], each (s, a) row sums to 1 (built on first use)."""
        return self.prob_of()

    @cached_property
    def proxy(self) -> np.ndarray:
        """float64 [S, A, K] (built on first use)."""
        return self.proxy_of()

    @cached_property
    def intended(self) -> np.ndarray:
        """float64 [S, A, K], without the speed bonus (built on first use)."""
        return self.intended_of()

    @cached_property
    def speed_bonus(self) -> np.ndarray:
        """float64 [S, A, K] (built on first use)."""
        return self.speed_bonus_of()

    @cached_property
    def forced_epsilon(self) -> np.ndarray:
        """float64 [S]: NaN where the agent explores freely (built on first use)."""
        return self.forced.copy() if self.forced is not None else np.full(self.n_states, np.nan)

    def kernel_arrays(self) -> KernelArrays:
        """The compact arrays with one-entry stand-ins for those not kept, for the numba kernels."""
        code_type = self.proxy_code.dtype
        return KernelArrays(
            self.next_state, _ONE if self.outcome_prob is None else self.outcome_prob, self.outcome_prob is None,
            self.reward_values, self.proxy_code, self.intended_code,
            np.zeros((1, 1, 1), code_type) if self.speed_code is None else self.speed_code,
            self.speed_code is not None, self.terminal, self.initial, self.obs,
            _NO_FORCED if self.forced is None else self.forced, self.forced is not None)

    def replace(self, **changes) -> TabularMDP:
        """A copy with some fields changed, as ``dataclasses.replace`` would make it (the full
        form's names: ``proxy=…``, ``horizon=…``, …); unchanged compact arrays are shared."""
        unknown = sorted(set(changes) - set(_FULL_FIELDS))
        if unknown:
            raise ValueError(f"replace() got {unknown[0]!r}; a TabularMDP's fields are {list(_FULL_FIELDS)}")
        if set(changes) & {"prob", "proxy", "intended", "speed_bonus"}:
            full = {name: getattr(self, name) for name in _FULL_FIELDS}
            return TabularMDP(**{**full, **changes})
        kept = {name: getattr(self, name) for name in _DESCRIPTION}
        kept.update(outcome_prob=self.outcome_prob, speed_code=self.speed_code, forced=self.forced)
        next_state = changes.pop("next_state", self.next_state)
        if "forced_epsilon" in changes:
            forced = _as(changes.pop("forced_epsilon"), np.float64, "forced_epsilon", 1, (self.n_states,))
            kept["forced"] = None if np.isnan(forced).all() else forced
        return TabularMDP.from_codes(next_state, self.reward_values, self.proxy_code, self.intended_code,
                                     **{**kept, **changes})

    def board(self, state: int) -> list[str]:
        """The board the agent sees in ``state``, as rows of characters."""
        if self.boards is None:
            raise ValueError(f"{self.name} has no boards (it was not compiled from a grid)")
        codes = self.boards[self.obs[state]]
        return ["".join(self.alphabet[c] for c in row) for row in codes]

    def state_dict(self, state: int) -> dict:
        """The decoded fields of ``state`` (empty when the table has none)."""
        if self.states is None:
            return {}
        return dict(zip(self.state_fields, (int(v) for v in self.states[state])))

    # -- files ---------------------------------------------------------------------------

    _ARRAYS = ("next_state", "reward_values", "proxy_code", "intended_code", "terminal", "initial", "obs")
    _OPTIONAL = ("outcome_prob", "speed_code", "forced", "states")

    def save(self, path) -> None:
        """Write the compact table as ``.npz`` with a JSON header; atomic (temp file, then rename).
        The boards are written as stored (``Boards.stored``), their height and width in the header."""
        arrays = {name: getattr(self, name) for name in self._ARRAYS}
        for name in self._OPTIONAL:
            if getattr(self, name) is not None:
                arrays[name] = getattr(self, name)
        if self.boards is not None:
            arrays["boards"] = self.boards.stored
        header = {"format": FORMAT, "version": FORMAT_VERSION, "n_obs": self.n_obs,
                  "horizon": self.horizon, "name": self.name, "action_names": self.action_names,
                  "state_fields": list(self.state_fields), "alphabet": self.alphabet,
                  "tiles": self.tiles, "meta": self.meta, "shape": list(self.shape),
                  "board_shape": None if self.boards is None else list(self.boards.shape[1:])}
        arrays["header"] = json_bytes(header)
        atomic_write(path, lambda f: np.savez_compressed(f, **arrays))

    @classmethod
    def load(cls, path) -> TabularMDP:
        """Read a table written by :meth:`save` (this version's or an earlier one); never unpickles.
        Earlier versions' boards (one code a byte, [n_obs, H, W]) are packed as they are read."""
        arrays, header = read_npz(path, FORMAT, READS)
        try:
            if list(arrays["next_state"].shape) != header["shape"]:
                raise ValueError(f"next_state has shape {arrays['next_state'].shape}, "
                                 f"the header says {header['shape']}")
            boards = arrays.get("boards")
            if boards is not None and boards.ndim == 2:  # as stored; codes [n_obs, H, W] (version 2) are packed
                boards = Boards(boards, *header["board_shape"], len(header["alphabet"]))
            described = dict(n_obs=header["n_obs"], horizon=header["horizon"], name=header["name"],
                             action_names=tuple(header["action_names"]) if header["action_names"] else None,
                             state_fields=tuple(header["state_fields"]), alphabet=header["alphabet"],
                             tiles=header.get("tiles", {}), meta=header["meta"], states=arrays.get("states"),
                             boards=boards,
                             terminal=arrays["terminal"], initial=arrays["initial"], obs=arrays["obs"])
            if header["version"] == 1 or "proxy" in arrays:  # every array in full
                return cls(next_state=arrays["next_state"], prob=arrays["prob"], proxy=arrays["proxy"],
                           intended=arrays["intended"], speed_bonus=arrays["speed_bonus"],
                           forced_epsilon=arrays["forced_epsilon"], **described)
            outcome_prob = arrays.get("outcome_prob", arrays.get("prob"))
            return cls.from_codes(arrays["next_state"], arrays["reward_values"], arrays["proxy_code"],
                                  arrays["intended_code"], outcome_prob=outcome_prob,
                                  speed_code=arrays.get("speed_code"), forced=arrays.get("forced"), **described)
        except KeyError as missing:
            raise ValueError(f"{path} is not a complete specgame TabularMDP file: {missing} is missing") from None
        except (TypeError, ValueError) as err:  # the arrays are there but do not make a valid table
            raise ValueError(f"{path} holds an invalid TabularMDP: {err}") from None


# The descriptive fields, shared by both constructors; and every keyword of the full form.
_DESCRIPTION = ("terminal", "initial", "obs", "horizon", "n_obs", "name", "action_names", "state_fields",
                "states", "boards", "alphabet", "tiles", "meta")
_FULL_FIELDS = ("next_state", "prob", "proxy", "intended", "speed_bonus", "forced_epsilon") + _DESCRIPTION
_ONE = np.ones((1, 1, 1))


@dataclasses.dataclass(frozen=True, eq=False)
class _FullForm:
    """The full form's keywords, as dataclass fields: ``dataclasses.replace(mdp, proxy=…)`` and
    ``dataclasses.fields(mdp)`` keep working on a TabularMDP (``mdp.replace`` shares more)."""

    next_state: np.ndarray
    prob: np.ndarray
    proxy: np.ndarray
    intended: np.ndarray
    terminal: np.ndarray
    initial: np.ndarray
    obs: np.ndarray
    horizon: int
    speed_bonus: np.ndarray | None = None
    forced_epsilon: np.ndarray | None = None
    n_obs: int | None = None
    name: str = "mdp"
    action_names: tuple | None = None
    state_fields: tuple = ()
    states: np.ndarray | None = None
    boards: Boards | np.ndarray | None = None
    alphabet: str = ""
    tiles: dict | None = None
    meta: dict | None = None


TabularMDP.__dataclass_fields__ = _FullForm.__dataclass_fields__
TabularMDP.__dataclass_params__ = _FullForm.__dataclass_params__
_NO_FORCED = np.full(1, np.nan)


def _check_prob(prob) -> None:
    if (prob < 0).any():
        raise ValueError("prob must be non-negative")
    sums = prob.sum(axis=2)
    bad = np.argwhere(np.abs(sums - 1.0) > 1e-9)
    if len(bad):
        s, a = bad[0]
        raise ValueError(f"prob[{s}, {a}] sums to {float(sums[s, a])!r}, "
                         "but each (state, action) row must sum to 1")


# -- boards, several character codes a byte --------------------------------------------------


class Boards:
    """Every observation's board as character codes, stored compactly; read like an array.

    ``boards[i]`` is board ``i`` (uint8 [H, W], codes into the table's alphabet);
    ``boards[ids]`` and ``boards[a:b]`` give [N, H, W]; ``boards.shape`` is (n_obs, H, W)
    and ``np.asarray(boards)`` unpacks them all.  What is read is a fresh array: the
    table stays immutable.

    A byte holds as many cells as fit: ``per_byte`` cells of an alphabet of ``n``
    characters while ``n ** per_byte <= 256`` (three for Sokoban's five characters, two
    for up to 16, one past that), as the digits of a number in base ``n``, the board's
    first cell (its cells read row by row) the lowest digit; missing cells at the end are
    0.  ``stored`` is that uint8 [n_obs, ceil(H * W / per_byte)] array.  Unpacking is one
    vectorised lookup, so reading many boards at once (a network's table over every board)
    costs a few array operations, not a loop.
    """

    def __init__(self, stored, height: int, width: int, n_codes: int):
        stored = _as(stored, np.uint8, "boards", 2)
        cells = check_int("the boards' height", height, 1) * check_int("the boards' width", width, 1)
        self.n_codes = check_int("the boards' number of characters", n_codes, 1)
        self.per_byte = cells_per_byte(n_codes)
        self.base = max(n_codes, 2)
        if stored.shape[1] != -(-cells // self.per_byte):
            fail("the stored boards' bytes per board", f"{-(-cells // self.per_byte)} for {height}x{width} boards "
                 f"of {n_codes} characters", stored.shape[1])
        if stored.size and int(stored.max()) >= self.base ** self.per_byte:
            fail("the stored boards' bytes", f"below {self.base ** self.per_byte} ({self.per_byte} codes of "
                 f"{n_codes} characters a byte)", int(stored.max()))
        self.stored = stored
        self.shape = (stored.shape[0], height, width)

    @classmethod
    def pack(cls, codes, alphabet: str) -> Boards:
        """Store ``codes`` (uint8 [N, H, W], indices into ``alphabet``) as many a byte as fit."""
        codes = _as(codes, np.uint8, "boards", 3)
        if codes.size:
            _check_codes(int(codes.max()), alphabet)
        n, height, width = codes.shape
        per_byte = cells_per_byte(len(alphabet))
        stored = np.empty((n, -(-height * width // per_byte)), np.uint8)
        pack_boards(codes.reshape(n, height * width), stored, max(len(alphabet), 2), per_byte)
        return cls(stored, height, width, len(alphabet))

    dtype = np.dtype(np.uint8)
    ndim = 3

    @property
    def nbytes(self) -> int:
        return self.stored.nbytes

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index):
        rest = ()
        if isinstance(index, tuple):
            index, rest = index[0], index[1:]
        stored = self.stored[index]
        digits = _digits(self.base, self.per_byte)[stored]  # [..., bytes, per_byte]: a fresh array
        cells = digits.reshape(stored.shape[:-1] + (-1,))[..., :self.shape[1] * self.shape[2]]
        boards = cells.reshape(stored.shape[:-1] + self.shape[1:])
        return boards[(slice(None),) * (boards.ndim - 2) + rest] if rest else boards

    def __iter__(self):
        for start in range(0, len(self), 4096):
            yield from self[start:start + 4096]

    def __array__(self, dtype=None, copy=None):
        boards = self[:]
        return boards if dtype is None else boards.astype(dtype)

    def __repr__(self) -> str:
        return f"Boards({self.shape[0]:,} boards of {self.shape[1]}x{self.shape[2]}, {self.per_byte} cells a byte)"


@njit(cache=True)
def cells_per_byte(n_codes) -> int:
    """How many cells of an alphabet of ``n_codes`` characters one byte holds (see :class:`Boards`)."""
    base, per_byte = max(n_codes, 2), 1
    while base ** (per_byte + 1) <= 256:
        per_byte += 1
    return per_byte


@njit(cache=True)
def pack_boards(codes, stored, base, per_byte) -> None:
    """Pack ``codes`` (uint8 [N, C], each below ``base``) into ``stored`` (uint8 [N, ceil(C / per_byte)]):
    cell ``j * per_byte + d`` is digit ``d`` in base ``base`` of byte ``j`` (see :class:`Boards`)."""
    cells = codes.shape[1]
    for i in range(codes.shape[0]):
        for j in range(stored.shape[1]):
            value = 0
            for d in range(per_byte - 1, -1, -1):
                cell = j * per_byte + d
                value = value * base + (codes[i, cell] if cell < cells else 0)
            stored[i, j] = value


@functools.cache
def _digits(base: int, per_byte: int) -> np.ndarray:
    """The codes each byte holds: uint8 [256, per_byte] (bytes past ``base ** per_byte`` unused)."""
    digits = (np.arange(256)[:, None] // base ** np.arange(per_byte)) % base
    return digits.astype(np.uint8)


def _boards(boards, alphabet: str) -> Boards | None:
    """The table's boards: kept as given when stored already, packed when given as codes [N, H, W]."""
    if boards is None or isinstance(boards, Boards):
        return boards
    return Boards.pack(boards, alphabet)


def _check_codes(largest: int, alphabet: str) -> None:
    if largest >= len(alphabet):
        raise ValueError(f"boards holds character code {largest}, but the alphabet {alphabet!r} "
                         f"has {len(alphabet)} characters")


# -- compact storage -------------------------------------------------------------------------


def _states(states) -> np.ndarray:
    """The decoded states [S, F] in the narrowest integer type (integer input is not widened first)."""
    given = np.asarray(states)
    if given.dtype.kind in "iu" and given.ndim == 2:
        return narrowest(np.ascontiguousarray(given))
    return narrowest(_as(states, np.int64, "states", 2))


def narrowest(array: np.ndarray) -> np.ndarray:
    """``array`` (integers) in the narrowest signed integer type that holds its values."""
    if array.size == 0:
        return array.astype(np.int8)
    low, high = int(array.min()), int(array.max())
    for dtype in (np.int8, np.int16, np.int32, np.int64):
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return array if array.dtype == dtype else array.astype(dtype)
    return array


@njit(cache=True)
def _byte_codes(bits, values, n_values, codes) -> int:
    """Code each float (given as its int64 bits) by its value's place in ``values`` (bits too),
    adding new values; returns the number of values, or -1 past ``values``' capacity.
    Bits, not ``==``: 0.0 and -0.0 stay apart, so decoding gives back every float exactly."""
    last = 0
    for i in range(bits.shape[0]):
        x = bits[i]
        if n_values and values[last] == x:  # runs of one value are common
            codes[i] = last
            continue
        found = -1
        for j in range(n_values):
            if values[j] == x:
                found = j
                break
        if found < 0:
            if n_values == values.shape[0]:
                return -1
            values[n_values] = x
            found = n_values
            n_values += 1
        codes[i] = found
        last = found
    return n_values


def encode_rewards(arrays: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """One table of the distinct values of ``arrays`` (float64) and each array's codes into it:
    uint8 codes for at most 256 values, else int32.  ``values[codes]`` is the array, bit for bit."""
    values = np.zeros(MAX_BYTE_CODES, np.int64)
    n_values = 0
    codes = []
    for array in arrays:
        code = np.empty(array.size, np.uint8)
        n_values = _byte_codes(np.ascontiguousarray(array).reshape(-1).view(np.int64), values, n_values, code)
        if n_values < 0:
            break
        codes.append(code.reshape(array.shape))
    else:
        return values[:n_values].view(np.float64).copy(), codes
    bits = np.concatenate([np.ascontiguousarray(a).reshape(-1).view(np.int64) for a in arrays])
    distinct, inverse = np.unique(bits, return_inverse=True)
    inverse = inverse.astype(np.int32).reshape(-1)
    parts, start = [], 0
    for array in arrays:
        parts.append(inverse[start:start + array.size].reshape(array.shape))
        start += array.size
    return distinct.view(np.float64).copy(), parts


def _as(value, dtype, name, ndim, shape=None) -> np.ndarray:
    given = np.asarray(value)
    if given.dtype == object or not (np.issubdtype(given.dtype, np.number) or given.dtype == np.bool_):
        raise ValueError(f"{name} must be an array of numbers, got dtype {given.dtype}")
    array = np.ascontiguousarray(given, dtype=dtype)
    # A silent cast would corrupt the table: 2**32 wraps to 0 in int32, 1.5 truncates to 1.
    if array.dtype != given.dtype and dtype != np.float64 and not np.array_equal(array, given):
        raise ValueError(f"{name} must hold values representable as {np.dtype(dtype).name}; "
                         f"casting changed them")
    if array.ndim != ndim or (shape is not None and array.shape != shape):
        want = shape if shape is not None else f"{ndim} dimensions"
        raise ValueError(f"{name} must have shape {want}, got {array.shape}")
    return array


def _count(name, value) -> int:
    return check_int(name, value, 1)


def _tiles(tiles) -> dict:
    """The look as {character: (ground, glyph, colour)} with tuples (a JSON header gives lists)."""
    if not isinstance(tiles, dict) or not all(isinstance(ch, str) and len(ch) == 1
                                              and isinstance(spec, (tuple, list)) and len(spec) == 3
                                              for ch, spec in tiles.items()):
        fail("tiles", "a dict of one character -> (ground, glyph, colour)", tiles)
    return {ch: tuple(spec) for ch, spec in tiles.items()}


# -- Gymnasium toy-text tables -------------------------------------------------------------


def from_gymnasium(env, horizon: int | None = None) -> TabularMDP:
    """Convert a toy-text Gymnasium env (one with ``unwrapped.P``) into a TabularMDP.

    ``P[s][a]`` lists ``(prob, next_state, reward, terminated)``; the reward serves as
    both proxy and intended.  A state entered with ``terminated=True`` becomes a separate
    absorbing copy with the same observation, because toy-text tables keep acting from
    such states (FrozenLake's holes, CliffWalking's goal) and termination is a property
    of the transition there, not of the state.
    """
    base = env.unwrapped
    table = getattr(base, "P", None)
    if table is None:
        raise ValueError(f"{env} has no transition table P; only toy-text style envs convert")
    n = base.observation_space.n
    A = base.action_space.n
    if horizon is None:
        horizon = getattr(getattr(env, "spec", None), "max_episode_steps", None) or 1000
    initial = np.asarray(getattr(base, "initial_state_distrib", None), dtype=np.float64)
    if initial.shape != (n,):
        raise ValueError(f"{env} has no initial_state_distrib of {n} states")
    ends = sorted({int(ns) for s in table for a in table[s] for (_, ns, _, done) in table[s][a] if done})
    copy_of = {s: n + i for i, s in enumerate(ends)}
    S = n + len(ends)
    K = max(len(table[s][a]) for s in table for a in table[s])
    next_state = np.tile(np.arange(S, dtype=np.int32)[:, None, None], (1, A, K))
    prob = np.zeros((S, A, K))
    prob[:, :, 0] = 1.0
    reward = np.zeros((S, A, K))
    for s in range(n):
        for a in range(A):
            prob[s, a, 0] = 0.0
            for k, (p, ns, r, done) in enumerate(table[s][a]):
                next_state[s, a, k] = copy_of[int(ns)] if done else int(ns)
                prob[s, a, k] = p
                reward[s, a, k] = r
            prob[s, a] /= prob[s, a].sum()  # toy-text probabilities can be off by a rounding
    terminal = np.zeros(S, bool)
    terminal[n:] = True
    obs = np.concatenate([np.arange(n), np.array(ends, dtype=np.int64)]).astype(np.int32)
    name = getattr(getattr(env, "spec", None), "id", None) or type(base).__name__
    return TabularMDP(next_state=next_state, prob=prob, proxy=reward, intended=reward.copy(),
                      terminal=terminal, initial=np.concatenate([initial, np.zeros(len(ends))]),
                      obs=obs, n_obs=n, horizon=horizon, name=name, meta={"source": "gymnasium", "id": name})


def to_mdp(source, horizon: int | None = None) -> TabularMDP:
    """Accept a TabularMDP, one of our envs, a toy-text Gymnasium env, or an env id."""
    if isinstance(source, TabularMDP):
        return source
    if isinstance(source, str):
        import gymnasium  # our ids are registered: importing this module imported ``specgame``

        source = gymnasium.make(source)
    mdp = getattr(getattr(source, "unwrapped", None), "mdp", None)
    if isinstance(mdp, TabularMDP):
        return mdp
    if hasattr(getattr(source, "unwrapped", None), "P"):
        return from_gymnasium(source, horizon)
    raise ValueError(f"expected a TabularMDP, a specgame env, a toy-text Gymnasium env or an env id, "
                    f"got {type(source).__name__}")
