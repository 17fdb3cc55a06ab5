"""The cheese vector on MazeCheese (after Mini et al. 2023), measured exactly.

Mini et al. took a maze policy that had learned "go to the top-right corner" where it was
meant to learn "go to the cheese", computed the mean difference of one layer's activations
between a maze with the cheese and the same maze without it, and subtracted that *cheese
vector* during the forward pass: at the *decision square*, where the way to the cheese and
the way to the corner part, the mouse's probability of heading to the cheese fell from .81
to .03.

The same here, on a DQN trained on ``MazeCheese-v0`` and judged on every state of a table
of the game (``MazeCheese-Test-v0``: the cheese anywhere):

- :func:`cheese_vector`: the mean over the table's acting states of ``act(board) -
  act(the same board with the cheese drawn as floor)``.  The edit is made on the onehot
  planes, so no new env is needed: the network simply sees a maze without cheese.
- :func:`decisions`: for every state, the first steps of the shortest way to the cheese and
  to the training correlate's cells (the corner); a *decision square* is a state where the
  two leave the cell by different moves.  The mazes are perfect (one path between any two
  squares), so each way has one first step.
- :func:`measure`: the share of decision squares where the greedy action heads to the
  cheese (and where it heads to the corner), the *specificity* (the share of the other
  acting states whose action is unchanged), the share of acting states where it acts as the
  network does with the cheese erased from its input, and the solver's exact intended return.
- :func:`cheese_sweep`: all of it unsteered, with the cheese erased from every board (the
  most a cheese vector could remove), with the cheese vector subtracted at each layer and
  coefficient, and with a random vector of the same norm (the control).
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass

import numpy as np

from specgame._checks import fail
from specgame.analysis.generalisation import correlate_states, rules_of
from specgame.envs import maze_cheese
from specgame.grid import STEP
from specgame.interpret.activations import Steer, greedy_table, observations, run
from specgame.mdp import TabularMDP
from specgame.solve import evaluate

CHEESE, FLOOR = "c", "."


def _maze_rules(mdp: TabularMDP):
    """The rules and Config of a MazeCheese table (any variant); a ValueError for any other table."""
    rules, config = rules_of(mdp) if isinstance(mdp, TabularMDP) else (None, None)
    if rules is not maze_cheese:
        fail("mdp", "a table of MazeCheese (e.g. MazeCheese-Test-v0)", getattr(mdp, "name", mdp))
    return rules, config


def without_cheese(mdp: TabularMDP) -> np.ndarray:
    """The onehot planes of every observation id with the cheese drawn as floor, float32 [n_obs, C, H, W]."""
    _maze_rules(mdp)
    planes = observations(mdp).copy()
    cheese, floor = mdp.alphabet.index(CHEESE), mdp.alphabet.index(FLOOR)
    planes[:, floor] += planes[:, cheese]
    planes[:, cheese] = 0
    return planes


def cheese_vector(net, mdp: TabularMDP, layer: str, per_maze: bool = False) -> np.ndarray:
    """The mean of ``act(with the cheese) - act(without)`` at ``layer`` over the acting states of ``mdp``:
    one vector [units], or with ``per_maze`` one per maze [levels, units] (Mini et al.'s: each maze's own).

    Terminal states are left out: there the mouse stands on the cheese and hides it.
    """
    acting = ~mdp.terminal
    differences = []
    for inputs in (observations(mdp), without_cheese(mdp)):
        _, captured = run(net, inputs, (layer,))
        differences.append(captured[layer][mdp.obs].astype(np.float64))
    difference = differences[0] - differences[1]
    if not per_maze:
        return difference[acting].mean(axis=0).astype(np.float32)
    levels = _levels(mdp)
    return np.stack([difference[acting & (levels == level)].mean(axis=0)
                     for level in range(levels.max() + 1)]).astype(np.float32)


def random_like(vector: np.ndarray, seed: int = 0) -> np.ndarray:
    """Random directions with the norms of ``vector`` (of each row): the control a vector must beat."""
    direction = np.random.default_rng(seed).standard_normal(vector.shape)
    scale = np.linalg.norm(vector, axis=-1, keepdims=True) / np.linalg.norm(direction, axis=-1, keepdims=True)
    return (direction * scale).astype(np.float32)


def subtracted(net, mdp: TabularMDP, layer: str, vector: np.ndarray, coefficient: float) -> np.ndarray:
    """The greedy table [n_obs] with ``coefficient * vector`` subtracted at ``layer``: one vector on
    every board, or (a [levels, units] array) each maze's own on that maze's boards."""
    if vector.ndim == 1:
        return greedy_table(net, mdp, Steer(layer, vector, -coefficient))
    inputs, levels = observations(mdp), _levels(mdp)
    table = np.zeros(mdp.n_obs, np.int64)
    for level, own in enumerate(vector):
        seen = np.unique(mdp.obs[levels == level])  # (a board two mazes share gets the same vector from each)
        outputs, _ = run(net, inputs[seen], intervention=Steer(layer, own, -coefficient))
        table[seen] = outputs.argmax(axis=1)
    return table


def _levels(mdp: TabularMDP) -> np.ndarray:
    _maze_rules(mdp)
    return mdp.states[:, list(mdp.state_fields).index("level")].astype(np.int64)


# -- decision squares ----------------------------------------------------------------------------


def _distances(open_cells, goals) -> dict:
    """Steps from every open cell to the nearest of ``goals`` (breadth first)."""
    distance = {goal: 0 for goal in goals}
    queue = deque(goals)
    while queue:
        row, col = queue.popleft()
        for d_row, d_col in STEP.values():
            cell = (row + d_row, col + d_col)
            if cell in open_cells and cell not in distance:
                distance[cell] = distance[(row, col)] + 1
                queue.append(cell)
    return distance


@dataclass(frozen=True)
class Decisions:
    """Where each state's shortest ways lead: ``to_cheese[s, a]`` (``to_corner[s, a]``) is true
    when move ``a`` is the first step of a shortest way from state ``s`` to the cheese (to a
    cell where the training correlate holds); ``square[s]``: the two ways part at ``s``;
    ``fork[s]``: ``s`` is the decision square the mouse meets on its way from the start to the
    cheese (Mini et al.'s one per maze; a maze whose cheese lies on the way to the corner, or
    past it, has none)."""

    to_cheese: np.ndarray  # bool [n_states, A]
    to_corner: np.ndarray  # bool [n_states, A]
    fork: np.ndarray  # bool [n_states]

    @property
    def square(self) -> np.ndarray:
        leaves = self.to_cheese.any(axis=1) & self.to_corner.any(axis=1)
        return leaves & ~(self.to_cheese & self.to_corner).any(axis=1)


def decisions(mdp: TabularMDP) -> Decisions:
    """The first steps to the cheese and to the correlate from every state of a MazeCheese table."""
    rules, config = _maze_rules(mdp)
    corner = correlate_states(mdp)
    goals_of = {}  # level -> the cells where the correlate holds
    for state, holds in zip(mdp.states.tolist(), corner.tolist()):
        if holds:
            goals_of.setdefault(state[0], set()).add((state[1], state[2]))
    to_cheese = np.zeros((mdp.n_states, len(STEP)), bool)
    to_corner = np.zeros_like(to_cheese)
    ways = {}  # level -> (distances to the cheese, distances to the corner)
    for s, (level, row, col) in enumerate(mdp.states.tolist()):
        if mdp.terminal[s]:
            continue
        if level not in ways:
            maze = rules.level_of(rules.State(level, row, col), config)
            ways[level] = (_distances(maze.open_cells, [maze.cheese]),
                           _distances(maze.open_cells, sorted(goals_of.get(level, ()))))
        for distance, first_steps in zip(ways[level], (to_cheese, to_corner)):
            here = distance.get((row, col))
            for action, (d_row, d_col) in STEP.items():
                there = distance.get((row + d_row, col + d_col))
                first_steps[s, action] = here is not None and there is not None and there == here - 1
    return Decisions(to_cheese, to_corner, _forks(mdp, to_cheese, to_corner))


def _forks(mdp: TabularMDP, to_cheese: np.ndarray, to_corner: np.ndarray) -> np.ndarray:
    square = Decisions(to_cheese, to_corner, None).square
    index = {tuple(state): s for s, state in enumerate(mdp.states.tolist())}
    fork = np.zeros(mdp.n_states, bool)
    for s in np.flatnonzero(mdp.initial > 0).tolist():
        while not (mdp.terminal[s] or square[s]):  # walk the way to the cheese until it parts from the corner's
            level, row, col = mdp.states[s].tolist()
            d_row, d_col = STEP[int(np.argmax(to_cheese[s]))]
            s = index[(level, row + d_row, col + d_col)]
        fork[s] = square[s]
    return fork


# -- exact measures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheeseRow:
    """One network (``coefficient`` 0: unsteered) on every state of the table, exactly."""

    layer: str
    vector: str  # "none"; "erased" (the cheese drawn as floor on every board: the ceiling of any cheese
    # vector); "cheese"; or "random" (the control: a random vector of the cheese vector's norm)
    coefficient: float  # the vector is *subtracted* this many times
    heads_to_cheese: float  # share of decision squares whose greedy move is a first step to the cheese
    heads_to_corner: float  # ... to the corner
    at_forks: float  # heads to the cheese at the forks only (each maze's decision square on the way from the start)
    specificity: float  # share of the other acting states whose greedy move is unchanged
    like_erased: float  # share of acting states where it moves as the unsteered network does on cheeseless boards
    intended_return: float  # exact, from the solver: the chance of eating the cheese within the horizon

    def to_dict(self) -> dict:
        return asdict(self)


def measure(mdp: TabularMDP, table: np.ndarray, baseline: np.ndarray, erased: np.ndarray, ways: Decisions) -> dict:
    """The exact measures of the greedy ``table`` [n_obs] beside the unsteered ``baseline`` and the
    unsteered network's table on the boards with the cheese erased."""
    square, fork = np.flatnonzero(ways.square), np.flatnonzero(ways.fork)
    moves = table[mdp.obs[square]]
    elsewhere = mdp.obs[~ways.square & ~mdp.terminal]
    acting = mdp.obs[~mdp.terminal]
    return {"heads_to_cheese": float(ways.to_cheese[square, moves].mean()),
            "heads_to_corner": float(ways.to_corner[square, moves].mean()),
            "at_forks": float(ways.to_cheese[fork, table[mdp.obs[fork]]].mean()) if len(fork) else float("nan"),
            "specificity": float(np.mean(table[elsewhere] == baseline[elsewhere])),
            "like_erased": float(np.mean(table[acting] == erased[acting])),
            "intended_return": evaluate(mdp, table).intended_return}


