"""Each tenant's transparency log on PostgreSQL: tiles, signed checkpoints, proofs, integrator."""

from __future__ import annotations

import asyncio
import random
import time

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.ids import TenantId
from infrastructure import merkle
from infrastructure.database import Pool, tenant_transaction
from infrastructure.event_store import PostgresEventStore
from infrastructure.merkle import CompactTree, leaf_hash, verify_consistency, verify_inclusion
from infrastructure.signed_note import Checkpoint, NoteError, Signer
from infrastructure.transparency_log import LogNotReadyError, TransparencyLog
from projections.log_integrator import LogIntegrator
from tests.conftest import new_tenant_id
from tests.integration.events import META, note_events

pytestmark = pytest.mark.integration


@pytest.fixture
def platform_key() -> Signer:
    return Signer("passend.test", Ed25519PrivateKey.generate())


@pytest.fixture
def transparency_log(app_pool: Pool, platform_key: Signer) -> TransparencyLog:
    return TransparencyLog(app_pool, platform_key)


async def new_tenant(store: PostgresEventStore, events: int, code: str | None = None) -> TenantId:
    tenant = TenantId(code) if code else new_tenant_id()
    await store.register_tenant(tenant)
    await write(store, tenant, events)
    return tenant


async def write(store: PostgresEventStore, tenant: TenantId, events: int) -> None:
    """``events`` events in streams of one to five, so commits hold several events."""
    while events > 0:
        count = min(events, random.randint(1, 5))
        await store.append(tenant, note_events(count), expected_version=0, metadata=META)
        events -= count


async def stored_event_hashes(pool: Pool, tenant: TenantId) -> list[bytes]:
    async with pool.acquire() as conn, tenant_transaction(conn, tenant):
        rows = await conn.fetch(
            "SELECT event_hash FROM events WHERE tenant_id = $1 ORDER BY position", tenant
        )
    return [r["event_hash"] for r in rows]


def root_of(hashes: list[bytes]) -> bytes:
    tree = CompactTree()
    for event_hash in hashes:
        tree.append(leaf_hash(event_hash))
    return tree.root()


async def test_a_checkpoint_signs_the_root_of_the_tenants_event_hashes(
    pg_store: PostgresEventStore, transparency_log: TransparencyLog, app_pool: Pool
) -> None:
    tenant = await new_tenant(pg_store, 300)

    checkpoint = await transparency_log.integrate(tenant)
    stored = await transparency_log.latest(tenant)

    assert checkpoint == Checkpoint(f"passend.test/{tenant}", 300, root_of(
        await stored_event_hashes(app_pool, tenant)
    ))  # fmt: skip
    assert stored.checkpoint == checkpoint
    assert stored.note.verified_by(transparency_log.verifier(tenant)) == 0
    assert await transparency_log.integrate(tenant) is None


async def test_proofs_from_the_tiles_verify_against_every_checkpoint(
    pg_store: PostgresEventStore, transparency_log: TransparencyLog, app_pool: Pool
) -> None:
    tenant = await new_tenant(pg_store, 257)
    sizes = []
    for more in (0, 1, 254, 300):
        await write(pg_store, tenant, more)
        checkpoint = await transparency_log.integrate(tenant)
        assert checkpoint is not None
        sizes.append(checkpoint.size)
    hashes = await stored_event_hashes(app_pool, tenant)

    for size in sizes:
        root = (await transparency_log.at_size(tenant, size)).checkpoint.root
        assert root == root_of(hashes[:size])
        for position in {1, size, *random.sample(range(1, size + 1), 10)}:
            proof = await transparency_log.inclusion_proof(tenant, position, size)
            assert proof.event_hash == hashes[position - 1]
            verify_inclusion(position - 1, size, leaf_hash(proof.event_hash), proof.hashes, root)
        for old in sizes[: sizes.index(size)]:
            old_root = (await transparency_log.at_size(tenant, old)).checkpoint.root
            proof_hashes = await transparency_log.consistency_proof(tenant, old, size)
            verify_consistency(old, size, old_root, root, proof_hashes)


async def test_no_proof_beyond_the_latest_checkpoint(
    pg_store: PostgresEventStore, transparency_log: TransparencyLog
) -> None:
    tenant = await new_tenant(pg_store, 5)
    with pytest.raises(LogNotReadyError):
        await transparency_log.latest(tenant)
    await transparency_log.integrate(tenant)
    await write(pg_store, tenant, 3)

    with pytest.raises(LogNotReadyError):
        await transparency_log.inclusion_proof(tenant, 6, 8)
    with pytest.raises(LogNotReadyError):
        await transparency_log.consistency_proof(tenant, 5, 8)


