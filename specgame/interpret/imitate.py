"""Networks that hold a known policy or known values, taught on every board of a table.

Steering can only bring out what a network has. When a learner never found a behaviour
(the mixed race's DQN never learned to race), a network of the same architecture can be
*taught* the exact optimum -- which races when finishing pays and loops when it does not --
so that the question "can a vector switch one behaviour into the other?" has a network to
be asked of (:func:`imitate`: cross-entropy, each board labelled with the policy's action).

And a network can be taught exact *values* (:func:`teach_values`: squared error to an
action-value table, e.g. :func:`specgame.interpret.answer_key.optimal_q`): what a DQN
trained on the proxy converges towards, reached in seconds rather than minutes, and the
same on every machine.  The tests read the value head and the dictionary of such a network.
"""

from __future__ import annotations

import numpy as np

from specgame._checks import check_int, check_number, fail
from specgame.interpret.activations import _observations, torch
from specgame.mdp import TabularMDP
from specgame.nn import seeded, threads
from specgame.policy import stationary_policy


def _per_observation(mdp: TabularMDP, per_state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum and count over the states that show each observation id: [n_obs, …] and [n_obs]."""
    total = np.zeros((mdp.n_obs, *per_state.shape[1:]))
    np.add.at(total, mdp.obs, per_state)
    count = np.bincount(mdp.obs, minlength=mdp.n_obs)
    if (count == 0).any():
        fail("mdp", "a table whose every observation id belongs to a state", mdp.name)
    return total, count


def _fit(net, mdp: TabularMDP, targets, loss, epochs: int, batch_size: int, learning_rate: float, seed: int):
    """Adam on ``loss(net(boards), targets)`` over every observation, in shuffled batches, seeded, one thread."""
    epochs = check_int("epochs", epochs, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    learning_rate = check_number("learning_rate", learning_rate, 0, low_open=True)
    inputs = torch.from_numpy(_observations(mdp))
    with threads(), seeded(seed):
        optimizer = torch.optim.Adam(net.parameters(), lr=learning_rate)
        for _ in range(epochs):
            order = torch.randperm(len(inputs))
            for start in range(0, len(inputs), batch_size):
                batch = order[start:start + batch_size]
                error = loss(net(inputs[batch]), targets[batch])
                optimizer.zero_grad(set_to_none=True)
                error.backward()
                optimizer.step()
        with torch.inference_mode():
            return net(inputs)


def imitate(net, mdp: TabularMDP, policy, *, epochs: int = 40, batch_size: int = 256, learning_rate: float = 2e-3,
            seed: int = 0) -> float:
    """Train ``net`` (in place) to output ``policy``'s action on every board; returns the final accuracy.

    ``policy`` is anything :func:`specgame.policy.stationary_policy` takes (a Plan, an action
    table); a board seen in several states is labelled with the action taken most often there.
    """
    per_obs, _ = _per_observation(mdp, stationary_policy(mdp, policy))  # [n_obs, A]
    labels = torch.from_numpy(per_obs.argmax(axis=1))
    outputs = _fit(net, mdp, labels, torch.nn.functional.cross_entropy, epochs, batch_size, learning_rate, seed)
    return float((outputs.argmax(dim=1) == labels).float().mean())


def teach_values(net, mdp: TabularMDP, q: np.ndarray, *, epochs: int = 10, batch_size: int = 256,
                 learning_rate: float = 2e-3, seed: int = 0) -> float:
    """Train ``net`` (in place) to output the action values ``q`` [n_states, A] on every board;
    returns the R² of its outputs against them (a board seen in several states is taught their mean)."""
    q = np.asarray(q, np.float64)
    if q.shape != (mdp.n_states, mdp.n_actions):
        fail("q", f"an array of one value per state and action, shape {(mdp.n_states, mdp.n_actions)}", q.shape)
    total, count = _per_observation(mdp, q)
    targets = torch.from_numpy((total / count[:, None]).astype(np.float32))
    outputs = _fit(net, mdp, targets, torch.nn.functional.mse_loss, epochs, batch_size, learning_rate, seed)
    return float(1.0 - ((outputs - targets) ** 2).sum() / ((targets - targets.mean()) ** 2).sum())
