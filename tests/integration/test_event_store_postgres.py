"""What only the PostgreSQL store can show: concurrency, commit order, isolation, durability."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import uuid4

import asyncpg
import pytest

from application.errors import ConcurrencyConflictError
from application.ports import NewEvent, TenantHead
from domain.ids import TenantId
from infrastructure import event_store
from infrastructure.database import Pool, init_connection, tenant_transaction
from infrastructure.event_batches import recompute_hash
from infrastructure.event_codec import EventCodec, UnknownEventTypeError
from infrastructure.event_store import PostgresEventStore
from tests.conftest import new_tenant_id
from tests.integration.events import (
    META,
    T0,
    append_without_commit,
    more_events,
    note_events,
)
from tests.sample_aggregate import open_note

pytestmark = pytest.mark.integration


async def _tenant(store: PostgresEventStore, commits: int = 0) -> TenantId:
    """A new tenant, its log holding ``commits`` appends of two notes each."""
    tenant = new_tenant_id()
    await store.register_tenant(tenant)
    for _ in range(commits):
        await store.append(tenant, note_events(2), expected_version=0, metadata=META)
    return tenant


@asynccontextmanager
async def _as_admin(database_dsns: tuple[str, str]) -> AsyncIterator[asyncpg.Connection]:
    """The database owner's own connection: what tampering with the log would take."""
    admin = await asyncpg.connect(database_dsns[0])
    try:
        yield admin
    finally:
        await admin.close()


async def _forge(admin: asyncpg.Connection, tenant: TenantId, position: int) -> None:
    await admin.execute(
        "UPDATE events SET payload = jsonb_set(payload, '{text}', '\"forged\"')"
        " WHERE tenant_id = $1 AND position = $2",
        tenant,
        position,
    )


async def test_many_appends_at_one_expected_version_let_exactly_one_win(
    pg_store: PostgresEventStore,
) -> None:
    tenant = await _tenant(pg_store)
    note = open_note(uuid4(), T0)
    await pg_store.append(
        tenant,
        [NewEvent(uuid4(), e) for e in note.collect_events()],
        expected_version=0,
        metadata=META,
    )
    rivals = []
    for index in range(12):
        note.write(f"rival {index}", timestamp=T0)
        rivals.append([NewEvent(uuid4(), e) for e in note.collect_events()])
        note.version = 1  # every rival claims version 2

    async def attempt(batch: list[NewEvent]) -> tuple[int, int] | str:
        try:
            await pg_store.append(tenant, batch, expected_version=1, metadata=META)
        except ConcurrencyConflictError as conflict:
            return (conflict.expected, conflict.actual)
        return "won"

    outcomes = await asyncio.gather(*(attempt(batch) for batch in rivals))
    assert outcomes.count("won") == 1
    assert [o for o in outcomes if o != "won"] == [(1, 2)] * 11
    log = await pg_store.read_log(tenant)
    assert [r.position for r in log] == [1, 2]
    assert (await pg_store.head(tenant)).last_position == 2


async def test_an_open_append_holds_back_its_tenant_but_not_others_and_readers_never_skip(
    pg_store: PostgresEventStore, database_dsns: tuple[str, str]
) -> None:
    tenant, other = await _tenant(pg_store), await _tenant(pg_store)
    await pg_store.append(tenant, note_events(1), expected_version=0, metadata=META)
    held = await asyncpg.connect(database_dsns[1])
    try:
        transaction = await append_without_commit(held, pg_store, tenant, note_events(1))
        writer_b = asyncio.create_task(
            pg_store.append(tenant, note_events(1), expected_version=0, metadata=META)
        )
        other_result = await asyncio.wait_for(
            pg_store.append(other, note_events(2), expected_version=0, metadata=META), timeout=5
        )
        assert other_result.last_position == 2, "another tenant does not wait"
        await asyncio.sleep(0.3)
        assert not writer_b.done(), "B waits for A's head row"
        assert [r.position for r in await pg_store.read_log(tenant)] == [1]
        await transaction.commit()
        assert (await asyncio.wait_for(writer_b, timeout=5)).last_position == 3
    finally:
        await held.close()
    assert [r.position for r in await pg_store.read_log(tenant)] == [1, 2, 3]


