"""Leases: session advisory locks that keep two processes off one projection and tenant.

The runner takes a lease before it reads a tenant's log for a projection and gives it back when
that tenant is caught up, so work spreads over processes while each pair has one worker at a
time. Locks live on one dedicated connection; if it drops, PostgreSQL frees them, and the
compare-and-set on the tracked position stops any worker that is still busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Sequence

import asyncpg

from domain.ids import TenantId
from infrastructure.database import Connection

_RETRY_S = 0.05


def lease_key(*parts: str) -> int:
    """A stable signed 64-bit advisory lock key for ``parts``."""
    text = "\x1f".join(("passend.projections", *parts))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), signed=True)


def tenant_lease(projection: str, tenant_id: TenantId) -> int:
    """Held while a projection's events of one tenant are applied."""
    return lease_key("tenant", projection, tenant_id)


def builder_lease(projection: str) -> int:
    """Held while a rebuild of a projection runs."""
    return lease_key("builder", projection)


def catalog_lock(projection: str) -> int:
    """Taken per transaction while a projection's builds and views change."""
    return lease_key("catalog", projection)


class Leases:
    """Advisory locks held on one connection that nothing else uses for transactions."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()

    @property
    def connection(self) -> Connection:
        return self._conn

    async def try_acquire(self, key: int) -> bool:
        async with self._lock:
            return bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", key))

    async def try_acquire_many(self, keys: Sequence[int]) -> list[bool]:
        """Try every lease in one round trip; which of ``keys`` are now held, in order."""
        async with self._lock:
            rows = await self._conn.fetch(
                "SELECT pg_try_advisory_lock(k) FROM unnest($1::bigint[]) WITH ORDINALITY"
                " AS u(k, i) ORDER BY i",
                list(keys),
            )
        return [bool(row[0]) for row in rows]

    async def acquire(self, key: int, *, timeout_s: float) -> None:
        """Wait for the lease; a runner holds one only while it catches up a tenant."""
        async with asyncio.timeout(timeout_s):
            while not await self.try_acquire(key):  # noqa: ASYNC110 - the holder is another process
                await asyncio.sleep(_RETRY_S)

    async def release(self, key: int) -> None:
        async with self._lock:
            # If the connection is gone, so are its locks.
            with contextlib.suppress(
                asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError
            ):
                await self._conn.fetchval("SELECT pg_advisory_unlock($1)", key)

    async def release_many(self, keys: Sequence[int]) -> None:
        """Give back leases taken with ``try_acquire_many``, in one round trip."""
        if not keys:
            return
        async with self._lock:
            with contextlib.suppress(
                asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError
            ):
                await self._conn.execute(
                    "SELECT pg_advisory_unlock(k) FROM unnest($1::bigint[]) AS u(k)", list(keys)
                )
