"""Parameter sweeps: environments × parameters × agents × seeds, trained and judged in parallel.

A sweep is a config (JSON or TOML, see ``examples/sweep.toml``) that expands into tasks.
Each task trains one agent on one environment and reports its exact
:class:`~specgame.analysis.compare.GapReport` numbers.  Tasks run through ``joblib.Parallel``:
local processes by default, or the workers of a Dask cluster given its scheduler
address (``pip install "specgame[sweep]"``), which spreads a sweep over many machines.

Results go to a CSV file, one row per task, appended by this process as each task
finishes and synced to disk before the next, so a killed sweep loses only the tasks
still running.  Running the same sweep again skips every task that already has a row
(``retry_failed=True`` runs the failed ones again); a task that raises is recorded with
its error and does not stop the others.

Config format (every list is a grid axis; a scalar is a one-value axis)::

    steps = 200_000                       # training steps per task (default for every block)
    seeds = 3                             # seeds 0, 1, 2; or a list such as [0, 7, 42]

    [[grid]]                              # each block expands to the product of its axes
    env = "BoatRaceLoop-v0"               # an id or a list of ids
    agent = ["q-learning", "sarsa"]       # any registered agent (specgame.agents.AGENTS)
    env_params = { finish_bonus = [0, 20] }
    agent_params = { alpha = [0.1, 0.5], epsilon = 0.1 }
    # steps = ... and seeds = ... may be given per block too

A list of single tasks is a list of blocks whose axes are all scalars.  Bad input,
a value of the wrong type included, raises ValueError naming it (the ``noqa: TRY004``):
every task's env and agent settings are checked when the config is expanded, by building
the game's and the agent's config objects (nothing is compiled), so a misspelt parameter
or a bad value stops the sweep before any task runs.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import inspect
import io
import itertools
import json
import numbers
import os
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from specgame._checks import did_you_mean

CONFIG_KEYS = ("steps", "seeds", "grid")
BLOCK_KEYS = ("env", "agent", "env_params", "agent_params", "steps", "seeds")
COLUMNS = ("task", "env", "env_params", "agent", "agent_params", "seed", "steps", "status", "error",
           "proxy_return", "intended_return", "proxy_score", "intended_score", "gap", "verdict",
           "random_proxy_return", "random_intended_return", "proxy_optimal_proxy_return",
           "proxy_optimal_intended_return", "intended_optimal_proxy_return",
           "intended_optimal_intended_return", "episodes", "seconds", "host")
# Columns that describe how a run went rather than what it found: they differ between
# two runs of the same task (and between machines), everything else must not.
TIMING_COLUMNS = ("seconds", "host")


@dataclass(frozen=True)
class Task:
    """One training run: an agent with its hyper-parameters on an environment with its parameters."""

    env: str
    agent: str
    seed: int
    steps: int
    env_params: dict = field(default_factory=dict)
    agent_params: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        """A short stable id of everything that determines the result (same task, same key)."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SweepSummary:
    """What a call of :func:`run_sweep` did."""

    tasks: int
    """Tasks in the sweep."""
    skipped: int
    """Tasks with a row from an earlier run, not run again."""
    finished: int
    """Tasks run now that finished."""
    failed: int
    """Tasks run now that raised; their rows hold the error."""
    out: Path
    """The CSV file."""


# -- configs --------------------------------------------------------------------------------


