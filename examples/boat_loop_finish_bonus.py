"""The boat that loops, and the bonus that fixes it (BoatRaceLoop-v0).

The boat is paid +1 per target. Q-learning finds the lagoon, whose targets come back,
and circles it: a high proxy return and zero laps. Paying for the finish makes racing
worth more than looping, and the same learner races.

How big must the bonus be?  The exact planner, which counts every step of the episode
alike, already finishes a 3-lap race at `finish_bonus=20`.  A learner is harder to
convince: it discounts (γ = 0.99, so a bonus 90 steps away is worth 0.99**90 ≈ 0.4 of
itself, against lagoon income that starts now) and it only finds a finish line by
exploring to it.  So this example races one lap (`laps=1`), pays `finish_bonus=50`, and
starts the learner mildly optimistic (q0=20) so that it tries the unexplored way round.
With those, the same learner loops without the bonus and races with it, on every seed.
(The exact planner for that reward still games its timing: it farms the lagoon and
crosses the line at the last moment. The discounting learner is too impatient to.)

    python examples/boat_loop_finish_bonus.py [--quick]
"""

import sys

import numpy as np
from _common import arguments

import specgame
from specgame import QLearning, gap_table
from specgame.solve import expected_total, solve
from specgame.views.play import Runner, agent_policy, episode_frames, write_video
from specgame.views.plot import learning_curves

BONUSES = (0, 50)


def main(argv=None):
    args = arguments(__doc__, "boat_loop_finish_bonus", argv)
    steps = 1_000_000 if args.quick else 2_000_000
    agents, envs = {}, {}
    for bonus in BONUSES:
        env = specgame.make("BoatRaceLoop-v0", laps=1, finish_bonus=bonus, render_mode="rgb_array",
                       tile_size=16)
        mdp = env.unwrapped.mdp
        # The exact answer first: what does the best policy for this reward do?
        best = solve(mdp, "proxy")
        laps = expected_total(mdp, best, mdp.intended)  # the intended reward is +1 per lap
        print(f"finish_bonus={bonus}: the proxy-optimal boat collects {best.proxy_return:.1f} "
              f"and finishes {laps:.2f} laps")
        # Then a learner, which only ever sees the proxy reward.
        agent = QLearning(env, alpha=0.2, gamma=0.99, epsilon=0.1, q0=20.0, seed=0).learn(steps)
        agents[f"finish_bonus={bonus}"], envs[bonus] = agent, env
        print(gap_table(env, {"q-learning": agent, "proxy-optimal": best}), end="\n\n")

    figure = learning_curves({name: agent.history for name, agent in agents.items()}, window=200,
                             title="BoatRaceLoop, one lap: with finish_bonus=50 the learner races instead of looping")
    figure.savefig(args.out / "learning_curves.png", dpi=90)
    runners = [Runner(envs[bonus], agent_policy(agents[f"finish_bonus={bonus}"]), title=f"bonus {bonus}")
               for bonus in BONUSES]
    frames = episode_frames(runners)
    write_video(args.out / "loop_vs_race.gif", frames[::2], fps=10)
    final = [r.hud for r in runners]
    print(f"one episode each: no bonus {final[0].proxy_return:.0f} proxy / {final[0].intended_return:.2f} "
          f"intended; bonus {BONUSES[1]}: {final[1].proxy_return:.0f} / {final[1].intended_return:.2f}")
    print(f"wrote {args.out}/learning_curves.png and {args.out}/loop_vs_race.gif")
    return np.array([h.intended_return for h in final])


if __name__ == "__main__":
    main(sys.argv[1:])
