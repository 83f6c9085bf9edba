"""Serving with several worker processes: the API is stateless, so any worker takes any request.

The parent starts the database (embedded or given) and seeds once, then hands the settings to
the workers through the environment; each worker builds its own app with ``create_app``. One
worker, elected among them (``api.background``), runs the projection runner and the webhook
deliveries; if it dies, another takes over. The (projection, tenant) leases still keep exactly
one runner applying a tenant's events at a time, whichever process it is in.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys

from litestar import Litestar

from api.app import create_app
from api.logs import configure_logging
from api.settings import Settings

_APP_URL = "PASSEND_DATABASE_APP_URL"


def default_workers() -> int:
    """One worker per core this process may run on."""
    return max(1, len(os.sched_getaffinity(0)))


def freeze_start_up_heap() -> None:
    """Keep what start-up built (modules, classes, the app) out of every later full collection.

    Reading the log allocates many short-lived objects, and each full collection would scan
    the whole start-up heap again: rebuilds ran 15-20% faster with it frozen.
    """
    gc.collect()
    gc.freeze()


def worker_app() -> Litestar:
    """The app of one worker process, from the settings the parent put in the environment."""
    configure_logging()  # as ``serve`` does in its one process, before the app
    app = create_app(Settings.from_env())
    freeze_start_up_heap()
    return app


def serve_workers(settings: Settings, workers: int) -> None:
    """Run ``workers`` processes on one port under uvicorn's supervisor, until interrupted.

    The supervisor runs in a fresh interpreter whose main module is small
    (``api.worker_supervisor``): its spawned workers re-import the main module before they
    answer the supervisor's 5-second liveness ping, and re-importing ``passend`` (the whole
    API) takes longer than that on a busy machine.
    """
    env = dict(os.environ, PASSEND_DATA_DIR=str(settings.data_dir), PASSEND_ELECT_BACKGROUND="true")
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
        env[_APP_URL] = settings.app_dsn()
    command = [
        sys.executable,
        "-m",
        "api.worker_supervisor",
        settings.host,
        str(settings.port),
        str(workers),
    ]
    supervisor = subprocess.Popen(command, env=env)  # noqa: S603 - our own interpreter and app
    try:
        supervisor.wait()
    finally:
        if supervisor.poll() is None:
            supervisor.terminate()
            supervisor.wait()
