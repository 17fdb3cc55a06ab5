"""The ``specgame`` command: list, train, compare, demo, play, watch, record, bench, sweep."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from specgame._files import save_figure
from specgame.agents import QUICK_STEPS, agent_names, observation_settings
from specgame.app import runs
from specgame.app.output import StreamedTable, console, line_buffered_stdout, show
from specgame.app.progress import Progress
from specgame.app.settings import add_agent_options, chosen_settings, default_steps, full_steps, seed_help
from specgame.app.tables import Grid, gap_grid


class CliError(Exception):
    """A user mistake: printed as one line, exit status 2."""


# -- helpers -------------------------------------------------------------------------------


# What `demo` trains (the README's numbers are theirs), `compare` compares when not told, and the
# first of them what `train` and `watch` train.
DEFAULT_AGENTS = ("q-learning", "sarsa", "expected-sarsa")


def agent_class(name: str):
    from specgame import agents

    try:
        return agents.agent_class(name)
    except ValueError as err:  # an unknown name (the message has the closest one)
        raise CliError(str(err)) from None
    except ImportError as err:  # the DQN without torch
        raise CliError(str(err)) from None


def env_id(name: str) -> str:
    from specgame.ids import UnknownEnvironment, resolve_id

    try:
        return resolve_id(name)
    except UnknownEnvironment as err:
        message = f"unknown environment {name!r}{err.suggestion}; `specgame list` shows the {len(err.known)} ids"
    except ValueError as err:
        message = str(err)
    raise CliError(message)


def budget(agent: str, command: str) -> int:
    """The training steps ``agent`` gets in ``command`` when ``--steps`` is not given.

    ``SPECGAME_STEPS=N`` sets every such default to N, ``SPECGAME_QUICK=1`` to the quick
    budget (:func:`specgame._settings.training_steps`): every command then runs in seconds,
    as written (run folders keep their names); the README's test runs the commands so.
    """
    try:
        return default_steps(agent, command)
    except ValueError as err:  # a SPECGAME_STEPS that is not a number
        raise CliError(str(err)) from None


def parse_settings(pairs) -> dict:
    """``key=value`` pairs; values are read as JSON where they can be (numbers, booleans)."""
    settings = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--set takes key=value, got {pair!r}")
        try:
            settings[key] = json.loads(value)
        except json.JSONDecodeError:
            settings[key] = value
    return settings


def make_env(name: str, settings: dict, **kwargs):
    import gymnasium

    try:
        return gymnasium.make(env_id(name), **settings, **kwargs)
    except (TypeError, ValueError) as err:
        raise CliError(str(err)) from None


def agent_settings(args, name: str, strict: bool = True) -> dict:
    """The settings agent ``name`` trains with: its config's defaults, then the options given."""
    try:
        return chosen_settings(args, name, strict=strict)[0]
    except ValueError as err:
        raise CliError(str(err)) from None


def progress_hook(progress: Progress, label: str):
    """An agent's ``learn`` progress hook that moves the bar: ``label seed S: training``, steps of the goal."""
    def hook(agent, goal):
        progress(f"{label} seed {agent.seed}: training", agent.steps_done, goal)

    return hook


def train_agents(name: str, env_name: str, settings: dict, seeds, steps: int, args, progress: Progress | None = None,
                 strict: bool = True):
    """Train agent ``name`` once per seed (``cls.train_seeds``: the tabular agents all at once) on
    the env in the observations it takes; returns that env and the trained agents."""
    cls = agent_class(name)
    hyper = agent_settings(args, name, strict=strict)
    progress = progress or Progress(quiet=True)
    try:
        env = make_env(env_name, settings, **observation_settings(cls))
        return env, cls.train_seeds(env, list(seeds), steps, progress=progress_hook(progress, name), **hyper)
    except ValueError as err:
        raise CliError(str(err)) from None


# -- commands ------------------------------------------------------------------------------


def cmd_list(args) -> None:
    from rich.table import Table

    import specgame
    from specgame.envs import env_class

    table = Table(title="specgame environments", show_lines=False)
    for column in ("id", "proxy reward (trained on)", "intended objective"):
        table.add_column(column, no_wrap=column == "id")  # ids are for copying: never break them
    for full_id in specgame.list_envs():
        cls = env_class(full_id)
        table.add_row(full_id, cls.summary_proxy, cls.summary_intended)
    console().print(table)


