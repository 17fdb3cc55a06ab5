"""Where a policy goes: exact state and state-action occupancy, and visits per board cell.

Nothing here reads a reward, so the blind detectors (:mod:`specgame.analysis.detect`) can build
on it without ever seeing the intended objective.
"""

from __future__ import annotations

import numpy as np

from specgame.mdp import TabularMDP
from specgame.solve import Plan, greedy_policy


def action_table(mdp: TabularMDP, policy) -> np.ndarray:
    """``policy`` as action probabilities per step and state, float64 [T, S, A] (T = 1 or horizon).

    ``policy`` is what :func:`specgame.solve.evaluate` takes: an int array [n_obs], a
    float array [n_obs, A], a :class:`Plan` (non-stationary), or an agent with ``.q``
    (followed greedily).
    """
    S, A, _ = mdp.shape
    if isinstance(policy, Plan):
        if policy.actions.shape != (mdp.horizon, S):
            raise ValueError(f"the plan has actions of shape {policy.actions.shape}, but this table needs "
                             f"(horizon, states) = {(mdp.horizon, S)}")
        table = np.zeros((mdp.horizon, S, A))
        t, s = np.indices(policy.actions.shape)
        table[t, s, policy.actions] = 1.0
        return table
    if hasattr(policy, "q"):
        policy = greedy_policy(policy.q)
    policy = np.asarray(policy)
    if policy.ndim == 1 and np.issubdtype(policy.dtype, np.integer) and policy.shape == (mdp.n_obs,):
        if len(policy) and (policy.min() < 0 or policy.max() >= A):
            raise ValueError(f"policy actions must be in [0, {A}), got values in [{policy.min()}, {policy.max()}]")
        table = np.zeros((mdp.n_obs, A))
        table[np.arange(mdp.n_obs), policy] = 1.0
        return table[mdp.obs][None]
    if policy.ndim == 2 and policy.shape == (mdp.n_obs, A):
        policy = policy.astype(np.float64)
        if not np.isfinite(policy).all() or (policy < 0).any() or np.abs(policy.sum(axis=1) - 1).max() > 1e-9:
            raise ValueError("policy probabilities must be finite, non-negative, and each row must sum to 1")
        return policy[mdp.obs][None]
    raise ValueError(f"policy must be an int array [n_obs={mdp.n_obs}], a float array [n_obs, actions] = "
                     f"[{mdp.n_obs}, {A}], a Plan or an object with a .q table; got {policy.dtype} {policy.shape}")


def state_action_occupancy(mdp: TabularMDP, policy) -> np.ndarray:
    """Expected number of times each (state, action) is taken in one episode, float64 [S, A].

    Undiscounted, over the episode's ``horizon`` steps from ``mdp.initial``; summed over
    actions it equals :func:`specgame.solve.occupancy` on non-terminal states.
    """
    S, A, _ = mdp.shape
    if isinstance(policy, Plan):
        if policy.actions.shape != (mdp.horizon, S):
            action_table(mdp, policy)  # raises, naming both shapes
        per_step = None
    else:
        per_step = action_table(mdp, policy)[0]
    live = ~mdp.terminal
    mass = mdp.initial.copy()
    occupancy = np.zeros((S, A))
    for t in range(mdp.horizon):
        active = np.flatnonzero((mass > 0) & live)  # terminal states never act
        if not len(active):
            break
        m = mass[active]
        if per_step is None:  # a plan: one action per state at this step
            chosen = policy.actions[t, active]
            occupancy[active, chosen] += m
            flow = m[:, None] * mdp.prob[active, chosen]
            targets = mdp.next_state[active, chosen]
        else:
            taken = m[:, None] * per_step[active]
            occupancy[active] += taken
            flow = taken[:, :, None] * mdp.prob[active]
            targets = mdp.next_state[active]
        mass = np.bincount(targets.ravel(), weights=flow.ravel(), minlength=S)
    return occupancy


def state_occupancy(mdp: TabularMDP, policy) -> np.ndarray:
    """Expected decision steps spent in each state in one episode, float64 [S] (terminal states 0)."""
    return state_action_occupancy(mdp, policy).sum(axis=1)


def stationary_policy(mdp: TabularMDP, policy) -> np.ndarray:
    """The per-state action distribution [S, A] that has the same state-action occupancy.

    For a stationary policy that is the policy itself.  For a :class:`Plan` (whose action
    can change with the time step) it is the visit-weighted average over the steps at
    which the plan is in each state; states the plan never reaches get its first-step action.
    """
    if not isinstance(policy, Plan):
        return action_table(mdp, policy)[0].copy()
    first_step = np.zeros((mdp.n_states, mdp.n_actions))
    first_step[np.arange(mdp.n_states), policy.actions[0]] = 1.0
    occupancy = state_action_occupancy(mdp, policy)
    visits = occupancy.sum(axis=1, keepdims=True)
    return np.where(visits > 0, occupancy / np.where(visits > 0, visits, 1.0), first_step)


def has_cells(mdp: TabularMDP) -> bool:
    """Whether the states carry a board position (``row`` and ``col`` fields)."""
    return mdp.states is not None and {"row", "col"} <= set(mdp.state_fields)


def cell_visits(mdp: TabularMDP, visits) -> np.ndarray:
    """Sum per-state ``visits`` [S] over the board cell each state puts the agent on, float64 [H, W]."""
    if not has_cells(mdp):
        raise ValueError(f"{mdp.name} has no row/col state fields, so visits cannot be drawn on a board")
    visits = np.asarray(visits, dtype=np.float64)
    if visits.shape != (mdp.n_states,):
        raise ValueError(f"visits must have shape ({mdp.n_states},), got {visits.shape}")
    rows = mdp.states[:, mdp.state_fields.index("row")]
    cols = mdp.states[:, mdp.state_fields.index("col")]
    if mdp.boards is not None:
        height, width = mdp.boards.shape[1:]
    else:
        height, width = int(rows.max()) + 1, int(cols.max()) + 1
    grid = np.zeros((height, width))
    np.add.at(grid, (rows, cols), visits)
    return grid
