"""Serving with several worker processes: the API is stateless, so any worker takes any request.

``passend serve`` starts the database (embedded or given) and seeds once, then execs the parent
(``api.serving_parent``), which hands the settings to its children through the environment:
uvicorn's supervisor with the HTTP workers, each of which
builds its own app with ``create_app`` and runs no background work, and beside them one
process (this module as ``__main__``) that runs the projection runner, the webhook deliveries,
the key-rotation resumer and the nightly jobs (``api.background``). The parent starts that
process again when it dies. It runs its work only while it holds the machine's election, and the
(projection, tenant) leases still keep exactly one runner applying a tenant's events at a time.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import msgspec

from api.background import run_background_process
from api.logs import configure_logging
from api.serving_parent import parent_command
from api.settings import Settings
from api.startup import run_service, with_heartbeat
from infrastructure.database import connection_slots

if TYPE_CHECKING:
    from litestar import Litestar

_APP_URL = "PASSEND_DATABASE_APP_URL"


def default_workers() -> int:
    """One worker per core this process may run on."""
    return max(1, len(os.sched_getaffinity(0)))


LOG_READERS_YOUNG_GENERATION = 100_000
"""How many allocations a process that folds pages of the log lets pass between collections."""


def tune_garbage_collection(*, young_generation: int | None = None) -> None:
    """Freeze what start-up built; with ``young_generation``, collect the young less often.

    Frozen, the start-up heap (modules, classes, the app) stays out of every later full
    collection, which scanned it again: rebuilds ran 15-20% faster. A page of the log is
    thousands of events, each a dict of fields: collected every 700 allocations (the
    interpreter's default), a page's events were scanned again and again while it was decoded
    and folded, and promoted until full collections scanned them too. Every 100,000
    (``LOG_READERS_YOUNG_GENERATION``), rebuilding every read model took about a quarter less
    CPU in Python and reading the log decoded about a third less (in-process, 30 tenants).
    Only garbage in reference cycles waits longer; the rest is freed at once. The HTTP
    workers keep the default: a young collection scans what piled up since the last, and
    their requests would wait for it.
    """
    gc.collect()
    gc.freeze()
    if young_generation is not None:
        gc.set_threshold(young_generation, *gc.get_threshold()[1:])


def worker_app() -> Litestar:
    """The app of one worker process, from the settings the parent put in the environment."""
    from api.app import create_app  # noqa: PLC0415 - not in the background process, which serves none

    configure_logging()  # as ``serve`` does in its one process, before the app
    # Frozen again once the pool, its connections and the read side are set up: they live as
    # long as the worker, and full collections scanned them again (19-24k objects).
    app = create_app(http_worker_settings(Settings.from_env()), on_ready=tune_garbage_collection)
    tune_garbage_collection()
    return app


def http_worker_settings(settings: Settings) -> Settings:
    """An HTTP worker opens its whole pool before it serves, and keeps it.

    A connection the pool opens under a burst makes the requests already waiting for it wait
    for a server process to start and for the connection's set-up (``create_pool``).
    """
    return msgspec.structs.replace(settings, pool_min_size=settings.pool_max_size)


MIN_WORKER_POOL = 2
"""The smallest pool ``serve --workers`` starts an HTTP worker with."""
ELECTION_CONNECTIONS = 1
"""The background process's election holds a connection of its own, beside its pool."""
OPS_CONNECTIONS = 5
"""Left free for what runs beside ``serve``: a psql session, a ``passend`` command (pools of
up to three), the background process's heartbeat."""


class WorkerPoolsDoNotFitError(RuntimeError):
    """The server allows too few connections for ``serve --workers`` as it is configured."""


def connections_beside_workers(settings: Settings) -> int:
    """What ``serve --workers`` opens besides its HTTP workers' pools, at most."""
    return settings.pool_max_size + ELECTION_CONNECTIONS + OPS_CONNECTIONS


def http_worker_pool_size(settings: Settings, workers: int, slots: int) -> int:
    """Each HTTP worker's pool: ``pool_max_size``, or less, so that all fit in ``slots``.

    The workers open their whole pool at start (``http_worker_settings``): pools that do not
    fit left the workers started last failing to open theirs, and answering 503, for as long
    as they ran. ``slots`` is what the server lets the app's role open (``connection_slots``).
    """
    share = (slots - connections_beside_workers(settings)) // workers
    if share < MIN_WORKER_POOL:
        raise WorkerPoolsDoNotFitError(
            f"{workers} HTTP workers need at least {MIN_WORKER_POOL} connections each, beside"
            f" the background process's {settings.pool_max_size} (PASSEND_POOL_MAX_SIZE), its"
            f" election's {ELECTION_CONNECTIONS} and {OPS_CONNECTIONS} kept for other clients;"
            f" the server allows {slots} (max_connections less its reserved connections)."
            " Start fewer workers (--workers), lower PASSEND_POOL_MAX_SIZE or raise the"
            " server's max_connections"
        )
    return min(settings.pool_max_size, share)


def sized_http_worker_pool(settings: Settings, workers: int) -> int:
    """``http_worker_pool_size`` against the server of ``DATABASE_URL``, as it is set now."""
    if settings.database_url is None:
        raise ValueError("no database configured")
    slots = asyncio.run(connection_slots(settings.database_url))
    return http_worker_pool_size(settings, workers, slots)


def serve_workers(
    settings: Settings, workers: int, pool_size: int, embedded_dir: Path | None
) -> NoReturn:
    """Become the parent of ``workers`` HTTP processes and the background process.

    This process execs ``api.serving_parent`` with the settings in the environment: the
    parent only supervises, and keeps none of what this one imported and built. Each HTTP
    worker gets a pool of ``pool_size`` (``sized_http_worker_pool``).
    """
    env = dict(os.environ, PASSEND_DATA_DIR=str(settings.data_dir))
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
        env[_APP_URL] = settings.app_dsn()
    command = parent_command(settings.host, settings.port, workers, pool_size, embedded_dir)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, command, env)  # noqa: S606 - our own interpreter and module


def run_background() -> None:
    """The background process of ``serve --workers``, from the settings in the environment."""
    configure_logging()
    settings = Settings.from_env()
    tune_garbage_collection(young_generation=LOG_READERS_YOUNG_GENERATION)
    run_service(with_heartbeat(settings, settings.app_dsn(), run_background_process(settings)))


if __name__ == "__main__":
    run_background()
