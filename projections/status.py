"""Where each projection stands per tenant, and resuming one that stopped at a failing event.

Lag is counted in events (tenant head minus tracked position) and in seconds (how long the
oldest unapplied event has waited; 0 when caught up). The figures come from one
cross-tenant function, so a status page costs one query however many tenants there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.ids import TenantId
from infrastructure.database import Pool, scoped_connection, tenant_transaction

RUNNING = "running"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ProjectionStatus:
    """One projection's active build in one tenant's log. ``build`` is None before install."""

    projection: str
    tenant_id: TenantId
    build: int | None
    version: int | None
    position: int
    head: int
    status: str
    error: str | None
    failed_position: int | None
    updated_at: datetime | None
    lag_seconds: float

    @property
    def lag_events(self) -> int:
        return max(self.head - self.position, 0)

    @property
    def failed(self) -> bool:
        return self.status == FAILED


async def projection_status(
    pool: Pool, projections: Sequence[str], *, tenant_id: TenantId | None = None
) -> list[ProjectionStatus]:
    """Every (projection, tenant) pair, or only ``tenant_id``'s, ordered by both."""
    async with scoped_connection(pool) as conn:
        rows = await conn.fetch(
            "SELECT * FROM passend_projection_status($1::text[], $2)", list(projections), tenant_id
        )
    # the function's columns are the dataclass's fields, in order (the runner reads every
    # pair each second: by name, building them took as long as the query)
    return [ProjectionStatus(*row) for row in rows]


async def resume_projection(pool: Pool, projection: str, tenant_id: TenantId) -> bool:
    """Let a stopped projection try its failing event again; False if it was not stopped."""
    async with scoped_connection(pool) as conn, tenant_transaction(conn, tenant_id):
        result = await conn.execute(
            "UPDATE projection_tracking SET status = 'running', error = NULL,"
            " failed_position = NULL, updated_at = now()"
            " WHERE tenant_id = $1 AND projection = $2 AND status = 'failed'",
            tenant_id,
            projection,
        )
    return result != "UPDATE 0"
