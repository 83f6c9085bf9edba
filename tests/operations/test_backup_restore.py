"""The restore drill: dump a database with demo tenants, restore it elsewhere, verify it all.

The hash chains verify, and so do the Merkle proofs of checkpoints signed before the dump.
"""

from __future__ import annotations

import random
from pathlib import Path

import asyncpg

from domain.ids import TenantId
from domain.registry import AGGREGATE_CLASSES
from infrastructure import merkle
from infrastructure.backup import dump, restore
from infrastructure.database import create_pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from infrastructure.signed_note import (
    Checkpoint,
    Signer,
    Verifier,
    load_or_create_key,
    parse_note,
)
from infrastructure.transparency_log import TransparencyLog
from tests.conftest import new_database
from tests.integration.events import META, note_events
from tests.operations.databases import demo_database
from tests.sample_aggregate import Note

SOURCE, RESTORED = "passend_backup_source", "passend_backup_restored"


async def heads_and_chains(
    app_dsn: str, tenants: list[TenantId]
) -> dict[TenantId, tuple[int, bytes]]:
    """Each tenant's head, after checking that its whole hash chain verifies."""
    pool = await create_pool(app_dsn, min_size=1, max_size=2)
    try:
        store = PostgresEventStore(pool, EventCodec(AGGREGATE_CLASSES))
        found: dict[TenantId, tuple[int, bytes]] = {}
        for tenant in tenants:
            verification = await store.verify_chain(tenant)
            assert verification.intact, verification
            head = await store.head(tenant)
            assert verification.verified_up_to == head.last_position
            found[tenant] = (head.last_position, head.chain_hash)
        await store.close()
        return found
    finally:
        await pool.close()


async def test_a_restored_dump_holds_every_event_and_every_chain_verifies(
    admin_dsn: str, tmp_path: Path
) -> None:
    source_admin, source_app, summary = await demo_database(admin_dsn, SOURCE)
    tenants = [t.tenant_id for t in summary.tenants]
    before = await heads_and_chains(source_app, tenants)
    assert all(position > 0 for position, _ in before.values())

    backup = dump(source_admin, tmp_path / "passend.dump")
    restored_admin, restored_app = await new_database(admin_dsn, RESTORED)
    restore(backup, restored_admin)

    assert await heads_and_chains(restored_app, tenants) == before
    source, copy = await asyncpg.connect(source_admin), await asyncpg.connect(restored_admin)
    try:
        query = "SELECT count(*), count(DISTINCT key_ref) FROM events"
        assert await copy.fetchrow(query) == await source.fetchrow(query)
        keys = "SELECT count(*) FROM subject_keys"
        assert await copy.fetchval(keys) == await source.fetchval(keys) > 0
    finally:
        await source.close()
        await copy.close()


PROVEN_SOURCE, PROVEN_RESTORED = "passend_backup_proven", "passend_backup_proven_restored"
SAMPLED_EVENTS = 12


async def sign_checkpoints(
    app_dsn: str, signer: Signer, tenants: list[TenantId]
) -> dict[TenantId, str]:
    """Extend each tenant's tree to its head and sign it: the notes auditors hold."""
    pool = await create_pool(app_dsn, min_size=1, max_size=2)
    try:
        transparency_log = TransparencyLog(pool, signer)
        notes = {}
        for tenant in tenants:
            while await transparency_log.integrate(tenant, always=True):
                pass
            notes[tenant] = (await transparency_log.latest(tenant)).note.text
        return notes
    finally:
        await pool.close()


def checkpoint_in(note: str, signer: Signer, tenant: TenantId) -> Checkpoint:
    """The checkpoint a note signs, once the tenant log's signature (by its vkey) verifies."""
    vkey = Signer(f"{signer.name}/{tenant}", signer.key).verifier.vkey
    parsed = parse_note(note)
    parsed.verified_by(Verifier.from_vkey(vkey))
    return Checkpoint.from_body(parsed.body)


async def test_checkpoints_signed_before_the_dump_still_verify_against_the_restored_tree(
    admin_dsn: str, tmp_path: Path
) -> None:
    signer = Signer("passend.localhost", load_or_create_key(tmp_path / "checkpoint-key.pem"))
    source_admin, source_app, summary = await demo_database(admin_dsn, PROVEN_SOURCE)
    tenants = [t.tenant_id for t in summary.tenants]
    held = {
        t: checkpoint_in(note, signer, t)
        for t, note in (await sign_checkpoints(source_app, signer, tenants)).items()
    }

    backup = dump(source_admin, tmp_path / "passend.dump")
    restored_admin, restored_app = await new_database(admin_dsn, PROVEN_RESTORED)
    restore(backup, restored_admin)

    pool = await create_pool(restored_app, min_size=1, max_size=2)
    try:
        store = PostgresEventStore(pool, EventCodec([*AGGREGATE_CLASSES, Note]))
        for tenant in tenants:  # life goes on after the restore
            await store.append(tenant, note_events(3), expected_version=0, metadata=META)
        await store.close()
        later = await sign_checkpoints(restored_app, signer, tenants)
        transparency_log = TransparencyLog(pool, signer)
        sampler = random.Random(2604)
        for tenant in tenants:
            old, new = held[tenant], checkpoint_in(later[tenant], signer, tenant)
            assert new.size == old.size + 3

            proof = await transparency_log.consistency_proof(tenant, old.size, new.size)
            merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)

            positions = {1, old.size, *sampler.sample(range(1, old.size + 1), SAMPLED_EVENTS)}
            for position in sorted(positions):
                included = await transparency_log.inclusion_proof(tenant, position, old.size)
                merkle.verify_inclusion(
                    position - 1,
                    old.size,
                    merkle.leaf_hash(included.event_hash),
                    included.hashes,
                    old.root,
                )
    finally:
        await pool.close()
    # the hashes the proofs start from are the events' own: every chain recomputes
    assert set(await heads_and_chains(restored_app, tenants)) == set(tenants)
