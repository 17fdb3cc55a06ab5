"""Run the tests that need torch as other machines would: every CPU kernel family × 1 and 2 threads.

A trained network's numbers depend on the CPU: torch (ATen) picks its vector kernels by the
CPU's instruction sets, so a test that passes on one machine may fail on another with the
same seed.  This script runs the test files that need torch once per combination of

- ``ATEN_CPU_CAPABILITY``: ``default`` (no vector kernels), ``avx2`` and ``avx512`` where this
  CPU has them (``/proc/cpuinfo``'s flags, else what torch reports);
- ``SPECGAME_TORCH_THREADS`` (specgame/nn.py): 1 and 2 torch threads for every network;

each as ``python -m pytest <files> -n JOBS``, and ends with a table of what passed.  Its exit
status is 1 if any combination failed.  Run it after adding or changing a test of a trained
network, and before trusting a learned test that passed on one machine:

    python scripts/check_machines.py               # every combination this CPU offers
    python scripts/check_machines.py --jobs 1 --threads 1 --capabilities default
    python scripts/check_machines.py --list        # the files and combinations, without running
    python scripts/check_machines.py -- -k misgen  # arguments after -- go to pytest
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THREADS_VARIABLE = "SPECGAME_TORCH_THREADS"  # specgame.nn.THREADS_VARIABLE (not imported: it needs no torch here)
CAPABILITY_VARIABLE = "ATEN_CPU_CAPABILITY"
# A test file needs torch if it asks for it, imports it, or trains or loads a network.
NEEDS_TORCH = re.compile(r"importorskip\(\s*[\"']torch[\"']\s*\)|^\s*(import|from) torch\b|"
                         r"\b(DQN|train_dqn|pretrain|tune)\(", re.M)
# The ATen capabilities, weakest first, with the CPU flag each needs.
CAPABILITIES = (("default", None), ("avx2", "avx2"), ("avx512", "avx512f"))
SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|deselected)")


def torch_test_files(folder: Path = ROOT / "tests") -> list[Path]:
    """The test files whose source needs torch (see ``NEEDS_TORCH``), sorted."""
    return sorted(path for path in folder.glob("test_*.py") if NEEDS_TORCH.search(path.read_text(encoding="utf-8")))


def cpu_flags() -> set[str] | None:
    """The CPU's flags from /proc/cpuinfo, or None where there is no such file."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return None


def capabilities_here() -> list[str]:
    """The ATen capabilities this CPU can run: from its flags, else from torch's own choice."""
    flags = cpu_flags()
    if flags is None:
        import torch

        best = torch.backends.cpu.get_cpu_capability().lower()  # "DEFAULT", "AVX2", "AVX512", ...
        names = [name for name, _ in CAPABILITIES]
        return names[: names.index(best) + 1] if best in names else ["default"]
    return [name for name, flag in CAPABILITIES if flag is None or flag in flags]


