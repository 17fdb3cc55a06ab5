"""``specgame interpret ENV --agent dqn [--run DIR] [--quick] --out DIR``: look inside the gamer.

Trains the README's board DQN (or loads ``DIR/model.npz`` from a ``specgame train`` run),
then runs every method of :mod:`specgame.interpret` over every state of the table and
writes ``interpret.json``, ``activations.npz``, ``features.npz`` and the figures.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from specgame.agents import default_steps, full_steps

DEFAULT_AGENT = "dqn"


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("interpret", help="look inside a trained network, scored against the answer key")
    p.add_argument("env", help="environment id, e.g. BoatRaceLoop-v0")
    p.add_argument("--agent", default=DEFAULT_AGENT,
                   help="an agent with a Q-network to look inside (default %(default)s)")
    p.add_argument("--run", dest="run_dir", metavar="DIR",
                   help="a run folder with model.npz (from `specgame train`) to load instead of training")
    p.add_argument("--steps", type=int, default=None,
                   help=f"training steps when no --run is given (default {full_steps(DEFAULT_AGENT, 'interpret')}; "
                        "SPECGAME_QUICK=1 and SPECGAME_STEPS=N change it as for train)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true",
                   help="small budgets for every method (same methods); SPECGAME_QUICK=1 does the same")
    p.add_argument("--out", help="output folder (default runs/interpret-ENV-AGENT-seedS)")
    p.set_defaults(run=run)  # the cli calls args.run(args); its int is the exit status


def run(args) -> int:
    import gymnasium as gym

    from specgame.agents import agent_class, observation_settings, starting_config
    from specgame.ids import resolve_id, short_id
    from specgame.interpret.report import interpret_network

    try:
        cls = agent_class(args.agent)
    except (ValueError, ImportError) as err:  # an unknown name; the DQN without torch
        print(f"specgame: error: --agent: {err}", file=sys.stderr)
        return 2
    if cls.has_table:
        print(f"specgame: error: --agent must be an agent with a network to look inside; {args.agent} keeps a "
              "Q-table (specgame compare and watch show it)", file=sys.stderr)
        return 2
    try:
        args.steps = default_steps(args.agent, "interpret") if args.steps is None else args.steps
    except ValueError as err:  # a SPECGAME_STEPS that is not a number
        print(f"specgame: error: {err}", file=sys.stderr)
        return 2
    if args.steps < 1:
        print(f"specgame: error: --steps must be a positive number of steps, got {args.steps}", file=sys.stderr)
        return 2

    started = time.perf_counter()

    def progress(message: str) -> None:  # what is being done, on stderr; what was found goes to stdout
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    env_id = resolve_id(args.env)
    progress(f"building the table of every state of {env_id}")
    env = gym.make(env_id, **observation_settings(cls))
    out = Path(args.out or f"runs/interpret-{short_id(env_id)}-{args.agent}-seed{args.seed}")

    if args.run_dir:
        model = Path(args.run_dir) / "model.npz"
        if not model.is_file():
            print(f"specgame: error: --run must be a run folder holding model.npz, got {args.run_dir!r}",
                  file=sys.stderr)
            return 2
        agent = cls.load(model, env=env)
        print(f"loaded {model}")
    else:
        def trained(agent, goal):  # a progress line every thousand steps: the network is the one a single call trains
            progress(f"training {args.agent} on {env_id}: {agent.steps_done:,} of {goal:,} steps")

        agent = cls(env, starting_config(args.agent), seed=args.seed, schedule_steps=args.steps)
        agent.learn(args.steps, progress=trained, checkpoint_every=1_000)
        out.mkdir(parents=True, exist_ok=True)
        agent.save(out / "model.npz")
        print(f"trained {args.agent} on {env_id} for {args.steps:,} steps in {time.perf_counter() - started:.1f} s")
    interpret_network(agent.q_net, env.unwrapped.mdp, out, quick=args.quick, gamma=agent.config.gamma,
                      seed=args.seed, progress=progress)
    print(f"wrote {out}/interpret.json, activations.npz, features.npz and the figures "
          f"({time.perf_counter() - started:.1f} s in all)")
    return 0