def cmd_train(args) -> None:
    from specgame.analysis.compare import gap_table

    full_id = env_id(args.env)
    cls = agent_class(args.agent)
    settings = parse_settings(args.set)
    try:
        hyper, given = chosen_settings(args, args.agent)
    except ValueError as err:
        raise CliError(str(err)) from None
    steps = args.steps or budget(args.agent, "train")
    out = Path(args.out) if args.out else runs.default_folder(full_id, args.agent, args.seed, settings, given,
                                                               args.steps)
    config = {"env": full_id, "settings": settings, "agent": args.agent, "seed": args.seed, "steps": steps,
              "agent_settings": hyper}
    if args.resume and not cls.resumable:
        raise CliError(f"--resume continues a run from its checkpoint, and {args.agent} writes none "
                       "(it cannot continue a run bit for bit); train it again")
    progress = Progress(args.quiet)
    started = time.perf_counter()
    try:
        env, agent = train_run(args, cls, settings, hyper, steps, out, config, progress)
        seconds = time.perf_counter() - started
        progress(f"{args.agent}: exact returns beside random and the optimal policies")
        table = gap_table(env, {args.agent: agent})
        runs.finish(out, args.agent, agent, table)
    except runs.RunError as err:
        raise CliError(str(err)) from None
    finally:
        progress.close()
    con = console()
    con.print(f"trained {args.agent} on {full_id} for {steps:,} steps ({len(agent.history):,} episodes) "
              f"in {seconds:.2f} s")
    show(gap_grid(table))
    con.print(f"saved to {out}/")


def train_run(args, cls, settings: dict, hyper: dict, steps: int, out: Path, config: dict, progress: Progress):
    """Train (or, with --resume, continue) the run's agent; one that resumes bit for bit
    (``cls.resumable``) checkpoints into ``out`` as it goes."""
    env = make_env(args.env, settings, **observation_settings(cls))
    checkpoint = out / runs.CHECKPOINT if cls.resumable else None
    try:
        agent = runs.resume(out, config, env, cls) if args.resume else None
        if agent is None:
            agent = cls(env, seed=args.seed, **hyper)  # bad settings are refused before the folder is made
            if not args.resume:
                runs.create(out, config, overwrite=args.overwrite)
    except ValueError as err:
        raise CliError(str(err)) from None
    try:
        if agent.steps_done < steps:
            agent.learn(steps - agent.steps_done, progress=progress_hook(progress, args.agent), checkpoint=checkpoint,
                        checkpoint_every=args.checkpoint_every)
    except KeyboardInterrupt:
        if checkpoint is None:
            print(f"specgame: interrupted; {args.agent} writes no checkpoints, so nothing was kept. "
                  "Run the same command with --overwrite to start it again.", file=sys.stderr)
            raise SystemExit(130) from None
        # The file, not the agent in memory: Ctrl-C may land just after a checkpoint was renamed in.
        held = f"holds step {cls.load(checkpoint).steps_done:,}" if checkpoint.exists() else "was not written yet"
        print(f"specgame: interrupted; {checkpoint} {held} of {steps:,}. "
              "Run the same command with --resume to continue.", file=sys.stderr)
        raise SystemExit(130) from None
    return env, agent


def _mean_ci(values) -> str:
    values = np.asarray(values, dtype=float)
    mean = f"{values.mean():.2f}".replace("-0.00", "0.00")  # a rounding residue is not a negative score
    if len(values) < 2:
        return mean
    return f"{mean} ± {1.96 * values.std(ddof=1) / math.sqrt(len(values)):.2f}"


def over_seeds(reports) -> dict[str, str]:
    """One agent's reports over seeds as table cells: each measure's mean ± 95% CI, and the
    most common verdict with its count (a tie goes to the lowest seed's verdict)."""
    verdict, count = Counter(r.verdict for r in reports).most_common(1)[0]
    return {"proxy return": _mean_ci([r.returns.proxy_return for r in reports]),
            "intended return": _mean_ci([r.returns.intended_return for r in reports]),
            "proxy score": _mean_ci([r.proxy_score for r in reports]),
            "intended score": _mean_ci([r.intended_score for r in reports]),
            "verdict": f"{verdict} ({count}/{len(reports)})"}


