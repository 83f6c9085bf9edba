"""Shared fixtures: one embedded PostgreSQL for the whole run, and stores on it.

Each test makes its own tenant, so tests share one database without truncating it.
Set PASSEND_TEST_DATABASE_URL (an admin DSN) to use an existing server instead.
"""

from __future__ import annotations

import ast
import os
import secrets
import shutil
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

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

if sys.version_info < (3, 12):
    # CPython 3.11 keeps the AST converter's recursion depth in interpreter-wide state, so two
    # threads parsing at once (Hypothesis describing a strategy in a test, a traceback formatted
    # in the thread of the app under test) can fail with "SystemError: AST constructor recursion
    # depth mismatch" (python/cpython#106905, fixed in 3.12). Tests parse one at a time.
    _parse_lock = threading.RLock()
    _parse = ast.parse

    def _parse_alone(*args: Any, **kwargs: Any) -> Any:
        with _parse_lock:
            return _parse(*args, **kwargs)

    ast.parse = _parse_alone


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
    # key material does not outlive the run in a shared /tmp
    shutil.rmtree(directory, ignore_errors=True)


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


async def new_database(admin_dsn: str, name: str) -> tuple[str, str]:
    """(admin DSN, application DSN) of a new, empty database ``name`` on the suite's server."""
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    base, _, _ = admin_dsn.rpartition("/")
    return f"{base}/{name}", f"{base}/{name}".replace("://postgres@", "://passend_app@", 1)


async def migrated_database(admin_dsn: str, name: str) -> tuple[str, str]:
    """(admin DSN, application DSN) of a new database ``name`` with every migration applied."""
    dsns = await new_database(admin_dsn, name)
    conn = await asyncpg.connect(dsns[0])
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()
    return dsns


@pytest.fixture(scope="session")
async def database_dsns(admin_dsn: str) -> tuple[str, str]:
    """(admin DSN, application DSN) of a freshly migrated test database."""
    return await migrated_database(admin_dsn, TEST_DATABASE)


@asynccontextmanager
async def pool_on(database_dsns: tuple[str, str]) -> AsyncIterator[Pool]:
    """The application's pool on a test database, closed when the fixture's scope ends."""
    pool = await create_pool(database_dsns[1], min_size=2, max_size=20)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture(scope="session")
async def app_pool(database_dsns: tuple[str, str]) -> AsyncIterator[Pool]:
    async with pool_on(database_dsns) as pool:
        yield pool


def database_of_its_own(name: str) -> tuple[object, object]:
    """``database_dsns`` and ``app_pool`` overrides giving a test package database ``name``.

    The packages that write test-only events (notes) or start runners over every tenant use
    one: served apps elsewhere then never meet events their codec cannot read, and a runner
    here catches up only this package's tenants.
    """

    @pytest.fixture(scope="package", name="database_dsns")
    async def own_dsns(admin_dsn: str) -> tuple[str, str]:
        return await migrated_database(admin_dsn, name)

    @pytest.fixture(scope="package", name="app_pool")
    async def own_pool(database_dsns: tuple[str, str]) -> AsyncIterator[Pool]:
        async with pool_on(database_dsns) as pool:
            yield pool

    return own_dsns, own_pool


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
