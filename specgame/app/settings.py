"""The agents' settings on the command line.

Every command-line option of an agent is a field of its config dataclass
(:class:`~specgame.agents.TabularConfig`, :class:`~specgame.agents.DQNConfig`), declared
once with :func:`specgame._settings.setting`: the field's name becomes the option, its
help and range the ``--help`` line, and the value the command line starts from is the
config's (for the DQN, the board preset :data:`specgame.agents.BOARD_DQN`).  Reading them
does not import torch.  The training budgets are :data:`specgame.agents.DEFAULT_STEPS`.
"""

from __future__ import annotations

import argparse

from specgame import agents
from specgame.agents import NEURAL, TABULAR

FAMILIES = {"tabular": TABULAR, "dqn": NEURAL}  # agents that share one config class


def family(agent: str) -> str:
    """``"tabular"`` or ``"dqn"``: the key of :data:`FAMILIES` whose agents take the config ``agent`` takes."""
    config = agents.config_class(agent)
    for name, members in FAMILIES.items():
        if agents.config_class(members[0]) is config:
            return name
    offered = ", ".join(agents.config_class(members[0]).__name__ for members in FAMILIES.values())
    raise ValueError(f"agent {agent!r} takes {config.__name__}, which has no options on the command line; "
                     f"the command line offers those of {offered}")


def starting_config(agent: str):
    """The config ``agent`` trains with when no option is given (:func:`specgame.agents.starting_config`):
    its class's defaults, or for the DQN the settings that learn BoatRaceLoop's loop from the board planes."""
    return agents.starting_config(agent)


def default_steps(agent: str, command: str) -> int:
    """The training budget of ``agent`` when ``command`` is not given ``--steps``: its default, or what
    ``SPECGAME_STEPS`` / ``SPECGAME_QUICK`` say (ValueError for a ``SPECGAME_STEPS`` that is not a number)."""
    return agents.default_steps(agent, command)


def full_steps(agent: str, command: str) -> int:
    """The budget as written in :data:`specgame.agents.DEFAULT_STEPS` (for ``--help``)."""
    return agents.full_steps(agent, command)


def type_name(setting) -> str:
    """A field's type as written in the source: ``"float"``, ``"int | None"``, ``"tuple[int, ...]"``."""
    kind = setting.type
    return kind.__name__ if isinstance(kind, type) else str(kind)


def settings_of(family_name: str):
    """The fields of a family's config dataclass (:func:`specgame.agents.settings_of`) but the
    seed, which the commands take as ``--seed``/``--seeds`` and record apart."""
    config_cls = agents.config_class(FAMILIES[family_name][0])
    return [s for s in agents.settings_of(config_cls) if s.name != "seed"]


def seed_help() -> str:
    """``--seed``'s help line, with the range every agent's seed allows."""
    seed = next(s for s in agents.settings_of(agents.TabularConfig) if s.name == "seed")
    return f"the agent's seed, {seed.range} (default %(default)s)"


def defaults(agent: str) -> dict:
    """Every setting of ``agent`` with the value the command line uses when it is not given."""
    config = starting_config(agent)
    return {s.name: getattr(config, s.name) for s in settings_of(family(agent))}


def help_line(setting, default) -> str:
    """An option's ``--help`` line: the field's help, its range and the default the command uses."""
    shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
    unbroken = setting.range.replace(" ", "\u00a0")  # argparse wraps at spaces: "≥" stays with its bound
    text = setting.help.replace("``", "") + (f", {unbroken}" if setting.range else "")
    return f"{text} (default {shown})".replace("%", "%%")


def parse_value(setting: agents.Setting, text: str):
    """The value of ``--NAME TEXT`` in the type of the field."""
    kind = type_name(setting).replace(" ", "")
    if kind.endswith("|None") and text.lower() == "none":
        return None
    kind = kind.removesuffix("|None")
    try:
        if kind == "bool":
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return text.lower() in ("true", "1", "yes")
        if kind.startswith("tuple[int"):
            return tuple(int(part) for part in text.split(",") if part.strip())
        return {"float": float, "int": int, "str": str}[kind](text)
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(f"--{setting.name.replace('_', '-')} must be {kind}, got {text!r}") from None


def add_agent_options(parser: argparse.ArgumentParser) -> None:
    """One option per agent setting, grouped by family; unset options stay None."""
    families = {"tabular": f"tabular agent settings ({', '.join(TABULAR)})",
                "dqn": "DQN settings (--agent dqn; --gamma serves it too)"}
    seen = {}
    for fam, title in families.items():
        group = parser.add_argument_group(title)
        for setting in settings_of(fam):
            if setting.name in seen:  # gamma: one option serves both families
                continue
            seen[setting.name] = setting
            default = defaults(FAMILIES[fam][0])[setting.name]
            group.add_argument(f"--{setting.name.replace('_', '-')}", dest=f"agent_{setting.name}",
                               type=lambda text, s=setting: parse_value(s, text), default=None, metavar="VALUE",
                               help=help_line(setting, default))


def given_settings(args: argparse.Namespace) -> dict:
    """The agent settings given on the command line."""
    return {key.removeprefix("agent_"): value for key, value in vars(args).items()
            if key.startswith("agent_") and value is not None}


def chosen_settings(args: argparse.Namespace, agent: str, strict: bool = True) -> tuple[dict, dict]:
    """The settings ``agent`` trains with, and the subset of them given on the command line.

    With ``strict``, an option of another family (``--alpha`` with ``--agent dqn``) is
    refused; without, it is left to the agents it belongs to (``compare --agents dqn,sarsa``).
    """
    own = {s.name for s in settings_of(family(agent))}
    given = given_settings(args)
    foreign = sorted(set(given) - own)
    given = {key: value for key, value in given.items() if key in own}
    if foreign and strict:
        raise ValueError(f"--{foreign[0].replace('_', '-')} is not a setting of {agent}; its settings are "
                         f"{', '.join('--' + n.replace('_', '-') for n in sorted(own))}")
    return {**defaults(agent), **given}, given
