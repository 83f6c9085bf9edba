"""The asyncpg pool the application uses, and tenant-scoped transactions on it.

The pool logs in as ``passend_app``, a role without superuser rights, so row-level security
applies to every query. Timeouts keep a stuck client from holding a tenant's head row.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import asyncpg

from domain.ids import TenantId

if TYPE_CHECKING:
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]
    from asyncpg.pool import PoolConnectionProxy

    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:
    Pool = asyncpg.Pool
    Connection = asyncpg.Connection


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Server-side limits for every application connection, in milliseconds."""

    lock_ms: int = 5_000
    statement_ms: int = 30_000
    idle_in_transaction_ms: int = 60_000


def _jsonb_to_wire(value: bytes | str) -> bytes:
    # jsonb's binary format is a version byte followed by the JSON text.
    return b"\x01" + (value.encode() if isinstance(value, str) else value)


def _jsonb_from_wire(value: bytes) -> bytes:
    return value[1:]


async def init_connection(connection: Connection) -> None:
    """Pass jsonb as raw JSON bytes, so msgspec encodes and decodes it without copies."""
    await connection.set_type_codec(
        "jsonb",
        schema="pg_catalog",
        encoder=_jsonb_to_wire,
        decoder=_jsonb_from_wire,
        format="binary",
    )


# Backend pids of the connections the current task holds through ``scoped_connection``.
_SCOPED_PIDS: ContextVar[tuple[int, ...]] = ContextVar("passend_scoped_pids", default=())


async def _reset_session(connection: Connection) -> None:
    """Reset a released connection's session, unless it was only used in a scoped way.

    asyncpg has already rolled back any open transaction and dropped listener callbacks. Its
    reset query (release advisory locks, close cursors, UNLISTEN, RESET ALL) costs one more
    round trip per checkout; after ``scoped_connection`` there is nothing for it to undo.
    """
    if connection.get_server_pid() in _SCOPED_PIDS.get():
        return
    query = connection.get_reset_query()
    if query:
        await connection.execute(query)


@asynccontextmanager
async def scoped_connection(pool: Pool) -> AsyncIterator[Connection]:
    """A pooled connection for work that leaves nothing behind in its session.

    Only for statements and transactions whose settings are transaction-local
    (``set_config(..., true)``, ``SET LOCAL``): no ``SET``, ``LISTEN``, session advisory
    locks or ``WITH HOLD`` cursors. The connection then goes back to the pool without
    asyncpg's reset query. Other connections the task acquires meanwhile are reset as usual.
    """
    outer = _SCOPED_PIDS.get()
    token = None
    try:
        async with pool.acquire() as connection:
            token = _SCOPED_PIDS.set((*outer, connection.get_server_pid()))
            yield connection
        # the pool has released the connection here, with the pid still marked as scoped
    finally:
        if token is not None:
            _SCOPED_PIDS.reset(token)


async def create_pool(
    dsn: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    timeouts: Timeouts | None = None,
    connect_timeout_s: float = 10,
) -> Pool:
    """Open a pool; its connections carry the jsonb codec and the timeouts."""
    limits = timeouts or Timeouts()
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=init_connection,
        reset=_reset_session,
        server_settings={
            "lock_timeout": str(limits.lock_ms),
            "statement_timeout": str(limits.statement_ms),
            "idle_in_transaction_session_timeout": str(limits.idle_in_transaction_ms),
            "application_name": "passend",
        },
        timeout=connect_timeout_s,
    )
    if pool is None:  # pragma: no cover - asyncpg returns None only when not awaited
        raise RuntimeError("could not create the connection pool")
    return pool


@asynccontextmanager
async def tenant_transaction(
    connection: Connection, tenant_id: TenantId
) -> AsyncIterator[Connection]:
    """A transaction in which row-level security shows only ``tenant_id``'s rows."""
    async with connection.transaction():
        await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
        yield connection
