"""Tells other processes that a tenant's log grew: one debounced NOTIFY, outside any transaction.

A NOTIFY inside the append would take PostgreSQL's global notify lock at every commit. Instead
the store's ``on_commit`` hook hands each committed position to ``CommitNotifier.commit``,
which collects the highest position per tenant for a few milliseconds and then sends them all
in one statement on channel ``passend_commits``, as ``'<tenant>:<position>'`` payloads.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging

from domain.ids import TenantId
from infrastructure.database import Pool, scoped_connection
from infrastructure.wake_ups import stop_task

COMMITS_CHANNEL = "passend_commits"
_NOTIFY = "SELECT pg_notify($1, t || ':' || p) FROM unnest($2::text[], $3::bigint[]) AS u(t, p)"

log = logging.getLogger("passend.commits")


def parse_commit_payload(payload: str) -> tuple[TenantId, int] | None:
    """The tenant and position of a ``passend_commits`` payload; None if it is not one."""
    tenant, sep, position = payload.rpartition(":")
    if not sep or not tenant or not position.isdigit():
        return None
    return TenantId(tenant), int(position)


class CommitNotifier:
    """Debounces commit signals into NOTIFYs. ``commit`` is the store's ``on_commit`` listener."""

    def __init__(self, pool: Pool, *, delay_s: float = 0.015) -> None:
        self._pool = pool
        self._delay_s = delay_s
        self._pending: dict[TenantId, int] = {}
        self._flush: asyncio.Task[None] | None = None
        self._closed = False

    def commit(self, tenant_id: TenantId, position: int) -> None:
        if self._closed:
            return
        if position > self._pending.get(tenant_id, -1):
            self._pending[tenant_id] = position
        if self._flush is None:
            self._flush = asyncio.get_running_loop().create_task(
                self._send_after_delay(), context=contextvars.Context()
            )

    async def _send_after_delay(self) -> None:
        try:
            await asyncio.sleep(self._delay_s)
        finally:
            self._flush = None
        await self._send()

    async def _send(self) -> None:
        pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            async with scoped_connection(self._pool) as conn:
                await conn.execute(_NOTIFY, COMMITS_CHANNEL, list(pending), list(pending.values()))
        except Exception:
            # Other processes still poll; a lost signal delays them, it loses nothing.
            log.warning("could not send commit notifications", exc_info=True)

    async def aclose(self) -> None:
        """Send what is pending, then ignore further commits."""
        self._closed = True
        await stop_task(self._flush)
        await self._send()
