"""The migrated schema keeps the rules that let Citus distribute it on ``tenant_id``.

Citus is not installed here, so the rules are checked in PostgreSQL's catalog, on a fresh
database with every migration applied and a build of every read model installed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from infrastructure.citus import (
    COLOCATE_WITH,
    REFERENCE_TABLES,
    distribute,
    distribution_statements,
)
from infrastructure.migrate import apply_migrations
from projections.builds import create_build
from projections.registry import PROJECTIONS

DATABASE = "passend_citus_check"

TABLES = """
SELECT c.oid, c.relname AS name, c.relrowsecurity AS rls,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'
               AND NOT a.attisdropped) AS has_tenant
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
"""
# Unique indexes (primary keys among them) and the name of their first column.
UNIQUE_KEYS = """
SELECT t.relname AS table_name, i.relname AS index_name, a.attname AS first_column
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
WHERE n.nspname = 'public' AND x.indisunique
"""
FOREIGN_KEYS = """
SELECT c.conname, t.relname AS table_name, r.relname AS referenced,
       ARRAY(SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid
             AND attnum = ANY (c.conkey)) AS columns
FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public' AND c.contype = 'f'
"""


async def tenant_table_names(schema: asyncpg.Connection) -> set[str]:
    """Tables of tenants: with a tenant_id, and not a platform table."""
    return {
        t["name"]
        for t in await schema.fetch(TABLES)
        if t["has_tenant"] and t["name"] not in REFERENCE_TABLES
    }


@pytest.fixture(scope="module")
async def schema(admin_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A fresh database with every migration and a build of every read model."""
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await admin.close()
    base, _, _ = admin_dsn.rpartition("/")
    conn = await asyncpg.connect(f"{base}/{DATABASE}")
    try:
        await apply_migrations(conn)
        for projection in PROJECTIONS:
            await create_build(conn, projection, active=True)
        yield conn
    finally:
        await conn.close()


async def test_every_table_is_a_tenant_table_or_a_declared_platform_table(
    schema: asyncpg.Connection,
) -> None:
    tables = await schema.fetch(TABLES)
    assert {t["name"] for t in tables if not t["has_tenant"]} <= REFERENCE_TABLES
    assert {t["name"] for t in tables} >= {COLOCATE_WITH, "events", *REFERENCE_TABLES}


async def test_every_key_of_a_tenant_table_leads_with_tenant_id(
    schema: asyncpg.Connection,
) -> None:
    tenant_tables = await tenant_table_names(schema)
    keys = [k for k in await schema.fetch(UNIQUE_KEYS) if k["table_name"] in tenant_tables]
    assert {k["table_name"] for k in keys} == tenant_tables, "every tenant table has a key"
    leading_elsewhere = [
        f"{k['table_name']}.{k['index_name']}" for k in keys if k["first_column"] != "tenant_id"
    ]
    assert leading_elsewhere == []


async def test_foreign_keys_between_tenant_tables_carry_tenant_id(
    schema: asyncpg.Connection,
) -> None:
    tenant_tables = await tenant_table_names(schema)
    wrong = [
        fk["conname"]
        for fk in await schema.fetch(FOREIGN_KEYS)
        if fk["referenced"] in tenant_tables and "tenant_id" not in fk["columns"]
    ]
    assert wrong == []


async def test_nothing_draws_ids_from_a_sequence(schema: asyncpg.Connection) -> None:
    sequences = await schema.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind = 'S' AND n.nspname = 'public'"
    )
    assert [s["relname"] for s in sequences] == []
    identities = await schema.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public'"
        " AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')"
    )
    assert [dict(i) for i in identities] == []


async def test_tenant_tables_are_isolated_by_policies_without_subqueries(
    schema: asyncpg.Connection,
) -> None:
    tenant_tables = {
        t["name"]: t["rls"]
        for t in await schema.fetch(TABLES)
        if t["has_tenant"] and t["name"] not in REFERENCE_TABLES
    }
    assert all(tenant_tables.values()), [n for n, rls in tenant_tables.items() if not rls]
    policies = await schema.fetch(
        "SELECT tablename, policyname, qual, with_check FROM pg_policies"
        " WHERE schemaname = 'public'"
    )
    assert {p["tablename"] for p in policies} >= set(tenant_tables)
    with_subqueries = [
        f"{p['tablename']}.{p['policyname']}"
        for p in policies
        if "select" in f"{p['qual'] or ''} {p['with_check'] or ''}".lower()
    ]
    assert with_subqueries == []


async def test_the_distribution_step_covers_every_table_co_located_on_the_anchor(
    schema: asyncpg.Connection,
) -> None:
    tables = [(t["name"], t["has_tenant"]) for t in await schema.fetch(TABLES)]
    statements = distribution_statements(tables)
    assert len(statements) == len(tables)
    references = [s for s in statements if "create_reference_table" in s]
    assert statements[: len(references)] == references
    first_distributed = statements[len(references)]
    assert f"create_distributed_table('{COLOCATE_WITH}', 'tenant_id'" in first_distributed
    assert all(
        f"colocate_with => '{COLOCATE_WITH}'" in s for s in statements[len(references) + 1 :]
    )
    assert distribution_statements(tables, [name for name, _ in tables]) == []
    assert await distribute(schema) == [], "without the citus extension it changes nothing"


def test_a_table_without_tenant_id_must_be_declared_a_platform_table() -> None:
    with pytest.raises(ValueError, match="stray"):
        distribution_statements([("tenant_heads", True), ("stray", False)])
