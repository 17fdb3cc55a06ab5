"""A network that holds a known policy: supervised imitation of an exact plan, on every board.

Steering can only bring out what a network has. When a learner never found a behaviour
(the mixed race's DQN never learned to race), a network of the same architecture can be
*taught* the exact optimum -- which races when finishing pays and loops when it does not --
so that the question "can a vector switch one behaviour into the other?" has a network to
be asked of.  Cross-entropy on every observation of the table, each labelled with the
policy's action there.
"""

from __future__ import annotations

import numpy as np

from specgame._checks import check_int, check_number, fail
from specgame.interpret.activations import _observations, one_thread, torch
from specgame.mdp import TabularMDP
from specgame.policy import stationary_policy


def imitate(net, mdp: TabularMDP, policy, *, epochs: int = 40, batch_size: int = 256, learning_rate: float = 2e-3,
            seed: int = 0) -> float:
    """Train ``net`` (in place) to output ``policy``'s action on every board; returns the final accuracy.

    ``policy`` is anything :func:`specgame.policy.stationary_policy` takes (a Plan, an action
    table); a board seen in several states is labelled with the action taken most often there.
    """
    epochs = check_int("epochs", epochs, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    learning_rate = check_number("learning_rate", learning_rate, 0, low_open=True)
    per_state = stationary_policy(mdp, policy)  # [S, A]
    per_obs = np.zeros((mdp.n_obs, mdp.n_actions))
    np.add.at(per_obs, mdp.obs, per_state)
    if (per_obs.sum(axis=1) == 0).any():
        fail("mdp", "a table whose every observation id belongs to a state", mdp.name)
    inputs = torch.from_numpy(_observations(mdp))
    labels = torch.from_numpy(per_obs.argmax(axis=1))
    with one_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        optimizer = torch.optim.Adam(net.parameters(), lr=learning_rate)
        for _ in range(epochs):
            order = torch.randperm(len(inputs))
            for start in range(0, len(inputs), batch_size):
                batch = order[start:start + batch_size]
                loss = torch.nn.functional.cross_entropy(net(inputs[batch]), labels[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
        with torch.inference_mode():
            return float((net(inputs).argmax(dim=1) == labels).float().mean())
