"""Steering vectors, evaluated exactly.

A steering vector is a direction in one layer's activations, added to that layer's output
with a coefficient on every board during the forward pass (Turner et al. 2023's activation
addition; Mini et al. 2023's "cheese vector" subtracted).  Two ways to get one here:

- a **contrast** of states that differ in one feature and agree on the rest: the mean of
  ``act(feature on) - act(feature off)`` over every such pair in the table (all lagoon
  targets present minus none present: the cheese-vector design);
- an **occupancy** contrast of two policies: the racer's visit-weighted mean activation
  minus the gamer's.

The steered network's greedy action on every board is then handed to the solver: exact
proxy and intended returns, laps, verdict, the rate of entering the detour (the lagoon) at
the decision cells, and the *specificity* -- the share of states away from the decision
cells where the steered policy still does what the unsteered one does.  No sampling.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from specgame._checks import fail
from specgame.analysis.compare import Thresholds, optimal_plan, references, score
from specgame.grid import STEP
from specgame.interpret.activations import Steer, activations, greedy_table
from specgame.interpret.answer_key import rules_of
from specgame.mdp import TabularMDP
from specgame.policy import state_occupancy
from specgame.solve import evaluate, expected_total


@dataclass(frozen=True)
class Detour:
    """Where a gamer leaves the intended path: the detour's cells, the cells where the choice
    is made (next to it, outside it), and each decision cell's actions that enter it."""

    cells: frozenset
    decisions: dict  # (row, col) -> tuple of actions that step into the detour

    @classmethod
    def from_map(cls, game_map, chars: str) -> Detour:
        """The detour made of the cells whose map character is in ``chars`` (e.g. "~o": the lagoon)."""
        cells = frozenset((r, c) for r, line in enumerate(game_map) for c, ch in enumerate(line) if ch in chars)
        if not cells:
            fail("chars", f"characters found on the map ({''.join(sorted(set(''.join(game_map))))!r})", chars)
        decisions = {}
        for r, line in enumerate(game_map):
            for c, ch in enumerate(line):
                if (r, c) in cells or ch == "#":
                    continue
                entering = tuple(a for a, (dr, dc) in STEP.items() if (r + dr, c + dc) in cells)
                if entering:
                    decisions[(r, c)] = entering
        return cls(cells, decisions)


def lagoon(mdp: TabularMDP) -> Detour:
    """BoatRaceLoop's lagoon (and its variants'): lagoon water and targets, ``~`` and ``o``."""
    return Detour.from_map(rules_of(mdp).MAP, "~o")


def _positions(mdp: TabularMDP):
    fields = list(mdp.state_fields)
    if not {"row", "col"} <= set(fields):
        fail("mdp", "a table whose states have row and col fields", mdp.name)
    return mdp.states[:, fields.index("row")].astype(np.int64), mdp.states[:, fields.index("col")].astype(np.int64)


def at_decision(mdp: TabularMDP, detour: Detour) -> np.ndarray:
    """bool [n_states]: the boat is on a decision cell (and the state acts)."""
    rows, cols = _positions(mdp)
    return np.array([(r, c) in detour.decisions for r, c in zip(rows.tolist(), cols.tolist())]) & ~mdp.terminal


def entry_rate(mdp: TabularMDP, table: np.ndarray, detour: Detour, where: np.ndarray | None = None) -> float:
    """The share of decision states (among ``where``, default all) whose action enters the detour."""
    rows, cols = _positions(mdp)
    chosen = np.flatnonzero(at_decision(mdp, detour) & (True if where is None else where))
    if not len(chosen):
        return float("nan")
    actions = table[mdp.obs[chosen]]
    enters = [a in detour.decisions[(r, c)] for a, r, c in zip(actions.tolist(), rows[chosen].tolist(),
                                                               cols[chosen].tolist())]
    return float(np.mean(enters))


# -- vectors --------------------------------------------------------------------------------------


def contrast_pairs(mdp: TabularMDP, field: str, on: int, off: int) -> tuple[np.ndarray, np.ndarray]:
    """State ids (with, without) of every pair that has ``field`` = ``on`` / ``off`` and agrees on the rest."""
    if field not in mdp.state_fields:
        fail("field", f"one of {list(mdp.state_fields)}", field)
    column = list(mdp.state_fields).index(field)
    rest = np.delete(mdp.states, column, axis=1)
    without = {tuple(row): s for s, row in enumerate(rest.tolist()) if mdp.states[s, column] == off}
    pairs = [(s, without[tuple(row)]) for s, row in enumerate(rest.tolist())
             if mdp.states[s, column] == on and tuple(row) in without]
    if not pairs:
        fail(f"{field} values", "two values that occur in states that agree on every other field", (on, off))
    with_, without_ = np.array(pairs).T
    return with_, without_


def contrast_vector(net, mdp: TabularMDP, layer: str, field: str, on: int, off: int) -> np.ndarray:
    """The mean of ``act(field = on) - act(field = off)`` at ``layer`` over all matched pairs."""
    with_, without = contrast_pairs(mdp, field, on, off)
    acts = activations(net, mdp).of(layer)
    return (acts[with_] - acts[without]).mean(axis=0)


def occupancy_vector(net, mdp: TabularMDP, layer: str, toward, away) -> np.ndarray:
    """Visit-weighted mean activation under policy ``toward`` minus that under ``away``."""
    acts = activations(net, mdp).of(layer).astype(np.float64)
    means = []
    for policy in (toward, away):
        visits = state_occupancy(mdp, policy)  # decision steps per state (terminal states: 0)
        means.append(visits @ acts / visits.sum())
    return (means[0] - means[1]).astype(np.float32)


