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

from specgame.agents import BOARD_DQN_SETTINGS as DQN_SETTINGS
from specgame.agents import BOARD_DQN_STEPS as DQN_STEPS

AGENTS = ("q-learning", "sarsa", "expected-sarsa")
NEURAL = ("dqn",)  # needs the dqn extra (torch); trains on the onehot board planes


class CliError(Exception):
    """A user mistake: printed as one line, exit status 2."""


# -- helpers -------------------------------------------------------------------------------


def agent_class(name: str):
    from specgame.agents import SARSA, ExpectedSARSA, QLearning

    classes = {"q-learning": QLearning, "sarsa": SARSA, "expected-sarsa": ExpectedSARSA}
    if name in NEURAL:
        try:
            from specgame.agents.dqn import DQN
        except ImportError as err:
            raise CliError(str(err)) from None
        return DQN
    if name not in classes:
        raise CliError(f"unknown agent {name!r}; choose from {', '.join(AGENTS + NEURAL)}")
    return classes[name]


def env_id(name: str) -> str:
    import specgame

    full = name if "/" in name else f"specgame/{name}"
    if full not in specgame.list_envs():
        raise CliError(f"unknown environment {name!r}; `specgame list` shows the {len(specgame.list_envs())} ids")
    return full


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


def hyper(args) -> dict:
    return {"alpha": args.alpha, "gamma": args.gamma, "epsilon": args.epsilon, "q0": args.q0}


def console():
    from rich.console import Console

    # Logs and CI are not terminals: rich would wrap tables at 80 columns there.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 120)


def write_history(path: Path, history) -> None:
    from specgame._files import atomic_write_text

    lines = ["episode,steps,length,proxy_return,intended_return"]
    steps = np.cumsum(history.length)
    for i, (n, p, q) in enumerate(zip(history.length, history.proxy_return, history.intended_return)):
        lines.append(f"{i},{steps[i]},{n},{p:.6g},{q:.6g}")
    atomic_write_text(path, "\n".join(lines) + "\n")


# -- commands ------------------------------------------------------------------------------


def train_agents(name: str, env_name: str, settings: dict, seeds, steps: int | None, args):
    """Train agent ``name`` once per seed; returns the env it saw and the trained agents.

    Tabular agents train all seeds in one parallel numba call; the DQN trains seed by
    seed on the onehot board planes, with the settings that learn the boat's loop.
    """
    from specgame.agents import train_seeds

    cls = agent_class(name)
    try:
        if name in NEURAL:
            env = make_env(env_name, settings, obs_mode="onehot")
            agents = [cls(env, seed=seed, gamma=args.gamma, **DQN_SETTINGS).learn(steps or DQN_STEPS)
                      for seed in seeds]
            return env, agents
        env = make_env(env_name, settings)
        return env, train_seeds(cls, env, seeds=list(seeds), total_steps=steps or 1_000_000, **hyper(args))
    except ValueError as err:
        raise CliError(str(err)) from None


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
    from specgame._files import atomic_write_text
    from specgame.analysis.compare import gap_table

    settings = parse_settings(args.set)
    out = Path(args.out or f"runs/{args.env.split('/')[-1]}-{args.agent}-seed{args.seed}")
    config = {"env": env_id(args.env), "settings": settings, "agent": args.agent,
              "seed": args.seed, "steps": args.steps, **hyper(args)}
    checkpoint = out / "checkpoint.npz"
    con = console()
    started = time.perf_counter()
    if args.agent in NEURAL:
        if args.resume:
            raise CliError("--resume continues tabular runs; the DQN does not write checkpoints yet")
        env, (agent,) = train_agents(args.agent, args.env, settings, [args.seed], args.steps, args)
        atomic_write_text(out / "config.json", json.dumps(config, indent=2) + "\n")
    else:
        env, agent = train_tabular(args, settings, out, config)
    seconds = time.perf_counter() - started
    table = gap_table(env, {args.agent: agent})
    write_history(out / "progress.csv", agent.history)
    agent.save(out / ("model.pt" if args.agent in NEURAL else "model.npz"))
    atomic_write_text(out / "report.json", table.to_json() + "\n")
    checkpoint.unlink(missing_ok=True)  # the model file now holds the finished run
    con.print(f"trained {args.agent} on {config['env']} for {args.steps:,} steps "
              f"({len(agent.history):,} episodes) in {seconds:.2f} s")
    con.print(table)
    con.print(f"saved to {out}/")


