"""The answer key: the true features and exact values of every state of a table.

No other interpretability setting has one.  Every reachable state is enumerated, its true
features are the fields of the game's ``State``, and its exact values come from the solver.
So a probe, a dictionary feature or a steering vector can be scored against the truth on
the complete input set.

Features are categorical: each has one label per state and a name per label.  The boat's
``row`` and ``col`` become one feature ``cell``; a field that holds bits (``*_tokens``,
``*_bits``, ``*_mask``) becomes one two-label feature per bit; the terrain under the agent
(the character of the game's ``MAP``) is one more, and a game may declare further
``PREDICATES`` (name -> function of a state's fields and the map).  Values are numbers:
the optimal proxy and intended values, and those of a given policy (the network's own).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import numpy as np

from specgame._checks import check_number, fail
from specgame.analysis.compare import optimal_plan
from specgame.mdp import TabularMDP

BIT_SUFFIXES = ("_tokens", "_bits", "_mask")
MAX_LABELS = 64  # a field with more distinct values than this is not treated as categorical


@dataclass(frozen=True)
class Feature:
    """One categorical truth about every state: ``labels[s]`` indexes ``names``."""

    name: str
    labels: np.ndarray  # int64 [n_states]
    names: tuple[str, ...]  # what each label means, e.g. "cell=(5, 7)" or "lagoon_tokens[0]=1"

    @property
    def n_labels(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class AnswerKey:
    """Every true feature and exact value of every state of ``mdp``."""

    features: tuple[Feature, ...]
    values: dict = field(default_factory=dict)  # name -> float64 [n_states]

    def feature(self, name: str) -> Feature:
        for feature in self.features:
            if feature.name == name:
                return feature
        fail("feature", f"one of {[f.name for f in self.features]}", name)

    def indicators(self) -> tuple[np.ndarray, list[str]]:
        """Every label of every feature as a 0/1 column, bool [n_states, columns], with the names."""
        columns, names = [], []
        for feature in self.features:
            for label, name in enumerate(feature.names):
                columns.append(feature.labels == label)
                names.append(name)
        return np.stack(columns, axis=1), names

    def save(self, path) -> None:
        """Write ``features.npz``: each feature's labels and label names, each value, by name."""
        from specgame._files import atomic_write

        arrays = {}
        for feature in self.features:
            arrays[f"feature:{feature.name}"] = feature.labels
            arrays[f"labels:{feature.name}"] = np.array(feature.names)
        for name, values in self.values.items():
            arrays[f"value:{name}"] = values
        atomic_write(path, lambda f: np.savez_compressed(f, **arrays))


def rules_of(mdp: TabularMDP):
    """The game module a table was compiled from, or None (tables from elsewhere)."""
    name = mdp.meta.get("rules") if isinstance(mdp.meta, dict) else None
    return importlib.import_module(name) if name else None


def state_features(mdp: TabularMDP) -> list[Feature]:
    """The categorical features of every state: its fields, the cell, bits, terrain and predicates."""
    if mdp.states is None:
        fail("mdp", "a table with decoded states (compiled from one of our games)", mdp.name)
    fields = list(mdp.state_fields)
    columns = {name: mdp.states[:, i].astype(np.int64) for i, name in enumerate(fields)}  # states may be int8
    features = []
    if "row" in columns and "col" in columns:
        cells = columns["row"] * 10_000 + columns["col"]
        features.append(_categorical("cell", cells, lambda v: f"cell=({v // 10_000}, {v % 10_000})"))
    for name in fields:
        values = columns[name]
        if name in ("row", "col") and "cell" in (f.name for f in features):
            continue
        if name.endswith(BIT_SUFFIXES):
            for bit in range(int(values.max()).bit_length()):
                bit_name = f"{name}[{bit}]"
                features.append(_categorical(bit_name, values >> bit & 1, lambda v, n=bit_name: f"{n}={v}"))
        elif len(np.unique(values)) <= MAX_LABELS:
            features.append(_categorical(name, values, lambda v, n=name: f"{n}={v}"))
    rules = rules_of(mdp)
    game_map = getattr(rules, "MAP", None)
    if game_map is not None and "cell" in (f.name for f in features):
        terrain = np.array([ord(game_map[r][c]) for r, c in zip(columns["row"], columns["col"])])
        features.append(_categorical("terrain", terrain, lambda v: f"terrain={chr(v)!r}"))
    for name, predicate in getattr(rules, "PREDICATES", {}).items():
        truth = np.array([bool(predicate(dict(zip(fields, row)))) for row in mdp.states.tolist()])
        features.append(_categorical(name, truth.astype(np.int64), lambda v, n=name: f"{n}={v}"))
    return features