def compared_agents(args) -> list[str]:
    """The --agents names, each checked before any training, with --seeds and the agent options."""
    names = [name.strip() for name in args.agents.split(",") if name.strip()]
    for name in names:
        agent_class(name)  # refuse an unknown name before any training
    if args.seeds < 1:
        raise CliError(f"--seeds must be at least 1, got {args.seeds}")
    from specgame.app.settings import family, given_settings, settings_of

    try:
        used = {s.name for name in names for s in settings_of(family(name))}
    except ValueError as err:  # an agent whose config the command line has no options for
        raise CliError(str(err)) from None
    unused = sorted(set(given_settings(args)) - used)
    if unused:
        raise CliError(f"--{unused[0].replace('_', '-')} is not a setting of any of {', '.join(names)}")
    return names


def cmd_compare(args) -> None:
    from specgame.analysis.compare import gap_table

    if args.all:
        return compare_all(args)
    if args.env is None:
        raise CliError("compare needs an environment id, or --all for every registered one")
    full_id = env_id(args.env)
    test_id = env_id(args.test) if args.test else None
    names = compared_agents(args)
    if test_id:
        judged_on_test(full_id, test_id, None)  # refuse a test variant of another game before training
    columns = ("proxy return", "intended return", "proxy score", "intended score", "verdict")
    rows, reports, first_seeds, on_test = [], {}, [], []
    with Progress(args.quiet) as progress:
        for name in names:
            steps = args.steps or budget(name, "compare")
            progress(f"{name}: training {args.seeds} seed(s) x {steps:,} steps")
            env, agents = train_agents(name, full_id, parse_settings(args.set), range(args.seeds), steps, args,
                                       progress, strict=False)
            progress(f"{name}: exact returns of {args.seeds} seed(s)")
            table = gap_table(env, {f"{name} seed {i}": a for i, a in enumerate(agents)})
            reports[name] = table.to_dict()
            if test_id:
                progress(f"{name}: judged on {test_id}")
                on_test.append(judged_on_test(env, test_id, {f"{name} seed {i}": a for i, a in enumerate(agents)}))
                reports[name]["test"] = on_test[-1].to_dict()
            first_seeds.append(table.reports[0])
            cells = over_seeds(table.reports)
            rows.append((name, *(cells[column] for column in columns)))
            progress.log(f"{name}: {cells['verdict']}")
    refs = table.reports[0].references
    spent = f"{args.steps:,} steps" if args.steps else "default budgets"
    grid = Grid(("policy", *columns), title=f"{full_id}: {args.seeds} seed(s) x {spent}, mean ± 95% CI",
                text_columns=(0, len(columns)))
    references = list(refs.items())
    for number, (label, ret) in enumerate(references, 1):
        grid.add_row(f"[dim]{label}[/dim]", f"{ret.proxy_return:.2f}", f"{ret.intended_return:.2f}", "", "", "",
                     end_section=number == len(references))
    for row in rows:
        grid.add_row(*row)
    show(grid)
    for table in on_test:  # train beside test, one table per agent
        console().print(str(table), markup=False, soft_wrap=True)
    if args.json:
        from specgame._files import atomic_write_text

        atomic_write_text(args.json, json.dumps(reports, indent=2) + "\n")
    if args.plot:
        if any(report.evidence is None for report in first_seeds):
            raise CliError(f"{full_id} has no board positions to draw visits on; drop --plot")
        from specgame.views.plot import visit_difference

        save_figure(visit_difference(first_seeds, env.unwrapped.mdp), Path(args.plot))
        console().print(f"wrote {args.plot} (seed 0 of each agent: visits against the intended-optimal policy)")


def judged_on_test(env, test_id: str, agents: dict | None):
    """The agents' training and test columns (goal misgeneralisation), or a CliError saying why not;
    with no agents, only the check that ``test_id`` is a test variant of ``env``'s game."""
    from specgame.analysis.generalisation import check_variants, generalisation_table

    try:
        return check_variants(env, test_id) if agents is None else generalisation_table(env, test_id, agents)
    except ValueError as err:
        raise CliError(f"--test {test_id}: {err}") from None


# -- compare --all: every env with a table, every agent, each env's reward measures ----------
# The small tables come first and their rows are printed as each env finishes; the three
# large ones (millions of states) come last, after an estimate of their time, one at a
# time: each is dropped from the compile cache once its rows are out, so the peak memory
# is the largest single table's, not their sum.