async def test_a_position_missing_from_the_log_is_named_and_nothing_is_signed(
    pg_store: PostgresEventStore,
    transparency_log: TransparencyLog,
    database_dsns: tuple[str, str],
) -> None:
    tenant = await new_tenant(pg_store, 4)
    await transparency_log.integrate(tenant)
    await write(pg_store, tenant, 6)
    admin = await asyncpg.connect(database_dsns[0])
    try:
        await admin.execute("DELETE FROM events WHERE tenant_id = $1 AND position = 7", tenant)
    finally:
        await admin.close()

    with pytest.raises(merkle.ProofError, match="position 7 is missing"):
        await transparency_log.integrate(tenant)
    assert (await transparency_log.latest(tenant)).checkpoint.size == 4


async def test_an_empty_log_gets_the_empty_tree_on_demand_only(
    pg_store: PostgresEventStore, transparency_log: TransparencyLog
) -> None:
    tenant = await new_tenant(pg_store, 0)

    assert await transparency_log.integrate(tenant) is None
    checkpoint = await transparency_log.integrate(tenant, always=True)

    assert checkpoint is not None
    assert (checkpoint.size, checkpoint.root) == (0, merkle.EMPTY_ROOT)


async def test_a_checkpoint_signed_by_another_key_is_refused(
    pg_store: PostgresEventStore, transparency_log: TransparencyLog, app_pool: Pool
) -> None:
    tenant = await new_tenant(pg_store, 3)
    await transparency_log.integrate(tenant)
    impostor = TransparencyLog(app_pool, Signer("passend.test", Ed25519PrivateKey.generate()))

    note = (await transparency_log.latest(tenant)).note

    with pytest.raises(NoteError):
        note.verified_by(impostor.verifier(tenant))


async def test_a_tenant_sees_no_other_tenants_tiles_or_checkpoints(
    pg_store: PostgresEventStore, transparency_log: TransparencyLog, app_pool: Pool
) -> None:
    tenant, other = await new_tenant(pg_store, 3), await new_tenant(pg_store, 3)
    await transparency_log.integrate(tenant)

    async with app_pool.acquire() as conn, tenant_transaction(conn, other):
        tiles = await conn.fetchval("SELECT count(*) FROM log_tiles WHERE tenant_id = $1", tenant)
        checkpoints = await conn.fetchval(
            "SELECT count(*) FROM log_checkpoints WHERE tenant_id = $1", tenant
        )

    assert (tiles, checkpoints) == (0, 0)


async def test_the_integrator_signs_a_checkpoint_after_a_commit_unasked(
    app_pool: Pool, codec: object, transparency_log: TransparencyLog
) -> None:
    """Woken by the commit, not by its poll (a minute away); the bench measures the delay."""
    store = PostgresEventStore(app_pool, codec)  # type: ignore[arg-type]
    integrator = LogIntegrator(app_pool, transparency_log, poll_interval_s=60)
    store.on_commit(integrator.wake)
    await integrator.start()
    try:
        tenant = await new_tenant(store, 4)
        committed = time.monotonic()
        while True:
            try:
                latest = await transparency_log.latest(tenant)
            except LogNotReadyError:
                latest = None
            if latest is not None and latest.checkpoint.size == 4:
                break
            assert time.monotonic() - committed < 30, "no checkpoint after the commit"
            await asyncio.sleep(0.02)
    finally:
        await integrator.stop()
        await store.close()


class _CountingLog(TransparencyLog):
    """The real log, counting one tenant's extensions and those that found nothing to do.

    Other tenants of the test database lag too: the integrator's first poll extends them.
    """

    def __init__(self, pool: Pool, key: Signer, tenant_id: TenantId) -> None:
        super().__init__(pool, key)
        self.tenant_id = tenant_id
        self.calls = self.empty = 0

    async def integrate(self, tenant_id: TenantId, *, always: bool = False) -> Checkpoint | None:
        checkpoint = await super().integrate(tenant_id, always=always)
        if tenant_id == self.tenant_id:
            self.calls += 1
            self.empty += checkpoint is None
        return checkpoint


async def test_the_integrator_extends_a_commits_tree_once_without_a_call_that_finds_nothing(
    app_pool: Pool, codec: object, platform_key: Signer
) -> None:
    store = PostgresEventStore(app_pool, codec)  # type: ignore[arg-type]
    tenant = new_tenant_id()
    counting = _CountingLog(app_pool, platform_key, tenant)
    integrator = LogIntegrator(app_pool, counting, poll_interval_s=60, settle_s=0.01)
    await store.register_tenant(tenant)
    store.on_commit(integrator.wake)
    await integrator.start()
    try:
        for commit in range(1, 4):
            await store.append(tenant, note_events(1), expected_version=0, metadata=META)
            deadline = time.monotonic() + 30
            while counting.calls < commit:
                assert time.monotonic() < deadline, "no checkpoint after the commit"
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.1)  # time for a call more, if there were one
        latest = await counting.latest(tenant)
    finally:
        await integrator.stop()
        await store.close()

    assert latest.checkpoint.size == 3
    assert (counting.calls, counting.empty) == (3, 0)