def train_tabular(args, settings: dict, out: Path, config: dict):
    """Train (or, with --resume, continue) a tabular agent, checkpointing into ``out``."""
    from specgame._files import atomic_write_text

    env = make_env(args.env, settings)
    cls = agent_class(args.agent)
    checkpoint = out / "checkpoint.npz"
    agent = resume_agent(out, config, env, cls) if args.resume else None
    if agent is None:
        if checkpoint.exists() and not args.resume:
            raise CliError(f"{out} holds an unfinished run (checkpoint.npz); add --resume to continue it, "
                           "or choose another --out")
        try:
            agent = cls(env, seed=args.seed, **hyper(args))
        except ValueError as err:
            raise CliError(str(err)) from None
        atomic_write_text(out / "config.json", json.dumps(config, indent=2) + "\n")  # first: --resume reads it
    try:
        if agent.steps_done < args.steps:
            agent.learn(args.steps - agent.steps_done, checkpoint=checkpoint, checkpoint_every=args.checkpoint_every)
    except KeyboardInterrupt:
        # The file, not the agent in memory: Ctrl-C may land just after a checkpoint was renamed in.
        held = f"holds step {cls.load(checkpoint).steps_done:,}" if checkpoint.exists() else "was not written yet"
        print(f"specgame: interrupted; {checkpoint} {held} of {args.steps:,}. "
              "Run the same command with --resume to continue.", file=sys.stderr)
        raise SystemExit(130) from None
    return env, agent


def resume_agent(out: Path, config: dict, env, cls):
    """The agent of an interrupted run in ``out``, or None if it stopped before its first checkpoint."""
    try:
        started_with = json.loads((out / "config.json").read_text())
    except FileNotFoundError:
        raise CliError(f"nothing to resume: {out} has no config.json (was the run started there?)") from None
    except (OSError, ValueError) as err:
        raise CliError(f"{out / 'config.json'} is unreadable: {err}") from None
    for key, value in config.items():
        if started_with.get(key) != value:
            raise CliError(f"{out} was started with {key}={started_with.get(key)!r}, not {value!r}; "
                           "resume with the options it was started with")
    checkpoint = out / "checkpoint.npz"
    if not checkpoint.exists():
        if (out / "model.npz").exists():
            raise CliError(f"nothing to resume: the run in {out} has finished (model.npz)")
        return None  # killed before the first checkpoint: starting again is the same run
    try:
        return cls.load(checkpoint, env)
    except ValueError as err:
        raise CliError(str(err)) from None


def _mean_ci(values) -> str:
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return f"{values.mean() + 0.0:.2f}".replace("-0.00", "0.00")
    half = 1.96 * values.std(ddof=1) / math.sqrt(len(values))
    return f"{values.mean():.2f} ± {half:.2f}"


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
    """The --agents names, each checked before any training, and --seeds checked."""
    names = [name.strip() for name in args.agents.split(",") if name.strip()]
    for name in names:
        agent_class(name)  # refuse an unknown name before any training
    if args.seeds < 1:
        raise CliError(f"--seeds must be at least 1, got {args.seeds}")
    return names


