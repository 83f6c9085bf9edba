"""Shared fixtures: one embedded PostgreSQL for the whole run, and stores on it.

Each test makes its own tenant, so tests share one database without truncating it.
Set PASSEND_TEST_DATABASE_URL (an admin DSN) to use an existing server instead.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from application.ports import EventStore
from domain.ids import TenantId
from domain.registry import AGGREGATE_CLASSES
from infrastructure import embedded_postgres_server
from infrastructure.database import Pool, create_pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from infrastructure.in_memory_event_store import InMemoryEventStore
from infrastructure.migrate import apply_migrations
from tests.sample_aggregate import Note

TEST_DATABASE = "passend_test"
pytest_plugins = ["tests.browser"]  # the ``browser`` fixture for page tests


def new_tenant_id() -> TenantId:
    return TenantId("T" + secrets.token_hex(5).upper())


@pytest.fixture(scope="session", autouse=True)
def key_encryption_keys() -> Iterator[Path]:
    """One directory of KEKs for every store of the run, as processes sharing a server share one."""
    directory = Path(tempfile.mkdtemp(prefix="passend-test-keks-"))
    previous = os.environ.get("PASSEND_KEK_DIR")
    os.environ["PASSEND_KEK_DIR"] = str(directory)
    yield directory
    if previous is None:
        del os.environ["PASSEND_KEK_DIR"]
    else:
        os.environ["PASSEND_KEK_DIR"] = previous


@pytest.fixture(scope="session")
def admin_dsn() -> Iterator[str]:
    external = os.environ.get("PASSEND_TEST_DATABASE_URL")
    if external:
        yield external
        return
    data_dir = Path(tempfile.mkdtemp(prefix="passend-test-pg-"))
    server = embedded_postgres_server.start(data_dir, synchronous_commit=False)
    try:
        yield server.admin_dsn()
    finally:
        embedded_postgres_server.destroy(data_dir)


@pytest.fixture(scope="session")
async def database_dsns(admin_dsn: str) -> tuple[str, str]:
    """(admin DSN, application DSN) of a freshly migrated test database."""
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {TEST_DATABASE}")
    finally:
        await admin.close()
    base, _, _ = admin_dsn.rpartition("/")
    test_admin_dsn = f"{base}/{TEST_DATABASE}"
    conn = await asyncpg.connect(test_admin_dsn)
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()
    app_dsn = test_admin_dsn.replace("://postgres@", "://passend_app@", 1)
    return test_admin_dsn, app_dsn


@pytest.fixture(scope="session")
async def app_pool(database_dsns: tuple[str, str]) -> AsyncIterator[Pool]:
    pool = await create_pool(database_dsns[1], min_size=2, max_size=20)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
def codec() -> EventCodec:
    return EventCodec([*AGGREGATE_CLASSES, Note])


@pytest.fixture
def pg_store(app_pool: Pool, codec: EventCodec) -> PostgresEventStore:
    return PostgresEventStore(app_pool, codec)


@pytest.fixture
def memory_store(codec: EventCodec) -> InMemoryEventStore:
    return InMemoryEventStore(codec)


@pytest.fixture(params=["memory", "postgres"])
def store(request: pytest.FixtureRequest) -> EventStore:
    """The same tests, against the in-memory and the PostgreSQL event store."""
    name = "memory_store" if request.param == "memory" else "pg_store"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture
async def tenant(store: EventStore) -> TenantId:
    tenant_id = new_tenant_id()
    await store.register_tenant(tenant_id)
    return tenant_id
