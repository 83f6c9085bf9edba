"""Builds of a read model: their tables, row-level security, and the atomic switch of views.

Each build owns tables ``read_models.<table>_b<build>``; one build per projection is active and
the views ``read_models.<table>`` select from it. Switching drops and re-creates those views in
one transaction, so a query sees either the old build or the new one, never a mix. The views
are ``security_invoker``, so the reader's row-level security applies through them.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.ids import TenantId
from infrastructure.citus import distribute
from infrastructure.database import Connection
from projections.lease import catalog_lock
from projections.projection import Projection, TableNames, view_name

APP_ROLE = "passend_app"
_KEEP_RETIRED = 1


@dataclass(frozen=True, slots=True)
class Build:
    """One set of a projection's tables. ``tenant_id`` marks a single-tenant scratch build."""

    projection: str
    build: int
    version: int
    state: str
    tenant_id: TenantId | None
    tables: TableNames


def build_of(
    projection: Projection, build: int, version: int, state: str, tenant: str | None
) -> Build:
    tables = TableNames.of_build(projection.tables, build)
    return Build(
        projection.name, build, version, state, TenantId(tenant) if tenant else None, tables
    )


async def active_build(conn: Connection, projection: Projection) -> Build | None:
    row = await conn.fetchrow(
        "SELECT build, version FROM projection_builds WHERE projection = $1 AND state = 'active'",
        projection.name,
    )
    if row is None:
        return None
    return build_of(projection, row["build"], row["version"], "active", None)


async def create_build(
    conn: Connection,
    projection: Projection,
    *,
    active: bool = False,
    tenant_id: TenantId | None = None,
) -> Build:
    """Create a build's tables, secured per tenant; ``active`` also points the views at it."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", catalog_lock(projection.name))
        number = await conn.fetchval(
            "SELECT coalesce(max(build), 0) + 1 FROM projection_builds WHERE projection = $1",
            projection.name,
        )
        if active and (existing := await active_build(conn, projection)) is not None:
            return existing
        build = build_of(
            projection, number, projection.version, "active" if active else "building", tenant_id
        )
        for ddl in projection.create_tables(build.tables):
            await conn.execute(ddl)
        for table in build.tables.physical.values():
            await _secure(conn, table)
        await conn.execute(
            "INSERT INTO projection_builds (projection, build, version, tenant_id, state,"
            " switched_at) VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END)",
            projection.name,
            number,
            projection.version,
            tenant_id,
            build.state,
            active,
        )
        if active:
            await _point_views(conn, build)
    return build


async def _secure(conn: Connection, table: str) -> None:
    first = await conn.fetchval(
        "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum = 1", table
    )
    if first != "tenant_id":
        raise ValueError(f"{table}: every read-model table must lead with tenant_id")
    await conn.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    await conn.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    await conn.execute(
        f"CREATE POLICY tenant_isolation ON {table}"
        " USING (tenant_id = current_setting('app.tenant_id', true))"
        " WITH CHECK (tenant_id = current_setting('app.tenant_id', true))"
    )
    await conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
    await distribute(conn)  # a new build's tables join the tenant's shard group on Citus


async def _point_views(conn: Connection, build: Build) -> None:
    for table, physical in build.tables.physical.items():
        view = view_name(table)
        # DROP + CREATE rather than CREATE OR REPLACE: a new version may change the columns.
        await conn.execute(f"DROP VIEW IF EXISTS {view}")
        await conn.execute(
            f"CREATE VIEW {view} WITH (security_invoker = true) AS SELECT * FROM {physical}"  # noqa: S608
        )
        await conn.execute(f"GRANT SELECT ON {view} TO {APP_ROLE}")


async def switch_to(conn: Connection, build: Build) -> None:
    """Make ``build`` the active one: views, states, in one transaction."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", catalog_lock(build.projection))
        await _point_views(conn, build)
        await conn.execute(
            "UPDATE projection_builds SET state = 'retired'"
            " WHERE projection = $1 AND state = 'active'",
            build.projection,
        )
        await conn.execute(
            "UPDATE projection_builds SET state = 'active', switched_at = now()"
            " WHERE projection = $1 AND build = $2",
            build.projection,
            build.build,
        )


async def drop_build(conn: Connection, build: Build) -> None:
    """Drop a build that is not active: its tables, its row and (cascading) its tracking."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", catalog_lock(build.projection))
        state = await conn.fetchval(
            "SELECT state FROM projection_builds WHERE projection = $1 AND build = $2",
            build.projection,
            build.build,
        )
        if state == "active":
            return
        for physical in build.tables.physical.values():
            await conn.execute(f"DROP TABLE IF EXISTS {physical}")
        await conn.execute(
            "DELETE FROM projection_builds WHERE projection = $1 AND build = $2",
            build.projection,
            build.build,
        )


async def drop_stale_builds(conn: Connection, projection: Projection) -> None:
    """Drop unfinished builds and all but the newest retired one (kept for a quick way back)."""
    rows = await conn.fetch(
        "SELECT build, version, state, tenant_id FROM projection_builds"
        " WHERE projection = $1 AND state <> 'active' ORDER BY build DESC",
        projection.name,
    )
    retired = 0
    for row in rows:
        if row["state"] == "retired":
            retired += 1
            if retired <= _KEEP_RETIRED:
                continue
        build = build_of(projection, row["build"], row["version"], row["state"], row["tenant_id"])
        await drop_build(conn, build)