# How long each large table takes in `compare --all` (compile, three agents at the default
# budget, their exact returns), without and with the reward measures, in seconds on a 2-core
# machine at load 1 to 3.  With the measures, from one whole run end to end (the three came at
# 116, 212 and 426 s after 36 s of small tables).  Without them, rough (not measured alone):
# the same shares of those as before the one-pass blends.  The estimate printed before the
# large tables adds these; after each one it scales the rest by the pace that table set, so
# it holds on a busy machine too.  (The small tables' own time is no guide: it swings five-fold
# with what the on-disk caches already hold.)
LARGE_SECONDS = {"SideEffectsSokoban-Level1-v0": (12, 80), "SideEffectsSokoban-Level3-v0": (12, 96),
                 "RocksDiamonds-v0": (33, 214)}

HEADER = ("env", "EPIC unif/pol", "regret", "hack rate", "agent", "proxy score", "intended score", "verdict")
LEGEND = ("EPIC: distance of proxy from intended reward (0 = same up to shaping and scale), uniform / on the "
          "optimal policies' transitions.  regret: intended return the proxy-optimal policy loses, over what "
          "the intended-optimal gains on random (0 harmless, 1 as bad as random).  hack rate: share of policy "
          "pairs the two rewards rank oppositely.")


def compare_all(args) -> None:
    """Print the table of every env x agent (and write ``--json``), streaming each env's rows:
    into a pipe or a file as soon as the env is done; on a terminal on the progress line (stderr)."""
    import specgame
    from specgame.envs import LARGE, forget_table
    from specgame.ids import short_id

    names = compared_agents(args)
    spent = f"{args.steps:,} steps" if args.steps else "default budgets"
    grid = Grid(HEADER, title=f"every env x agent: {args.seeds} seed(s) x {spent}; "
                              f"EPIC and regret are properties of the env's reward pair",
                text_columns=(0, 4, 7))
    listed = specgame.list_envs(skip_large=args.skip_large, tables_only=True)
    table = StreamedTable(grid, known={0: [short_id(i) for i in listed], 4: names})
    small = [i for i in listed if short_id(i) not in LARGE]
    large = [i for i in listed if short_id(i) in LARGE]
    records = {}
    started = time.perf_counter()

    def expected(ids) -> float:  # seconds, at load 1 to 3
        return sum(LARGE_SECONDS[short_id(i)][args.danger] for i in ids)

    with Progress(args.quiet) as progress:
        for number, full_id in enumerate(small + large, 1):
            short = short_id(full_id)
            if large and full_id == large[0]:
                so_far = time.perf_counter() - started
                seconds = expected(large)
                progress.log(f"done with {len(small)} of {len(listed)} envs in {so_far:.0f} s; next the {len(large)} "
                             f"of millions of states, one at a time: about {_minutes(seconds)} on an idle 2-core "
                             "machine, longer on a busy one (--skip-large leaves them out)")
                large_started = time.perf_counter()

            def stage(text, number=number, short=short):
                progress(f"{number}/{len(listed)} {short}: {text}", number - 1, len(listed))

            rows, records[full_id] = one_env(full_id, names, args, stage, progress)
            for i, row in enumerate(rows):
                table.add_row(*row, end_section=i == len(rows) - 1)
            progress.log(f"[{time.perf_counter() - started:4.0f} s] {streamed(rows)}")
            if short in LARGE:
                forget_table(full_id)
                done, rest = large[: large.index(full_id) + 1], large[large.index(full_id) + 1:]
                if rest:  # the pace of the large tables so far, applied to the rest
                    seconds = (time.perf_counter() - large_started) / expected(done) * expected(rest)
                    progress.log(f"{len(rest)} large table(s) to go: about {_minutes(seconds)} at this pace")
    table.close()
    console().print(LEGEND)
    if args.json:
        from specgame._files import atomic_write_text

        atomic_write_text(args.json, json.dumps(records, indent=2) + "\n")


def _minutes(seconds: float) -> str:
    return f"{max(1, round(seconds / 60))} minute{'s' if round(seconds / 60) > 1 else ''}"


