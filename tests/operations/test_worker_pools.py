"""`serve --workers` sizes its HTTP workers' pools to the connections the server allows.

Each worker opens its whole pool at start; pools that did not fit left the workers started
last retrying for as long as they ran, answering 503.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from api.cli import embedded_max_connections
from api.serving import (
    ELECTION_CONNECTIONS,
    OPS_CONNECTIONS,
    WorkerPoolsDoNotFitError,
    http_worker_pool_size,
)
from api.settings import Settings
from infrastructure import embedded_postgres_server
from infrastructure.database import Pool, connection_slots, create_pool
from tests.conftest import migrated_database
from tests.serving import free_port

PASSEND = str(Path(sys.executable).parent / "passend")
SMALL_MAX_CONNECTIONS = 50


@pytest.fixture(scope="module")
async def small_server() -> AsyncIterator[tuple[str, str]]:
    """(admin DSN, application DSN) of a migrated database on a server of 50 connections."""
    data_dir = Path(tempfile.mkdtemp(prefix="passend-small-pg-"))
    server = await asyncio.to_thread(
        embedded_postgres_server.start,
        data_dir,
        synchronous_commit=False,
        max_connections=SMALL_MAX_CONNECTIONS,
    )
    try:
        yield await migrated_database(server.admin_dsn(), "pools")
    finally:
        await asyncio.to_thread(embedded_postgres_server.destroy, data_dir)


async def test_on_a_small_server_every_worker_opens_its_whole_smaller_pool_and_room_is_left(
    small_server: tuple[str, str],
) -> None:
    admin, app = small_server
    slots = await connection_slots(admin)
    assert slots == SMALL_MAX_CONNECTIONS - embedded_postgres_server.SUPERUSER_RESERVED_CONNECTIONS
    settings = Settings()
    workers = 4
    size = http_worker_pool_size(settings, workers, slots)
    assert 2 <= size < settings.pool_max_size, "four pools of 20 do not fit in 47"
    pools: list[Pool] = []
    connections: list[asyncpg.Connection] = []
    try:
        # the background process's pool at its fullest, and its election's connection
        pools.append(await create_pool(app, min_size=20, max_size=settings.pool_max_size))
        connections += [await asyncpg.connect(app) for _ in range(ELECTION_CONNECTIONS)]
        # each HTTP worker opens its whole pool
        pools += [await create_pool(app, min_size=size, max_size=size) for _ in range(workers)]
        # and a psql session or a ``passend`` command beside them still gets in
        connections += [await asyncpg.connect(app) for _ in range(OPS_CONNECTIONS)]
    finally:
        for connection in connections:
            await connection.close()
        for pool in pools:
            await pool.close()


async def test_serve_refuses_to_start_when_even_small_pools_do_not_fit(
    small_server: tuple[str, str], tmp_path: Path
) -> None:
    admin, app = small_server
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=admin,
        PASSEND_DATABASE_APP_URL=app,
        PASSEND_DATA_DIR=str(tmp_path),
        PASSEND_LOG_LEVEL="warning",
    )
    serve = await asyncio.to_thread(
        subprocess.run,
        [PASSEND, "serve", "--no-demo", "--workers", "12", "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert serve.returncode == 1
    assert "Not starting: 12 HTTP workers need at least 2 connections each" in serve.stderr
    assert "the server allows 47" in serve.stderr
    assert "--workers" in serve.stderr, "it says what to change"


async def test_two_workers_on_the_default_server_keep_their_whole_pools(admin_dsn: str) -> None:
    settings = Settings()
    assert embedded_max_connections(settings, 2) == 100, "the embedded server as it was"
    if "%2F" in admin_dsn:  # the suite's embedded server, not PASSEND_TEST_DATABASE_URL
        assert await connection_slots(admin_dsn) == 97
    assert http_worker_pool_size(settings, 2, 97) == settings.pool_max_size


def test_the_embedded_server_has_room_for_a_full_pool_per_core_on_a_big_machine() -> None:
    settings = Settings()
    for workers in (4, 8, 32):
        slots = (
            embedded_max_connections(settings, workers)
            - embedded_postgres_server.SUPERUSER_RESERVED_CONNECTIONS
        )
        assert http_worker_pool_size(settings, workers, slots) == settings.pool_max_size


def test_workers_that_cannot_have_two_connections_each_are_refused() -> None:
    settings = Settings(pool_max_size=10)
    # 10 for the background process, 1 for its election, 5 for the rest: 4 left for 2 workers
    assert http_worker_pool_size(settings, 2, 20) == 2
    with pytest.raises(WorkerPoolsDoNotFitError, match="PASSEND_POOL_MAX_SIZE"):
        http_worker_pool_size(settings, 3, 20)
