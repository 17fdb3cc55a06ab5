"""The kernel search (``grid_jit.explore``) against a plain C breadth-first search over the same rules.

    python benchmarks/search_speed.py              # RocksDiamonds level 0, its first 2M states
    python benchmarks/search_speed.py --states 0   # all 12.9M states (about 2 GB)

``search_bfs.c`` is compiled at benchmark time (as ``tabular_loop.c`` is) and walks
RocksDiamonds' rules in the same order as the numba search, so both must write the same
``next_state``, ``proxy`` and ``intended`` rows, which is checked.  Both are timed in CPU
seconds (the machine may be shared), and the C side is split into the rules alone
(every step of the states found, packed, no table) and the whole search: the difference
is what hashing and memory cost.
"""

from __future__ import annotations

import argparse
import ctypes
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from c_loop import compiler

SOURCE = Path(__file__).with_name("search_bfs.c")
TOO_MANY = -1


def build(folder: str | None = None):
    """The loaded library, or ``None`` with no C compiler; raises if compiling fails."""
    cc = compiler()
    if cc is None:
        return None
    folder = folder or tempfile.mkdtemp(prefix="specgame-bench-")
    library = Path(folder) / "search_bfs.so"
    subprocess.run([cc, "-O2", "-fPIC", "-shared", "-o", str(library), str(SOURCE)], check=True,
                   capture_output=True, text=True)
    lib = ctypes.CDLL(str(library))
    p, i64 = ctypes.c_void_p, ctypes.c_int64
    lib.search.restype = i64
    lib.search.argtypes = [p, p, p, i64, i64, i64, i64, i64, p, p, p, p, i64, p]
    lib.steps_only.restype = ctypes.c_uint64
    lib.steps_only.argtypes = [p, p, p, i64, i64, i64, i64, p, i64]
    return lib


def level_arrays(level: int = 0):
    """RocksDiamonds' constants and start state, as the numba kernels and the C search read them."""
    from specgame.envs import rocks_diamonds as game

    cfg = game.Config(level=level)
    args = game.constants(cfg)
    starts = np.array([tuple(s) for _, s in game.initial_states(cfg)], dtype=np.int64)
    return game, args, starts


def pack(states: np.ndarray) -> np.ndarray:
    """grid_jit's 64-bit key of each state row (field 0 in the lowest byte)."""
    keys = np.zeros(len(states), np.uint64)
    for i in reversed(range(states.shape[1])):
        keys = keys * np.uint64(256) + (states[:, i] + 1).astype(np.uint64)
    return keys


def c_search(lib, args, starts: np.ndarray, n_actions: int, max_states: int):
    walls, goal = args.walls.astype(np.uint8), args.goal.astype(np.uint8)
    offset, width, diamond_switch, rock_switch = args.offset, args.width, args.diamond_switch, args.rock_switch
    keys = np.zeros(max_states, np.uint64)
    keys[: len(starts)] = pack(starts)
    next_state = np.zeros((max_states, n_actions), np.int32)
    proxy, intended = np.zeros((max_states, n_actions)), np.zeros((max_states, n_actions))
    expanded = ctypes.c_int64(0)
    rules = (walls.ctypes.data, goal.ctypes.data, offset.ctypes.data, width, diamond_switch, rock_switch,
             n_actions)
    start = time.process_time()
    n = lib.search(*rules, len(starts), keys.ctypes.data, next_state.ctypes.data, proxy.ctypes.data,
                   intended.ctypes.data, max_states, ctypes.byref(expanded))
    seconds = time.process_time() - start
    if n < TOO_MANY:
        raise MemoryError("the C search could not allocate its hash table")
    found = max_states if n == TOO_MANY else n
    start = time.process_time()
    lib.steps_only(*rules, keys.ctypes.data, expanded.value)
    rules_seconds = time.process_time() - start
    return {"seconds": seconds, "rules_seconds": rules_seconds, "found": found, "expanded": expanded.value,
            "next_state": next_state, "proxy": proxy, "intended": intended}


def numba_search(game, args, starts: np.ndarray, n_actions: int, max_states: int):
    game._explore(args, starts, n_actions, 100)  # load (or compile) the kernels first
    start = time.process_time()
    status, n, _, next_state, proxy, intended, values, _ = game._explore(args, starts, n_actions, max_states)
    return {"seconds": time.process_time() - start, "found": max_states if status else n,
            "next_state": next_state, "proxy": proxy, "intended": intended, "values": values}


def run(max_states: int = 2_000_000, lib=None) -> dict:
    """Both searches over RocksDiamonds level 0 (the first ``max_states`` states; 0: all)."""
    lib = lib or build()
    if lib is None:
        return {}
    game, args, starts = level_arrays(0)
    limit = max_states or game.MAX_STATES
    n_actions = len(game.actions(game.Config()))
    c = c_search(lib, args, starts, n_actions, limit)
    fast = numba_search(game, args, starts, n_actions, limit)
    rows = c["expanded"]  # rows both searches completed before stopping at the same state
    decoded = {"next_state": fast["next_state"][:rows], "proxy": fast["values"][fast["proxy"][:rows]],
               "intended": fast["values"][fast["intended"][:rows]]}  # the numba search keeps reward codes
    same = c["found"] == fast["found"] and all(np.array_equal(c[name][:rows], decoded[name]) for name in decoded)
    return {"states": c["found"], "expanded": rows, "numba": fast["seconds"], "c": c["seconds"],
            "c_rules": c["rules_seconds"], "same": same}


def report(r: dict) -> None:
    if not r:
        print("   kernel search against C: skipped (no C compiler)")
        return
    rate = lambda seconds: r["states"] / seconds  # noqa: E731
    print(f"   RocksDiamonds level 0, {r['states']:,} states found ({r['expanded']:,} expanded), CPU seconds:")
    print(f"   numba search {r['numba']:.2f} s ({rate(r['numba']):,.0f} states/s); C search {r['c']:.2f} s "
          f"({rate(r['c']):,.0f} states/s): {r['numba'] / r['c']:.2f}x the C time; same table: "
          f"{'yes' if r['same'] else 'NO'}")
    print(f"   of the C search: the rules {r['c_rules']:.2f} s, hashing and memory {r['c'] - r['c_rules']:.2f} s")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--states", type=int, default=2_000_000,
                        help="stop both searches at this many states (0: the whole level)")
    args = parser.parse_args(argv)
    report(run(args.states))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