def one_env(full_id: str, names, args, stage, progress) -> tuple[list, dict]:
    """One env's table rows (one per agent) and its JSON record."""
    from specgame.analysis.compare import gap_table
    from specgame.analysis.reward_distance import proxy_danger
    from specgame.ids import short_id

    stage("compiling the table")
    mdp = make_env(full_id, {}).unwrapped.mdp
    danger = proxy_danger(mdp, progress=stage) if args.danger else None
    del mdp
    record = {"reward": danger.to_dict() if danger else None, "agents": {}}
    rows = []
    for i, name in enumerate(names):
        steps = args.steps or budget(name, "compare --all")
        stage(f"training {name}, {args.seeds} seed(s) x {steps:,} steps")
        agent_env, agents = train_agents(name, full_id, {}, range(args.seeds), steps, args, progress, strict=False)
        stage(f"exact returns of {name}")
        table = gap_table(agent_env, {f"{name} seed {k}": a for k, a in enumerate(agents)}, evidence=False)
        record["agents"][name] = table.to_dict()
        cells = over_seeds(table.reports)
        env_cells = (short_id(full_id), *danger_cells(danger)) if i == 0 else ("",) * 4
        rows.append((*env_cells, name, cells["proxy score"], cells["intended score"], cells["verdict"]))
    return rows, record


def danger_cells(danger) -> tuple[str, str, str]:
    if danger is None:
        return ("-", "-", "-")
    return (f"{danger.epic_uniform:.2f} / {danger.epic_on_policy:.2f}", f"{danger.normalised_regret:.2f}",
            f"{danger.hack_rate:.2f}")


def streamed(rows) -> str:
    """An env's rows as one line, printed as soon as the env is done."""
    env, epic, regret, hack = rows[0][:4]
    agents = "; ".join(f"{row[4]} {row[5]} / {row[6]} {row[7]}" for row in rows)
    return f"{env} (EPIC {epic}, regret {regret}, hack rate {hack}): {agents}"


def cmd_demo(args) -> None:
    """Train the three agents on BoatRaceLoop, print the gap table, write the figures."""
    from specgame.agents import make
    from specgame.analysis.compare import gap_table
    from specgame.envs import make as make_game
    from specgame.views import play
    from specgame.views.plot import filmstrip, learning_curves

    con = console()
    env = make_game("BoatRaceLoop-v0")
    con.print("[bold]BoatRaceLoop-v0[/bold]: the boat should race 3 laps; it is paid for the targets it hits.")
    agents = {}
    for name in DEFAULT_AGENTS:
        started = time.perf_counter()
        agents[name] = make(name, env, alpha=0.1, gamma=0.99, epsilon=0.1, seed=args.seed).learn(args.steps)
        con.print(f"  trained {name:<15} {args.steps:>10,} steps in {time.perf_counter() - started:5.2f} s")
    table = gap_table(env, agents)
    show(gap_grid(table))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    refs = table.reports[0].references
    fig = learning_curves({n: a.history for n, a in agents.items()}, window=200,
                          references={"proxy-optimal": tuple(refs.proxy_optimal),
                                      "intended-optimal (racer)": tuple(refs.intended_optimal)},
                          title="BoatRaceLoop-v0: proxy rises, intended stays at zero")
    save_figure(fig, out / "learning_curves.png")
    runners = play.runners_for("BoatRaceLoop-v0", {}, play.agent_policy(agents["q-learning"]), "q-learning",
                               tile_size=16)
    frames = play.episode_frames(runners, max_steps=args.frames)
    save_figure(filmstrip(frames, columns=8, title="Q-learning's greedy boat: to the lagoon, then round and round"),
                out / "loop_strip.png")
    play.write_video(out / "loop.gif", frames)
    from specgame._files import atomic_write_text

    atomic_write_text(out / "report.json", table.to_json() + "\n")
    con.print(f"The fastest racer would collect {refs.intended_optimal.proxy_return:.0f} targets and finish 3 laps; "
              f"Q-learning's boat collects {table['q-learning'].returns.proxy_return:.1f} and finishes none.")
    con.print(f"wrote {out}/learning_curves.png, {out}/loop_strip.png, {out}/loop.gif, {out}/report.json")


