"""The composition root: ``create_app`` wires settings, database, store and routes.

Nothing happens at import. The lifespan connects to the database in the background, so the
API starts (and ``/health`` answers 503) even while the database is still unreachable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg
from cryptography.hazmat.primitives import serialization
from litestar import Litestar
from litestar.middleware import DefineMiddleware
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ASGIApp

from api.auth import BearerAuthentication, TokenVerifier, dev_signing_key
from api.background import start_background, stop_background
from api.dependencies import DEPENDENCIES, correlation_middleware, echo_correlation_id
from api.dependency_resolution import resolve_dependencies_in_turn
from api.docs import DocumentConfig, OfflineSwaggerUI, api_description, docs_assets
from api.errors import EXCEPTION_HANDLERS
from api.health import health, liveness
from api.key_rotations import stop_key_rotations
from api.metrics_endpoint import metrics_endpoint
from api.overload import Capacity, admission_middleware
from api.partners import stop_partner_services
from api.personal_reads import personal_reads_middleware
from api.read_side import start_read_side, stop_read_side
from api.routes import ROUTES
from api.schemas.events import EventViewSchema
from api.schemas.headers import CORRELATION_ID
from api.settings import Settings
from api.tracing import tracing_plugins
from api.transparency import start_transparency_log, stop_transparency_log
from application.ports import EventStore
from infrastructure.commit_notifier import CommitNotifier
from infrastructure.database import create_pool
from infrastructure.event_store import (
    PostgresEventStore,
    application_codec,
    application_store,
)
from infrastructure.idempotency_keys import InMemoryIdempotencyKeys, PostgresIdempotencyKeys
from infrastructure.migrate import MigrationChangedError, apply_migrations
from infrastructure.wake_ups import stop_task
from infrastructure.webhooks import Resolver

log = logging.getLogger("passend")


async def _connect(
    app: Litestar,
    settings: Settings,
    resolver: Resolver | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Migrate and open the pool, retrying until the database answers; then ``on_ready``."""
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
        except MigrationChangedError as error:
            app.state.database_error = str(error)
            log.error("cannot start: %s", error)  # noqa: TRY400 - the message says it all
            return
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            app.state.database_error = f"{type(error).__name__}: {error}"
            log.warning("database not ready (%s); retrying", app.state.database_error)
            await asyncio.sleep(settings.database_retry_seconds)
            continue
        store = application_store(pool, settings.data_dir)
        notifier = CommitNotifier(pool)
        # Always notify, so projection processes elsewhere wake up too.
        store.on_commit(notifier.commit)
        app.state.commit_notifier = notifier
        await start_background(app.state, settings, pool, store, resolver)
        await start_transparency_log(app, settings, pool, store)
        await start_read_side(app, settings, store, app.state.transparency_log)
        app.state.pool = pool
        app.state.idempotency_keys = PostgresIdempotencyKeys(pool)
        app.state.event_store = store
        if on_ready is not None:
            on_ready()
        app.state.database_error = None
        return


def _admission(settings: Settings) -> Callable[[ASGIApp], ASGIApp]:
    return admission_middleware(
        Capacity(
            max_in_flight=settings.max_in_flight,
            max_queued=settings.max_queued,
            queue_wait_s=settings.queue_wait_seconds,
        )
    )


def _token_verifier(settings: Settings) -> TokenVerifier:
    issuer, audience = settings.jwt_issuer, settings.jwt_audience
    if settings.jwt_jwks_url:
        return TokenVerifier(issuer=issuer, audience=audience, jwks_url=settings.jwt_jwks_url)
    if settings.jwt_public_key_file:
        key = serialization.load_pem_public_key(settings.jwt_public_key_file.read_bytes())
        return TokenVerifier(issuer=issuer, audience=audience, public_key=key)
    public = dev_signing_key(settings.data_dir).public_key()
    return TokenVerifier(issuer=issuer, audience=audience, public_key=public)


STOP_GRACE_S = 15.0
"""How long an app's background services may take to stop, and then its pool to close."""


async def _stop_services(app: Litestar) -> None:
    """Stop what runs beside the routes, the writers before what they write through."""
    await stop_background(app.state)
    await stop_key_rotations(app.state)
    await stop_partner_services(app.state)
    await stop_read_side(app)
    await stop_transparency_log(app)
    runner = app.state.get("projection_runner")
    if runner is not None:
        app.state.projection_runner = None
        await runner.stop()
    notifier = app.state.get("commit_notifier")
    if notifier is not None:
        app.state.commit_notifier = None
        await notifier.aclose()
    store = app.state.get("event_store")
    if isinstance(store, PostgresEventStore):
        await store.close()  # hands its held connections back to the pool


def create_app(
    settings: Settings | None = None,
    *,
    event_store: EventStore | None = None,
    resolver: Resolver | None = None,
    on_ready: Callable[[], None] | None = None,
) -> Litestar:
    """Build the application. ``event_store`` replaces the database, for tests.

    ``resolver`` resolves webhook hosts instead of the system's resolver. ``on_ready`` is
    called once the database is set up, just before ``/health`` says so.
    """
    settings = settings or Settings.from_env()
    application_codec()  # now, not in a turn of the event loop once the database answers
    resolve_dependencies_in_turn()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.settings = settings
        connecting: asyncio.Task[None] | None = None
        if event_store is not None:
            app.state.event_store = event_store
            app.state.idempotency_keys = InMemoryIdempotencyKeys()
        elif settings.database_url:
            connecting = asyncio.create_task(_connect(app, settings, resolver, on_ready))
        else:
            app.state.database_error = "no database configured"
        try:
            yield
        finally:
            await stop_task(connecting)
            try:
                # A stop that waits on something that never comes must not keep the process
                # (or a test run) alive: past the grace period the database connections are
                # closed under whatever still runs; nothing committed depends on them.
                async with asyncio.timeout(STOP_GRACE_S):
                    await _stop_services(app)
            except TimeoutError:
                log.exception("stopping background services took over %s s", STOP_GRACE_S)
            pool = app.state.get("pool")
            if pool is not None:
                # Nothing may use the closed pool, should the app be started again.
                app.state.pool = app.state.event_store = None
                app.state.database_error = "the app stopped"
                try:
                    async with asyncio.timeout(STOP_GRACE_S):
                        await pool.close()
                except TimeoutError:
                    log.exception("a database connection was not given back; closing the pool hard")
                    pool.terminate()

    token_verifier = _token_verifier(settings)

    @asynccontextmanager
    async def state_setup(app: Litestar) -> AsyncIterator[None]:
        app.state.token_verifier = token_verifier
        yield

    auth = DefineMiddleware(BearerAuthentication, exclude=["^/health", "^/schema", "^/metrics$"])
    return Litestar(
        route_handlers=[health, liveness, metrics_endpoint, docs_assets(), *ROUTES],
        lifespan=[state_setup, lifespan],
        middleware=[_admission(settings), correlation_middleware, auth, personal_reads_middleware],
        before_send=[echo_correlation_id],
        response_headers=[CORRELATION_ID],  # set on every answer by echo_correlation_id
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        # logging is configured by api.logs for the process: Litestar's default would replace
        # the root handler with its own queue and thread, at INFO, whatever the level asked
        logging_config=None,
        plugins=[EventViewSchema(), *tracing_plugins()],  # tracing if OTEL_TRACES_EXPORTER asks
        request_max_body_size=settings.max_body_bytes,
        openapi_config=DocumentConfig(
            title="Passend",
            version="0.1.0",
            description=api_description(),
            path="/schema",
            render_plugins=[OfflineSwaggerUI()],
            security=[{"bearer": []}],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
        ),
    )
