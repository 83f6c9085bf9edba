"""The composition root: ``create_app`` wires settings, database, store and routes.

Nothing happens at import. The lifespan connects to the database in the background, so the
API starts (and ``/health`` answers 503) even while the database is still unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin

from api.health import health
from api.settings import Settings
from application.ports import EventStore
from domain.registry import AGGREGATE_CLASSES
from infrastructure.database import create_pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from infrastructure.migrate import apply_migrations

log = logging.getLogger("passend")


async def _connect(app: Litestar, settings: Settings) -> None:
    """Migrate and open the pool, retrying until the database answers."""
    while True:
        try:
            admin = await asyncpg.connect(settings.database_url, timeout=5)
            try:
                applied = await apply_migrations(admin)
            finally:
                await admin.close()
            if applied:
                log.info("applied migrations: %s", ", ".join(applied))
            pool = await create_pool(
                settings.app_dsn(),
                min_size=settings.pool_min_size,
                max_size=settings.pool_max_size,
                connect_timeout_s=5,
            )
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            app.state.database_error = f"{type(error).__name__}: {error}"
            log.warning("database not ready (%s); retrying", app.state.database_error)
            await asyncio.sleep(settings.database_retry_seconds)
            continue
        app.state.pool = pool
        app.state.event_store = PostgresEventStore(pool, EventCodec(AGGREGATE_CLASSES))
        app.state.database_error = None
        return


def create_app(
    settings: Settings | None = None, *, event_store: EventStore | None = None
) -> Litestar:
    """Build the application. ``event_store`` replaces the database, for tests."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.settings = settings
        connecting: asyncio.Task[None] | None = None
        if event_store is not None:
            app.state.event_store = event_store
        elif settings.database_url:
            connecting = asyncio.create_task(_connect(app, settings))
        else:
            app.state.database_error = "no database configured"
        try:
            yield
        finally:
            if connecting is not None:
                connecting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await connecting
            pool = app.state.get("pool")
            if pool is not None:
                await pool.close()

    return Litestar(
        route_handlers=[health],
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="Passend",
            version="0.1.0",
            description="Decisions of samenwerkingsverbanden passend onderwijs, as events.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
        ),
    )