# -- exact evaluation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SteeringResult:
    """One steered network, evaluated exactly (``coefficient`` 0 is the unsteered baseline)."""

    layer: str
    vector: str
    coefficient: float
    proxy_return: float
    intended_return: float
    laps: float  # the intended return's lap part (the rest is the speed bonus)
    speed_bonus: float
    lagoon_entry_rate: float  # at the decision cells, among the boards the entry rate is asked on
    specificity: float  # share of states away from the decision cells acting as unsteered
    verdict: str

    def to_dict(self) -> dict:
        return asdict(self)


def evaluate_table(mdp: TabularMDP, table: np.ndarray, baseline: np.ndarray, detour: Detour,
                   where: np.ndarray | None = None, thresholds: Thresholds | None = None) -> dict:
    """The exact measures of one greedy ``table`` beside the unsteered ``baseline`` table."""
    returns = evaluate(mdp, table)
    laps = expected_total(mdp, table, mdp.intended_of())
    refs = references(mdp)
    verdict = (thresholds or Thresholds()).verdict(
        score(returns.proxy_return, refs.random.proxy_return, refs.proxy_optimal.proxy_return),
        score(returns.intended_return, refs.random.intended_return, refs.intended_optimal.intended_return))
    away = ~at_decision(mdp, detour) & ~mdp.terminal
    same = table[mdp.obs[away]] == baseline[mdp.obs[away]]
    return {"proxy_return": returns.proxy_return, "intended_return": returns.intended_return, "laps": laps,
            "speed_bonus": returns.intended_return - laps, "lagoon_entry_rate": entry_rate(mdp, table, detour, where),
            "specificity": float(same.mean()), "verdict": verdict}


def steering_sweep(net, mdp: TabularMDP, vectors: dict, coefficients, detour: Detour,
                   where: np.ndarray | None = None, evaluate_on: TabularMDP | None = None,
                   progress=None) -> list[SteeringResult]:
    """Every (layer, vector) in ``vectors`` ({(layer, name): vector}) at every coefficient, exactly,
    after the unsteered baseline (one row, layer "-", coefficient 0).

    ``evaluate_on`` (default ``mdp``) is the table the returns are computed on: the same game
    with other start states (see :func:`starting_in`), e.g. only the races where finishing does not pay.
    ``progress`` (a function of a message) hears of each vector as it starts.
    """
    target = mdp if evaluate_on is None else evaluate_on
    baseline = greedy_table(net, mdp)
    rows = [SteeringResult("-", "none", 0.0, **evaluate_table(target, baseline, baseline, detour, where))]
    for number, ((layer, name), vector) in enumerate(vectors.items(), 1):
        if progress is not None:
            progress(f"steering with vector {number}/{len(vectors)} ({name} at {layer}), coefficients "
                     f"{', '.join(f'{c:+g}' for c in coefficients)}, each evaluated exactly")
        for coefficient in coefficients:
            if coefficient == 0:
                continue
            table = greedy_table(net, mdp, Steer(layer, vector, coefficient))
            rows.append(SteeringResult(layer, name, float(coefficient),
                                       **evaluate_table(target, table, baseline, detour, where)))
    return rows


def starting_in(mdp: TabularMDP, mask: np.ndarray) -> TabularMDP:
    """The same table with episodes starting only in the start states where ``mask`` holds (renormalised)."""
    initial = np.where(mask, mdp.initial, 0.0)
    if initial.sum() <= 0:
        fail("mask", "true on at least one start state", f"{int(np.sum(mask))} states, none a start")
    return mdp.replace(initial=initial / initial.sum())


def boat_vectors(net, mdp: TabularMDP, layers) -> dict:
    """BoatRaceLoop's two vectors at each layer: ``lagoon`` (all lagoon targets present minus none,
    the cheese-vector design) and ``racer`` (the racer's visited states minus the network's)."""
    full = int(mdp.states[:, list(mdp.state_fields).index("lagoon_tokens")].max())
    racer = optimal_plan(mdp, "intended")
    gamer = greedy_table(net, mdp)
    vectors = {}
    for layer in layers:
        vectors[(layer, "lagoon")] = contrast_vector(net, mdp, layer, "lagoon_tokens", full, 0)
        vectors[(layer, "racer")] = occupancy_vector(net, mdp, layer, racer, gamer)
    return vectors


def targets_present(mdp: TabularMDP) -> np.ndarray:
    """bool [n_states]: at least one lagoon target is there to collect (where the entry rate is asked)."""
    return mdp.states[:, list(mdp.state_fields).index("lagoon_tokens")] > 0


def mixed_setup(net, mdp: TabularMDP, layers) -> tuple[dict, np.ndarray, TabularMDP]:
    """BoatRaceLoop-Mixed's steering: a ``pays`` vector (the same board with finishing paying minus
    not, at each layer) and the boat's two vectors; the entry rate asked on the boards that do not
    pay and have targets; returns evaluated on the races that do not pay."""
    pays = mdp.states[:, list(mdp.state_fields).index("pays")]
    vectors = {(layer, "pays"): contrast_vector(net, mdp, layer, "pays", 1, 0) for layer in layers}
    vectors.update(boat_vectors(net, mdp, layers))
    return vectors, (pays == 0) & targets_present(mdp), starting_in(mdp, pays == 0)