def cmd_compare(args) -> None:
    from rich.table import Table

    from specgame.analysis.compare import gap_table

    if args.all:
        return cmd_compare_all(args)
    if args.env is None:
        raise CliError("compare needs an environment id, or --all for every registered one")
    names = compared_agents(args)
    columns = ("proxy return", "intended return", "proxy score", "intended score", "verdict")
    rows, reports, first_seeds = [], {}, []
    for name in names:
        steps = args.steps if args.steps is not None or name not in NEURAL else DQN_STEPS
        env, agents = train_agents(name, args.env, parse_settings(args.set), range(args.seeds), steps, args)
        table = gap_table(env, {f"{name} seed {i}": a for i, a in enumerate(agents)})
        reports[name] = table.to_dict()
        first_seeds.append(table.reports[0])
        cells = over_seeds(table.reports)
        rows.append((name, *(cells[column] for column in columns)))
    refs = table.reports[0].references
    budget = f"{args.steps:,} steps" if args.steps else "default budgets"
    out = Table(title=f"{env_id(args.env)}: {args.seeds} seed(s) x {budget}, mean ± 95% CI")
    for column in ("policy", *columns):
        out.add_column(column, justify="left" if column in ("policy", "verdict") else "right")
    for label, ret in refs.items():
        out.add_row(f"[dim]{label}[/dim]", f"{ret.proxy_return:.2f}", f"{ret.intended_return:.2f}", "", "", "")
    for row in rows:
        out.add_row(*row)
    console().print(out)
    if args.json:
        from specgame._files import atomic_write_text

        atomic_write_text(args.json, json.dumps(reports, indent=2) + "\n")
    if args.plot:
        if any(report.evidence is None for report in first_seeds):
            raise CliError(f"{env_id(args.env)} has no board positions to draw visits on; drop --plot")
        from specgame.views.plot import visit_difference

        save_figure(visit_difference(first_seeds, env.unwrapped.mdp), Path(args.plot))
        console().print(f"wrote {args.plot} (seed 0 of each agent: visits against the intended-optimal policy)")


def _danger_cells(danger) -> tuple[str, str, str]:
    if danger is None:
        return ("-", "-", "-")
    return (f"{danger.epic_uniform:.2f} / {danger.epic_on_policy:.2f}", f"{danger.normalised_regret:.2f}",
            f"{danger.hack_rate:.2f}")


def cmd_compare_all(args) -> None:
    """One row per (env, agent): verdict over seeds, and each env's reward-level danger numbers."""
    from rich.table import Table

    import specgame
    from specgame.analysis.compare import gap_table
    from specgame.analysis.reward_distance import proxy_danger

    names = compared_agents(args)
    out = Table(title=f"every env x agent: {args.seeds} seed(s) x {args.steps:,} steps; "
                      f"EPIC and regret are properties of the env's reward pair")
    for column in ("env", "EPIC unif/pol", "regret", "hack rate", "agent", "proxy score", "intended score",
                   "verdict"):
        text = column in ("env", "agent", "verdict")
        out.add_column(column, justify="left" if text else "right", no_wrap=text)
    records = {}
    for full_id in specgame.list_envs(skip_large=args.skip_large):
        env = make_env(full_id, {})
        danger = proxy_danger(env.unwrapped.mdp) if args.danger else None
        records[full_id] = {"reward": danger.to_dict() if danger else None, "agents": {}}
        for i, name in enumerate(names):
            steps = args.steps if name not in NEURAL else min(args.steps, DQN_STEPS)
            agent_env, agents = train_agents(name, full_id, {}, range(args.seeds), steps, args)
            table = gap_table(agent_env, {f"{name} seed {k}": a for k, a in enumerate(agents)}, evidence=False)
            records[full_id]["agents"][name] = table.to_dict()
            cells = over_seeds(table.reports)
            env_cells = (full_id.split("/")[-1], *_danger_cells(danger)) if i == 0 else ("",) * 4
            out.add_row(*env_cells, name, cells["proxy score"], cells["intended score"], cells["verdict"],
                        end_section=i == len(names) - 1)
    console().print(out)
    console().print("EPIC: distance of proxy from intended reward (0 = same up to shaping and scale), uniform / "
                    "on the optimal policies' transitions.  regret: intended return the proxy-optimal policy "
                    "loses, over what the intended-optimal gains on random (0 harmless, 1 as bad as random).  "
                    "hack rate: share of policy pairs the two rewards rank oppositely.")
    if args.json:
        from specgame._files import atomic_write_text

        atomic_write_text(args.json, json.dumps(records, indent=2) + "\n")