def load_config(path) -> dict:
    """Read a sweep config from a ``.json`` or ``.toml`` file (not expanded yet)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".toml"):
        raise ValueError(f"sweep config must be a .json or .toml file, got {str(path)!r}")
    text = path.read_text(encoding="utf-8")
    try:
        if suffix == ".json":
            config = json.loads(text)
        else:
            config = _toml().loads(text)
    except ValueError as err:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise ValueError(f"{path} is not valid {suffix[1:].upper()}: {err}") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path} must hold a table of settings, got {type(config).__name__}")  # noqa: TRY004
    return config


def _toml():
    try:
        import tomllib  # Python >= 3.11
    except ImportError:
        try:
            import tomli as tomllib
        except ImportError:
            raise ValueError("TOML configs need Python >= 3.11 or `pip install tomli`; "
                             "a .json config works everywhere") from None
    return tomllib


def expand(config: Mapping) -> list[Task]:
    """The tasks of a config, in a fixed order, duplicates dropped; raises ValueError on bad input."""
    if not isinstance(config, Mapping):
        raise ValueError(f"a sweep config must be a mapping, got {type(config).__name__}")  # noqa: TRY004
    _check_keys("sweep config", config, CONFIG_KEYS)
    blocks = config.get("grid")
    if not isinstance(blocks, list) or not blocks:
        raise ValueError(f"a sweep config needs grid = a non-empty list of blocks, got {blocks!r}")
    tasks: dict[str, Task] = {}
    for number, block in enumerate(blocks, 1):
        where = f"grid block {number}"
        if not isinstance(block, Mapping):
            raise ValueError(f"{where} must be a mapping, got {block!r}")  # noqa: TRY004
        _check_keys(where, block, BLOCK_KEYS)
        if "env" not in block or "agent" not in block:
            raise ValueError(f"{where} needs env and agent, got keys {sorted(block)}")
        envs = [_env_id(where, name) for name in _axis(block["env"])]
        agents = [_agent_name(where, name) for name in _axis(block["agent"])]
        steps = _steps(where, block.get("steps", config.get("steps")))
        seeds = _seeds(where, block.get("seeds", config.get("seeds", 1)))
        env_grid = _param_grid(where, "env_params", block.get("env_params", {}))
        agent_grid = _param_grid(where, "agent_params", block.get("agent_params", {}))
        # Every task's settings are checked now, before any task runs (nothing is compiled).
        for env, env_params in itertools.product(envs, env_grid):
            _check_env_params(where, env, env_params)
        for agent, agent_params in itertools.product(agents, agent_grid):
            _check_agent_params(where, agent, agent_params)
        for env, env_params, agent, agent_params, seed in itertools.product(
                envs, env_grid, agents, agent_grid, seeds):
            task = Task(env=env, agent=agent, seed=seed, steps=steps, env_params=env_params,
                        agent_params=agent_params)
            tasks.setdefault(task.key, task)
    return list(tasks.values())


def _check_keys(where: str, mapping: Mapping, allowed) -> None:
    unknown = sorted(set(mapping) - set(allowed))
    if unknown:
        raise ValueError(f"{where} has unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}")


def _axis(value) -> list:
    return list(value) if isinstance(value, list) else [value]


def _env_id(where: str, name) -> str:
    from specgame.envs import resolve_id

    try:
        return resolve_id(name)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None


def _agent_name(where: str, name) -> str:
    from specgame.agents import agent_names

    if not isinstance(name, str) or name not in agent_names():
        raise ValueError(f"{where}: agent must be one of {', '.join(agent_names())}, got {name!r}"
                         f"{did_you_mean(name, agent_names())}")
    return name


def _check_env_params(where: str, env_id: str, params: dict) -> None:
    """Build the game's Config from ``params`` (no compiling): unknown names and bad values fail here."""
    from specgame import grid
    from specgame.envs import ENVIRONMENTS, env_class
    from specgame.ids import NAMESPACE, short_id

    name = short_id(env_id)
    if not env_id.startswith(f"{NAMESPACE}/") or name not in ENVIRONMENTS:
        return  # another Gymnasium env: its own make checks its parameters
    cls = env_class(env_id)
    fields = {f.name for f in dataclasses.fields(cls.rules.Config)}
    extra = {p for p in inspect.signature(cls.__init__).parameters
             if p not in ("self", "render_mode", "obs_mode", "tile_size", "mdp", "config")}
    for key in params:
        if key not in fields | extra:
            raise ValueError(f"{where}: {name} has no parameter {key!r}{did_you_mean(key, fields | extra)}; "
                             f"its parameters are {', '.join(sorted(fields | extra))}")
    config = {k: v for k, v in {**ENVIRONMENTS[name][1], **params}.items() if k in fields}
    try:
        grid.make_config(cls.rules, **config)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: {name} with {json.dumps(params, sort_keys=True)}: {err}") from None


def _check_agent_params(where: str, agent: str, params: dict) -> None:
    """Build ``agent``'s config from ``params`` (no torch needed): unknown names and bad values fail here."""
    from specgame.agents import config_class, starting_config

    config = config_class(agent)
    fields = {f.name for f in dataclasses.fields(config)} - {"seed"}  # the task's seed sets it
    for key in params:
        if key not in fields:
            raise ValueError(f"{where}: agent_params has no setting {key!r}{did_you_mean(key, fields)}; "
                             f"the settings of {agent} are {', '.join(sorted(fields))}")
    try:
        dataclasses.replace(starting_config(agent), **params)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: agent_params {json.dumps(params, sort_keys=True)}: {err}") from None


