"""Leaving the platform (AVG art. 28(3)(g)): hand the tenant's data back, then delete it all.

``export_tenant`` writes the tenant's whole log, personal fields decrypted, as NDJSON: a first
line with the head (last position and chain hash, so the receiver can check completeness),
then one line per event. ``delete_tenant`` removes every row of the tenant from every tenant
table (events, data keys, heads, tracking and read models) in one transaction, and then
checks that none is left; other tenants' rows are not touched. ``export_writer`` and
``row_eraser`` hand both to the offboarding use cases, which record them in the platform log.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from application.handlers.offboarding import EraseRows, HandedBackLog, WriteExport
from domain.ids import TenantId
from infrastructure.citus import REFERENCE_TABLES
from infrastructure.database import Connection
from infrastructure.event_store import PostgresEventStore
from infrastructure.transparency_log import log_lock_key

_TENANT_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname
"""
# Deliveries first: once a tenant's delivery row is gone, a late answer to a batch sent before
# the erasure records no attempt or recipient of it (passend_delivery_attempted, migration
# 0018, locks the row and records nothing without it), so the attempts and recipients deleted
# after it stay deleted.
_FIRST = "partner_deliveries"
_LAST = "tenant_heads"  # other tables' rows point at the head


@dataclass(frozen=True, slots=True)
class Export:
    path: Path
    events: int
    last_position: int
    chain_hash: str


def _plain(value: object) -> object:
    return str(value)


def _fields(event: object) -> dict[str, Any]:
    return {k: v for k, v in vars(event).items() if not k.startswith("_")}


async def export_tenant(store: PostgresEventStore, tenant_id: TenantId, target: Path) -> Export:
    """Write the tenant's log to ``target``; refuses if the chain does not verify."""
    verification = await store.verify_chain(tenant_id)
    if not verification.intact:
        raise RuntimeError(f"{tenant_id}: the hash chain does not verify: {verification.reason}")
    head = await store.head(tenant_id)
    encoder = msgspec.json.Encoder(enc_hook=_plain)
    count = 0
    with target.open("wb") as out:
        manifest = {
            "tenant_id": tenant_id,
            "exported_at": datetime.now(UTC),
            "last_position": head.last_position,
            "chain_hash": head.chain_hash.hex(),
        }
        out.write(encoder.encode(manifest) + b"\n")
        # Closed however the loop ends: a failed write or the head reached must not leave the
        # reader (and its connection and read-ahead) suspended until the loop finalises it.
        async with contextlib.aclosing(store.read_log_pages(tenant_id)) as pages:
            async for page in pages:
                for recorded in page:
                    if recorded.position > head.last_position:
                        break
                    line = {
                        "position": recorded.position,
                        "stream_id": recorded.stream_id,
                        "stream_version": recorded.stream_version,
                        "event_id": recorded.event_id,
                        "event_type": recorded.event_type,
                        "recorded_at": recorded.recorded_at,
                        "actor": recorded.actor,
                        "data": _fields(recorded.event),
                    }
                    out.write(encoder.encode(line) + b"\n")
                    count += 1
                if page[-1].position >= head.last_position:
                    break  # what came after the head is not part of the export
    if count != head.last_position:
        raise RuntimeError(f"{tenant_id}: exported {count} of {head.last_position} events")
    return Export(target, count, head.last_position, head.chain_hash.hex())


async def tenant_row_counts(admin: Connection, tenant_id: TenantId) -> dict[str, int]:
    """Rows of ``tenant_id`` in each table that has a tenant_id (admin: no row security)."""
    counts = {}
    for row in await admin.fetch(_TENANT_TABLES):
        table = row["relname"]
        counts[table] = int(
            await admin.fetchval(f'SELECT count(*) FROM "{table}" WHERE tenant_id = $1', tenant_id)  # noqa: S608 - names from the catalog
        )
    return counts


class TenantStillBusyError(RuntimeError):
    """A read model or the transparency log has not caught up with the tenant's head yet.

    A read model that has not started on the tenant counts too: it would write its tracking row
    after the deletion.
    """


_BEHIND = """
SELECT (SELECT count(*) FROM projection_builds b WHERE b.state = 'active' AND NOT EXISTS (
          SELECT 1 FROM projection_tracking t WHERE t.tenant_id = $1 AND t.build = b.build
             AND t.projection = b.projection
             AND (t.position >= h.last_position OR t.status <> 'running')))
     + (SELECT count(*) FROM (SELECT max(tree_size) AS size FROM log_checkpoints
          WHERE tenant_id = $1) c WHERE c.size IS NOT NULL AND c.size < h.last_position)
FROM tenant_heads h WHERE h.tenant_id = $1
"""


async def delete_tenant(admin: Connection, tenant_id: TenantId) -> dict[str, int]:
    """Delete every row of ``tenant_id``; returns what was deleted per table. Verified empty.

    Only once its read models and tree have caught up with its head (the tenant is suspended,
    so its log stands still): no worker is then left to write a row of it after the deletion.
    """
    behind = await admin.fetchval(_BEHIND, tenant_id)
    if behind:
        raise TenantStillBusyError(
            f"{tenant_id}: {behind} read model(s) or its transparency log have not caught up"
            " with its log yet; try again in a few seconds"
        )
    deleted: dict[str, int] = {}
    async with admin.transaction():
        # An integration of its tree in flight (a tenant's first checkpoint is not waited for
        # above) commits first, or starts after and finds no events.
        await admin.execute("SELECT pg_advisory_xact_lock($1)", log_lock_key(tenant_id))
        tables = [r["relname"] for r in await admin.fetch(_TENANT_TABLES)]
        for table in sorted(tables, key=lambda name: (name != _FIRST, name == _LAST)):
            status = await admin.execute(f'DELETE FROM "{table}" WHERE tenant_id = $1', tenant_id)  # noqa: S608 - names from the catalog
            deleted[table] = int(status.split()[-1])
    left = {t: n for t, n in (await tenant_row_counts(admin, tenant_id)).items() if n}
    if left:
        raise RuntimeError(f"{tenant_id}: rows left after deletion: {left}")
    return {t: n for t, n in deleted.items() if n or t not in REFERENCE_TABLES}


def export_writer(store: PostgresEventStore, target: Path) -> WriteExport:
    """Writes the tenant's log to ``target`` and says what it handed back, with its SHA-256."""

    async def write(tenant_id: TenantId) -> HandedBackLog:
        exported = await export_tenant(store, tenant_id, target)
        return HandedBackLog(exported.last_position, exported.chain_hash, sha256_of_file(target))

    return write


def sha256_of_file(path: Path) -> str:
    """The SHA-256 of an export, hex, read in 1 MB blocks: an export may be larger than memory."""
    digest = hashlib.sha256()
    with path.open("rb") as exported:
        for block in iter(lambda: exported.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def row_eraser(admin_dsn: str) -> EraseRows:
    """Deletes every row of the tenant over an admin connection: row security would hide them."""

    async def erase(tenant_id: TenantId) -> int:
        admin = await asyncpg.connect(admin_dsn)
        try:
            return sum((await delete_tenant(admin, tenant_id)).values())
        finally:
            await admin.close()

    return erase
