"""The run folder written by ``specgame train``: create, describe, load, resume, in one place.

A run folder holds::

    config.json      what was trained: env id, env settings, agent, its settings, seed, steps
    checkpoint.npz   while an agent that resumes trains (every --checkpoint-every steps); --resume reads it
    model.npz        the finished agent (a Q-table, or the DQN's weights)
    progress.csv     per-episode proxy and intended returns
    report.json      the gap table of the finished agent

A folder is never overwritten without being asked: :func:`create` refuses a folder that
holds a run, naming the ways on (``--resume``, ``--overwrite``, another ``--out``), and
:func:`default_folder` names a run by the settings that differ from the defaults, so two
runs with different settings never share a folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from specgame._files import atomic_write_text
from specgame.agents import agent_names
from specgame.ids import short_id

CONFIG, CHECKPOINT, PROGRESS, REPORT = "config.json", "checkpoint.npz", "progress.csv", "report.json"


class RunError(ValueError):
    """A run folder that cannot be used as asked; the message says what to do instead."""


def model_file(agent: str) -> str:
    """The trained model's file name: every agent saves an ``.npz`` (weights or Q-table + JSON header)."""
    return "model.npz"


def default_folder(env_id: str, agent: str, seed: int, env_settings: dict, agent_settings: dict,
                   steps: int | None = None, root: str | Path = "runs") -> Path:
    """``runs/ENV-AGENT-seedS``, then ``-key=value`` for every setting that differs from the defaults.

    ``agent_settings`` and ``steps`` are the ones given (not defaulted); pass ``steps=None``
    when the budget is the default one.
    """
    parts = [f"{short_id(env_id)}-{agent}-seed{seed}"]
    extra = {**env_settings, **agent_settings, **({"steps": steps} if steps is not None else {})}
    for key, value in sorted(extra.items()):
        text = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
        parts.append(f"{key}={text}")
    return Path(root) / "-".join(parts)


def create(folder, config: dict, overwrite: bool = False) -> Path:
    """Start a run in ``folder``: write its config.json; refuse a folder that holds a run."""
    folder = Path(folder)
    if (folder / CONFIG).exists() and not overwrite:
        if (folder / CHECKPOINT).exists():
            raise RunError(f"{folder} holds an unfinished run ({CHECKPOINT}); add --resume to continue it, "
                           "--overwrite to start it again, or choose another --out")
        raise RunError(f"{folder} already holds a run ({describe(folder)}); choose another --out, "
                       "or add --overwrite to replace it")
    if overwrite:
        # The old model, progress and report stay until the new run's replace them (a run killed
        # on the way leaves them whole); an old checkpoint would be resumed as if it were the new run's.
        (folder / CHECKPOINT).unlink(missing_ok=True)
    atomic_write_text(folder / CONFIG, json.dumps(config, indent=2) + "\n")  # first: --resume reads it
    return folder


def read_config(folder) -> dict:
    """The config.json of a run folder; a RunError says what is wrong with the folder."""
    folder = Path(folder)
    if not folder.exists():
        raise RunError(f"no run folder at {folder}: it does not exist")
    if not folder.is_dir():
        raise RunError(f"{folder} is not a run folder (a folder written by `specgame train`)")
    try:
        config = json.loads((folder / CONFIG).read_text())
    except FileNotFoundError:
        raise RunError(f"{folder} is not a run folder: it has no {CONFIG} (written by `specgame train`)") from None
    except (OSError, ValueError) as err:
        raise RunError(f"{folder / CONFIG} is unreadable: {err}") from None
    if not isinstance(config, dict) or not isinstance(config.get("env"), str) or "agent" not in config:
        raise RunError(f"{folder / CONFIG} does not name its env and agent")
    return config


def describe(folder) -> str:
    """One line: what the run in ``folder`` trained, and whether it finished."""
    from specgame.app.settings import defaults

    config = read_config(folder)
    agent_defaults = defaults(config["agent"]) if config["agent"] in agent_names() else {}
    changed = {k: v for k, v in (config.get("agent_settings") or {}).items() if agent_defaults.get(k, v) != v}
    settings = {**config.get("settings", {}), **changed}
    shown = ", ".join(f"{k}={v}" for k, v in sorted(settings.items()))
    state = "finished" if (Path(folder) / model_file(config["agent"])).exists() else "unfinished"
    steps = f", {config['steps']:,} steps" if isinstance(config.get("steps"), int) else ""
    return (f"{config['agent']} on {short_id(config['env'])}, seed {config.get('seed')}{steps}"
            f"{' (' + shown + ')' if shown else ''}, {state}")


@dataclass(frozen=True)
class LoadedRun:
    """A finished run, read back: what ``watch`` and ``record`` show."""

    env_id: str
    settings: dict
    """The env parameters it trained with."""
    agent_name: str
    agent: object


def load(folder) -> LoadedRun:
    """The env id, env settings, agent name and trained agent of the finished run in ``folder``."""
    from specgame.agents import agent_class, observation_settings
    from specgame.envs import make

    folder = Path(folder)
    config = read_config(folder)
    env_id, settings, name = config["env"], config.get("settings", {}), config["agent"]
    model = folder / model_file(name)
    if not model.is_file():
        way = "resume it with specgame train --resume" if (folder / CHECKPOINT).exists() else "train it"
        raise RunError(f"{folder} holds no finished run: {model.name} is missing ({way})")
    cls = agent_class(name)
    env = make(env_id, **settings, **observation_settings(cls))  # the env it trained on: load checks it
    return LoadedRun(env_id, settings, name, cls.load(model, env))


def resume(folder, config: dict, env, cls):
    """The agent of the interrupted run in ``folder``, or None if it stopped before its first checkpoint.

    ``config`` is the run as asked for now; it must be the one the folder was started with.
    """
    folder = Path(folder)
    if not (folder / CONFIG).exists():
        raise RunError(f"nothing to resume: {folder} has no {CONFIG} (was the run started there?)")
    started_with = _flat(read_config(folder))
    for key, value in _flat(config).items():
        if started_with.get(key) != value:
            raise RunError(f"{folder} was started with {key}={started_with.get(key)!r}, not {value!r}; "
                           "resume with the options it was started with")
    if not (folder / CHECKPOINT).exists():
        if (folder / model_file(config["agent"])).exists():
            raise RunError(f"nothing to resume: the run in {folder} has finished ({model_file(config['agent'])})")
        return None  # killed before the first checkpoint: starting again is the same run
    return cls.load(folder / CHECKPOINT, env)


def _flat(config: dict) -> dict:
    """A run's config with its agent settings beside the rest, so a difference names the setting."""
    return {**{k: v for k, v in config.items() if k != "agent_settings"}, **(config.get("agent_settings") or {})}


def finish(folder, agent_name: str, agent, table) -> None:
    """Write the finished run's model, progress.csv and report.json; drop its checkpoint."""
    folder = Path(folder)
    write_history(folder / PROGRESS, agent.history)
    agent.save(folder / model_file(agent_name))
    atomic_write_text(folder / REPORT, table.to_json() + "\n")
    (folder / CHECKPOINT).unlink(missing_ok=True)  # the model file now holds the finished run


def write_history(path: Path, history) -> None:
    lines = ["episode,steps,length,proxy_return,intended_return"]
    steps = np.cumsum(history.length)
    for i, (n, p, q) in enumerate(zip(history.length, history.proxy_return, history.intended_return)):
        lines.append(f"{i},{steps[i]},{n},{p:.6g},{q:.6g}")
    atomic_write_text(path, "\n".join(lines) + "\n")
