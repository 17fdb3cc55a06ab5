"""The C training loop (``tabular_loop.c``), compiled at benchmark time and called via ctypes.

:func:`build` compiles it with the first C compiler found (``$CC``, ``cc``, ``gcc``,
``clang``) and returns ``None`` when there is none, so the benchmark can say so and go
on.  :func:`c_train` wraps it in the numba kernel's signature, and :func:`learn` drives
either loop the same way (history buffers of ``TabularAgent``'s size, refilled until the
step budget is spent), so timing one against the other compares the loops alone.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from specgame.agents import History, tabular
from specgame.agents._kernels import mdp_arrays

SOURCE = Path(__file__).with_name("tabular_loop.c")
# -O2 as a C programmer would ship it; no fast-math and no FMA contraction, so that the
# C loop rounds as numba does and the Q-tables can be compared bit for bit.
FLAGS = ["-O2", "-ffp-contract=off", "-fPIC", "-shared"]


def compiler() -> str | None:
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def build(folder: str | None = None):
    """The loaded library, or ``None`` with no C compiler; raises if compiling fails."""
    cc = compiler()
    if cc is None:
        return None
    folder = folder or tempfile.mkdtemp(prefix="specgame-bench-")
    library = Path(folder) / "tabular_loop.so"
    subprocess.run([cc, *FLAGS, "-o", str(library), str(SOURCE), "-lm"], check=True,
                   capture_output=True, text=True)
    lib = ctypes.CDLL(str(library))
    pointer = ctypes.c_void_p
    lib.train.restype = ctypes.c_int64
    lib.train.argtypes = ([ctypes.c_int64] * 4 + [pointer] * 9 + [ctypes.c_int64] + [pointer] * 5
                          + [ctypes.c_int64] * 2 + [pointer] * 3 + [ctypes.c_int64])
    return lib


def _ptr(array: np.ndarray, dtype) -> int:
    if array.dtype != dtype or not array.flags.c_contiguous:
        raise ValueError(f"the C loop needs a C-contiguous {np.dtype(dtype).name} array, got {array.dtype}")
    return array.ctypes.data


def c_train(lib):
    """The C loop behind the signature of ``specgame.agents._kernels.train``."""
    def train(algorithm, mdp_arrays, horizon, q, rng, carry_i, carry_f, params, step_limit, episode_limit,
              proxy_returns, intended_returns, lengths):
        next_state = mdp_arrays[0]
        dtypes = (np.int32, np.float64, np.float64, np.float64, np.float64, np.bool_, np.float64, np.int32,
                  np.float64)
        table = [_ptr(array, dtype) for array, dtype in zip(mdp_arrays, dtypes)]
        return lib.train(algorithm, *next_state.shape, *table, horizon, _ptr(q, np.float64), _ptr(rng, np.uint64),
                         _ptr(carry_i, np.int64), _ptr(carry_f, np.float64), _ptr(params, np.float64),
                         step_limit, episode_limit, _ptr(proxy_returns, np.float64),
                         _ptr(intended_returns, np.float64), _ptr(lengths, np.int64), len(lengths))
    train.arrays = full_arrays  # the C loop reads every array in full, as the table was before it was compact
    return train


def full_arrays(mdp) -> tuple:
    """The table's full float arrays in the order the C loop reads them."""
    return (mdp.next_state, mdp.prob, mdp.proxy, mdp.intended, mdp.speed_bonus, mdp.terminal, mdp.initial,
            mdp.obs, mdp.forced_epsilon)


def learn(train, agent, total_steps: int) -> tuple[np.ndarray, History]:
    """Train a copy of ``agent``'s state for ``total_steps`` with the loop ``train``; (q, history).

    ``train`` is the numba kernel or :func:`c_train`'s C loop: both get the very same
    driver (buffers, calls, history kept), so timing one against the other times the loops.
    The agent object itself is left untouched.
    """
    q, rng, carry_i, carry_f = agent.q.copy(), agent._rng.copy(), agent._carry_i.copy(), agent._carry_f.copy()
    params = agent.config.params(agent._schedule_steps or total_steps)
    capacity = min(tabular.HISTORY_CHUNK, total_steps)
    buffers = (np.zeros(capacity), np.zeros(capacity), np.zeros(capacity, np.int64))
    chunks = []
    arrays = getattr(train, "arrays", mdp_arrays)(agent.mdp)
    while True:
        recorded = train(agent.algorithm, arrays, agent.mdp.horizon, q, rng, carry_i, carry_f,
                         params, agent.steps_done + total_steps, tabular.NO_LIMIT, *buffers)
        chunks.append([buffer[:recorded].copy() for buffer in buffers])
        if recorded < capacity:
            break
    return q, History(*(np.concatenate(parts) for parts in zip(*chunks)))
