"""Make the README's gallery: every picture in docs/gallery/ comes from this one script
(the phase diagram through examples/phase_diagram.py, the pictures of looking inside the
gamer, inside_*.png, through examples/inside_the_gamer.py).

    python examples/make_gallery.py            # writes docs/gallery/*.png and *.gif
    python examples/make_gallery.py --quick    # small budgets, to runs/gallery-quick/ (never docs/)
"""

import shutil
import sys
import time
from pathlib import Path

import imageio.v3 as iio
import inside_the_gamer
import numpy as np
import phase_diagram
from _common import arguments

import specgame
from specgame import SARSA, QLearning, gap_table, render
from specgame.agents import train_seeds
from specgame.ids import short_id
from specgame.policy import epsilon_greedy_policy, state_occupancy
from specgame.solve import solve
from specgame.views.play import Runner, agent_policy, episode_frames, plan_policy, write_video
from specgame.views.plot import gap_figure, learning_curves

STARTED = time.perf_counter()


def say(message: str) -> None:
    """A progress line, so that the minutes of a full run are never silent."""
    print(f"[{time.perf_counter() - STARTED:5.1f} s] {message}", flush=True)


def tour(out: Path, quick: bool) -> None:
    """Every registered environment, a few steps into the intended-optimal episode
    (with ``quick``, only those of at most 50,000 states)."""
    stills = []
    ids = specgame.list_envs(skip_large=quick, tables_only=True)
    for number, env_id in enumerate(ids, 1):
        say(f"environment tour {number}/{len(ids)}: {short_id(env_id)}")
        env = specgame.make(env_id, render_mode="rgb_array", tile_size=20)
        if quick and env.unwrapped.mdp.n_states > 50_000:  # its exact plan takes a while: not in --quick
            continue
        runner = Runner(env, plan_policy(solve(env.unwrapped.mdp, "intended")))
        for _ in range(6):
            runner.step()
        stills.append(render.caption(env.render(), short_id(env_id), scale=1))
    rows, row, width = [], [], 0
    for still in stills:  # pack the stills into rows about 900 pixels wide
        if row and width + still.shape[1] > 900:
            rows.append(render.side_by_side(row))
            row, width = [], 0
        row.append(still)
        width += still.shape[1] + 8
    rows.append(render.side_by_side(row))
    widest = max(r.shape[1] for r in rows)
    padded = [np.pad(r, ((0, 8), (0, widest - r.shape[1]), (0, 0)), constant_values=12) for r in rows]
    iio.imwrite(out / "environments.png", np.concatenate(padded)[:-8], optimize=True)


def race(out: Path, agent, env_id="specgame/BoatRaceLoop-v0") -> None:
    """The looping Q-learner beside the racer, as a GIF."""
    envs = [specgame.make(env_id, render_mode="rgb_array", tile_size=12) for _ in range(2)]
    racer = solve(envs[1].unwrapped.mdp, "intended")
    runners = [Runner(envs[0], agent_policy(agent), title="q-learning"),
               Runner(envs[1], plan_policy(racer), title="the racer")]
    frames = episode_frames(runners, max_steps=120)
    write_video(out / "boat_race_side_by_side.gif", frames[::3] + [frames[-1]] * 4, fps=6)


def overlays(out: Path, agent) -> None:
    """What Q-learning believes and does on the boat race: values, greedy moves, visits."""
    env = specgame.make("BoatRaceLoop-v0")
    core = env.unwrapped
    core.reset(seed=0)
    mdp, board = core.mdp, core.board()
    # Each cell shows the state the agent is most often in there while it explores.
    exploring = state_occupancy(mdp, epsilon_greedy_policy(agent.q, 0.1))
    cells = render.typical_states(mdp, exploring)
    q = agent.q[mdp.obs[np.maximum(cells, 0)]]
    values = np.where(cells >= 0, q.max(axis=-1), np.nan)
    actions = np.where(cells >= 0, q.argmax(axis=-1), -1)
    visits = render.cell_totals(mdp, state_occupancy(mdp, agent))
    size = 24
    look = mdp.tiles
    pictures = [render.caption(render.value_heatmap(board, values, size, look, label=False), "max q (exploring)"),
                render.caption(render.policy_arrows(board, actions, mdp.action_names, size, look),
                               "greedy move (exploring)"),
                render.caption(render.visitation_heat(board, visits, size, look), "visits (greedy)")]
    iio.imwrite(out / "overlays.png", render.side_by_side(pictures), optimize=True)


# The gallery's name of each figure examples/inside_the_gamer.py writes (its folder, mixed/ for the mixed race).
INSIDE = {"inside_probes.png": "probes.png", "inside_steering.png": "steering.png", "inside_sae.png": "sae.png",
          "inside_examples.png": "examples.png", "inside_visualisation.png": "visualisation.png",
          "inside_mixed_steering.png": "mixed/steering.png"}


def inside(out: Path) -> None:
    """Looking inside the looping DQN and the mixed race (examples/inside_the_gamer.py, its full run)."""
    work = Path("runs/examples/inside_the_gamer")
    inside_the_gamer.main(["--out", str(work)])
    for name, made in INSIDE.items():
        shutil.copyfile(work / made, out / name)


def main(argv=None):
    args = arguments(__doc__, "gallery", argv if argv is not None else sys.argv[1:])
    if args.default_out:  # the committed pictures come only from a full run
        args.out = Path("runs/gallery-quick") if args.quick else Path("docs/gallery")
        args.out.mkdir(parents=True, exist_ok=True)
    steps = 200_000 if args.quick else 1_000_000
    seeds = range(2) if args.quick else range(5)
    env = specgame.make("BoatRaceLoop-v0")
    hyper = {"alpha": 0.1, "gamma": 0.99, "epsilon": 0.1, "total_steps": steps}
    say(f"training Q-learning and SARSA on BoatRaceLoop, {len(seeds)} seeds x {steps:,} steps")
    trained = {"q-learning": train_seeds(QLearning, env, seeds=seeds, **hyper),
               "sarsa": train_seeds(SARSA, env, seeds=seeds, **hyper)}
    say("learning curves and the gap figure")
    table = gap_table(env, {f"{name} seed {i}": a for name, agents in trained.items() for i, a in enumerate(agents)})
    refs = table.reports[0].references
    figure = learning_curves({name: [a.history for a in agents] for name, agents in trained.items()}, window=300,
                             references={"proxy-optimal": tuple(refs.proxy_optimal),
                                         "intended-optimal (racer)": tuple(refs.intended_optimal)},
                             title="BoatRaceLoop: the proxy climbs, the laps stay at zero (mean and range over seeds)")
    figure.savefig(args.out / "learning_curves.png", dpi=70)
    gap_figure(gap_table(env, {"q-learning": trained["q-learning"][0], "sarsa": trained["sarsa"][0]}),
               title="BoatRaceLoop: scores of the learners and the references").savefig(args.out / "gap.png", dpi=70)
    tour(args.out, args.quick)
    say("the race GIF")
    race(args.out, trained["q-learning"][0])
    say("the overlays")
    overlays(args.out, trained["q-learning"][0])
    if args.quick:  # each script's --quick draws small ones; the tests run them there
        say("the phase diagram and looking inside the gamer: left out of --quick")
    else:
        say("the phase diagram")
        phase_diagram.main(["--out", str(args.out)])
        say("looking inside the gamer (a few minutes: it trains the DQN)")
        inside(args.out)
    for path in sorted(args.out.iterdir()):
        print(f"{path}  {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
