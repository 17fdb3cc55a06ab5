"""``specgame bench --large``: the three large tables' states, compile time, peak memory and one solve.

Each level runs in a fresh Python process, so one level's peak memory does not hide
another's: the child compiles the table (after a warm-up on a small level, so numba's
compile or cache load is not counted), solves it for the proxy once, and reports its
own accounting (``resource.getrusage``: peak resident memory; wall and CPU seconds).

The numbers are set beside a reference: with ``--against REF`` (a git commit of this
repository) the same measurement of that version, run in the same session; otherwise
the numbers the last session measured by hand (``RECORDED``).  Ratios are reference /
now, so 3.0x means three times less.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

LEVELS = ("SideEffectsSokoban-Level1-v0", "SideEffectsSokoban-Level3-v0", "RocksDiamonds-v0")
WARM_UP = {"SideEffectsSokoban-Level1-v0": "SideEffectsSokoban-Level2-v0",
           "SideEffectsSokoban-Level3-v0": "SideEffectsSokoban-Level2-v0",
           "RocksDiamonds-v0": "RocksDiamonds-Level1-v0"}
# The last session's hand measurements (its closing note), used when no --against is given.
RECORDED = {
    "SideEffectsSokoban-Level1-v0": {"states": 5_371_162, "compile_s": 25.0, "peak_gb": 2.1, "solve_s": 15.0},
    "SideEffectsSokoban-Level3-v0": {"states": 6_494_723, "compile_s": 30.0, "peak_gb": 2.5, "solve_s": 18.0},
    "RocksDiamonds-v0": {"states": 12_942_040, "compile_s": 45.0, "peak_gb": 4.4, "solve_s": 50.0},
}
# Issue 15's aims: RocksDiamonds level 0 at these numbers, the Sokoban levels improved by the same factors.
_AIMS = {"peak_gb": 1.5, "compile_s": 20.0, "solve_s": 20.0}
TARGETS = {env_id: {key: before[key] * aim / RECORDED["RocksDiamonds-v0"][key] for key, aim in _AIMS.items()}
           for env_id, before in RECORDED.items()}

# The child: only APIs both this version and older ones have (gymnasium.make, solve).
CHILD = """
import json, os, resource, sys, time
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
import gymnasium, numpy as np, specgame
from specgame.solve import solve

def peak_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024) / 2**30

def table_gb(mdp):  # its arrays, and its boards however they are kept
    return sum(getattr(v, "nbytes", 0) for v in vars(mdp).values()) / 2**30

env_id, warm_up = sys.argv[1], sys.argv[2]
solve(gymnasium.make(warm_up).unwrapped.mdp, "proxy")  # loads (or compiles) the kernels
wall, cpu = time.perf_counter(), time.process_time()
mdp = gymnasium.make(env_id).unwrapped.mdp
compile_s, compile_cpu = time.perf_counter() - wall, time.process_time() - cpu
compile_peak = peak_gb()
wall, cpu = time.perf_counter(), time.process_time()
plan = solve(mdp, "proxy")
solve_s, solve_cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({"states": mdp.n_states, "compile_s": compile_s, "compile_cpu": compile_cpu,
                  "compile_peak_gb": compile_peak, "table_gb": table_gb(mdp), "solve_s": solve_s,
                  "solve_cpu": solve_cpu, "peak_gb": peak_gb(), "returns": list(plan.returns)}))
"""


def measure(env_id: str, source: str) -> dict:
    """One level in a fresh process, with ``source`` (a checkout's root) first on the path."""
    env = {**os.environ, "PYTHONPATH": source, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    done = subprocess.run([sys.executable, "-c", CHILD, f"specgame/{env_id}", f"specgame/{WARM_UP[env_id]}"],
                          cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"measuring {env_id} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def checkout(ref: str, folder: str) -> str:
    """The files of commit ``ref`` of this repository, unpacked into ``folder``."""
    root = Path(__file__).resolve().parents[2]
    archive = subprocess.run(["git", "-C", str(root), "archive", ref], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def add_arguments(parser) -> None:
    parser.add_argument("--large", action="store_true",
                        help="the three large tables: states, compile time, peak memory, one solve")
    parser.add_argument("--against", metavar="REF",
                        help="with --large: measure this git commit too, in the same run (default: the "
                             "last session's recorded numbers)")
    parser.add_argument("--levels", nargs="+", choices=LEVELS, default=list(LEVELS), metavar="ID",
                        help="with --large: only these levels")


def run(args) -> dict:
    here = str(Path(__file__).resolve().parents[2])
    results = {}
    with tempfile.TemporaryDirectory(prefix="specgame-against-") as folder:
        old_source = checkout(args.against, folder) if args.against else None
        for env_id in args.levels:
            now = measure(env_id, here)
            before = measure(env_id, old_source) if old_source else RECORDED[env_id]
            results[env_id] = {"now": now, "before": before}
            report(env_id, now, before, args.against or "recorded (last session, by hand)")
    return results


def report(env_id: str, now: dict, before: dict, against: str) -> None:
    """Print one level's numbers beside the reference's, as ratios (reference / now)."""
    target = TARGETS.get(env_id, {})

    def versus(key: str, now_value: float, unit: str) -> str:
        ratio = f"{before[key] / now_value:5.2f}x" if now_value else "  -  "
        cpu = key.replace("_s", "_cpu")
        if cpu != key and cpu in before and now.get(cpu):  # measured here: CPU time too (a busy machine)
            ratio += f" ({before[cpu]:.1f} s CPU, {before[cpu] / now[cpu]:.2f}x)"
        aim = ""
        if key in target:
            aim = f"  (target <= {target[key]:.3g}: {'met' if now_value <= target[key] else 'NOT met'})"
        return f"before {before[key]:6.2f} {unit}   {ratio}{aim}"

    same = "same" if now["states"] == before["states"] else "DIFFERENT"
    print(f"{env_id}: {now['states']:,} states (before {before['states']:,}: {same}); against {against}")
    print(f"  compile {now['compile_s']:6.1f} s wall ({now['compile_cpu']:.1f} s CPU)   "
          + versus("compile_s", now["compile_s"], "s"))
    if "compile_peak_gb" in before:  # measured in this run: compare like with like
        before = {**before, "peak_gb": before["compile_peak_gb"]}
    print(f"  peak memory after compiling {now['compile_peak_gb']:.2f} GB (the table holds {now['table_gb']:.2f} GB)"
          "   " + versus("peak_gb", now["compile_peak_gb"], "GB"))
    print(f"  one solve {now['solve_s']:6.1f} s wall ({now['solve_cpu']:.1f} s CPU)   "
          + versus("solve_s", now["solve_s"], "s") + f"; peak with the solve {now['peak_gb']:.2f} GB")
    returns = tuple(now["returns"])
    if "returns" in before:
        print(f"  proxy-optimal returns {returns} (before {tuple(before['returns'])}: "
              f"{'same' if now['returns'] == before['returns'] else 'DIFFERENT'})")
    else:
        print(f"  proxy-optimal returns {returns}")


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    run(args)


if __name__ == "__main__":
    main()
