"""Writing audit bundles from the database: a tenant's log, or one pupil's events, with proofs.

The bundle is checked against the latest checkpoint at or below ``until`` (a position), so it
holds exactly a signed prefix of the log. A pupil's bundle holds the events of the pupil's own
stream and of every stream whose events name the pupil (cases, TLVs, objections,
arrangements), each with an inclusion proof, and nothing else of the tenant. Events are written
as stored: encrypted fields stay ciphertext, so a bundle of a shredded pupil still verifies.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec

from domain.ids import TenantId
from infrastructure.audit_bundle import (
    FORMAT,
    FULL_LOG,
    PUPIL,
    BundleEvent,
    BundleProof,
    Manifest,
    write_bundle,
)
from infrastructure.database import Pool, tenant_transaction
from infrastructure.hash_chain import canonical_envelope, canonical_payload
from infrastructure.transparency_log import LogNotReadyError, TransparencyLog

_PAGE = 5_000
_PUPIL_EVENTS = (
    "WITH streams AS (SELECT $2::uuid AS stream_id UNION SELECT DISTINCT stream_id FROM events"
    " WHERE tenant_id = $1 AND payload ? 'pupil_id' AND payload ->> 'pupil_id' = $2::text)"
    " SELECT * FROM events WHERE tenant_id = $1 AND position <= $3"
    " AND stream_id IN (SELECT stream_id FROM streams) ORDER BY position"
)


def bundle_event(row: Any) -> BundleEvent:  # noqa: ANN401 - an asyncpg record of ``events``
    commit_hash: bytes | None = row["commit_hash"]
    return BundleEvent(
        position=row["position"],
        envelope=msgspec.Raw(canonical_envelope(dict(row.items()))),
        payload=msgspec.Raw(canonical_payload(row["payload"])),
        event_hash=row["event_hash"].hex(),
        commit_hash=commit_hash.hex() if commit_hash is not None else None,
    )


async def _log_rows(pool: Pool, tenant_id: TenantId, size: int) -> AsyncGenerator[list[Any], None]:
    after = 0
    async with pool.acquire() as conn:
        while after < size:
            rows = await conn.fetch(
                "SELECT * FROM passend_read_log($1, $2, $3)",
                tenant_id,
                after,
                min(_PAGE, size - after),
            )
            if not rows:
                return
            yield rows
            after = rows[-1]["position"]


async def export_bundle(  # noqa: PLR0913 - what an export is of
    pool: Pool,
    transparency_log: TransparencyLog,
    tenant_id: TenantId,
    path: Path,
    *,
    exported_at: datetime,
    pupil_id: UUID | None = None,
    until: int | None = None,
    witness_keys: Sequence[str] = (),
) -> Manifest:
    """Write the bundle to ``path``; raise ``LogNotReadyError`` if no checkpoint is that old."""
    checkpoints = await transparency_log.checkpoints(tenant_id, up_to=until)
    if not checkpoints:
        raise LogNotReadyError(f"No checkpoint of {tenant_id} at or below position {until}.")
    latest = checkpoints[-1]
    size = latest.checkpoint.size
    proofs: list[BundleProof] | None = None
    if pupil_id is None:
        events: list[BundleEvent] = []
        async with contextlib.aclosing(_log_rows(pool, tenant_id, size)) as pages:
            async for rows in pages:
                events.extend(bundle_event(row) for row in rows)
    else:
        async with pool.acquire() as conn, tenant_transaction(conn, tenant_id):
            rows = await conn.fetch(_PUPIL_EVENTS, tenant_id, pupil_id, size)
        events = [bundle_event(row) for row in rows]
        positions = [event.position for event in events]
        hashes = await transparency_log.inclusion_proofs(tenant_id, positions, size)
        proofs = [
            BundleProof(position=p, hashes=[_b64(h) for h in proof])
            for p, proof in zip(positions, hashes, strict=True)
        ]
    manifest = Manifest(
        format=FORMAT,
        kind=FULL_LOG if pupil_id is None else PUPIL,
        tenant=tenant_id,
        origin=latest.checkpoint.origin,
        tree_size=size,
        events=len(events),
        log_key=transparency_log.verifier(tenant_id).vkey,
        witness_keys=list(witness_keys),
        pupil_id=str(pupil_id) if pupil_id else None,
        exported_at=exported_at.isoformat(),
    )
    write_bundle(
        path,
        manifest,
        latest.note,
        events,
        checkpoints=[c.note for c in checkpoints[:-1]] if pupil_id is None else (),
        proofs=proofs,
    )
    return manifest


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
