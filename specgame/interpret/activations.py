"""What a network computes on every state: observations, activations, interventions, greedy tables.

A network here is any ``torch.nn.Module`` that maps a batch of observations to one output
per action (the DQN's Q-network).  Its *layers* are its named leaf modules (``layers.0``,
``relus.0``, ``convs.0``, …); a forward hook on one of them reads its output, or replaces
it (an intervention).  All of it runs under ``torch.inference_mode()`` over the complete
state set of a table, batched, and every hook is removed in ``finally``.
"""

from __future__ import annotations

import contextlib
import weakref

import numpy as np

from specgame import policy
from specgame._checks import check_int, fail
from specgame.mdp import TabularMDP
from specgame.nn import import_torch, threads

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
    order = []
    handles = [module.register_forward_hook(lambda m, i, out, name=name: order.append(name))
               for name, module in leaves.items()]
    try:
        with torch.inference_mode():
            net(torch.from_numpy(np.asarray(sample, np.float32)))
    finally:
        for handle in handles:
            handle.remove()
    return list(dict.fromkeys(order)) + [name for name in leaves if name not in order]


def _module(net, layer: str):
    names = layer_names(net)
    if layer not in names:
        fail("layer", f"one of {names}", layer)
    return net.get_submodule(layer)


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

    def _hook(self, module, inputs, output):
        vector = self.vector
        if output.dim() == 4 and vector.dim() == 1:  # a channel vector on a conv map: every cell
            vector = vector[:, None, None]
        vector = vector.reshape(output.shape[1:])
        if self.clamp:
            return torch.where(torch.isnan(vector), output, vector.expand_as(output))
        return output + self.coefficient * vector

    @contextlib.contextmanager
    def applied(self, net):
        handle = _module(net, self.layer).register_forward_hook(self._hook)
        try:
            yield net
        finally:
            handle.remove()


def run(net, inputs: np.ndarray, layers=(), intervention: Steer | None = None,
        batch_size: int = 512) -> tuple[np.ndarray, dict]:
    """``net``'s outputs on ``inputs`` [N, …] and the outputs of ``layers`` (flattened [N, units]).

    With ``intervention`` the network runs steered; the captured layers see its effect.
    Batches are small on purpose: 512 boards' conv maps stay in the cache, 8,192 do not (and run
    at half the speed).
    """
    batch_size = check_int("batch_size", batch_size, 1)
    modules = {layer: _module(net, layer) for layer in layers}
    captured = {}  # layer -> preallocated [N, units], filled batch by batch
    where = [0, 0]  # the batch being run: [start, stop)

    def keep(layer, output):
        values = output.flatten(1).numpy()
        if layer not in captured:
            captured[layer] = np.empty((len(inputs), values.shape[1]), values.dtype)
        captured[layer][where[0]:where[1]] = values

    handles = []
    outputs = None
    try:
        for layer, module in modules.items():  # (a hook that returns None leaves the output alone)
            handles.append(module.register_forward_hook(lambda m, i, out, layer=layer: keep(layer, out)))
        steer = intervention.applied(net) if intervention is not None else contextlib.nullcontext()
        with steer, threads(), torch.inference_mode():
            for start in range(0, len(inputs), batch_size):
                where[:] = start, min(start + batch_size, len(inputs))
                batch = torch.from_numpy(np.ascontiguousarray(inputs[where[0]:where[1]], np.float32))
                result = net(batch).numpy()
                if outputs is None:
                    outputs = np.empty((len(inputs), result.shape[1]), result.dtype)
                outputs[where[0]:where[1]] = result
    finally:
        for handle in handles:
            handle.remove()
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
    shapes = {}
    modules = {layer: _module(net, layer) for layer in layers}
    handles = [module.register_forward_hook(
        lambda m, i, out, layer=layer: shapes.update({layer: tuple(out.shape[1:])}))
        for layer, module in modules.items()]
    try:
        with torch.inference_mode():
            net(torch.from_numpy(inputs[:1]))
    finally:
        for handle in handles:
            handle.remove()
    outputs, per_obs = run(net, inputs, layers)
    result = Activations(mdp, outputs, per_obs, shapes)
    per_net[mdp] = (key, result)
    return result
