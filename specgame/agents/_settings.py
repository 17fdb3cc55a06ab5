"""What every agent shares around its config dataclass: settings, overrides, the env it trained on.

An agent's settings are the fields of one frozen dataclass (``TabularConfig``,
``DQNConfig``), each with its default and a one-line docstring under it.  This module
reads those docstrings (:func:`settings_of`, for a CLI's ``--help``), merges keyword
overrides into a config (:func:`configure`, one error for a misspelt name), and records
which env a model trained on so ``load`` can refuse a different one (:func:`env_record`,
:func:`check_same_env`).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import json
import textwrap
import typing
from typing import NamedTuple

from specgame._checks import fail
from specgame._files import json_bytes


class Setting(NamedTuple):
    """One field of an agent's config: what a CLI needs to offer it as an option."""

    name: str
    default: object
    type: object
    """The field's type as a Python object (``float``, ``int | None``, ``tuple[int, ...]``)."""
    doc: str
    """The one-line docstring written under the field."""


def settings_of(config_cls) -> list[Setting]:
    """The fields of a config dataclass, in order, each with its default, type and docstring."""
    if not (isinstance(config_cls, type) and dataclasses.is_dataclass(config_cls)):
        fail("config_cls", "a config dataclass (TabularConfig, DQNConfig)", config_cls)
    docs = _field_docs(config_cls)  # shared: only read here
    hints = typing.get_type_hints(config_cls)
    return [Setting(f.name, f.default, hints[f.name], docs.get(f.name, ""))
            for f in dataclasses.fields(config_cls)]


@functools.cache  # reading and parsing the source costs milliseconds; the CLI asks per option
def _field_docs(config_cls) -> dict[str, str]:
    """``name -> docstring`` from the string literal written just under each annotated field
    (a subclass's own fields first, then those it inherits from dataclass bases)."""
    docs = {}
    for base in reversed(config_cls.__mro__[1:]):
        if dataclasses.is_dataclass(base):
            docs.update(_field_docs(base))
    tree = ast.parse(textwrap.dedent(inspect.getsource(config_cls)))
    body = tree.body[0].body
    for field, after in zip(body, body[1:]):
        if (isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
                and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)):
            docs[field.target.id] = " ".join(after.value.value.split())
    return docs


def configure(config_cls, config, settings: dict):
    """``config`` (default: all defaults) with ``settings`` overriding its fields, checked."""
    if config is None:
        config = config_cls()
    elif type(config) is not config_cls:  # not even a subclass: its rules would read other settings
        fail("config", f"a {config_cls.__name__} or None", config)
    names = [f.name for f in dataclasses.fields(config_cls)]
    unknown = sorted(set(settings) - set(names))
    if unknown:
        fail("settings", f"{config_cls.__name__} fields ({', '.join(names)})", unknown)
    return dataclasses.replace(config, **settings) if settings else config


# -- the env a model trained on -------------------------------------------------------------------


def env_record(env, mdp=None) -> dict:
    """The env's id, its game (rules module) and game settings (defaults included), JSON-able.

    ``env`` is what the agent was given (an id, an env, a vector env, a table); ``mdp`` its
    table when the caller has one.  Either part is None when the env does not say (a
    Gymnasium toy-text env has no game settings; an ``AsyncVectorEnv`` hides its envs).
    """
    env_id = env if isinstance(env, str) else getattr(getattr(env, "spec", None), "id", None)
    first = env.envs[0] if hasattr(env, "envs") else env  # a SyncVectorEnv: its envs are alike
    if mdp is None:
        mdp = getattr(getattr(first, "unwrapped", None), "mdp", None)
    meta = getattr(mdp, "meta", None) or {}
    record = {"id": env_id or meta.get("id"), "rules": meta.get("rules"), "game": meta.get("config")}
    return json.loads(json_bytes(record).tobytes())  # tuples become lists, as they will be read back


def check_same_env(path, saved, given: dict) -> None:
    """Refuse to load a model into an env whose game or game settings differ from those it trained on.

    Where both sides know their game, the game and its settings decide (two ids for the
    same game and settings are the same env); otherwise the ids, where both are known.
    """
    if not isinstance(saved, dict):
        return  # a file from before models recorded their env: nothing to compare
    differences = []
    trained, now = saved.get("game"), given["game"]
    if isinstance(trained, dict) and isinstance(now, dict):
        if saved.get("rules") != given["rules"]:
            differences.append(f"the game {saved.get('rules')!r} (the env given plays {given['rules']!r})")
        for name in sorted(set(trained) | set(now)):
            if trained.get(name, "unset") != now.get(name, "unset"):
                differences.append(f"{name}={trained.get(name, 'unset')!r} "
                                   f"(the env given has {name}={now.get(name, 'unset')!r})")
    elif saved.get("id") and given["id"] and saved["id"] != given["id"]:
        differences.append(f"id {saved['id']!r} (the env given is {given['id']!r})")
    if differences:
        raise ValueError(f"{path} was trained with {'; '.join(differences)}; pass check_env=False to load "
                         "it into this env anyway")
