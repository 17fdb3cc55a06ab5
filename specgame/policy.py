"""Policies as tables, and where they go: the one home of policy tables and occupancies.

**What a policy is.**  Everything that evaluates a policy exactly (:func:`specgame.solve.evaluate`,
the occupancies here, the comparators and detectors) takes one of:

- an int array [n_obs]: the action taken on each observation (deterministic);
- a float array [n_obs, A]: action probabilities per observation;
- a :class:`Plan`: the solver's non-stationary policy, one action per (step, state);
- an agent with a ``.q`` table [n_obs, A], followed greedily (lowest index on ties).

:func:`has_table` says whether something is one of these.  A network with
``.predict(obs, deterministic=True)`` (our DQN, a Stable-Baselines3 model) is turned into
the first kind by :func:`tabulate`, which shows it every observation of the table in the
encoding it was trained on; its exact returns then need no sampling.
:func:`state_policy` checks a policy against a table and gives it per state.

**Occupancy: one convention.**  The occupancy of a state is the expected number of
*decision steps* taken from it in one episode: undiscounted, over the episode's
``horizon`` steps, from ``mdp.initial``.  A terminal state never acts, so its occupancy is
0, and summed over states the occupancy is the expected episode length.  Where episodes
*end* is another quantity, :func:`termination_probability` (the chance that the episode
terminates in each terminal state).

Nothing here reads a reward, so the blind detectors (:mod:`specgame.analysis.detect`) can
build on it without ever seeing the intended objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from specgame._checks import check_probability, fail
from specgame.mdp import TabularMDP


class Returns(NamedTuple):
    """Exact expected returns of one policy from the initial distribution."""

    proxy_return: float
    intended_return: float


@dataclass(frozen=True, eq=False)
class Plan:
    """An optimal non-stationary policy, found by :func:`specgame.solve.solve`.

    ``actions[i, s]`` is the action taken in state ``s`` when ``i`` steps of the episode
    have been taken (so row 0 is step 1).  ``proxy_return`` and ``intended_return`` are the
    exact expected returns of *this* policy from ``initial``; ``proxy_values[s]`` and
    ``intended_values[s]`` are its returns from state ``s`` at the start of an episode.
    """

    objective: str
    actions: np.ndarray  # int8 [horizon, S] (int32 for tables with more than 127 actions)
    proxy_return: float
    intended_return: float
    proxy_values: np.ndarray  # float64 [S]
    intended_values: np.ndarray  # float64 [S]
    gamma: float = 1.0
    honour_forced_epsilon: bool = False

    @property
    def value(self) -> float:
        """The optimal return of the objective the plan was solved for."""
        return self.proxy_return if self.objective == "proxy" else self.intended_return

    @property
    def returns(self) -> Returns:
        return Returns(self.proxy_return, self.intended_return)


# -- policies from Q-tables ------------------------------------------------------------------


def uniform_policy(mdp: TabularMDP) -> np.ndarray:
    """Every action with equal probability, float64 [n_obs, A]."""
    return np.full((mdp.n_obs, mdp.n_actions), 1.0 / mdp.n_actions)


def greedy_policy(q) -> np.ndarray:
    """The argmax of each row of ``q`` [n_obs, A], lowest index on ties, int64 [n_obs]."""
    return _check_q(q).argmax(axis=1)


def epsilon_greedy_policy(q, epsilon: float) -> np.ndarray:
    """Greedy on ``q`` with probability 1 - epsilon, uniform otherwise, float64 [n_obs, A]."""
    q = _check_q(q)
    epsilon = check_probability("epsilon", epsilon)
    n_obs, A = q.shape
    policy = np.full((n_obs, A), epsilon / A)
    policy[np.arange(n_obs), q.argmax(axis=1)] += 1.0 - epsilon
    return policy


def _check_q(q) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] < 1:
        fail("a q table's shape", "(n_obs, actions)", q.shape)
    if np.isnan(q).any():
        fail("a q table", "free of NaN (greedy actions are undefined)", f"NaN in row {np.argwhere(np.isnan(q))[0, 0]}")
    return q


# -- policies as tables ----------------------------------------------------------------------


def has_table(policy) -> bool:
    """Whether ``policy`` is a table the exact evaluator reads (see the module docstring).

    An agent with a ``.q`` table counts even though it also has ``.predict``; a callable
    or any other object with ``.predict`` does not (see :func:`tabulate`).
    """
    if isinstance(policy, Plan) or hasattr(policy, "q"):
        return True
    return not callable(policy) and not hasattr(policy, "predict")


class StatePolicy(NamedTuple):
    """A policy per state: exactly one of ``actions`` and ``probs`` is set.

    ``actions`` int32 [T, S] (deterministic) or ``probs`` float64 [T, S, A]; T is 1 for a
    stationary policy and the horizon for a :class:`Plan`.
    """

    actions: np.ndarray | None
    probs: np.ndarray | None


def state_policy(mdp: TabularMDP, policy) -> StatePolicy:
    """Check ``policy`` (see the module docstring) against ``mdp`` and give it per state."""
    S, A, _ = mdp.shape
    if isinstance(policy, Plan):
        if policy.actions.shape != (mdp.horizon, S):
            fail("a plan's actions shape", f"(horizon, states) = {(mdp.horizon, S)} (was it solved for "
                 "another table?)", policy.actions.shape)
        return StatePolicy(np.ascontiguousarray(policy.actions), None)
    if hasattr(policy, "q"):
        policy = greedy_policy(policy.q)
    policy = np.asarray(policy)
    if policy.ndim == 1:
        if not np.issubdtype(policy.dtype, np.integer):
            fail("a 1-D policy's dtype", "an int dtype (one action per observation)", str(policy.dtype))
        if policy.shape != (mdp.n_obs,):
            fail("a 1-D policy's shape", f"(n_obs,) = ({mdp.n_obs},)", policy.shape)
        outside = policy[(policy < 0) | (policy >= A)]
        if len(outside):
            fail("policy actions", f"in [0, {A})", int(outside[0]))
        return StatePolicy(np.ascontiguousarray(policy[mdp.obs][None, :], dtype=np.int32), None)
    if policy.ndim == 2:
        if policy.shape != (mdp.n_obs, A):
            fail("a 2-D policy's shape", f"(n_obs, actions) = ({mdp.n_obs}, {A})", policy.shape)
        policy = policy.astype(np.float64)
        bad = policy[~np.isfinite(policy) | (policy < 0)]
        if len(bad):
            fail("policy probabilities", "finite and non-negative", float(bad[0]))
        sums = policy.sum(axis=1)
        off = np.flatnonzero(np.abs(sums - 1.0) > 1e-9)
        if len(off):
            fail(f"policy row {off[0]}'s sum", "1", float(sums[off[0]]))
        return StatePolicy(None, np.ascontiguousarray(policy[mdp.obs][None, :, :]))
    fail("policy", "an int array [n_obs], a float array [n_obs, actions], a Plan or an agent with a .q table",
         f"an array of shape {policy.shape}")


def action_table(mdp: TabularMDP, policy) -> np.ndarray:
    """``policy`` as action probabilities per step and state, float64 [T, S, A] (T = 1 or horizon)."""
    actions, probs = state_policy(mdp, policy)
    if probs is not None:
        return probs
    table = np.zeros((*actions.shape, mdp.n_actions))
    t, s = np.indices(actions.shape)
    table[t, s, actions] = 1.0
    return table


def stationary_policy(mdp: TabularMDP, policy, *, occupancy: np.ndarray | None = None) -> np.ndarray:
    """The per-state action distribution [S, A] that has the same state-action occupancy.

    For a stationary policy that is the policy itself.  For a :class:`Plan` (whose action
    can change with the time step) it is the visit-weighted average over the steps at
    which the plan is in each state; states the plan never reaches get its first-step
    action.  Pass the plan's :func:`state_action_occupancy` as ``occupancy`` if you have it.
    """
    if not isinstance(policy, Plan):
        return action_table(mdp, policy)[0]
    if occupancy is None:
        occupancy = state_action_occupancy(mdp, policy)
    first_step = np.zeros((mdp.n_states, mdp.n_actions))
    first_step[np.arange(mdp.n_states), policy.actions[0]] = 1.0
    visits = occupancy.sum(axis=1, keepdims=True)
    return np.where(visits > 0, occupancy / np.where(visits > 0, visits, 1.0), first_step)


# -- networks as tables ----------------------------------------------------------------------


def observations(mdp: TabularMDP, obs_mode: str, ids=None) -> np.ndarray:
    """What an env in ``obs_mode`` shows for the observation ``ids`` (all by default), as a batch.

    ``"index"``: the ids (int64 [N]); ``"board"``: the boards' character codes (uint8
    [N, H, W]); ``"onehot"``: one float32 plane per character (float32 [N, C, H, W]).
    """
    ids = np.arange(mdp.n_obs) if ids is None else np.asarray(ids, dtype=np.int64)
    if obs_mode == "index":
        return ids
    if obs_mode not in ("board", "onehot"):
        fail("obs_mode", "one of 'index', 'board', 'onehot'", obs_mode)
    if mdp.boards is None:
        fail("obs_mode", f"'index' for {mdp.name}, which has no boards", obs_mode)
    codes = mdp.boards[ids]
    if obs_mode == "board":
        return codes
    alphabet = np.arange(len(mdp.alphabet), dtype=codes.dtype)
    return (codes[:, None, :, :] == alphabet[None, :, None, None]).astype(np.float32)


def observation_modes(mdp: TabularMDP) -> dict[str, tuple]:
    """The shape of one observation of ``mdp`` in each obs_mode a table can show: {mode: shape}."""
    modes = {"index": ()}
    if mdp.boards is not None:
        height, width = mdp.boards.shape[1:]
        modes["board"] = (height, width)
        modes["onehot"] = (len(mdp.alphabet), height, width)
    return modes


def obs_mode_of(mdp: TabularMDP, model) -> str:
    """The obs_mode whose observations ``model`` reads, from its ``observation_space``.

    Discrete(n_obs) is ``"index"``, a Box of one board's shape [H, W] is ``"board"``, a
    Box of the onehot planes' shape [C, H, W] is ``"onehot"``.  A model without an
    ``observation_space`` is asked for its ``obs_shape`` (our DQN).  Raises a ValueError
    naming the modes ``mdp`` offers when none fits (an image-trained model, another game).
    """
    space = getattr(model, "observation_space", None)
    n = getattr(space, "n", None)
    shape = getattr(space, "shape", None) if space is not None else getattr(model, "obs_shape", None)
    modes = observation_modes(mdp)
    if n is not None and not shape:  # Discrete
        if int(n) == mdp.n_obs:
            return "index"
    elif shape is not None:
        for mode, mode_shape in modes.items():
            if mode != "index" and tuple(shape) == mode_shape:
                return mode
    offered = {"index": f"Discrete({mdp.n_obs})"} | {m: f"Box of shape {s}" for m, s in modes.items() if s}
    fail(f"the observation space of a {type(model).__name__} evaluated on {mdp.name}",
         "one of " + ", ".join(f"{space} (obs_mode {mode!r})" for mode, space in offered.items())
         + "; train it on the env made with that obs_mode",
         space if space is not None else shape)


def tabulate(mdp: TabularMDP, model, *, obs_mode: str | None = None, batch_size: int = 4096) -> np.ndarray:
    """The greedy action of a ``.predict`` model on every observation id of ``mdp``, int64 [n_obs].

    ``model.predict(batch, deterministic=True)`` returns ``(actions, state)`` as in
    Stable-Baselines3; it is shown every observation in ``obs_mode`` (by default the one its
    observation space reads, :func:`obs_mode_of`), ``batch_size`` at a time.  The table is
    then a policy every exact evaluator takes.
    """
    mode = obs_mode_of(mdp, model) if obs_mode is None else obs_mode
    table = np.empty(mdp.n_obs, np.int64)
    for start in range(0, mdp.n_obs, batch_size):
        ids = np.arange(start, min(start + batch_size, mdp.n_obs))
        actions = np.asarray(model.predict(observations(mdp, mode, ids), deterministic=True)[0])
        if actions.shape != ids.shape:
            fail(f"{type(model).__name__}.predict's actions for a batch of {len(ids)} observations",
                 f"an array of shape ({len(ids)},)", actions.shape)
        table[ids] = actions
    return table


def as_table(mdp: TabularMDP, policy):
    """``policy`` in a form :func:`state_policy` reads, or unchanged when it has no table.

    A table stays as it is; a model that tabulates itself (``policy_table(mdp)``, as the
    DQN does) is asked to; a model with ``.predict`` and an observation space (or
    ``obs_shape``) is tabulated here.  A plain callable, or a ``.predict`` model that does
    not say what it observes, is returned unchanged: it can only be measured by rollouts.
    """
    if has_table(policy):
        return policy
    if hasattr(policy, "policy_table"):
        try:
            return policy.policy_table(mdp)
        except ValueError:
            pass  # it reads other observations than it tabulates itself for; try its space
    if hasattr(policy, "predict") and (hasattr(policy, "observation_space") or hasattr(policy, "obs_shape")):
        return tabulate(mdp, policy)
    return policy


# -- where a policy goes ---------------------------------------------------------------------


def state_action_occupancy(mdp: TabularMDP, policy, *, honour_forced_epsilon: bool = False) -> np.ndarray:
    """Expected number of times each (state, action) is taken in one episode, float64 [S, A].

    With ``honour_forced_epsilon`` the environment's forced exploration is applied, as in
    :func:`specgame.solve.evaluate`.
    """
    return _flow(mdp, policy, honour_forced_epsilon)[0]


def state_occupancy(mdp: TabularMDP, policy, *, honour_forced_epsilon: bool = False) -> np.ndarray:
    """Expected decision steps taken from each state in one episode, float64 [S]; terminal states 0.

    Summed over states it is the expected episode length.
    """
    return state_action_occupancy(mdp, policy, honour_forced_epsilon=honour_forced_epsilon).sum(axis=1)


def termination_probability(mdp: TabularMDP, policy, *, honour_forced_epsilon: bool = False) -> np.ndarray:
    """The chance that one episode terminates in each state, float64 [S] (0 off terminal states).

    Its sum is the chance that the episode terminates before the horizon cuts it.
    """
    return _flow(mdp, policy, honour_forced_epsilon)[1]


def _flow(mdp: TabularMDP, policy, honour_forced_epsilon: bool) -> tuple[np.ndarray, np.ndarray]:
    """Push the state distribution through one episode: (state-action occupancy, termination probability)."""
    S, A, _ = mdp.shape
    actions, probs = state_policy(mdp, policy)
    stationary = (actions if probs is None else probs).shape[0] == 1
    forced = ~np.isnan(mdp.forced_epsilon) if honour_forced_epsilon else np.zeros(S, bool)
    live = ~mdp.terminal
    mass = mdp.initial.copy()
    occupancy = np.zeros((S, A))
    ended = np.zeros(S)
    for t in range(mdp.horizon):
        active = np.flatnonzero((mass > 0) & live)  # terminal states never act
        if not len(active):
            break
        m = mass[active]
        row = 0 if stationary else t
        if probs is None and not forced[active].any():  # one action per state: follow only its outcomes
            chosen = actions[row, active]
            occupancy[active, chosen] += m
            flow = m[:, None] * mdp.prob[active, chosen]
            targets = mdp.next_state[active, chosen]
        else:
            if probs is None:
                acting = np.zeros((len(active), A))
                acting[np.arange(len(active)), actions[row, active]] = 1.0
            else:
                acting = probs[row, active]
            fe = mdp.forced_epsilon[active]
            # Where the environment explores for the agent, it runs (1 - fe) policy + fe uniform.
            acting = np.where(forced[active, None], (1.0 - fe[:, None]) * acting + fe[:, None] / A, acting)
            taken = m[:, None] * acting
            occupancy[active] += taken
            flow = taken[:, :, None] * mdp.prob[active]
            targets = mdp.next_state[active]
        mass = np.bincount(targets.ravel(), weights=flow.ravel(), minlength=S)
        ended += np.where(mdp.terminal, mass, 0.0)  # arrivals in a terminal state end the episode there
    return occupancy, ended


# -- on the board ----------------------------------------------------------------------------


def has_cells(mdp: TabularMDP) -> bool:
    """Whether the states carry a board position (``row`` and ``col`` fields)."""
    return mdp.states is not None and {"row", "col"} <= set(mdp.state_fields)


def cell_visits(mdp: TabularMDP, visits) -> np.ndarray:
    """Sum per-state ``visits`` [S] over the board cell each state puts the agent on, float64 [H, W]."""
    if not has_cells(mdp):
        fail(f"the state fields of {mdp.name}", "ones that include row and col, to draw visits on a board",
             mdp.state_fields)
    visits = np.asarray(visits, dtype=np.float64)
    if visits.shape != (mdp.n_states,):
        fail("visits' shape", f"({mdp.n_states},)", visits.shape)
    rows = mdp.states[:, mdp.state_fields.index("row")]
    cols = mdp.states[:, mdp.state_fields.index("col")]
    if mdp.boards is not None:
        height, width = mdp.boards.shape[1:]
    else:
        height, width = int(rows.max()) + 1, int(cols.max()) + 1
    grid = np.zeros((height, width))
    np.add.at(grid, (rows, cols), visits)
    return grid
