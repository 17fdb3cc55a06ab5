"""The C training loop (``tabular_loop.c``), compiled at benchmark time and called via ctypes.

:func:`build` compiles it with the first C compiler found (``$CC``, ``cc``, ``gcc``,
``clang``) and returns ``None`` when there is none, so the benchmark can say so and go
on.  :func:`learn` trains a fresh agent's state with it the way ``TabularAgent.learn``
drives the numba kernel (history buffers of the same size, refilled until the step
budget is spent), so timing one against the other compares the loops, not their drivers.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from specgame.agents import tabular

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


def learn(lib, agent, total_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Train ``agent``'s state (a fresh agent) for ``total_steps`` in C; returns (q, episode lengths).

    The agent object itself is left untouched: the C loop works on copies of its
    Q-table, generator and carry arrays.
    """
    mdp = agent.mdp
    S, A, K = mdp.shape
    q, rng, carry_i, carry_f = agent.q.copy(), agent._rng.copy(), agent._carry_i.copy(), agent._carry_f.copy()
    params = agent.config.params(agent._schedule_steps or total_steps)
    capacity = min(tabular.HISTORY_CHUNK, total_steps)
    proxy_returns, intended_returns = np.zeros(capacity), np.zeros(capacity)
    lengths = np.zeros(capacity, np.int64)
    step_limit = agent.steps_done + total_steps
    chunks = []
    arrays = [(mdp.next_state, np.int32), (mdp.prob, np.float64), (mdp.proxy, np.float64),
              (mdp.intended, np.float64), (mdp.speed_bonus, np.float64), (mdp.terminal, np.bool_),
              (mdp.initial, np.float64), (mdp.obs, np.int32), (mdp.forced_epsilon, np.float64)]
    table = [_ptr(array, dtype) for array, dtype in arrays]
    while True:
        recorded = lib.train(agent.algorithm, S, A, K, *table, mdp.horizon,
                             _ptr(q, np.float64), _ptr(rng, np.uint64), _ptr(carry_i, np.int64),
                             _ptr(carry_f, np.float64), _ptr(params, np.float64), step_limit,
                             tabular.NO_LIMIT, _ptr(proxy_returns, np.float64),
                             _ptr(intended_returns, np.float64), _ptr(lengths, np.int64), capacity)
        chunks.append(lengths[:recorded].copy())
        if recorded < capacity:
            break
    return q, np.concatenate(chunks)
