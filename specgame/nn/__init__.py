"""The torch toolkit every network of specgame shares.

The DQN (``agents``), the look inside networks (``interpret``) and the language model
(``lm``) all train small networks on the CPU.  They take torch, their thread count and
their seeding from here, so the three agree and a machine check can change them in one place;
and they look inside their networks with the same tools:

- this module: :func:`import_torch` (the import guard), :func:`threads`, :func:`seeded`;
- :mod:`specgame.nn.hooks`: capture and steer any submodule's output by its name;
- :mod:`specgame.nn.probes`: linear probes (ridge or logistic) scored on held-out rows.

Nothing here imports torch until it is called: the core imports this package without it.

Threads: one by default.  These networks are too small to split a call between cores, and on
a shared 2-core machine a second thread mostly adds synchronisation.  The environment variable
``SPECGAME_TORCH_THREADS`` changes the default everywhere (``scripts/check_machines.py`` runs
the learned tests with 1 and 2 threads: what they claim must hold either way).  One thread
is reproducible on one machine, not across machines: BLAS and ATen pick other vector kernels
on another CPU, so a trained network's digits differ there, and tests assert what holds over
seeds instead.
"""

from __future__ import annotations

import contextlib
import os

THREADS_VARIABLE = "SPECGAME_TORCH_THREADS"
INSTALL_HINT = 'pip install "specgame[dqn]"'


def import_torch(needed_for: str = "this"):
    """The torch module, or an ImportError that says what needs it and how to install it."""
    try:
        import torch
    except ImportError:
        raise ImportError(f"{needed_for} needs torch: {INSTALL_HINT}") from None
    return torch


def default_threads() -> int:
    """torch threads for training and acting: ``$SPECGAME_TORCH_THREADS``, or 1."""
    text = os.environ.get(THREADS_VARIABLE, "").strip()
    if not text:
        return 1
    try:
        threads = int(text)
    except ValueError:
        threads = 0
    if threads < 1:
        raise ValueError(f"{THREADS_VARIABLE} must be a positive whole number of threads, got {text!r}")
    return threads


@contextlib.contextmanager
def threads(count: int | None = None):
    """Run a block on ``count`` torch threads (``default_threads()`` when None) and restore the
    caller's setting after."""
    torch = import_torch()
    count = default_threads() if count is None else count
    before = torch.get_num_threads()
    if count != before:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


@contextlib.contextmanager
def seeded(seed: int | None = None):
    """torch's global generator forked for the block (seeded with ``seed`` if given) and restored
    after: a run draws its own numbers and leaves the user's stream untouched."""
    torch = import_torch()
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        yield
