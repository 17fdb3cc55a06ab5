"""What every agent shares around its config dataclass: settings, overrides, the env it trained on.

An agent's settings are the fields of one frozen dataclass (``TabularConfig``,
``DQNConfig``), each declared with :func:`specgame._settings.setting` (default, one-line
help, range).  This module lists them (:func:`settings_of`, for a CLI's ``--help``),
merges keyword overrides into a config (:func:`configure`, one error for a misspelt
name), names the preset a config is (:func:`overrides`), and records which env a model
trained on so ``load`` can refuse a different one (:func:`env_record`, :func:`check_same_env`).
"""

from __future__ import annotations

import dataclasses
import json

from specgame import _settings
from specgame._checks import fail
from specgame._files import json_bytes
from specgame._settings import Setting, setting


def discount():
    """The ``gamma`` field of every agent's config: one discount factor, one range."""
    return setting(0.99, "Discount factor", low=0.0, high=1.0)


def settings_of(config_cls) -> list[Setting]:
    """The fields of a config dataclass, in order, each with its default, type, help and range."""
    if not (isinstance(config_cls, type) and dataclasses.is_dataclass(config_cls)):
        fail("config_cls", "a config dataclass (TabularConfig, DQNConfig)", config_cls)
    return _settings.settings_of(config_cls)


def overrides(config) -> dict:
    """The fields of ``config`` that differ from its class's defaults: a preset as keywords."""
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)
            if getattr(config, f.name) != f.default}


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
