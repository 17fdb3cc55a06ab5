"""Named hook points: read or change what any submodule of a network computes.

Every submodule of a torch network has a name, its key in ``dict(model.named_modules())``
(``layers.0``, ``relus.1``, ``blocks.0.mlp``, ``hook_resid.2``): that name is its hook
point, in the spirit of TransformerLens's ``HookPoint``.  One mechanism serves reading
and steering: a forward hook on each named module, registered on entering the block and
removed in ``finally``.

- :func:`capture` keeps what the named modules put out, for the caller to read;
- :func:`steering` changes it: ``output + vector`` for a tensor, ``edit(output)`` for a function;
- :func:`read` runs a network once under ``torch.inference_mode()`` and returns both.

A value that is no module's output (a residual stream summed inside ``forward``) gets a
name by passing it through an ``nn.Identity`` registered under that name (the language
model's ``hook_resid.0`` …): an identity changes no number and holds no weight, so saved
weights load as before.
"""

from __future__ import annotations

import contextlib
from functools import partial

from specgame._checks import fail
from specgame.nn import import_torch


def modules(model, names) -> dict:
    """The submodules of ``model`` called ``names``; a ValueError names a missing one and the names there are."""
    named = dict(model.named_modules())
    for name in names:
        if not name or name not in named:
            fail("hook point", f"the name of a submodule, one of {[n for n in named if n]}", name)
    return {name: named[name] for name in names}


@contextlib.contextmanager
def _hooked(model, hooks: dict):
    """``hooks`` ({name: forward hook}) on the named submodules for the block, removed after it."""
    handles = []
    try:
        for name, module in modules(model, hooks).items():
            handles.append(module.register_forward_hook(hooks[name]))
        yield
    finally:
        for handle in handles:
            handle.remove()


def _keep(found: dict, name: str, inputs: bool, module, args, output) -> None:
    found[name] = args[0] if inputs else output  # returning None leaves the output as it is


@contextlib.contextmanager
def capture(model, names, inputs: bool = False):
    """Within the block, ``found[name]`` is what submodule ``name`` put out on its latest call.

    ``found`` lists the names in the order the forward pass first called them.  The values are
    the tensors themselves, not copies: gradients flow through them, and a caller that runs
    several batches copies each batch out before the next.  With ``inputs``, the first input
    each module received instead of its output (the pre-activation of a ReLU).  A module both
    captured and steered (captured first) is captured before the edit.
    """
    found: dict = {}
    with _hooked(model, {name: partial(_keep, found, name, inputs) for name in names}):
        yield found


def _apply(edit, module, args, output):
    return edit(output) if callable(edit) else output + edit


@contextlib.contextmanager
def steering(model, edits: dict):
    """Within the block, submodule ``name``'s output becomes ``output + edit`` when ``edit`` is a
    tensor (broadcast) or ``edit(output)`` when it is a function; the rest of the network reads
    the changed value.  ``edits`` is ``{name: edit}``; yields ``model``."""
    with _hooked(model, {name: partial(_apply, edit) for name, edit in edits.items()}):
        yield model


def read(model, names, *args, **kwargs):
    """``model(*args, **kwargs)`` under ``torch.inference_mode()``, and what ``names`` put out on it."""
    torch = import_torch("reading a network")
    with capture(model, names) as found, torch.inference_mode():
        output = model(*args, **kwargs)
    return output, found