def _watched(args):
    """The env, settings, policy and its name for `watch` and `record`: a run folder, or an id
    with an agent trained (or solved) on the spot."""
    from specgame.views import play

    source = Path(args.source)
    settings = parse_settings(args.set)
    try:
        if _looks_like_folder(args.source):
            if args.agent:
                raise CliError(f"{source} is a run folder; its agent is the one it saved (drop --agent)")
            run = runs.load(source)
            return run.env_id, {**run.settings, **settings}, play.agent_policy(run.agent), run.agent_name
        full_id = env_id(args.source)
        env = play.make_env(full_id, settings, tile_size=8)
        if args.side_by_side and not play.has_table(env):
            raise CliError(f"{full_id} has no table, so there is no intended-optimal plan to show beside it "
                           "(drop --side-by-side)")
        name = args.agent or (DEFAULT_AGENTS[0] if play.has_table(env) else play.TABLELESS[0])
        if name not in play.policy_names():
            raise CliError(f"unknown agent {name!r}; choose from {', '.join(play.policy_names())}")
        learns = name in agent_names()
        hyper = agent_settings(args, name) if learns else {}
        steps = args.steps or (budget(name, "watch") if learns else 0)
        return full_id, settings, play.policy_from(name, env, steps=steps, seed=args.seed, **hyper), name
    except ValueError as err:
        raise CliError(str(err)) from None


def _looks_like_folder(source: str) -> bool:
    """A path (it exists, or has a separator or a suffix), not an environment id."""
    from specgame.ids import resolve_id

    try:
        resolve_id(source)
        return False
    except ValueError:
        pass
    return Path(source).exists() or "/" in source or "\\" in source or Path(source).suffix != ""


def cmd_play(args) -> None:
    from specgame.views import play

    try:
        finished = play.play(env_id(args.env), parse_settings(args.set), seed=args.seed,
                             tile_size=args.tile_size, fps=args.fps)
    except ValueError as err:
        raise CliError(str(err)) from None
    console().print(f"{len(finished)} episode(s) finished")


def cmd_watch(args) -> None:
    from specgame.views import play

    env_id_, settings, policy, name = _watched(args)
    con = console()
    con.print(f"watching {name} on {env_id_}" + (" beside the intended-optimal policy" if args.side_by_side
                                                 else "") + "; q or escape stops")
    shown = []

    def frames(episode):
        runners = play.runners_for(env_id_, settings, policy, name, side_by_side=args.side_by_side,
                                   seed=args.seed + episode, tile_size=args.tile_size)
        shown.append(runners)
        return play.episode_frames(runners, max_steps=args.max_steps)

    play.show(frames, f"specgame watch {env_id_}: {name}", args.fps, args.episodes)
    for episode, runners in enumerate(shown):
        for r in runners:
            con.print(f"  episode {episode}, {r.title}: proxy {r.hud.proxy_return:.2f}, "
                      f"intended {r.hud.intended_return:.2f}, {r.hud.step} steps")


def cmd_record(args) -> None:
    from specgame.views import play

    if bool(args.gif) == bool(args.mp4):
        raise CliError("give exactly one of --gif FILE or --mp4 FILE")
    env_id_, settings, policy, name = _watched(args)
    runners = play.runners_for(env_id_, settings, policy, name, side_by_side=args.side_by_side,
                               seed=args.seed, tile_size=args.tile_size)
    frames = play.episode_frames(runners, max_steps=args.max_steps)
    try:
        path = play.write_video(args.gif or args.mp4, frames, fps=args.fps)
    except ValueError as err:
        raise CliError(str(err)) from None
    con = console()
    con.print(f"wrote {path} ({len(frames)} frames)")
    for r in runners:
        con.print(f"  {r.title}: proxy {r.hud.proxy_return:.2f}, intended {r.hud.intended_return:.2f}")


def cmd_bench(args) -> None:
    if args.large:
        from specgame.app import bench_large

        bench_large.run(args)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    try:
        import bench_tabular
    except ImportError:
        raise CliError("the benchmarks live in the source checkout's benchmarks/ folder; "
                       "run specgame bench from a clone of the repository") from None
    bench_tabular.main(["--quick"] if args.quick else [])


