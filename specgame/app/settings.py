"""The agents' settings on the command line, and the default training budgets (written once, here).

Every command-line option of an agent is a field of its config dataclass
(:class:`~specgame.agents.TabularConfig`, :class:`~specgame.agents.dqn.DQNConfig`): the
field's name becomes the option, its attribute docstring the ``--help`` line, its default
the default.  The fields are read from the source with :mod:`ast`, so building the parser
does not import torch (the DQN's module needs it) and ``specgame list`` stays quick.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
from dataclasses import dataclass
from functools import cache

from specgame.agents import BOARD_DQN_SETTINGS, BOARD_DQN_STEPS, NEURAL, TABULAR

# Where each agent family's config lives: (module, class).
CONFIGS = {"tabular": ("specgame.agents.tabular", "TabularConfig"), "dqn": ("specgame.agents.dqn", "DQNConfig")}
# What the command line uses where it differs from the config's own default: the DQN
# settings that learn BoatRaceLoop's loop from the board planes (tests/test_dqn.py).
CLI_DEFAULTS = {"tabular": {}, "dqn": dict(BOARD_DQN_SETTINGS)}
# Default training budgets, env steps per agent, by command: the one place they are written.
STEPS = {"tabular": {"train": 1_000_000, "compare": 1_000_000, "compare --all": 200_000, "watch": 300_000,
                     "demo": 1_000_000},
         "dqn": dict.fromkeys(("train", "compare", "compare --all", "watch"), BOARD_DQN_STEPS)}


def family(agent: str) -> str:
    """``"tabular"`` or ``"dqn"``: which config an agent name takes."""
    return "dqn" if agent in NEURAL else "tabular"


def default_steps(agent: str, command: str) -> int:
    """The training budget of ``agent`` when ``command`` is not given ``--steps``."""
    return STEPS[family(agent)][command]


@dataclass(frozen=True)
class Setting:
    """One field of an agent's config, as the command line sees it."""

    name: str
    default: object
    type: str
    """The annotation as written: "float", "int | None", "tuple[int, ...]", ..."""
    doc: str


@cache
def settings_of(family_name: str) -> tuple[Setting, ...]:
    """The fields of a family's config dataclass, read from its source (no import of the module)."""
    module, class_name = CONFIGS[family_name]
    source = open(importlib.util.find_spec(module).origin, encoding="utf-8").read()
    cls = next(node for node in ast.parse(source).body if isinstance(node, ast.ClassDef) and node.name == class_name)
    settings, body = [], cls.body
    for node, after in zip(body, body[1:] + [None]):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            doc = ""
            if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) and isinstance(after.value.value,
                                                                                                     str):
                doc = " ".join(after.value.value.split())
            settings.append(Setting(node.target.id, ast.literal_eval(node.value), ast.unparse(node.annotation), doc))
    return tuple(settings)


def defaults(agent: str) -> dict:
    """Every setting of ``agent`` with the value the command line uses when it is not given."""
    fam = family(agent)
    return {**{s.name: s.default for s in settings_of(fam)}, **CLI_DEFAULTS[fam]}


def parse_value(setting: Setting, text: str):
    """The value of ``--NAME TEXT`` in the type of the field."""
    kind = setting.type.replace(" ", "")
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
