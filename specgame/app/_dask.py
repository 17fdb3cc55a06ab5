"""The Dask side of :mod:`specgame.app.sweep`: connecting to a scheduler and preparing its workers.

Imported only when a sweep is given a scheduler address, because ``distributed`` is an
optional dependency (``pip install "specgame[sweep]"``) and slow to import.
"""

from __future__ import annotations

try:
    import distributed
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:
    raise ImportError('sweeping on a Dask cluster needs `pip install "specgame[sweep]"`') from None

from specgame.app._malloc import tune_malloc


class TuneMalloc(WorkerPlugin):
    """Runs :func:`specgame.app._malloc.tune_malloc` on every worker, those joining later included."""

    def setup(self, worker):
        tune_malloc()


def connect(scheduler: str) -> distributed.Client:
    """A client of the Dask scheduler at ``scheduler`` (``tcp://host:8786``), its workers' malloc tuned."""
    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise ValueError(f"scheduler must be an address such as tcp://10.0.0.5:8786, got {scheduler!r}")
    try:
        client = distributed.Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as err:
        raise ValueError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
    client.register_plugin(TuneMalloc(), name="specgame-tune-malloc")
    return client
