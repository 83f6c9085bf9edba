"""Processes start only once their database answers, and say so while they wait.

``passend serve``, ``projections run`` and ``deliveries run`` check their database before
anything else: each failed try is logged with the reason, and after
``PASSEND_DATABASE_START_TIMEOUT_SECONDS`` (default 60) the process exits with status 69
(``EX_UNAVAILABLE`` of sysexits.h), which an orchestrator restarts with its own backoff.
"""

from __future__ import annotations

import asyncio
import logging

import typer

from api.settings import Settings
from infrastructure.connection_loss import DatabaseUnreachableAtStartError, wait_for_database

EXIT_UNAVAILABLE = 69
log = logging.getLogger("passend.startup")


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