def cmd_sweep(args) -> int:
    """Check a sweep config whole, then run its tasks not yet in the results file, printing each as it ends."""
    from rich.markup import escape

    from specgame.app.sweep import expand, load_config, run_sweep
    from specgame.ids import short_id

    config_path = Path(args.config)
    out = Path(args.out or f"runs/sweep-{config_path.stem}.csv")
    con = console()

    def progress(row):
        outcome = row["verdict"] if row["status"] == "ok" else f"[red]error[/red] {escape(row['error'])}"
        params = escape(", ".join(f"{k}={v}" for k, v in {**json.loads(row["env_params"]),
                                                         **json.loads(row["agent_params"])}.items()))
        con.print(f"  {short_id(row['env'])} {row['agent']} seed {row['seed']}"
                  f"{' (' + params + ')' if params else ''}: {outcome}  [{row['seconds']} s]", markup=True)

    try:
        tasks = expand(load_config(config_path))  # checks every task's env and agent settings first
        started = time.perf_counter()
        summary = run_sweep(tasks, out, n_jobs=args.jobs, scheduler=args.scheduler,
                            retry_failed=args.retry_failed, on_row=progress)
    except (ValueError, OSError) as err:
        raise CliError(str(err)) from None
    con.print(f"{summary.tasks} task(s): {summary.skipped} already in {out}, {summary.finished} finished now, "
              f"{summary.failed} failed, in {time.perf_counter() - started:.1f} s")
    if summary.failed:
        print(f"specgame: {summary.failed} of {summary.tasks} task(s) failed; their errors are in {out} "
              "(--retry-failed runs them again)", file=sys.stderr)
        return 1
    return 0


