"""Idempotency keys in PostgreSQL (migration 0004, row-level security per tenant) and in memory.

A key is kept for ``RETENTION`` after its first use; a request fingerprint is the SHA-256 of
the method, the path and the body (JSON with its keys sorted, so formatting does not count).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from uuid import UUID

import msgspec

from application.errors import IdempotencyKeyReusedError
from domain.ids import TenantId
from infrastructure.database import Pool

RETENTION = timedelta(hours=24)
_sorted_json = msgspec.json.Encoder(order="sorted")

_CLAIM = """
INSERT INTO idempotency_keys AS k (tenant_id, caller, key, fingerprint, command_id, expires_at)
VALUES ($1, $2, $3, $4, $5, now() + $6::interval)
ON CONFLICT (tenant_id, caller, key) DO UPDATE
   SET fingerprint = EXCLUDED.fingerprint, command_id = EXCLUDED.command_id,
       created_at = now(), expires_at = EXCLUDED.expires_at
 WHERE k.expires_at < now()
RETURNING command_id
"""
_EXISTING = """
SELECT fingerprint, command_id FROM idempotency_keys
 WHERE tenant_id = $1 AND caller = $2 AND key = $3
"""


def request_fingerprint(method: str, path: str, body: bytes) -> bytes:
    try:
        canonical = _sorted_json.encode(msgspec.json.decode(body)) if body else b""
    except msgspec.DecodeError:
        canonical = body
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), canonical])).digest()


class PostgresIdempotencyKeys:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def claim(
        self, tenant_id: TenantId, caller: str, key: str, fingerprint: bytes, new_id: UUID
    ) -> UUID:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            claimed = await conn.fetchval(
                _CLAIM, tenant_id, caller, key, fingerprint, new_id, RETENTION
            )
            if claimed is not None:
                return UUID(str(claimed))
            row = await conn.fetchrow(_EXISTING, tenant_id, caller, key)
        if row is None or bytes(row["fingerprint"]) != fingerprint:
            raise IdempotencyKeyReusedError(key)
        return UUID(str(row["command_id"]))


class InMemoryIdempotencyKeys:
    def __init__(self) -> None:
        self._keys: dict[tuple[str, str, str], tuple[bytes, UUID, datetime]] = {}

    async def claim(
        self, tenant_id: TenantId, caller: str, key: str, fingerprint: bytes, new_id: UUID
    ) -> UUID:
        now = datetime.now(UTC)
        found = self._keys.get((tenant_id, caller, key))
        if found is None or found[2] < now:
            self._keys[(tenant_id, caller, key)] = (fingerprint, new_id, now + RETENTION)
            return new_id
        if found[0] != fingerprint:
            raise IdempotencyKeyReusedError(key)
        return found[1]