async def test_readers_following_many_racing_writers_see_every_position_once_in_order(
    pg_store: PostgresEventStore,
) -> None:
    tenant = await _tenant(pg_store)
    writers, per_writer = 6, 15
    total = writers * per_writer

    async def write(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(per_writer):
            await asyncio.sleep(rng.random() / 200)
            await pg_store.append(tenant, note_events(1), expected_version=0, metadata=META)

    async def follow() -> list[int]:
        seen: list[int] = []
        while len(seen) < total:
            page = await pg_store.read_log(tenant, after=seen[-1] if seen else 0, limit=7)
            seen.extend(r.position for r in page)
            if not page:
                await asyncio.sleep(0.001)
        return seen

    readers = [asyncio.create_task(follow()) for _ in range(3)]
    await asyncio.gather(*(write(seed) for seed in range(writers)))
    for seen in await asyncio.gather(*readers):
        assert seen == list(range(1, total + 1))


async def test_raw_sql_scoped_to_one_tenant_sees_and_writes_nothing_of_another(
    pg_store: PostgresEventStore, app_pool: Pool
) -> None:
    mine, theirs = await _tenant(pg_store), await _tenant(pg_store)
    await pg_store.append(theirs, note_events(3), expected_version=0, metadata=META)
    await pg_store.append(mine, note_events(1), expected_version=0, metadata=META)
    async with app_pool.acquire() as conn:
        async with tenant_transaction(conn, mine):
            assert await conn.fetchval("SELECT count(*) FROM events") == 1
            assert (
                await conn.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", theirs) == 0
            )
            assert await conn.fetchval("SELECT count(*) FROM tenant_heads") == 1
            updated = await conn.execute(
                "UPDATE tenant_heads SET last_position = 0 WHERE tenant_id = $1", theirs
            )
            assert updated == "UPDATE 0"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with tenant_transaction(conn, mine):
                await conn.execute(
                    "INSERT INTO tenant_heads (tenant_id, chain_hash) VALUES ($1, '\\x00')",
                    new_tenant_id(),
                )
        assert await conn.fetchval("SELECT count(*) FROM events") == 0, "no scope, no rows"
        assert (
            await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            is False
        )


async def test_a_client_killed_in_the_middle_of_a_batch_leaves_nothing_behind(
    pg_store: PostgresEventStore, database_dsns: tuple[str, str]
) -> None:
    tenant = await _tenant(pg_store)
    await pg_store.append(tenant, note_events(1), expected_version=0, metadata=META)
    victim = await asyncpg.connect(database_dsns[1])
    events = note_events(5)
    stream_id = events[0].event.originator_id
    await append_without_commit(victim, pg_store, tenant, events)
    victim.terminate()  # the client dies before it commits
    after = await pg_store.append(tenant, note_events(2), expected_version=0, metadata=META)
    assert (after.first_position, after.last_position) == (2, 3), "no gap was left"
    assert await pg_store.read_stream(tenant, stream_id) == []
    assert (await pg_store.verify_chain(tenant)).intact


async def test_each_event_of_a_batch_is_stored_with_its_own_payload_hash_and_key_ref(
    pg_store: PostgresEventStore, database_dsns: tuple[str, str]
) -> None:
    # passend_append_events takes the payloads as one JSON array, the hashes as one bytea and
    # no key refs when no event has personal fields: each row must still get its own
    tenant = await _tenant(pg_store)
    note = open_note(uuid4(), T0, author="Anna")
    opened = [NewEvent(uuid4(), e) for e in note.collect_events()]
    await pg_store.append(tenant, opened, expected_version=0, metadata=META)
    written = more_events(note, 3)  # no personal fields: the batch has no key refs at all
    await pg_store.append(tenant, written, expected_version=1, metadata=META)
    async with _as_admin(database_dsns) as admin:
        await init_connection(admin)
        rows = await admin.fetch(
            "SELECT * FROM events WHERE tenant_id = $1 ORDER BY position", tenant
        )
    assert [r["event_id"] for r in rows] == [e.event_id for e in opened + written]
    assert [r["key_ref"] for r in rows] == [note.id, None, None, None]
    assert [r["commit_hash"] is None for r in rows] == [False, True, True, False]
    assert all(r["event_hash"] == recompute_hash(r) for r in rows)
    texts = [vars(r.event)["text"] for r in (await pg_store.read_stream(tenant, note.id))[1:]]
    assert texts == ["more0", "more1", "more2"]
    assert (await pg_store.verify_chain(tenant)).intact


async def test_changing_one_stored_payload_is_found_at_its_position(
    pg_store: PostgresEventStore, database_dsns: tuple[str, str]
) -> None:
    tenant = await _tenant(pg_store, commits=3)
    async with _as_admin(database_dsns) as admin:
        await _forge(admin, tenant, 4)
    check = await pg_store.verify_chain(tenant)
    assert check.first_broken_position == 4
    assert check.verified_up_to == 2


async def test_rewriting_a_hash_along_with_its_payload_breaks_the_chain_at_that_commit(
    pg_store: PostgresEventStore, database_dsns: tuple[str, str]
) -> None:
    tenant = await _tenant(pg_store, commits=3)
    async with _as_admin(database_dsns) as admin:
        await init_connection(admin)
        await _forge(admin, tenant, 4)
        forged = await admin.fetchrow(
            "SELECT * FROM events WHERE tenant_id = $1 AND position = 4", tenant
        )
        assert forged is not None
        await admin.execute(
            "UPDATE events SET event_hash = $2 WHERE tenant_id = $1 AND position = 4",
            tenant,
            recompute_hash(forged),
        )
    check = await pg_store.verify_chain(tenant)
    assert check.first_broken_position == 3  # the commit of positions 3 and 4
    assert check.verified_up_to == 2
    assert check.reason is not None
    assert "chain hash" in check.reason


async def test_deleting_the_last_event_is_found_at_its_commit(
    pg_store: PostgresEventStore, database_dsns: tuple[str, str]
) -> None:
    tenant = await _tenant(pg_store, commits=3)
    async with _as_admin(database_dsns) as admin:
        await admin.execute("DELETE FROM events WHERE tenant_id = $1 AND position = 6", tenant)
    check = await pg_store.verify_chain(tenant)
    assert check.first_broken_position == 5
    assert check.verified_up_to == 4


async def test_a_long_log_is_verified_page_by_page_up_to_the_first_break(
    pg_store: PostgresEventStore, database_dsns: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_store, "_VERIFY_PAGE", 3)
    tenant = await _tenant(pg_store, commits=5)
    assert (await pg_store.verify_chain(tenant)).verified_up_to == 10
    async with _as_admin(database_dsns) as admin:
        await _forge(admin, tenant, 8)
    check = await pg_store.verify_chain(tenant)
    assert check.first_broken_position == 8
    assert check.verified_up_to == 6


async def test_events_appended_during_a_verification_do_not_count_against_it(
    app_pool: Pool, codec: EventCodec
) -> None:
    class AppendsRightAfterReadingTheHead(PostgresEventStore):
        async def head(self, tenant_id: TenantId) -> TenantHead:
            head = await super().head(tenant_id)
            await self.append(tenant_id, note_events(2), expected_version=0, metadata=META)
            return head

    store = AppendsRightAfterReadingTheHead(app_pool, codec)
    tenant = await _tenant(store)
    await store.append(tenant, note_events(3), expected_version=0, metadata=META)
    check = await store.verify_chain(tenant)
    assert check.intact
    assert check.verified_up_to == 3
    await store.close()


async def test_an_undecodable_log_page_raises_and_leaves_the_connection_clean(
    app_pool: Pool, pg_store: PostgresEventStore
) -> None:
    tenant = await _tenant(pg_store, commits=3)
    # one connection, so the failed read's own connection is the one used next
    blind = PostgresEventStore(app_pool, EventCodec([]), held_connections=1)
    with pytest.raises(UnknownEventTypeError):
        async for _ in blind.read_log_pages(tenant, page_size=2):
            pass  # pragma: no cover - the first page cannot be decoded
    with pytest.raises(UnknownEventTypeError):
        await blind.read_log(tenant)
    assert (await blind.head(tenant)).last_position == 6
    await blind.close()


async def test_a_cancelled_log_reader_gives_its_connection_back(
    app_pool: Pool, pg_store: PostgresEventStore
) -> None:
    tenant = await _tenant(pg_store, commits=3)
    reader = PostgresEventStore(app_pool, pg_store.codec, held_connections=1)
    first_page = asyncio.Event()

    async def read_slowly() -> None:
        async for _ in reader.read_log_pages(tenant, page_size=2):
            first_page.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(read_slowly())
    await first_page.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [r.position for r in await reader.read_log(tenant, after=4)] == [5, 6]
    await reader.close()