# -- the parser ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="specgame", description="A testbed for specification gaming in RL.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("list", help="the environments, with their proxy and intended objectives").set_defaults(
        run=cmd_list)

    def budgets(command) -> str:  # "1000000 for q-learning, sarsa, expected-sarsa; 40000 for dqn"
        by_steps = {}
        for name in agent_names():
            by_steps.setdefault(full_steps(name, command), []).append(name)
        return "; ".join(f"{steps} for {', '.join(names)}" for steps, names in by_steps.items())

    def learning_options(p, command):
        all_ = f"; with compare --all {budgets('compare --all')}" if command == "compare" else ""
        p.add_argument("--steps", type=int, default=None,
                       help=f"environment steps of training (default {budgets(command)}{all_}; {QUICK_STEPS} "
                            "with SPECGAME_QUICK=1, N with SPECGAME_STEPS=N)")
        p.add_argument("--set", action="append", metavar="KEY=VALUE", help="an environment parameter, repeatable")
        add_agent_options(p)

    train = sub.add_parser("train", help="train an agent and report its gap; the run goes to a folder")
    train.add_argument("env", help="environment id, e.g. BoatRaceLoop-v0")
    train.add_argument("--agent", default=DEFAULT_AGENTS[0],
                       help=f"one of {', '.join(agent_names())} (default %(default)s)")
    train.add_argument("--seed", type=int, default=0, help=seed_help())
    train.add_argument("--out", help="run folder (default runs/ENV-AGENT-seedS, then each setting that differs "
                                     "from the defaults, e.g. -finish_bonus=50-q0=20)")
    train.add_argument("--overwrite", action="store_true", help="replace the run already in the run folder")
    train.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    train.add_argument("--checkpoint-every", type=int, default=None, metavar="STEPS",
                       help="save checkpoint.npz in the run folder, and show the progress, every STEPS steps "
                            "(default: the agent's own, 100000 for the agents that resume)")
    train.add_argument("--resume", action="store_true",
                       help="continue the interrupted run in the run folder from its checkpoint")
    learning_options(train, "train")
    train.set_defaults(run=cmd_train)

    compare = sub.add_parser("compare", help="train agents over seeds and tabulate their gaps")
    compare.add_argument("env", nargs="?", help="environment id (or --all)")
    compare.add_argument("--all", action="store_true",
                         help="every registered env and agent, with the envs' reward-level measures")
    compare.add_argument("--no-danger", dest="danger", action="store_false",
                         help="with --all: skip the reward-level measures (EPIC, regret, hack rate), "
                              "which take minutes on the largest tables")
    compare.add_argument("--skip-large", action="store_true",
                         help="with --all: leave out the envs with millions of states "
                              "(each takes minutes and GBs of memory)")
    compare.add_argument("--agents", default=",".join(DEFAULT_AGENTS),
                         help=f"comma-separated agent names, of {', '.join(agent_names())} (default %(default)s)")
    compare.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    compare.add_argument("--seeds", type=int, default=None, help="seeds per agent (default 3; 1 with --all)")
    compare.add_argument("--json", help="also write the reports to this JSON file")
    compare.add_argument("--plot", help="draw seed 0's visits against the intended-optimal policy to this image")
    compare.add_argument("--test", metavar="VARIANT",
                         help="also judge every agent on this test variant of the env (e.g. CoinAtTheEnd-Test-v0): "
                              "training and test columns, the training correlate, the verdict misgeneralised")
    learning_options(compare, "compare")
    compare.set_defaults(run=cmd_compare)

    demo = sub.add_parser("demo", help="watch three agents game the boat race (the main job)")
    demo.add_argument("--steps", type=int,
                      help=f"training steps per agent (default {full_steps(DEFAULT_AGENTS[0], 'demo')})")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--frames", type=int, default=40, help="frames in the strip and the GIF")
    demo.add_argument("--out", default="runs/demo")
    demo.set_defaults(run=cmd_demo)

    play_ = sub.add_parser("play", help="play an environment with the keyboard and see both scores")
    play_.add_argument("env", help="environment id, e.g. BoatRaceLoop-v0")
    play_.add_argument("--set", action="append", metavar="KEY=VALUE", help="an environment parameter, repeatable")
    play_.add_argument("--seed", type=int, default=0)
    play_.add_argument("--tile-size", type=int, default=40, help="pixels per cell (default %(default)s)")
    play_.add_argument("--fps", type=float, default=30)
    play_.set_defaults(run=cmd_play)

    def watching_options(p, fps):
        p.add_argument("source", help="a run folder written by `specgame train`, or an environment id")
        p.add_argument("--agent", help=f"with an id: {', '.join(agent_names())} (default {DEFAULT_AGENTS[0]}), "
                                       "proxy-optimal, intended-optimal or random")
        p.add_argument("--side-by-side", action="store_true",
                       help="show the intended-optimal policy beside it, scores racing")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--max-steps", type=int, help="stop an episode after this many steps")
        p.add_argument("--tile-size", type=int, default=32, help="pixels per cell (default %(default)s)")
        p.add_argument("--fps", type=float, default=fps)
        learning_options(p, "watch")

    watch = sub.add_parser("watch", help="watch a trained agent (a run folder, or trained on the spot) play")
    watching_options(watch, 8)
    watch.add_argument("--episodes", type=int, default=1)
    watch.set_defaults(run=cmd_watch)

    record = sub.add_parser("record", help="record an agent's episode as a GIF or MP4")
    watching_options(record, 8)
    record.add_argument("--gif", metavar="FILE", help="write a GIF")
    record.add_argument("--mp4", metavar="FILE", help='write an MP4 (needs pip install "specgame[video]")')
    record.set_defaults(run=cmd_record)

    bench = sub.add_parser("bench", help="speed: kernel vs C vs plain Python, threads, solver, start-up")
    bench.add_argument("--quick", action="store_true")
    from specgame.app import bench_large

    bench_large.add_arguments(bench)
    bench.set_defaults(run=cmd_bench)

    sweep = sub.add_parser("sweep", help="train env x parameters x agent x seeds in parallel, results to a CSV")
    sweep.add_argument("config", help="a .toml or .json sweep config (see examples/sweep.toml)")
    sweep.add_argument("--out", help="results CSV, appended to (default runs/sweep-CONFIG.csv)")
    sweep.add_argument("--jobs", type=int, default=-1, help="local processes; -1 = one per CPU (default)")
    sweep.add_argument("--scheduler", help="a Dask scheduler address (tcp://host:8786) to run on its workers")
    sweep.add_argument("--retry-failed", action="store_true", help="run again the tasks that failed before")
    sweep.set_defaults(run=cmd_sweep)

    from specgame.app import interpret_cmd, lm_cmd

    interpret_cmd.add_parser(sub)
    lm_cmd.add_parser(sub)
    return parser


def main(argv=None) -> int:
    line_buffered_stdout()
    args = build_parser().parse_args(argv)
    try:
        if args.command == "compare":  # --all trades budget for breadth: one seed, each agent's --all budget
            args.seeds = args.seeds if args.seeds is not None else (1 if args.all else 3)
        if args.command == "demo" and args.steps is None:
            args.steps = budget(DEFAULT_AGENTS[0], "demo")
    except CliError as err:
        print(f"specgame: error: {err}", file=sys.stderr)
        return 2
    for name in ("steps", "checkpoint_every"):
        if getattr(args, name, None) is not None and getattr(args, name) < 1:
            print(f"specgame: error: --{name.replace('_', '-')} must be a positive number of steps, "
                  f"got {getattr(args, name)}",
                  file=sys.stderr)
            return 2
    try:
        return args.run(args) or 0
    except CliError as err:
        print(f"specgame: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
