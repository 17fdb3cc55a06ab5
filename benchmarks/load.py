"""Keep every core busy for a bounded time: for hunting tests that fail only on a loaded machine.

    python benchmarks/load.py --seconds 600 -- python -m pytest -x      # a command under load
    python benchmarks/load.py --seconds 60                               # load alone

Starts one busy process per core (``--workers``), each spinning in plain Python and
touching a little memory (``--megabytes``, so caches are contended too).  Every worker
watches its own deadline, so the load ends after ``--seconds`` even if this script is
killed.  With a command, the load also ends when the command does, and the script exits
with the command's status.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time


def busy(deadline: float, megabytes: int) -> None:
    """Spin until ``deadline`` (time.monotonic), walking a buffer so the caches stay contended."""
    buffer = bytearray(megabytes << 20)
    stride, i = 4096, 0
    while time.monotonic() < deadline:
        for _ in range(10_000):
            buffer[i] = (buffer[i] + 1) & 0xFF
            i = (i + stride) % len(buffer) if buffer else 0


def start(workers: int, seconds: float, megabytes: int = 16) -> list[multiprocessing.Process]:
    """Start ``workers`` busy processes that stop by themselves after ``seconds``."""
    deadline = time.monotonic() + seconds  # CLOCK_MONOTONIC is shared by the processes
    context = multiprocessing.get_context("spawn")  # nothing of the caller's state in the workers
    processes = [context.Process(target=busy, args=(deadline, megabytes), daemon=True) for _ in range(workers)]
    for process in processes:
        process.start()
    return processes


def stop(processes: list[multiprocessing.Process]) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()
        process.join()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=600.0, help="the longest the load lasts (default 600)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="busy processes (default: one per core)")
    parser.add_argument("--megabytes", type=int, default=16, help="memory each worker walks (default 16)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- a command to run under the load")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.workers < 1 or args.megabytes < 0:
        parser.error(f"--seconds must be > 0, --workers >= 1 and --megabytes >= 0, got {args.seconds}, "
                     f"{args.workers}, {args.megabytes}")
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    processes = start(args.workers, args.seconds, args.megabytes)
    print(f"load: {args.workers} busy processes for at most {args.seconds:g} s", file=sys.stderr, flush=True)
    try:
        if command:
            return subprocess.run(command).returncode
        for process in processes:
            process.join()
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        stop(processes)


if __name__ == "__main__":
    sys.exit(main())