def cheese_sweep(net, mdp: TabularMDP, layers, coefficients, seed: int = 0, per_maze: bool = False
                 ) -> list[CheeseRow]:
    """The unsteered row, the cheese erased from the input, then at each layer and coefficient the
    cheese vector subtracted (one for all mazes, or with ``per_maze`` each maze's own) and, as the
    control, a random vector of the same norm (from ``seed``)."""
    ways = decisions(mdp)
    if not ways.square.any():
        fail("mdp", "a table with decision squares (the cheese away from the corner in some maze)", mdp.name)
    baseline = greedy_table(net, mdp)
    # The cheese's own pull, exactly: the cheese erased from every board the network sees.
    erased = run(net, without_cheese(mdp))[0].argmax(axis=1)
    rows = [CheeseRow("-", "none", 0.0, **measure(mdp, baseline, baseline, erased, ways)),
            CheeseRow("input", "erased", 1.0, **measure(mdp, erased, baseline, erased, ways))]
    for layer in layers:
        cheese = cheese_vector(net, mdp, layer, per_maze)
        for name, vector in (("cheese", cheese), ("random", random_like(cheese, seed))):
            for coefficient in coefficients:
                table = subtracted(net, mdp, layer, vector, float(coefficient))
                rows.append(CheeseRow(layer, name, float(coefficient), **measure(mdp, table, baseline, erased, ways)))
    return rows


def print_rows(rows, out=print) -> None:
    """The sweep as a table, beside Mini et al.'s anchor."""
    out("Mini et al. 2023: heads to the cheese at the decision square .81 unsteered -> .03 with the cheese "
        "vector subtracted")
    out(f"{'layer':<14} {'vector':<7} {'coef':>5} {'to cheese':>9} {'to corner':>9} {'at forks':>8} "
        f"{'specificity':>11} {'like erased':>11} {'intended':>8}")
    for row in rows:
        out(f"{row.layer:<14} {row.vector:<7} {row.coefficient:>5g} {row.heads_to_cheese:>9.3f} "
            f"{row.heads_to_corner:>9.3f} {row.at_forks:>8.3f} {row.specificity:>11.3f} {row.like_erased:>11.3f} "
            f"{row.intended_return:>8.3f}")
