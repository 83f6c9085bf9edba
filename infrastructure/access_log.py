"""The access log on PostgreSQL: append-only, hash-chained per tenant, beside the event log.

Each access is stored with the canonical JSON it is hashed from (``entry``); ``entry_hash`` is
its SHA-256 (``subjects`` is in it only when a read showed several pupils: entries from before
that column existed have none) and ``chain_hash = SHA-256(previous chain hash || entry_hash)``,
chained in the statement that appends it under the tenant's own access head row, never the
event log's. The application role may insert and read accesses, not change or delete them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from uuid import UUID

from application.ports import AccessRecord, ChainVerification, RecordedAccess
from domain.ids import TenantId
from infrastructure.database import Pool, scoped_connection, tenant_transaction
from infrastructure.hash_chain import canonical_json

_RECORD = "SELECT * FROM passend_record_access($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
_PAGE = 2_000


def access_genesis(tenant_id: str) -> bytes:
    return hashlib.sha256(b"passend:access:" + tenant_id.encode()).digest()


def access_entry(tenant_id: str, access: AccessRecord, at: datetime) -> bytes:
    """The canonical JSON an access is hashed from."""
    entry = {
        "tenant_id": tenant_id,
        "accessed_at": at,
        "actor": access.actor,
        "action": access.action,
        "resource": access.resource,
        "subject_id": access.subject_id,
        "fields": list(access.fields),
        "purpose": access.purpose,
    }
    if access.subjects:
        entry["subjects"] = [str(s) for s in access.subjects]
    return canonical_json(entry)


class PostgresAccessLog:
    """Implements ``application.ports.AccessLog``."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def record(self, tenant_id: TenantId, access: AccessRecord, *, at: datetime) -> int:
        entry = access_entry(tenant_id, access, at)
        async with scoped_connection(self._pool) as conn:
            row = await conn.fetchrow(
                _RECORD,
                tenant_id,
                at,
                access.actor,
                access.action,
                access.resource,
                access.subject_id,
                list(access.subjects),
                list(access.fields),
                access.purpose,
                entry,
                hashlib.sha256(entry).digest(),
                access_genesis(tenant_id),
            )
        assert row is not None  # noqa: S101 - the function always appends
        return int(row["sequence"])

    async def read(
        self,
        tenant_id: TenantId,
        *,
        after: int = 0,
        limit: int = 500,
        subject_id: UUID | None = None,
    ) -> list[RecordedAccess]:
        async with scoped_connection(self._pool) as conn, tenant_transaction(conn, tenant_id):
            rows = await conn.fetch(
                "SELECT * FROM access_log WHERE tenant_id = $1 AND sequence > $2"
                " AND ($4::uuid IS NULL OR subject_id = $4 OR subjects @> ARRAY[$4::uuid])"
                " ORDER BY sequence LIMIT $3",
                tenant_id,
                after,
                limit,
                subject_id,
            )
        return [_recorded(tenant_id, row) for row in rows]

    async def verify(self, tenant_id: TenantId) -> ChainVerification:
        chain, checked, after = access_genesis(tenant_id), 0, 0
        async with scoped_connection(self._pool) as conn:
            while True:
                async with tenant_transaction(conn, tenant_id):
                    rows = await conn.fetch(
                        "SELECT * FROM access_log WHERE tenant_id = $1 AND sequence > $2"
                        " ORDER BY sequence LIMIT $3",
                        tenant_id,
                        after,
                        _PAGE,
                    )
                for row in rows:
                    reason = _break_in(tenant_id, row, checked + 1, chain)
                    if reason is not None:
                        return ChainVerification(tenant_id, checked, chain, checked + 1, reason)
                    chain, checked = row["chain_hash"], row["sequence"]
                if len(rows) < _PAGE:
                    return ChainVerification(tenant_id, checked, chain, None)
                after = checked


def _break_in(tenant_id: str, row: Any, expected: int, chain: bytes) -> str | None:  # noqa: ANN401
    if row["sequence"] != expected:
        return "an access is missing from the log"
    access = _recorded(TenantId(tenant_id), row)
    entry = access_entry(tenant_id, access.record, access.accessed_at)
    if entry != bytes(row["entry"]) or hashlib.sha256(entry).digest() != row["entry_hash"]:
        return "the access does not match its hash"
    if hashlib.sha256(chain + row["entry_hash"]).digest() != row["chain_hash"]:
        return "the chain hash does not follow from the previous one"
    return None


def _recorded(tenant_id: TenantId, row: Any) -> RecordedAccess:  # noqa: ANN401 - a record
    return RecordedAccess(
        tenant_id=tenant_id,
        sequence=row["sequence"],
        accessed_at=row["accessed_at"],
        record=AccessRecord(
            actor=row["actor"],
            action=row["action"],
            resource=row["resource"],
            purpose=row["purpose"],
            subject_id=row["subject_id"],
            fields=tuple(row["fields"]),
            subjects=tuple(row["subjects"]),
        ),
        chain_hash=row["chain_hash"],
    )
