"""The agents' settings on the command line, and the default training budgets (written once, here).

Every command-line option of an agent is a field of its config dataclass
(:class:`~specgame.agents.TabularConfig`, :class:`~specgame.agents.dqn.DQNConfig`): the
field's name becomes the option, its attribute docstring the ``--help`` line, its default
the default (:func:`specgame.agents.settings_of`).  Reading them does not import torch.
"""

from __future__ import annotations

import argparse

from specgame import agents
from specgame.agents import BOARD_DQN_SETTINGS, NEURAL, TABULAR

# Each agent family's config dataclass (neither import needs torch).
FAMILY_CONFIGS = {"tabular": agents.TabularConfig, "dqn": agents.config_class("dqn")}
# What the command line uses where it differs from the config's own default: the DQN
# settings that learn BoatRaceLoop's loop from the board planes (tests/test_dqn.py).
CLI_DEFAULTS = {"tabular": {}, "dqn": dict(BOARD_DQN_SETTINGS)}
def family(agent: str) -> str:
    """``"tabular"`` or ``"dqn"``: the key of :data:`FAMILY_CONFIGS` holding the config an agent takes."""
    config = agents.config_class(agent)
    for name, config_class in FAMILY_CONFIGS.items():
        if config_class is config:
            return name
    raise ValueError(f"agent {agent!r} takes {config.__name__}, which has no options on the command line; "
                     f"the command line offers {', '.join(c.__name__ for c in FAMILY_CONFIGS.values())}")


def default_steps(agent: str, command: str) -> int:
    """The training budget of ``agent`` when ``command`` is not given ``--steps``."""
    return agents.default_steps(agent, command)


def type_name(setting) -> str:
    """A field's type as written in the source: ``"float"``, ``"int | None"``, ``"tuple[int, ...]"``."""
    kind = setting.type
    return kind.__name__ if isinstance(kind, type) else str(kind)


def settings_of(family_name: str):
    """The fields of a family's config dataclass (:func:`specgame.agents.settings_of`) but the
    seed, which the commands take as ``--seed``/``--seeds`` and record apart."""
    return [s for s in agents.settings_of(FAMILY_CONFIGS[family_name]) if s.name != "seed"]


def defaults(agent: str) -> dict:
    """Every setting of ``agent`` with the value the command line uses when it is not given."""
    fam = family(agent)
    return {**{s.name: s.default for s in settings_of(fam)}, **CLI_DEFAULTS[fam]}


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
            default = defaults(TABULAR[0] if fam == "tabular" else NEURAL[0])[setting.name]
            shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
            group.add_argument(f"--{setting.name.replace('_', '-')}", dest=f"agent_{setting.name}",
                               type=lambda text, s=setting: parse_value(s, text), default=None, metavar="VALUE",
                               help=f"{setting.doc.rstrip('.').replace('``', '')} (default {shown})".replace("%", "%%"))


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
