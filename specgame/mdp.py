"""TabularMDP: the compiled, all-numpy form of an environment.

Every part of specgame reads this one table: the Gymnasium env steps through it, the
numba agents train on it and the exact solver plans over it, so all three agree on the
dynamics by construction.

Shapes: ``S`` states, ``A`` actions, ``K`` outcomes per (state, action) (padded with
zero-probability rows).  A terminal state never acts; its rows are a self-loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from specgame._checks import check_int, fail
from specgame._files import atomic_write, json_bytes, read_npz

FORMAT = "specgame.TabularMDP"
FORMAT_VERSION = 1


@dataclass(frozen=True, eq=False)
class TabularMDP:
    """An episodic MDP with two rewards: the ``proxy`` (trained on) and the ``intended``.

    ``intended`` of a transition taken as step ``t`` of an episode (``t`` counts from 1)
    is ``intended[s, a, k] + speed_bonus[s, a, k] * (horizon - t) / horizon``: the
    speed bonus lets "finish, and finish quickly" be said without putting time in the state.
    """

    next_state: np.ndarray  # int32 [S, A, K]
    prob: np.ndarray  # float64 [S, A, K], each (s, a) row sums to 1
    proxy: np.ndarray  # float64 [S, A, K]
    intended: np.ndarray  # float64 [S, A, K]
    terminal: np.ndarray  # bool [S]
    initial: np.ndarray  # float64 [S], sums to 1
    obs: np.ndarray  # int32 [S]: the observation id of each state
    horizon: int  # the episode's step limit (truncation)
    speed_bonus: np.ndarray | None = None  # float64 [S, A, K]; zeros when None
    forced_epsilon: np.ndarray | None = None  # float64 [S]; NaN where the agent explores freely
    n_obs: int | None = None  # defaults to obs.max() + 1
    name: str = "mdp"
    action_names: tuple[str, ...] | None = None
    state_fields: tuple[str, ...] = ()  # names of the columns of `states`
    states: np.ndarray | None = None  # int64 [S, F]: each state decoded, for rendering
    boards: np.ndarray | None = None  # uint8 [n_obs, H, W]: codes into `alphabet`
    alphabet: str = ""  # the board characters, in code order
    tiles: dict = field(default_factory=dict)  # the game's look: {character: (ground, glyph, colour)}
    meta: dict = field(default_factory=dict)  # JSON-able description (env id, config, …)

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "next_state", _as(self.next_state, np.int32, "next_state", 3))
        S, A, K = self.next_state.shape
        for name in ("prob", "proxy", "intended"):
            set_(self, name, _as(getattr(self, name), np.float64, name, 3, (S, A, K)))
        if self.speed_bonus is None:
            set_(self, "speed_bonus", np.zeros((S, A, K)))
        set_(self, "speed_bonus", _as(self.speed_bonus, np.float64, "speed_bonus", 3, (S, A, K)))
        set_(self, "terminal", _as(self.terminal, np.bool_, "terminal", 1, (S,)))
        set_(self, "initial", _as(self.initial, np.float64, "initial", 1, (S,)))
        set_(self, "obs", _as(self.obs, np.int32, "obs", 1, (S,)))
        if self.forced_epsilon is None:
            set_(self, "forced_epsilon", np.full(S, np.nan))
        set_(self, "forced_epsilon", _as(self.forced_epsilon, np.float64, "forced_epsilon", 1, (S,)))
        if self.n_obs is None:
            set_(self, "n_obs", int(self.obs.max()) + 1 if S else 0)
        set_(self, "n_obs", _count("n_obs", self.n_obs))
        set_(self, "horizon", _count("horizon", self.horizon))
        if self.states is not None:
            set_(self, "states", _as(self.states, np.int64, "states", 2))
        if self.boards is not None:
            set_(self, "boards", _as(self.boards, np.uint8, "boards", 3))
        set_(self, "tiles", _tiles(self.tiles))
        self._validate()

    def _validate(self):
        S, A, K = self.shape
        if S < 1 or A < 1 or K < 1:
            raise ValueError(f"a TabularMDP needs at least one state, action and outcome, got shape {self.shape}")
        if self.horizon < 1:
            raise ValueError(f"horizon must be a positive number of steps, got {self.horizon}")
        if self.next_state.min() < 0 or self.next_state.max() >= S:
            raise ValueError(f"next_state must hold state indices in [0, {S}), got values in "
                             f"[{self.next_state.min()}, {self.next_state.max()}]")
        for name in ("prob", "proxy", "intended", "speed_bonus", "initial"):
            if not np.isfinite(getattr(self, name)).all():
                raise ValueError(f"{name} must be finite; it holds NaN or inf")
        if (self.prob < 0).any():
            raise ValueError("prob must be non-negative")
        sums = self.prob.sum(axis=2)
        bad = np.argwhere(np.abs(sums - 1.0) > 1e-9)
        if len(bad):
            s, a = bad[0]
            raise ValueError(f"prob[{s}, {a}] sums to {float(sums[s, a])!r}, "
                             "but each (state, action) row must sum to 1")
        if (self.initial < 0).any() or abs(self.initial.sum() - 1.0) > 1e-9:
            raise ValueError(f"initial must be a probability distribution, it sums to {float(self.initial.sum())!r}")
        if self.initial[self.terminal].sum() > 0:
            raise ValueError("an episode cannot start in a terminal state")
        if self.obs.min() < 0 or self.obs.max() >= self.n_obs:
            raise ValueError(f"obs must hold observation ids in [0, n_obs={self.n_obs})")
        fe = self.forced_epsilon[~np.isnan(self.forced_epsilon)]
        if ((fe < 0) | (fe > 1)).any():
            raise ValueError("forced_epsilon must be NaN or in [0, 1]")
        if self.action_names is not None and len(self.action_names) != A:
            raise ValueError(f"action_names has {len(self.action_names)} names for {A} actions")
        if self.boards is not None:
            if self.boards.shape[0] != self.n_obs:
                raise ValueError(f"boards has {self.boards.shape[0]} entries for n_obs={self.n_obs}")
            if self.boards.size and self.boards.max() >= len(self.alphabet):
                raise ValueError(f"boards holds character code {int(self.boards.max())}, but the alphabet "
                                 f"{self.alphabet!r} has {len(self.alphabet)} characters")
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

    _ARRAYS = ("next_state", "prob", "proxy", "intended", "speed_bonus", "terminal", "initial",
               "obs", "forced_epsilon")

    def save(self, path) -> None:
        """Write the table as ``.npz`` with a JSON header; atomic (temp file, then rename)."""
        arrays = {name: getattr(self, name) for name in self._ARRAYS}
        for name in ("states", "boards"):
            if getattr(self, name) is not None:
                arrays[name] = getattr(self, name)
        header = {"format": FORMAT, "version": FORMAT_VERSION, "n_obs": self.n_obs,
                  "horizon": self.horizon, "name": self.name, "action_names": self.action_names,
                  "state_fields": list(self.state_fields), "alphabet": self.alphabet,
                  "tiles": self.tiles, "meta": self.meta, "shape": list(self.shape)}
        arrays["header"] = json_bytes(header)
        atomic_write(path, lambda f: np.savez_compressed(f, **arrays))

    @classmethod
    def load(cls, path) -> TabularMDP:
        """Read a table written by :meth:`save`; never unpickles."""
        arrays, header = read_npz(path, FORMAT, FORMAT_VERSION)
        try:
            if list(arrays["next_state"].shape) != header["shape"]:
                raise ValueError(f"next_state has shape {arrays['next_state'].shape}, "
                                 f"the header says {header['shape']}")
            return cls(**{name: arrays[name] for name in cls._ARRAYS},
                       states=arrays.get("states"), boards=arrays.get("boards"),
                       n_obs=header["n_obs"], horizon=header["horizon"], name=header["name"],
                       action_names=tuple(header["action_names"]) if header["action_names"] else None,
                       state_fields=tuple(header["state_fields"]), alphabet=header["alphabet"],
                       tiles=header.get("tiles", {}), meta=header["meta"])
        except KeyError as missing:
            raise ValueError(f"{path} is not a complete specgame TabularMDP file: {missing} is missing") from None
        except (TypeError, ValueError) as err:  # the arrays are there but do not make a valid table
            raise ValueError(f"{path} holds an invalid TabularMDP: {err}") from None


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