def _count(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _steps(where: str, steps) -> int:
    if not _count(steps) or steps < 1:
        raise ValueError(f"{where}: steps must be a positive int (set it at the top or in the block), "
                         f"got {steps!r}")
    return int(steps)


def _seeds(where: str, seeds) -> list[int]:
    if _count(seeds):
        if seeds < 1:
            raise ValueError(f"{where}: seeds must be a positive count or a list of seeds, got {seeds!r}")
        return list(range(seeds))
    if isinstance(seeds, list) and seeds and all(_count(s) and s >= 0 for s in seeds):
        return [int(s) for s in seeds]
    raise ValueError(f"{where}: seeds must be a positive count or a non-empty list of ints >= 0, "
                     f"got {seeds!r}")


def _param_grid(where: str, name: str, params) -> list[dict]:
    """Every combination of the parameter axes, as dicts with sorted keys."""
    if not isinstance(params, Mapping):
        raise ValueError(f"{where}: {name} must be a table of name = value(s), got {params!r}")  # noqa: TRY004
    keys = sorted(params)
    axes = []
    for key in keys:
        values = _axis(params[key])
        if not values:
            raise ValueError(f"{where}: {name}.{key} is an empty list; give at least one value")
        for value in values:
            if not isinstance(value, (str, bool, numbers.Real)):
                raise ValueError(  # noqa: TRY004
                    f"{where}: {name}.{key} values must be numbers, booleans or strings, got {value!r}")
        axes.append(values)
    return [dict(zip(keys, combination)) for combination in itertools.product(*axes)]


# -- one task -------------------------------------------------------------------------------


def run_task(task: Task) -> dict:
    """Train and judge one task; returns its CSV row.  Never raises: errors go in the row."""
    row = {name: "" for name in COLUMNS}
    row.update(task=task.key, env=task.env, env_params=json.dumps(task.env_params, sort_keys=True),
               agent=task.agent, agent_params=json.dumps(task.agent_params, sort_keys=True),
               seed=task.seed, steps=task.steps, host=socket.gethostname())
    started = time.perf_counter()
    try:
        row.update(_train_and_judge(task))
        row["status"] = "ok"
    except Exception as err:  # noqa: BLE001 — one bad task must not stop the sweep
        row["status"] = "error"
        # One physical line per row keeps a torn final line detectable (see _repair).
        row["error"] = " ".join(f"{type(err).__name__}: {err}".split())
    row["seconds"] = round(time.perf_counter() - started, 3)
    return row


def _train_and_judge(task: Task) -> dict:
    import gymnasium

    import specgame  # noqa: F401  (registers the ids in this worker)
    from specgame.agents import agent_class, observation_settings, starting_config
    from specgame.analysis.compare import gap_report

    cls = agent_class(task.agent)
    env = gymnasium.make(task.env, **task.env_params, **observation_settings(cls))
    try:
        # From the config the commands start it from (the DQN's board preset), with the task's settings.
        agent = cls(env, starting_config(task.agent), seed=task.seed, **task.agent_params).learn(task.steps)
        report = gap_report(env, agent, name=task.agent)
    finally:
        env.close()
    refs = report.references
    return {"proxy_return": report.returns.proxy_return, "intended_return": report.returns.intended_return,
            "proxy_score": report.proxy_score, "intended_score": report.intended_score, "gap": report.gap,
            "verdict": report.verdict,
            "random_proxy_return": refs.random.proxy_return,
            "random_intended_return": refs.random.intended_return,
            "proxy_optimal_proxy_return": refs.proxy_optimal.proxy_return,
            "proxy_optimal_intended_return": refs.proxy_optimal.intended_return,
            "intended_optimal_proxy_return": refs.intended_optimal.proxy_return,
            "intended_optimal_intended_return": refs.intended_optimal.intended_return,
            "episodes": len(agent.history)}


# -- the results file -----------------------------------------------------------------------


def read_results(path) -> list[dict]:
    """The rows of a results file, the last one of each task (a retried failure's new row wins).

    Values are strings, as written (floats in ``repr`` form, so they read back exactly).
    A torn final line, left by a sweep killed while writing, is ignored.
    """
    path = Path(path)
    if not path.exists():
        return []
    text = path.read_bytes().decode("utf-8")
    complete = text[:text.rfind("\n") + 1]
    latest: dict[str, dict] = {}
    for row in _parse(path, complete):
        latest[row["task"]] = row
    return list(latest.values())


def _parse(path: Path, text: str) -> list[dict]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return []
    if tuple(header) != COLUMNS:
        raise ValueError(f"{path} is not a specgame sweep results file (its header is {header[:4]}…); "
                         f"give another --out")
    return [dict(zip(COLUMNS, fields)) for fields in reader if len(fields) == len(COLUMNS)]


def _repair(path: Path) -> None:
    """Cut a torn final line (no newline: the writer was killed mid-row) off the file."""
    if not path.exists():
        return
    with open(path, "r+b") as f:
        data = f.read()
        keep = data.rfind(b"\n") + 1
        if keep < len(data):
            f.truncate(keep)
            f.flush()
            os.fsync(f.fileno())


def _append(path: Path, row: dict) -> None:
    """Append one row and sync it to disk, so that a crash after this keeps it whole."""
    new = not path.exists() or path.stat().st_size == 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if new:
        writer.writerow(COLUMNS)
    writer.writerow([row[name] for name in COLUMNS])
    with open(path, "a", encoding="utf-8", newline="") as f:
        f.write(buffer.getvalue())  # one write per row: a kill leaves at most this line torn
        f.flush()
        os.fsync(f.fileno())


# -- running --------------------------------------------------------------------------------


def run_sweep(config, out, *, n_jobs: int = -1, scheduler: str | None = None, retry_failed: bool = False,
              on_row=None) -> SweepSummary:
    """Run the tasks of ``config`` (a mapping, a config file path or a list of Tasks) not yet in ``out``.

    ``n_jobs`` local processes (-1: one per CPU; 1 runs in this process), or the Dask
    cluster at ``scheduler`` (``tcp://host:8786``).  Tasks with a row in ``out`` are
    skipped, failed ones too unless ``retry_failed``.  ``on_row(row)`` is called after
    each row is on disk (the CLI prints progress with it).
    """
    tasks = _tasks_of(config)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _repair(out)
    done = {row["task"] for row in read_results(out) if row["status"] == "ok" or not retry_failed}
    todo = [task for task in tasks if task.key not in done]
    finished = failed = 0
    if todo:
        for row in _execute(todo, n_jobs, scheduler):
            _append(out, row)
            finished += row["status"] == "ok"
            failed += row["status"] != "ok"
            if on_row is not None:
                on_row(row)
    return SweepSummary(tasks=len(tasks), skipped=len(tasks) - len(todo), finished=finished,
                        failed=failed, out=out)


def _tasks_of(config) -> list[Task]:
    if isinstance(config, (str, os.PathLike)):
        return expand(load_config(config))
    if isinstance(config, Mapping):
        return expand(config)
    if isinstance(config, Iterable):
        tasks = list(config)
        if all(isinstance(task, Task) for task in tasks):
            return tasks
    raise ValueError(f"config must be a config mapping, a config file path or a list of Tasks, "
                     f"got {config!r}")


def _execute(tasks: list[Task], n_jobs: int, scheduler: str | None):
    """The rows of ``tasks``, in the order they finish."""
    from joblib import Parallel, delayed, parallel_config

    if not _count(n_jobs) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive number of processes or -1 (one per CPU), got {n_jobs!r}")
    jobs = (delayed(run_task)(task) for task in tasks)
    # batch_size=1: tasks take seconds, so batching saves nothing and would hold back finished rows.
    options = {"return_as": "generator_unordered", "batch_size": 1}
    if scheduler is None:
        yield from Parallel(n_jobs=n_jobs, **options)(jobs)
        return
    try:
        from specgame.app._dask import connect
    except ImportError as err:
        raise ValueError(str(err)) from None
    client = connect(scheduler)
    try:
        with parallel_config(backend="dask"):
            yield from Parallel(**options)(jobs)
    finally:
        client.close()


# -- Dask -----------------------------------------------------------------------------------
