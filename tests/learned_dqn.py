"""Seeded DQNs on the misgeneralisation games, each trained once per test process and shared by
the tests that read it (tests/test_misgen_dqn.py, tests/test_interpret_cheese.py).

A trained network's digits depend on the CPU (torch picks its vector kernels by the
instruction sets), so the tests that read these runs assert what holds over seeds, not one
seed's numbers.  Only what the tests read is kept, not the agent: an agent holds its replay
buffer, tens of MB.  Tests that share a run carry the same ``xdist_group`` mark, so that under
``pytest -n`` they run in one worker and the run is trained once.
"""

from functools import cache

from specgame.analysis.generalisation import MISGEN_DQN_STEPS, generalisation_report, train_dqn

MAZE_LAYER = "relus.0"  # the convolution's output: halfway through the network, as Mini et al.'s layer


def _report(agent, family: str, seed: int):
    return generalisation_report(agent.env.unwrapped.mdp, f"{family}-Test-v0", agent, name=f"dqn seed {seed}")


@cache
def misgen_report(family: str, seed: int, coin_random_share: float | None = None):
    """The generalisation report of the seeded DQN trained the family's budget (``MISGEN_DQN_STEPS``)."""
    settings = {} if coin_random_share is None else {"coin_random_share": coin_random_share}
    agent = train_dqn(f"{family}-v0", MISGEN_DQN_STEPS[family], seed, **settings)
    return _report(agent, family, seed)


@cache
def maze_test_table():
    from specgame.envs import make

    return make("MazeCheese-Test-v0", obs_mode="onehot").unwrapped.mdp


@cache
def maze_run(seed: int):
    """The seeded maze DQN's generalisation report, and its cheese sweeps on every test state:
    ``{per_maze: {(vector, coefficient): CheeseRow}}`` (one vector for all mazes; each maze's own)."""
    from specgame.interpret import cheese

    agent = train_dqn("MazeCheese-v0", MISGEN_DQN_STEPS["MazeCheese"], seed)
    sweeps = {}
    for per_maze in (False, True):
        rows = cheese.cheese_sweep(agent.q_net, maze_test_table(), [MAZE_LAYER], [1], per_maze=per_maze)
        sweeps[per_maze] = {(row.vector, row.coefficient): row for row in rows}
    return _report(agent, "MazeCheese", seed), sweeps