def _categorical(name: str, values: np.ndarray, label_name) -> Feature:
    distinct, labels = np.unique(values, return_inverse=True)
    return Feature(name, labels.astype(np.int64), tuple(label_name(int(v)) for v in distinct))


def _one_step(mdp: TabularMDP, action: np.ndarray):
    """Taking ``action[s]`` in every state: the outcomes' probabilities and next states, and the
    expected proxy, intended and speed-bonus rewards, each [n_states] (the first two [S, K])."""
    states = np.arange(mdp.n_states)
    prob = mdp.prob_of((states, action))  # [S, K]
    expected = [(prob * of((states, action))).sum(axis=1)
                for of in (mdp.proxy_of, mdp.intended_of, mdp.speed_bonus_of)]
    return prob, mdp.next_state[states, action], *expected


def policy_values(mdp: TabularMDP, table: np.ndarray, gamma: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Exact proxy and intended values [n_states] of a deterministic policy (one action per
    observation id) from each state, at the start of an episode (the whole horizon ahead)."""
    gamma = check_number("gamma", gamma, 0, 1)
    table = np.asarray(table)
    if table.shape != (mdp.n_obs,):
        fail("table", f"an int array of one action per observation id, shape ({mdp.n_obs},)", table.shape)
    prob, following, proxy, intended, speed = _one_step(mdp, table[mdp.obs])
    live = ~mdp.terminal
    proxy_value, intended_value = np.zeros(mdp.n_states), np.zeros(mdp.n_states)
    for t in range(mdp.horizon, 0, -1):  # step t of the episode, backwards
        bonus = speed * (mdp.horizon - t) / mdp.horizon
        proxy_value = np.where(live, proxy + gamma * (prob * proxy_value[following]).sum(axis=1), 0.0)
        intended_value = np.where(live, intended + bonus + gamma * (prob * intended_value[following]).sum(axis=1),
                                  0.0)
    return proxy_value, intended_value


def optimal_q(mdp: TabularMDP, objective: str, gamma: float = 1.0) -> np.ndarray:
    """The optimal action values of ``objective`` ("proxy" or "intended"), float64 [n_states, A]:
    the expected reward of each action at an episode's first step plus ``gamma`` times the
    optimal value of where it leads.

    That value is the next state's at an episode's start (:func:`specgame.solve.solve`'s
    values), one step of horizon more than it has in truth: what a network that does not see
    the clock, like the DQN's, can hold.  Terminal states are worth 0.
    """
    gamma = check_number("gamma", gamma, 0, 1)
    plan = optimal_plan(mdp, objective, gamma=gamma)  # checks the objective
    value = plan.proxy_values if objective == "proxy" else plan.intended_values
    q = np.zeros((mdp.n_states, mdp.n_actions))
    for a in range(mdp.n_actions):
        prob, following, proxy, intended, speed = _one_step(mdp, np.full(mdp.n_states, a))
        reward = proxy if objective == "proxy" else intended + speed * (mdp.horizon - 1) / mdp.horizon
        q[:, a] = np.where(mdp.terminal, 0.0, reward + gamma * (prob * value[following]).sum(axis=1))
    return q


def answer_key(mdp: TabularMDP, table: np.ndarray | None = None, gamma: float = 1.0) -> AnswerKey:
    """The features of every state, its optimal proxy and intended values, and (given a
    policy ``table``, one action per observation id) that policy's proxy and intended values;
    every value discounted by ``gamma`` (a DQN's own γ makes them comparable with its Q-values)."""
    values = {"optimal_proxy_value": optimal_plan(mdp, "proxy", gamma=gamma).proxy_values,
              "optimal_intended_value": optimal_plan(mdp, "intended", gamma=gamma).intended_values}
    if table is not None:
        values["policy_proxy_value"], values["policy_intended_value"] = policy_values(mdp, table, gamma)
    return AnswerKey(tuple(state_features(mdp)), values)
