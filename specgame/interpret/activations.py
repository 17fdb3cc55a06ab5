"""What a network computes on every state: observations, activations, interventions, greedy tables.

A network here is any ``torch.nn.Module`` that maps a batch of observations to one output
per action (the DQN's Q-network).  Its *layers* are its named leaf modules (``layers.0``,
``relus.0``, ``convs.0``, …): the toolkit's hook points (:mod:`specgame.nn.hooks`) read
their outputs or change them (an intervention).  All of it runs under
``torch.inference_mode()`` over the complete state set of a table, batched.
"""

from __future__ import annotations

import contextlib
import weakref

import numpy as np

from specgame import policy
from specgame._checks import check_int, fail
from specgame.mdp import TabularMDP
from specgame.nn import import_torch, threads
from specgame.nn.hooks import capture, read, steering

torch = import_torch("looking inside networks")


def observations(mdp: TabularMDP) -> np.ndarray:
    """The onehot planes of every observation id, float32 [n_obs, C, H, W]: what a DQN sees.

    Plane ``c`` is 1 where the board shows ``mdp.alphabet[c]``, exactly as ``obs_mode="onehot"``
    shows it; row ``i`` is observation id ``i`` (``mdp.obs[s]`` is the row of state ``s``).
    """
    if not isinstance(mdp, TabularMDP) or mdp.boards is None:
        fail("mdp", "a TabularMDP with boards (one of our grid games)", mdp)
    return policy.observations(mdp, "onehot")


def layer_names(net, sample=None) -> list[str]:
    """The names of ``net``'s leaf modules: the layers one can hook.

    In the order a forward pass calls them when ``sample`` (a batch of inputs) is given or
    the first layer is a Linear (whose weight says the input size); else in the order of definition.
    """
    leaves = {name: module for name, module in net.named_modules()
              if name and not list(module.children()) and not isinstance(module, torch.nn.Flatten)}
    if sample is None:
        first = next(iter(leaves.values()), None)
        if not isinstance(first, torch.nn.Linear):
            return list(leaves)
        sample = np.zeros((1, first.in_features), np.float32)
    _, called = read(net, leaves, torch.from_numpy(np.asarray(sample, np.float32)))
    return list(called) + [name for name in leaves if name not in called]


def check_layer(net, layer: str) -> str:
    """``layer`` if it is one of ``net``'s layers, else a ValueError that lists them."""
    names = layer_names(net)
    if layer not in names:
        fail("layer", f"one of {names}", layer)
    return layer


class Steer:
    """An intervention: add ``coefficient * vector`` to the output of ``layer`` on every input.

    ``vector`` has the layer's unit shape (for a convolution, C or C×H×W: a per-channel
    vector is added at every cell).  ``clamp`` instead sets the units where ``vector`` is
    not NaN to those values (Mini et al.'s retargeting clamps one channel).
    """

    def __init__(self, layer: str, vector, coefficient: float = 1.0, clamp: bool = False):
        self.layer = layer
        self.vector = torch.as_tensor(np.asarray(vector, np.float32))
        self.coefficient = float(coefficient)
        self.clamp = bool(clamp)

    def edit(self, output):
        """The layer's output with the intervention made."""
        vector = self.vector
        if output.dim() == 4 and vector.dim() == 1:  # a channel vector on a conv map: every cell
            vector = vector[:, None, None]
        vector = vector.reshape(output.shape[1:])
        if self.clamp:
            return torch.where(torch.isnan(vector), output, vector.expand_as(output))
        return output + self.coefficient * vector

    def applied(self, net):
        """A context in which ``net`` runs steered."""
        return steering(net, {check_layer(net, self.layer): self.edit})