def cmd_demo(args) -> None:
    """Train the three agents on BoatRaceLoop, print the gap table, write the figures."""
    import gymnasium

    from specgame.analysis.compare import gap_table
    from specgame.views import play
    from specgame.views.plot import filmstrip, learning_curves

    con = console()
    env = gymnasium.make("specgame/BoatRaceLoop-v0")
    con.print("[bold]BoatRaceLoop-v0[/bold]: the boat should race 3 laps; it is paid for the targets it hits.")
    agents = {}
    for name in AGENTS:
        started = time.perf_counter()
        agents[name] = agent_class(name)(env, alpha=0.1, gamma=0.99, epsilon=0.1, seed=args.seed).learn(args.steps)
        con.print(f"  trained {name:<15} {args.steps:>10,} steps in {time.perf_counter() - started:5.2f} s")
    table = gap_table(env, agents)
    con.print(table)

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


def save_figure(fig, path: Path, dpi: int = 110) -> None:
    """``fig.savefig`` through a temporary file, like every other write."""
    from specgame._files import atomic_write

    atomic_write(path, lambda f: fig.savefig(f, format=path.suffix.lstrip(".") or "png", dpi=dpi))


def _watched(args):
    """The env, settings, policy and its name for `watch` and `record`: a run folder, or an id
    with an agent trained (or solved) on the spot."""
    from specgame.views import play

    source = Path(args.source)
    settings = parse_settings(args.set)
    try:
        if source.is_dir():
            if args.agent:
                raise CliError(f"{source} is a run folder; its agent is the one it saved (drop --agent)")
            env_id, saved, name, agent = play.load_run(source)
            return env_id, {**saved, **settings}, play.agent_policy(agent), name
        name = args.agent or "q-learning"
        if name not in play.POLICY_NAMES:
            raise CliError(f"unknown agent {name!r}; choose from {', '.join(play.POLICY_NAMES)}")
        env_id = env_id_of(args.source)
        env = play.make_env(env_id, settings, tile_size=8)
        return env_id, settings, play.policy_from(name, env, steps=args.steps, seed=args.seed, **hyper(args)), name
    except ValueError as err:
        raise CliError(str(err)) from None


def env_id_of(name: str) -> str:
    if Path(name).suffix or Path(name).exists():
        raise CliError(f"{name!r} is neither an environment id nor a run folder")
    return env_id(name)


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
    console().print(f"watching {name} on {env_id_}" + (" beside the intended-optimal policy" if args.side_by_side
                                                       else "") + "; q or escape stops")

    def frames(episode):
        runners = play.runners_for(env_id_, settings, policy, name, side_by_side=args.side_by_side,
                                   seed=args.seed + episode, tile_size=args.tile_size)
        return play.episode_frames(runners, max_steps=args.max_steps)

    play.show(frames, f"specgame watch {env_id_}: {name}", args.fps, args.episodes)


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
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    try:
        import bench_tabular
    except ImportError:
        raise CliError("the benchmarks live in the source checkout's benchmarks/ folder; "
                       "run specgame bench from a clone of the repository") from None
    bench_tabular.main(["--quick"] if args.quick else [])


def cmd_sweep(args) -> None:
    """Run a sweep config's tasks that are not yet in the results file, printing each as it ends."""
    from rich.markup import escape

    from specgame.app.sweep import load_config, run_sweep

    config_path = Path(args.config)
    out = Path(args.out or f"runs/sweep-{config_path.stem}.csv")
    con = console()

    def progress(row):
        outcome = row["verdict"] if row["status"] == "ok" else f"[red]error[/red] {escape(row['error'])}"
        params = escape(", ".join(f"{k}={v}" for k, v in {**json.loads(row["env_params"]),
                                                         **json.loads(row["agent_params"])}.items()))
        con.print(f"  {row['env'].split('/')[-1]} {row['agent']} seed {row['seed']}"
                  f"{' (' + params + ')' if params else ''}: {outcome}  [{row['seconds']} s]", markup=True)

    try:
        config = load_config(config_path)
        started = time.perf_counter()
        summary = run_sweep(config, out, n_jobs=args.jobs, scheduler=args.scheduler,
                            retry_failed=args.retry_failed, on_row=progress)
    except (ValueError, OSError) as err:
        raise CliError(str(err)) from None
    con.print(f"{summary.tasks} task(s): {summary.skipped} already in {out}, {summary.finished} finished now, "
              f"{summary.failed} failed, in {time.perf_counter() - started:.1f} s")


