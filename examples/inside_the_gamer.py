"""Look inside the DQN that loops in the lagoon, with an answer key (BoatRaceLoop-v0).

Every board the boat can see is enumerated, and every board's true features (where the
boat is, which targets are there, the laps) and exact values are known. So each
interpretability method is scored against the truth: linear probes beside a random
network and shuffled labels; the value head against the exact proxy and intended values;
a "lagoon vector" (targets present minus absent, Mini et al.'s cheese-vector design)
subtracted inside the network, the steered policy evaluated exactly by the solver; a
sparse autoencoder's features against the raw units; the top boards of a unit and an
input optimised to drive it. Writes interpret.json, the arrays and the figures.

Then the mixed race (BoatRaceLoop-Mixed-v0, full run only): a network of the DQN's
architecture taught the exact discounted optimum, which races when finishing pays and
loops when it does not, and the "pays" vector added on the boards where it does not pay
(written to OUT/mixed/).

    python examples/inside_the_gamer.py [--quick]
"""

import sys
import time

import gymnasium as gym
from _common import arguments

import specgame  # noqa: F401


def main(argv=None):
    args = arguments(__doc__, "inside_the_gamer", argv)
    try:
        from specgame.agents.dqn import DQN
        from specgame.interpret.report import Budget, interpret_network
    except ImportError as err:  # torch missing
        print(f"skipped: looking inside needs the DQN ({err}); pip install \"specgame[dqn]\"")
        return
    from specgame.agents import BOARD_DQN_SETTINGS, BOARD_DQN_STEPS

    env = gym.make("specgame/BoatRaceLoop-v0", obs_mode="onehot")
    if args.quick:  # a small net, briefly trained, tiny budgets: every method and figure, in seconds
        agent = DQN(env, seed=0, **{**BOARD_DQN_SETTINGS, "network": "mlp", "net_arch": (16,)}).learn(2_000)
        budget = Budget(probe_states=1000, coefficients=(-2.0,), sae_steps=100, sae_width=2, visualise_steps=10)
    else:  # the README's looping DQN (about a minute of training on 2 cores)
        agent = DQN(env, seed=0, **{**BOARD_DQN_SETTINGS, "schedule_steps": BOARD_DQN_STEPS})
        while agent.steps_done < BOARD_DQN_STEPS:  # in chunks, to say how far it is (the same net as one call)
            agent.learn(5_000)
            say(f"training the DQN: {agent.steps_done:,} of {BOARD_DQN_STEPS:,} steps")
        budget = None
    interpret_network(agent.q_net, env.unwrapped.mdp, args.out, budget=budget, gamma=agent.config.gamma,
                      progress=say)
    print(f"figures and interpret.json in {args.out}/")
    if not args.quick:
        mixed(args.out / "mixed")


def mixed(out):
    """A network that holds both behaviours, and a vector that switches the looper into the racer."""
    from specgame.agents import BOARD_DQN_SETTINGS
    from specgame.agents.dqn import DQN
    from specgame.analysis.compare import optimal_plan
    from specgame.interpret.activations import greedy_table
    from specgame.interpret.imitate import imitate
    from specgame.interpret.report import interpret_network
    from specgame.interpret.steering import starting_in
    from specgame.solve import expected_total

    env = gym.make("specgame/BoatRaceLoop-Mixed-v0", obs_mode="onehot")
    mdp = env.unwrapped.mdp
    net = DQN(env, seed=0, **BOARD_DQN_SETTINGS).q_net  # the DQN's architecture, untrained
    plan = optimal_plan(mdp, "proxy", gamma=0.99)  # races when it pays, loops when not
    say("teaching the DQN's architecture the exact optimum on every board (40 epochs)")
    print(f"imitating the optimum on every board: accuracy {imitate(net, mdp, plan):.4f}")
    pays = mdp.states[:, list(mdp.state_fields).index("pays")]
    table = greedy_table(net, mdp)
    for paid in (1, 0):
        race = starting_in(mdp, pays == paid)
        laps = expected_total(race, table, race.intended)
        print(f"races that {'pay' if paid else 'do not pay'}: expected laps {laps:.2f}")
    interpret_network(net, mdp, out, progress=say)
    print(f"the mixed race: figures and interpret.json in {out}/")


STARTED = time.perf_counter()


def say(message: str) -> None:
    """A progress line, so that the minutes of a full run are never silent."""
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {message}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