def run(net, inputs: np.ndarray, layers=(), intervention: Steer | None = None,
        batch_size: int = 512) -> tuple[np.ndarray, dict]:
    """``net``'s outputs on ``inputs`` [N, …] and the outputs of ``layers`` (flattened [N, units]).

    With ``intervention`` the network runs steered; the captured layers see its effect.
    Batches are small on purpose: 512 boards' conv maps stay in the cache, 8,192 do not (and run
    at half the speed).
    """
    batch_size = check_int("batch_size", batch_size, 1)
    layers = [check_layer(net, layer) for layer in layers]
    outputs, captured = None, {}  # preallocated [N, …], filled batch by batch

    def keep(layer: str, values: np.ndarray, start: int) -> None:
        if layer not in captured:
            captured[layer] = np.empty((len(inputs), values.shape[1]), values.dtype)
        captured[layer][start:start + len(values)] = values

    # entered in this order, a layer both captured and steered is read before the edit
    steer = intervention.applied(net) if intervention is not None else contextlib.nullcontext()
    with capture(net, layers) as found, steer, threads(), torch.inference_mode():
        for start in range(0, len(inputs), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(inputs[start:start + batch_size], np.float32))
            result = net(batch).numpy()
            for layer in layers:
                keep(layer, found[layer].flatten(1).numpy(), start)
            if outputs is None:
                outputs = np.empty((len(inputs), result.shape[1]), result.dtype)
            outputs[start:start + len(result)] = result
    return outputs, captured


def greedy_table(net, mdp: TabularMDP, intervention: Steer | None = None) -> np.ndarray:
    """The greedy action of ``net`` (optionally steered) on every observation id, int64 [n_obs].

    This is the table :func:`specgame.solve.evaluate` and ``gap_report`` score exactly.
    """
    outputs, _ = run(net, _observations(mdp), intervention=intervention)
    return outputs.argmax(axis=1).astype(np.int64)


class Activations:
    """The activations of a network's layers on every state of a table.

    ``of(layer)`` is float32 [n_states, units] (row ``s`` is state ``s``); a convolution's
    output is kept per cell ([states, C*H*W]) and reduced to one mean per channel
    (``of(layer, reduce=True)``: [states, C]).  ``outputs`` [n_states, A] is the network's
    output (its Q-values).  Computed once per observation id and shared by states that
    look alike.
    """

    def __init__(self, mdp: TabularMDP, outputs: np.ndarray, per_obs: dict, shapes: dict):
        self.mdp = mdp
        self.layers = tuple(per_obs)
        self._per_obs = per_obs
        self._shapes = shapes
        self.outputs = outputs[mdp.obs]

    def of(self, layer: str, reduce: bool = False) -> np.ndarray:
        if layer not in self._per_obs:
            fail("layer", f"one of {list(self.layers)}", layer)
        values = self._per_obs[layer]
        shape = self._shapes[layer]
        if reduce and len(shape) == 3:  # channels × cells: one mean per channel
            values = values.reshape(len(values), shape[0], -1).mean(axis=2)
        return values[self.mdp.obs]

    def shape(self, layer: str) -> tuple[int, ...]:
        """The unit shape of ``layer`` (C, H, W for a convolution)."""
        return self._shapes[layer]

    def save(self, path) -> None:
        """Write ``activations.npz``: per layer [n_obs, units], the state → observation ids, the outputs."""
        from specgame._files import atomic_write

        arrays = {f"layer:{name}": values for name, values in self._per_obs.items()}
        arrays["state_obs"] = self.mdp.obs
        arrays["outputs"] = self.outputs
        atomic_write(path, lambda f: np.savez_compressed(f, **arrays))


# One set of activations per (network, table), recomputed when the weights change.
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_OBS_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _observations(mdp: TabularMDP) -> np.ndarray:
    if mdp not in _OBS_CACHE:
        _OBS_CACHE[mdp] = observations(mdp)
    return _OBS_CACHE[mdp]


def _weights_version(net) -> tuple:
    # _version counts in-place changes of a tensor: an optimiser step or load_state_dict moves it.
    return tuple((p.data_ptr(), p._version) for p in net.parameters())


def activations(net, mdp: TabularMDP, layers=None) -> Activations:
    """The activations of ``layers`` (default: every layer of ``net``) on every state of ``mdp``; cached."""
    inputs = _observations(mdp)
    layers = tuple(layer_names(net, inputs[:1]) if layers is None else layers)
    key = (_weights_version(net), layers)
    per_net = _CACHE.setdefault(net, {})
    if mdp in per_net and per_net[mdp][0] == key:
        return per_net[mdp][1]
    _, first = read(net, [check_layer(net, layer) for layer in layers], torch.from_numpy(inputs[:1]))
    shapes = {layer: tuple(output.shape[1:]) for layer, output in first.items()}
    outputs, per_obs = run(net, inputs, layers)
    result = Activations(mdp, outputs, per_obs, shapes)
    per_net[mdp] = (key, result)
    return result
