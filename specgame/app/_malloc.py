"""glibc malloc settings for sweep workers, local or on a Dask cluster."""

from __future__ import annotations

import os

# glibc malloc settings for sweep workers.  Dask's nanny starts workers with
# MALLOC_TRIM_THRESHOLD_=65536 so that freed memory goes back to the OS quickly.  But
# setting any malloc threshold switches off glibc's sliding mmap threshold, which stays
# at 128 KiB: every numpy array above that is then mmap'd fresh and unmapped on free, and
# its pages fault in again each time (the training driver allocates 0.8 MB of history
# buffers per call; in a loop of such allocations this is 20x slower on our machines).
# Here we set the values the sliding threshold would reach on its own: arrays up to
# 32 MiB reuse the heap, and the heap gives memory back above 64 MiB of free space.
WORKER_MALLOC = {"MALLOC_MMAP_THRESHOLD_": 32 * 1024 * 1024, "MALLOC_TRIM_THRESHOLD_": 64 * 1024 * 1024}
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameter numbers, from glibc's malloc.h


def tune_malloc() -> bool:
    """Apply :data:`WORKER_MALLOC` to this running process (glibc only); whether it took.

    The environment variables are read once, at process start; ``mallopt`` changes the
    same settings later, which is what a worker that is already running needs.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False  # not glibc (macOS, Windows, musl): nothing to tune
    ok = mallopt(_M_MMAP_THRESHOLD, WORKER_MALLOC["MALLOC_MMAP_THRESHOLD_"])
    ok &= mallopt(_M_TRIM_THRESHOLD, WORKER_MALLOC["MALLOC_TRIM_THRESHOLD_"])
    for variable, value in WORKER_MALLOC.items():
        os.environ[variable] = str(value)  # for processes the worker starts
    return bool(ok)