# -- the parser ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="specgame", description="A testbed for specification gaming in RL.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("list", help="the environments, with their proxy and intended objectives").set_defaults(
        run=cmd_list)

    def learning_options(p, steps):
        p.add_argument("--steps", type=int, default=steps,
                       help="environment steps of training (default %(default)s)" if steps else
                       f"environment steps of training (default 1000000 for tabular agents, {DQN_STEPS} "
                       "for the DQN; 200000 with compare --all)")
        p.add_argument("--alpha", type=float, default=0.1, help="step size α in (0, 1] (default %(default)s)")
        p.add_argument("--gamma", type=float, default=0.99, help="discount γ in [0, 1] (default %(default)s)")
        p.add_argument("--epsilon", type=float, default=0.1, help="exploration ε in [0, 1] (default %(default)s)")
        p.add_argument("--q0", type=float, default=0.0,
                       help="initial Q-value; above the returns it is optimistic and explores (default %(default)s)")
        p.add_argument("--set", action="append", metavar="KEY=VALUE", help="an environment parameter, repeatable")

    train = sub.add_parser("train", help="train a tabular agent and report its gap")
    train.add_argument("env", help="environment id, e.g. BoatRaceLoop-v0")
    train.add_argument("--agent", default="q-learning", help=f"one of {', '.join(AGENTS + NEURAL)}")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", help="run folder (default runs/ENV-AGENT-seedS)")
    train.add_argument("--checkpoint-every", type=int, default=100_000, metavar="STEPS",
                       help="save checkpoint.npz in the run folder every STEPS steps (default %(default)s)")
    train.add_argument("--resume", action="store_true",
                       help="continue the interrupted run in the run folder from its checkpoint")
    learning_options(train, None)
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
    compare.add_argument("--agents", default=",".join(AGENTS), help="comma-separated agent names")
    compare.add_argument("--seeds", type=int, default=None, help="seeds per agent (default 3; 1 with --all)")
    compare.add_argument("--json", help="also write the reports to this JSON file")
    compare.add_argument("--plot", help="draw seed 0's visits against the intended-optimal policy to this image")
    learning_options(compare, None)
    compare.set_defaults(run=cmd_compare)

    demo = sub.add_parser("demo", help="watch three agents game the boat race (the main job)")
    demo.add_argument("--steps", type=int, default=1_000_000)
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
        p.add_argument("--agent", help="with an id: q-learning (default), sarsa, expected-sarsa, dqn, "
                                       "proxy-optimal, intended-optimal or random")
        p.add_argument("--side-by-side", action="store_true",
                       help="show the intended-optimal policy beside it, scores racing")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--max-steps", type=int, help="stop an episode after this many steps")
        p.add_argument("--tile-size", type=int, default=32, help="pixels per cell (default %(default)s)")
        p.add_argument("--fps", type=float, default=fps)
        learning_options(p, 300_000)

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
    bench.set_defaults(run=cmd_bench)

    sweep = sub.add_parser("sweep", help="train env x parameters x agent x seeds in parallel, results to a CSV")
    sweep.add_argument("config", help="a .toml or .json sweep config (see examples/sweep.toml)")
    sweep.add_argument("--out", help="results CSV, appended to (default runs/sweep-CONFIG.csv)")
    sweep.add_argument("--jobs", type=int, default=-1, help="local processes; -1 = one per CPU (default)")
    sweep.add_argument("--scheduler", help="a Dask scheduler address (tcp://host:8786) to run on its workers")
    sweep.add_argument("--retry-failed", action="store_true", help="run again the tasks that failed before")
    sweep.set_defaults(run=cmd_sweep)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "train" and args.steps is None:
        args.steps = DQN_STEPS if args.agent in NEURAL else 1_000_000
    if args.command == "compare":  # --all trades budget for breadth: small defaults per env
        if args.all and args.steps is None:
            args.steps = 200_000
        args.seeds = args.seeds if args.seeds is not None else (1 if args.all else 3)
    for name in ("steps", "checkpoint_every"):
        if getattr(args, name, None) is not None and getattr(args, name) < 1:
            print(f"specgame: error: --{name.replace('_', '-')} must be a positive number of steps, "
                  f"got {getattr(args, name)}",
                  file=sys.stderr)
            return 2
    try:
        args.run(args)
    except CliError as err:
        print(f"specgame: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
