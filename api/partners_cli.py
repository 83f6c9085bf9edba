"""``passend deliveries run``: deliver partner webhooks in a process of their own.

The API delivers them too unless ``PASSEND_RUN_DELIVERIES=false``; several processes may run
side by side, since a lease per subscription lets only one deliver it at a time.
"""

from __future__ import annotations

import asyncio
import logging

import typer

from api.partners import start_partner_services
from api.settings import Settings
from api.startup import database_answers_or_exit, run_service, with_heartbeat
from infrastructure.database import create_pool
from infrastructure.wake_ups import stop_event

deliveries_cli = typer.Typer(help="Partner webhook deliveries.", no_args_is_help=True)


async def run_deliveries_process(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Deliver until ``stop`` is set, or until SIGINT/SIGTERM without one."""
    stop = stop_event(stop)
    pool = await create_pool(settings.app_dsn(), min_size=2, max_size=settings.pool_max_size)
    try:
        services = await start_partner_services(pool, settings, None, deliver=True)
        try:
            await stop.wait()
        finally:
            await services.stop()
    finally:
        await pool.close()


@deliveries_cli.command("run")
def deliveries_run() -> None:
    """Deliver every active webhook subscription's events, in order, until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # httpx logs every request at INFO: a line per webhook batch. Attempts are recorded anyway.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = Settings.from_env()
    if settings.database_url is None and settings.database_app_url is None:
        raise typer.BadParameter("set DATABASE_URL (deliveries run beside the API's database)")
    database_answers_or_exit(settings, settings.app_dsn(), "passend deliveries run")
    run_service(with_heartbeat(settings, settings.app_dsn(), run_deliveries_process(settings)))
