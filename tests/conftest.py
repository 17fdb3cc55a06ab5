import gc
import os
import sys
import warnings
import weakref

# Headless everywhere: no window, no display server.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("MPLBACKEND", "Agg")

# -- property-based tests (hypothesis) --------------------------------------------------------
# "ci" (the default) keeps the fuzzing to seconds; HYPOTHESIS_PROFILE=long runs it for real.
from collections import Counter  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("ci", max_examples=20, deadline=None, suppress_health_check=_SLOW_OK, print_blob=True)
settings.register_profile("long", max_examples=1000, deadline=None, suppress_health_check=_SLOW_OK,
                          print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_API_CALLS = pytest.StashKey[Counter]()


def pytest_configure(config):
    config.stash[_API_CALLS] = Counter()
    config.addinivalue_line("markers", "large_table(*names): the test compiles these large tables (ids without "
                                       "the specgame/ prefix); see the grouping below")


@pytest.fixture(scope="session")
def api_calls(pytestconfig) -> Counter:
    """Counts the public-API calls the property tests make (reported at the end of the run)."""
    return pytestconfig.stash[_API_CALLS]


def peak_memory() -> tuple[int, int]:
    """Peak resident memory in bytes: (this process, its largest finished child), or zeros
    where the platform has no ``resource`` module."""
    try:
        import resource
    except ImportError:  # Windows
        return 0, 0
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is in bytes on macOS, KiB elsewhere
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * unit)


# -- the peak memory, printed at the end --------------------------------------------------------
# Under pytest-xdist (``-n 2``) each worker sends its peak (and its API-call counts) to the
# controller when it ends.
# The line printed adds the workers' peaks: an upper bound on what the suite held at once.
_WORKER_PEAKS = pytest.StashKey[list]()


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker
        workeroutput["peak_memory"] = peak_memory()
        workeroutput["api_calls"] = dict(session.config.stash.get(_API_CALLS, {}))


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, which may not be installed
def pytest_testnodedown(node, error):  # the xdist controller, as each worker ends
    peaks = getattr(node, "workeroutput", {}).get("peak_memory")
    if peaks:
        node.config.stash.setdefault(_WORKER_PEAKS, []).append(tuple(peaks))
    node.config.stash[_API_CALLS].update(getattr(node, "workeroutput", {}).get("api_calls", {}))


def pytest_terminal_summary(terminalreporter, config):
    workers = config.stash.get(_WORKER_PEAKS, None)
    if workers:
        total = sum(own for own, _ in workers)
        each = " + ".join(f"{own / 2**30:.2f}" for own, _ in workers)
        child = max(child for _, child in workers)
        terminalreporter.write_sep("-", f"peak memory: {total / 2**30:.2f} GiB at most in the {len(workers)} test "
                                        f"workers together ({each}), {child / 2**30:.2f} GiB in the largest "
                                        "child process")
    else:
        own, child = peak_memory()
        if own:
            terminalreporter.write_sep("-", f"peak memory: {own / 2**30:.2f} GiB in the test process, "
                                            f"{child / 2**30:.2f} GiB in its largest child process")
    calls = config.stash.get(_API_CALLS, None)
    if calls:
        examples = sum(n for name, n in calls.items() if name.startswith("example:"))
        api = sum(n for name, n in calls.items() if not name.startswith("example:"))
        terminalreporter.write_sep("-", f"property tests ({settings().max_examples} examples per test, "
                                        "a tenth for the heavy ones): "
                                        f"{examples:,} examples, {api:,} API calls")
        for name, n in sorted(calls.items()):
            terminalreporter.write_line(f"  {name}: {n:,}")


# -- the large tables: each compiled once, and freed after its last test ---------------------
# A test needs a large table if it is parametrised with its id (the registry tests) or marked
# ``@pytest.mark.large_table(id, ...)``.  The tests of each table run one after another, at the
# start of the session, and the table leaves the compile cache after the last of them, so at
# most one large table is resident (bar tests that need several at once, which run first and
# leave them compiled for the groups that follow: there are none today, keep it so).  Under
# pytest-xdist the groups go to one worker, first, while the other takes everything else.


def _large_ids(item) -> tuple[str, ...]:
    from specgame.envs import LARGE

    marker = item.get_closest_marker("large_table")
    if marker is not None:
        return tuple(marker.args)
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return tuple(value.split("/")[-1] for value in params if isinstance(value, str) and value.split("/")[-1] in LARGE)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks added here
def pytest_collection_modifyitems(session, config, items):
    from specgame.envs import LARGE

    def place(numbered):
        index, item = numbered
        ids = _large_ids(item)
        if not ids:
            return (2, 0, index)
        if len(ids) > 1:
            return (0, 0, index)
        return (1, LARGE.index(ids[0]), index)

    items[:] = [item for _, item in sorted(enumerate(items), key=place)]
    # Under pytest-xdist with ``--dist loadgroup`` (pyproject's addopts), every large-table test
    # goes to one worker, in this order, so the two workers never hold large tables at once.
    for item in items:
        if _large_ids(item):
            item.add_marker(pytest.mark.xdist_group("large-tables"))


def pytest_runtest_teardown(item, nextitem):
    ids = _large_ids(item)
    if len(ids) == 1 and (nextitem is None or ids[0] not in _large_ids(nextitem)):
        from specgame.envs import forget_table

        before = [weakref.ref(mdp) for mdp in _compiled_tables()]  # weakly, or this would keep it
        forget_table(ids[0])
        after = {id(mdp) for mdp in _compiled_tables()}
        # Forgetting frees nothing if a test (a module-level dict, a fixture) still holds the
        # table: say so, or the next large table is compiled beside it and the peak doubles.
        for held in (ref() for ref in before):
            if held is not None and id(held) not in after:
                holders = sorted({type(r).__name__ for r in gc.get_referrers(held)})
                warnings.warn(f"{ids[0]}: its table is still referenced after its last test, by {holders}",
                              stacklevel=1)


def _compiled_tables() -> list:
    """The tables in the in-memory compile cache, now."""
    from specgame import grid

    return [mdp for tables in list(grid._memory_cache.values()) for mdp in tables.values()]
