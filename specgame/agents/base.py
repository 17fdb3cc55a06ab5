"""The agent contract: what every learner offers, so that no caller asks which kind it is.

:class:`Agent` spells the contract out as a ``typing.Protocol``; :func:`check_agent` checks a
class against it when the class is registered (:func:`specgame.agents.register`), naming
the first missing or malformed member.  The commands, ``play``/``watch`` and sweeps then
ask the class (``cls.obs_mode``, ``cls.resumable``, ``cls.train_seeds``) instead of its name.

:class:`Learner` is an optional base that owns what learners share: ``learn``'s loop with
its progress and checkpoint hook, several seeds, the history, the file.  A new learner
based on it writes only how it sets up, trains and acts (``docs/architecture.md``, "Add a
learner").  The built-in learners satisfy the contract without it: the tabular agents'
loop is a numba kernel, the DQN's a replay buffer.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Protocol

import numpy as np

from specgame._checks import check_int
from specgame._files import atomic_write, json_bytes, read_npz
from specgame._version import __version__
from specgame.agents._settings import check_same_env, configure, env_record
from specgame.mdp import to_mdp
from specgame.policy import tabulate

# What a learner may ask our envs to show it (the env's "rgb" is for people, not learners).
OBS_MODES = ("index", "board", "onehot")

# progress(agent, goal): called as training passes each checkpoint_every steps, and at its end.
ProgressHook = Callable[[Any, int], None]


@dataclass(frozen=True)
class History:
    """One entry per finished episode, in the order they ended."""

    proxy_return: np.ndarray
    """Sum of the proxy reward (what the agent trained on)."""
    intended_return: np.ndarray
    """Sum of the intended reward, speed bonus included (recorded, never trained on)."""
    length: np.ndarray
    """Steps taken, truncation included."""

    def __len__(self) -> int:
        return len(self.length)

    @classmethod
    def empty(cls) -> History:
        return cls(np.zeros(0), np.zeros(0), np.zeros(0, np.int64))


class Agent(Protocol):
    """A learner.  Four facts about the class, then what every instance has and does.

    - ``config_class``: the frozen dataclass of its settings (each declared with
      ``specgame._settings.setting``), with a ``seed`` field
      (:class:`~specgame.agents.TabularConfig`, ``DQNConfig``); the command line's options
      and the sweeps' ``agent_params`` are its fields.
    - ``obs_mode``: what our envs show it, one of :data:`OBS_MODES`: ``"index"``
      (observation ids, the tabular agents), ``"onehot"`` (board planes, the DQN).
    - ``has_table``: whether it keeps a table over observation ids (``.q``) that the exact
      evaluator reads as it is; a learner without one is tabulated through ``policy_table``.
    - ``resumable``: whether ``learn(checkpoint=...)`` writes checkpoints that ``load`` continues
      bit for bit; a learner that cannot refuses a checkpoint with a ValueError.

    An instance has ``config`` (its config dataclass), ``seed``, ``steps_done`` and
    ``history`` (a :class:`~specgame.agents.History` of every finished episode's proxy and
    intended returns), and these methods:

    - ``__init__(env, config=None, **settings)``: a new agent on ``env`` (an env made in
      ``obs_mode``, or an id); ``settings`` override the config's fields.
    - ``learn(total_steps, progress=None, checkpoint=None, checkpoint_every=None)``: train
      ``total_steps`` more env steps and return the agent.  Every ``checkpoint_every`` steps
      (``None``: the agent's own interval) and at the end it saves itself to ``checkpoint``
      when given, then calls ``progress(agent, goal)`` when given (``goal`` is the
      ``steps_done`` the call ends at).
    - ``predict(observation, deterministic=True) -> (action, None)``, as in Stable-Baselines3.
    - ``policy_table(env)``: the greedy action of every observation id of one of our envs
      (or its ``TabularMDP``), the table the exact evaluator judges.
    - ``save(path)`` and the classmethod ``load(path, env=None)``: a ``.npz`` written
      atomically and read without pickle (:mod:`specgame._files`); without an env, a loaded
      agent acts but does not train.
    - the classmethod ``train_seeds(env, seeds, total_steps, progress=None, **settings)``:
      one trained agent per seed (the tabular agents train them in parallel).
    """

    config_class: ClassVar[type]
    obs_mode: ClassVar[str]
    has_table: ClassVar[bool]
    resumable: ClassVar[bool]

    config: Any
    seed: int
    steps_done: int
    history: History

    def __init__(self, env, config=None, **settings) -> None: ...

    def learn(self, total_steps: int, progress: ProgressHook | None = None, checkpoint=None,
              checkpoint_every: int | None = None) -> Agent: ...

    def predict(self, observation, deterministic: bool = True) -> tuple[Any, None]: ...

    def policy_table(self, env) -> np.ndarray: ...

    def save(self, path) -> None: ...

    @classmethod
    def load(cls, path, env=None) -> Agent: ...

    @classmethod
    def train_seeds(cls, env, seeds, total_steps: int, progress: ProgressHook | None = None,
                    **settings) -> list[Agent]: ...


class AgentError(ValueError):
    """A class that does not follow :class:`Agent`; the message names the member."""


# member -> (arguments it is called with, what it is): the methods of the Protocol, for checks and messages.
_ENV, _PATH, _OBS = object(), "agent.npz", 0
METHODS = {
    "learn": (((1,), {"progress": None, "checkpoint": None, "checkpoint_every": None}),
              "learn(total_steps, progress=None, checkpoint=None, checkpoint_every=None)"),
    "predict": (((_OBS,), {"deterministic": True}), "predict(observation, deterministic=True)"),
    "policy_table": (((_ENV,), {}), "policy_table(env)"),
    "save": (((_PATH,), {}), "save(path)"),
}
CLASSMETHODS = {
    "load": (((_PATH,), {"env": None}), "load(path, env=None)"),
    "train_seeds": (((_ENV, [0], 1), {"progress": None}), "train_seeds(env, seeds, total_steps, progress=None, "
                                                           "**settings)"),
}


def check_agent(cls):
    """Check that ``cls`` has every member of :class:`Agent`; returns it.

    Cheap: it reads the class's facts and its methods' signatures, and builds nothing.
    Raises :class:`AgentError` naming the class and its first missing or malformed member.
    """
    name = getattr(cls, "__qualname__", repr(cls))

    def refuse(member: str, problem: str):
        raise AgentError(f"the agent {name} {problem} [{member}]; see specgame.agents.Agent")

    if not isinstance(cls, type):
        raise AgentError(f"an agent must be a class, got {cls!r}; see specgame.agents.Agent")
    config = getattr(cls, "config_class", None)
    if config is None:
        refuse("config_class", "has no config_class: the frozen dataclass of its settings")
    if not (isinstance(config, type) and dataclasses.is_dataclass(config)):
        refuse("config_class", f"has a config_class that is not a dataclass: {config!r}")
    if not config.__dataclass_params__.frozen:
        refuse("config_class", "has a config_class that is not frozen: use @dataclass(frozen=True)")
    if "seed" not in {f.name for f in dataclasses.fields(config)}:
        refuse("config_class", "has a config_class without a seed field (--seed and the seeds of a sweep set it)")
    mode = getattr(cls, "obs_mode", None)
    if mode is None:
        refuse("obs_mode", f"has no obs_mode: what our envs show it, one of {', '.join(OBS_MODES)}")
    if mode not in OBS_MODES:
        refuse("obs_mode", f"has obs_mode {mode!r}, which is not one of {', '.join(OBS_MODES)}")
    for fact, what in (("has_table", "whether it keeps a table (.q) over observation ids"),
                       ("resumable", "whether its checkpoints continue a run bit for bit")):
        value = getattr(cls, fact, None)
        if value is None:
            refuse(fact, f"has no {fact}: {what}, True or False")
        if not isinstance(value, bool):
            refuse(fact, f"has {fact} = {value!r}, which is not True or False")
    if not _takes(cls, ((_ENV, None), {"seed": 0})):
        refuse("__init__", "cannot be built as cls(env, config=None, **settings)")
    for methods, bound in ((METHODS, False), (CLASSMETHODS, True)):
        for member, (arguments, what) in methods.items():
            function = inspect.getattr_static(cls, member, None)
            if function is None:
                refuse(member, f"has no {what}")
            if bound and not isinstance(function, classmethod):
                refuse(member, f"has a {member} that is not a classmethod: it must be {what}")
            if not bound and not callable(function):
                refuse(member, f"has a {member} that is not a method: it must be {what}")
            args, kwargs = arguments
            if not _takes(getattr(cls, member), ((*(() if bound else (object(),)), *args), kwargs)):
                refuse(member, f"has a {member} that cannot be called as {what}")
    return cls


def _takes(function, arguments) -> bool:
    args, kwargs = arguments
    try:
        inspect.signature(function).bind(*args, **kwargs)
    except TypeError:
        return False
    except ValueError:  # no signature to read (a builtin): trust it
        return True
    return True


def train_each(cls, env, seeds, total_steps: int, progress: ProgressHook | None = None, **settings) -> list:
    """One ``cls(env, seed=s, **settings)`` per seed, trained one after another (``train_seeds`` of
    a learner that has no faster way)."""
    agents = [cls(env, seed=seed, **settings).learn(total_steps, progress=progress) for seed in seeds]
    if not agents:
        raise ValueError("seeds must name at least one seed, got none")
    return agents


class Learner:
    """A base for a learner that steps an env itself; it satisfies :class:`Agent` once a
    subclass sets the four class facts and writes:

    - ``setup(env)``: the state of a new agent on ``env`` (a table, a network);
    - ``train(steps)``: learn ``steps`` more env steps, adding them to ``self.steps_done`` and
      handing every finished episode to :meth:`record_episode`;
    - ``predict(observation, deterministic=True)``;
    - ``arrays()``, the numpy arrays it saves, and ``restore(arrays)``, which puts them back.

    The base keeps ``config``, ``seed``, ``env``, ``steps_done`` and ``history``; it owns
    ``learn`` (chunks of ``checkpoint_every`` steps, then the hook), ``train_seeds`` (one
    seed after another), ``policy_table`` (:func:`specgame.policy.tabulate` over ``predict``)
    and the file (its arrays, the config, the counters and the env it trained on).
    """

    resumable: ClassVar[bool] = False
    checkpoint_every: ClassVar[int] = 10_000
    """Steps between the hook's calls when ``learn`` is not told."""
    FILE_VERSION: ClassVar[int] = 1

    def __init__(self, env, config=None, **settings):
        self._begin(configure(self.config_class, config, settings), env)
        self.setup(env)

    def _begin(self, config, env) -> None:
        self.config, self.seed, self.env = config, int(config.seed), env
        self.steps_done = 0
        self._episodes: list[tuple[float, float, int]] = []

    def setup(self, env) -> None:
        raise NotImplementedError(f"{type(self).__name__} must write setup(env)")

    def train(self, steps: int) -> None:
        raise NotImplementedError(f"{type(self).__name__} must write train(steps)")

    def arrays(self) -> dict[str, np.ndarray]:
        return {}

    def restore(self, arrays: dict[str, np.ndarray]) -> None:
        pass

    def record_episode(self, proxy_return: float, intended_return: float, length: int) -> None:
        self._episodes.append((float(proxy_return), float(intended_return), int(length)))

    @property
    def history(self) -> History:
        if not self._episodes:
            return History.empty()
        proxy, intended, length = zip(*self._episodes)
        return History(np.array(proxy), np.array(intended), np.array(length, np.int64))

    def learn(self, total_steps: int, progress: ProgressHook | None = None, checkpoint=None,
              checkpoint_every: int | None = None):
        check_int("total_steps", total_steps, 1)
        every = check_int("checkpoint_every", self.checkpoint_every if checkpoint_every is None
                          else checkpoint_every, 1)
        if checkpoint is not None and not self.resumable:
            raise ValueError(f"{type(self).__name__} writes no checkpoints (it cannot continue a run bit for bit); "
                             "learn without checkpoint=")
        if self.env is None:
            raise ValueError(f"{self!r} was loaded without an env; pass env= to load to continue training")
        goal = self.steps_done + total_steps
        while self.steps_done < goal:
            self.train(min(every, goal - self.steps_done))
            if checkpoint is not None:
                self.save(checkpoint)
            if progress is not None:
                progress(self, goal)
        return self

    @classmethod
    def train_seeds(cls, env, seeds, total_steps: int, progress: ProgressHook | None = None, **settings) -> list:
        return train_each(cls, env, seeds, total_steps, progress, **settings)

    def policy_table(self, env) -> np.ndarray:
        return tabulate(to_mdp(env), self, obs_mode=self.obs_mode)

    @classmethod
    def file_format(cls) -> str:
        return f"specgame.{cls.__qualname__}"

    def save(self, path) -> None:
        header = {"format": self.file_format(), "version": self.FILE_VERSION, "config": asdict(self.config),
                  "steps_done": self.steps_done, "env": env_record(self.env) if self.env is not None else None,
                  "versions": {"specgame": __version__, "numpy": np.__version__}}
        history = self.history
        arrays = {**self.arrays(), "proxy_return": history.proxy_return,
                  "intended_return": history.intended_return, "length": history.length,
                  "header": json_bytes(header)}
        atomic_write(path, lambda f: np.savez_compressed(f, **arrays))

    @classmethod
    def load(cls, path, env=None, check_env: bool = True):
        arrays, header = read_npz(path, cls.file_format(), cls.FILE_VERSION)
        try:
            config = cls.config_class(**header["config"])
            steps_done = check_int("steps_done", header["steps_done"], 0)
            history = [arrays.pop(name) for name in ("proxy_return", "intended_return", "length")]
        except KeyError as missing:
            raise ValueError(f"{path} is not a complete {cls.__qualname__} file: {missing} is missing") from None
        except (TypeError, ValueError) as err:
            raise ValueError(f"{path} holds an invalid {cls.__qualname__} record: {err}") from None
        if env is not None and check_env:
            check_same_env(path, header.get("env"), env_record(env))
        agent = cls.__new__(cls)
        agent._begin(config, env)
        if env is not None:
            agent.setup(env)
        agent.restore(arrays)
        agent.steps_done = steps_done
        agent._episodes = list(zip(*(h.tolist() for h in history)))
        return agent

    def __repr__(self) -> str:
        return f"{type(self).__name__}(steps_done={self.steps_done}, episodes={len(self._episodes)})"
