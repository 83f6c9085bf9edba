"""Processes start only once their database answers, and say so while they wait.

``passend serve``, ``projections run`` and ``deliveries run`` check their database before
anything else: each failed try is logged with the reason, and after
``PASSEND_DATABASE_START_TIMEOUT_SECONDS`` (default 60) the process exits with status 69
(``EX_UNAVAILABLE`` of sysexits.h), which an orchestrator restarts with its own backoff.

Once running, the processes without an HTTP port (projections, deliveries) show they are alive
and reach their database by touching ``PASSEND_HEARTBEAT_FILE`` every 10 seconds after a
``SELECT 1``; a container health check compares its age with a limit. They run on uvloop, as
uvicorn runs the HTTP workers: a query's round trip costs about a third less client CPU there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Coroutine
from pathlib import Path

import asyncpg
import typer
import uvloop

from api.settings import Settings
from infrastructure.connection_loss import DatabaseUnreachableAtStartError, wait_for_database
from infrastructure.wake_ups import stop_task

EXIT_UNAVAILABLE = 69
log = logging.getLogger("passend.startup")


def run_service(main: Coroutine[object, object, None]) -> None:
    """Run a long-lived process's main coroutine to its end, on uvloop."""
    uvloop.run(main)


def database_answers_or_exit(settings: Settings, dsn: str, what: str) -> None:
    """Wait for ``dsn`` (logging each try); exit with status 69 if it does not answer in time."""
    try:
        asyncio.run(
            wait_for_database(
                dsn, timeout_s=settings.database_start_timeout_seconds, what=what, log=log
            )
        )
    except DatabaseUnreachableAtStartError as error:
        typer.echo(f"{what}: not starting: {error}", err=True)
        raise typer.Exit(EXIT_UNAVAILABLE) from None


HEARTBEAT_INTERVAL_S = 10.0


async def heartbeat(dsn: str, path: Path, *, interval_s: float = HEARTBEAT_INTERVAL_S) -> None:
    """Touch ``path`` after each ``SELECT 1`` that ``dsn`` answers, every ``interval_s``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            connection = await asyncpg.connect(dsn, timeout=5)
            try:
                await connection.fetchval("SELECT 1", timeout=5)
            finally:
                await connection.close()
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("heartbeat: the database does not answer (%s)", type(error).__name__)
        else:
            path.touch()  # noqa: ASYNC240 - one metadata write every few seconds
        await asyncio.sleep(interval_s)


async def with_heartbeat(settings: Settings, dsn: str, work: Awaitable[None]) -> None:
    """Run ``work``, with a heartbeat beside it when ``PASSEND_HEARTBEAT_FILE`` is set."""
    if settings.heartbeat_file is None:
        await work
        return
    beating = asyncio.create_task(heartbeat(dsn, settings.heartbeat_file))
    try:
        await work
    finally:
        await stop_task(beating)
