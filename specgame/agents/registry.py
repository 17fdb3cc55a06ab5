"""The agents by name: one registry, every class in it checked against the Agent contract.

``register(name, agent, default_steps=...)`` adds a learner; the commands, ``play``/``watch``
and sweeps find it by that name and then ask the class itself what it needs
(:class:`specgame.agents.base.Agent`).  A class is checked when it is registered; a class
named by ``"module:Class"`` (the DQN's module needs torch, an optional extra) is imported
and checked the first time it is asked for, and comes with its ``config_class`` so that its
settings can be read, and ``--help`` written, without importing it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass

from specgame._checks import did_you_mean, is_int
from specgame._settings import training_steps
from specgame.agents.base import AgentError, check_agent

# The commands that train an agent when not given --steps: every agent has a budget for each.
TASKS = ("train", "compare", "compare --all", "watch")
QUICK_STEPS = 2_000  # every default budget under SPECGAME_QUICK=1 (specgame._settings.quick)


@dataclass(frozen=True)
class AgentSpec:
    """What the registry knows of a learner before its class is imported."""

    name: str
    entry_point: str | type
    """The class, or ``"module:Class"`` to import when first asked for."""
    config_class: type
    """The dataclass of its settings (readable without importing the class)."""
    default_steps: Mapping[str, int]
    """The training budget of each command (:data:`TASKS`, and any others it takes part in)."""
    starting_config: object | None = None
    """The config the commands start it from; None: its config class's defaults."""


_REGISTRY: dict[str, AgentSpec] = {}
_CLASSES: dict[str, type] = {}  # name -> its class, once imported and checked


def register(name: str, agent, *, default_steps: int | Mapping[str, int], config_class: type | None = None,
             starting_config=None) -> str:
    """Register ``agent`` (a class that follows :class:`~specgame.agents.base.Agent`, or
    ``"module:Class"``) as ``name``, with its training budgets; returns the name.

    ``default_steps`` is the env steps each command trains it for when not given
    ``--steps``: one number for every command, or a mapping with a budget for each of
    :data:`TASKS`.  ``starting_config`` is the config the commands start it from when it
    is not its config class's defaults (the DQN's board preset).  A class is checked now;
    a ``"module:Class"`` string needs ``config_class`` and is checked when first imported.
    Registering a name again replaces it.
    """
    if not isinstance(name, str) or not name.strip() or name != name.strip() or "," in name:
        raise AgentError(f"an agent's name must be a non-empty string without commas or surrounding spaces, "
                         f"got {name!r}")
    budgets = _budgets(name, default_steps)
    if isinstance(agent, str):
        module, _, qualname = agent.partition(":")
        if not module or not qualname:
            raise AgentError(f"agent {name!r}: an entry point must be 'module:Class', got {agent!r}")
        if config_class is None:
            raise AgentError(f"agent {name!r} ({agent}) is imported when first asked for, so it needs "
                             "config_class=, the dataclass of its settings")
        _CLASSES.pop(name, None)
    else:
        check_agent(agent)
        if config_class is not None and config_class is not agent.config_class:
            raise AgentError(f"agent {name!r}: config_class {config_class.__name__} is not "
                             f"{agent.__qualname__}.config_class ({agent.config_class.__name__})")
        config_class = agent.config_class
    if starting_config is not None and type(starting_config) is not config_class:
        raise AgentError(f"agent {name!r}: starting_config must be a {config_class.__name__}, "
                         f"got {starting_config!r}")
    if not isinstance(agent, str):
        _CLASSES[name] = agent
    _REGISTRY[name] = AgentSpec(name, agent, config_class, budgets, starting_config)
    return name


def _budgets(name: str, default_steps) -> dict[str, int]:
    budgets = dict.fromkeys(TASKS, default_steps) if is_int(default_steps) else default_steps
    if not isinstance(budgets, Mapping):
        raise AgentError(f"agent {name!r}: default_steps must be a positive int or a mapping of "
                         f"{', '.join(TASKS)} to positive ints, got {default_steps!r}")
    missing = [task for task in TASKS if task not in budgets]
    if missing:
        raise AgentError(f"agent {name!r}: default_steps has no budget for {missing[0]!r} "
                         f"(it needs one for each of {', '.join(TASKS)})")
    for task, steps in budgets.items():
        if not is_int(steps) or steps < 1:
            raise AgentError(f"agent {name!r}: default_steps[{task!r}] must be a positive int, got {steps!r}")
    return dict(budgets)


def unregister(name: str) -> None:
    """Forget the agent registered as ``name`` (a test's or a notebook's own learner)."""
    spec(name)
    del _REGISTRY[name]
    _CLASSES.pop(name, None)


def agent_names() -> tuple[str, ...]:
    """Every registered agent's name, in the order registered."""
    return tuple(_REGISTRY)


def spec(name: str) -> AgentSpec:
    """What the registry knows of ``name``; an unknown name raises ValueError with the names."""
    if name not in _REGISTRY:
        raise ValueError(f"agent must be one of {', '.join(_REGISTRY)}, got {name!r}"
                         f"{did_you_mean(name, _REGISTRY)}")
    return _REGISTRY[name]


def agent_class(name: str):
    """The class registered as ``name``, imported and checked against the contract on first use."""
    entry = spec(name)
    if name not in _CLASSES:
        module, _, qualname = entry.entry_point.partition(":")
        cls = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        check_agent(cls)
        if cls.config_class is not entry.config_class:
            raise AgentError(f"agent {name!r} was registered with config_class {entry.config_class.__name__}, "
                             f"but {cls.__qualname__}.config_class is {cls.config_class.__name__}")
        _CLASSES[name] = cls
    return _CLASSES[name]


def config_class(name: str):
    """The config dataclass of agent ``name``; importing it needs no torch."""
    return spec(name).config_class


def full_steps(name: str, task: str) -> int:
    """The training budget of agent ``name`` for ``task`` (one of :data:`TASKS`, or another it
    has) as registered, whatever the switches say (for ``--help``)."""
    budgets = spec(name).default_steps
    if task not in budgets:
        raise ValueError(f"task must be one of {', '.join(budgets)} for agent {name!r}, got {task!r}")
    return budgets[task]


def default_steps(name: str, task: str) -> int:
    """The training budget of agent ``name`` for ``task``: :func:`full_steps`, unless
    ``SPECGAME_STEPS=N`` says N or ``SPECGAME_QUICK=1`` says :data:`QUICK_STEPS`."""
    return training_steps(full_steps(name, task), QUICK_STEPS)


def starting_config(name: str):
    """The config the commands start agent ``name`` from when no option is given: its registered
    ``starting_config``, else its config class's defaults."""
    entry = spec(name)
    return entry.starting_config if entry.starting_config is not None else entry.config_class()


def make(name: str, env, config=None, **settings):
    """A new, untrained agent ``name`` on ``env``: ``config`` (its config dataclass) and/or its fields."""
    return agent_class(name)(env, config, **settings)


def observation_settings(cls) -> dict:
    """The keywords to make one of our envs with for agent class ``cls``: ``{}`` for the ids every
    env shows by default, ``{"obs_mode": ...}`` otherwise (so other Gymnasium envs still serve
    a learner of ids)."""
    return {} if cls.obs_mode == "index" else {"obs_mode": cls.obs_mode}