def torch_says(env: dict) -> str:
    """The capability torch really uses under ``env`` (it falls back quietly from one the CPU lacks)."""
    done = subprocess.run([sys.executable, "-c", "import torch; print(torch.backends.cpu.get_cpu_capability())"],
                          env=env, capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


def counts(output: str) -> dict[str, int]:
    """passed / failed / errors / skipped from pytest's closing line."""
    lines = [line for line in output.splitlines() if " in " in line and SUMMARY.search(line)]
    found = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for number, word in SUMMARY.findall(lines[-1] if lines else ""):
        key = "error" if word.startswith("error") else word
        if key in found:
            found[key] += int(number)
    return found


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_one(files: list[Path], capability: str, threads: int, jobs: int, extra: list[str]) -> dict:
    """One combination: pytest on ``files``, its output shown line by line as it comes."""
    env = {**os.environ, CAPABILITY_VARIABLE: capability, THREADS_VARIABLE: str(threads),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "MPLBACKEND": "Agg"}
    actual = torch_says(env)
    command = [sys.executable, "-m", "pytest", *map(str, files), "-p", "no:cacheprovider", *extra]
    if jobs > 1:
        command += ["-n", str(jobs)]
    print(f"  torch uses {actual}; {' '.join(command[1:3])} {len(files)} files"
          + (f" -n {jobs}" if jobs > 1 else ""), flush=True)
    cpu_before, wall_before = children_cpu(), time.monotonic()
    pieces = []
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as process:
        # Shown as it comes, not line by line: pytest's progress dots share a line.
        while piece := os.read(process.stdout.fileno(), 4096):
            pieces.append(piece)
            sys.stdout.write(piece.decode("utf-8", "replace"))
            sys.stdout.flush()
    output = b"".join(pieces).decode("utf-8", "replace")
    found = counts(output)
    return {"capability": capability, "torch": actual, "threads": threads, **found,
            "status": process.returncode, "cpu": children_cpu() - cpu_before, "wall": time.monotonic() - wall_before,
            "ok": process.returncode == 0 and found["passed"] > 0}


def ordered(capabilities: list[str], threads: list[int]) -> list[tuple[str, int]]:
    """Every (capability, threads) pair, the first ones covering each capability and each thread
    count already: (default, 1), (avx2, 2), then (default, 2), (avx2, 1).  A run stopped early has
    seen every kernel family and every thread count."""
    pairs = [(c, t) for c in range(len(capabilities)) for t in range(len(threads))]
    pairs.sort(key=lambda pair: ((pair[1] - pair[0]) % len(threads), pair[0]))
    return [(capabilities[c], threads[t]) for c, t in pairs]


def table(results: list[dict]) -> str:
    head = f"{'capability':<11}{'torch':<9}{'threads':>7}{'passed':>8}{'failed':>8}{'errors':>8}{'skipped':>9}" \
           f"{'CPU s':>9}{'wall s':>8}  result"
    rows = [f"{r['capability']:<11}{r['torch']:<9}{r['threads']:>7}{r['passed']:>8}{r['failed']:>8}{r['error']:>8}"
            f"{r['skipped']:>9}{r['cpu']:>9.0f}{r['wall']:>8.0f}  {'ok' if r['ok'] else 'FAILED'}" for r in results]
    return "\n".join([head, *rows])


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=positive, default=2, help="pytest-xdist workers per run (default 2; 1: none)")
    parser.add_argument("--threads", type=positive, nargs="+", default=[1, 2],
                        help=f"values of {THREADS_VARIABLE} to run (default 1 2)")
    parser.add_argument("--capabilities", nargs="+", metavar="NAME",
                        help="ATen capabilities to run (default: every one this CPU offers)")
    parser.add_argument("--list", action="store_true", help="print the files and combinations and stop")
    parser.add_argument("pytest_args", nargs="*", help="after --: more arguments for pytest")
    args = parser.parse_args(argv)

    offered = capabilities_here()
    capabilities = args.capabilities or offered
    for name in capabilities:
        if name not in offered:
            parser.error(f"--capabilities: this CPU offers {', '.join(offered)}, got {name!r}")
    files = torch_test_files()
    combinations = ordered(capabilities, args.threads)
    print(f"{len(files)} test files need torch: {', '.join(path.name for path in files)}")
    print(f"{len(combinations)} combinations: capabilities {', '.join(capabilities)} × threads "
          f"{', '.join(map(str, args.threads))}", flush=True)
    if args.list:
        return 0

    results = []
    for number, (capability, threads) in enumerate(combinations, 1):
        print(f"\n[{number}/{len(combinations)}] {CAPABILITY_VARIABLE}={capability} {THREADS_VARIABLE}={threads}",
              flush=True)
        results.append(run_one(files, capability, threads, args.jobs, args.pytest_args))
        print(f"[{number}/{len(combinations)}] {'ok' if results[-1]['ok'] else 'FAILED'}: "
              f"{results[-1]['passed']} passed, {results[-1]['failed']} failed, "
              f"{results[-1]['cpu']:.0f} CPU s", flush=True)
    print("\n" + table(results))
    failed = [r for r in results if not r["ok"]]
    print(f"\n{len(results) - len(failed)} of {len(results)} combinations passed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
