"""Moments of a tenant's log: the position a time names, and when a position was committed.

``committed_at`` is assigned by the database as the append inserts, after it has locked the
tenant's head row, so it never goes back within a tenant (migration 0006). The position as of a
time is the one before the first event committed after it: a prefix of the log whatever the
clock did, and never a position whose commit time lies after the time asked about.
"""

from __future__ import annotations

from datetime import datetime

from domain.ids import TenantId
from infrastructure.database import Pool, tenant_transaction

_FIRST_COMMITTED_AFTER = (
    "SELECT position FROM events WHERE tenant_id = $1 AND committed_at > $2"
    " ORDER BY committed_at, position LIMIT 1"
)
_HEAD = "SELECT last_position FROM tenant_heads WHERE tenant_id = $1"
_COMMITTED_AT = "SELECT committed_at FROM events WHERE tenant_id = $1 AND position = $2"


async def position_as_of(pool: Pool, tenant_id: TenantId, moment: datetime) -> int:
    """The last position committed at or before ``moment`` (0 before the first event)."""
    async with pool.acquire() as conn, tenant_transaction(conn, tenant_id):
        first_after: int | None = await conn.fetchval(_FIRST_COMMITTED_AFTER, tenant_id, moment)
        if first_after is not None:
            return first_after - 1
        head: int | None = await conn.fetchval(_HEAD, tenant_id)
        return head or 0


async def committed_at(pool: Pool, tenant_id: TenantId, position: int) -> datetime | None:
    """When the event at ``position`` was committed; None for position 0 or one not written."""
    async with pool.acquire() as conn, tenant_transaction(conn, tenant_id):
        found: datetime | None = await conn.fetchval(_COMMITTED_AT, tenant_id, position)
        return found
