"""Citus: tenant tables distributed on ``tenant_id``, co-located; platform tables replicated.

Every tenant table's keys lead with ``tenant_id``, no table takes ids from a sequence, and the
row-level security policies compare ``tenant_id`` with a setting, without subqueries: so each
statement of one tenant runs on one shard. ``distribute`` does nothing on a server without
the ``citus`` extension; with it, it distributes what is not distributed yet (after the
migrations, and for each new read-model build). ``tests/operations/test_citus_ready.py``
checks these rules on the migrated schema, since Citus itself is not installed here.
"""

from __future__ import annotations

from collections.abc import Iterable

from infrastructure.database import Connection

DISTRIBUTION_COLUMN = "tenant_id"
# The table every tenant table is co-located with: one tenant's rows share one shard group.
COLOCATE_WITH = "tenant_heads"
# Platform tables: no tenant, small, read everywhere; replicated to every node.
REFERENCE_TABLES = frozenset({"schema_migrations", "projection_builds"})

_TABLES = """
SELECT c.relname AS name,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
               AND a.attname = $1 AND NOT a.attisdropped) AS has_tenant
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
ORDER BY c.relname
"""


async def citus_present(conn: Connection) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM pg_extension WHERE extname = 'citus'"))


def distribution_statements(
    tables: Iterable[tuple[str, bool]], distributed: Iterable[str] = ()
) -> list[str]:
    """What distributes ``(table, has tenant_id)`` pairs, skipping those already distributed.

    Reference tables first, then the co-location anchor, then the other tenant tables.
    """
    done = set(distributed)
    todo = [(name, has_tenant) for name, has_tenant in tables if name not in done]
    unknown = [n for n, has_tenant in todo if not has_tenant and n not in REFERENCE_TABLES]
    if unknown:
        raise ValueError(
            f"tables with neither tenant_id nor a place in REFERENCE_TABLES: {sorted(unknown)}"
        )
    statements = [
        f"SELECT create_reference_table('{name}')" for name, _ in todo if name in REFERENCE_TABLES
    ]
    tenant_tables = sorted(
        (name for name, has_tenant in todo if has_tenant and name not in REFERENCE_TABLES),
        key=lambda name: name != COLOCATE_WITH,
    )
    for name in tenant_tables:
        colocation = "default" if name == COLOCATE_WITH else COLOCATE_WITH
        statements.append(
            f"SELECT create_distributed_table('{name}', '{DISTRIBUTION_COLUMN}',"
            f" colocate_with => '{colocation}')"
        )
    return statements


async def distribute(conn: Connection) -> list[str]:
    """On a Citus coordinator, distribute every table not distributed yet; the statements run."""
    if not await citus_present(conn):
        return []
    tables = [(r["name"], r["has_tenant"]) for r in await conn.fetch(_TABLES, DISTRIBUTION_COLUMN)]
    distributed = [
        r["name"]
        for r in await conn.fetch(
            "SELECT logicalrelid::regclass::text AS name FROM pg_dist_partition"
        )
    ]
    statements = distribution_statements(tables, distributed)
    for statement in statements:
        await conn.execute(statement)
    return statements
