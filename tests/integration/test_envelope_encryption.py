"""Data keys at rest only wrapped under a tenant KEK; rotation online; shreds seen everywhere."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import pytest

from application.errors import DataShreddedError, KeyUnavailableError, UnknownTenantError
from application.ports import NewEvent
from domain.ids import TenantId
from infrastructure.data_keys import PooledDataKeys, kek_of, key_writers_lock_key
from infrastructure.database import Pool, create_pool, tenant_transaction
from infrastructure.event_batches import prepare_batch
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import APPEND_SQL, PostgresEventStore, append_arguments
from infrastructure.field_encryption import new_data_key
from infrastructure.key_provider import LocalKeyProvider
from tests.conftest import new_tenant_id
from tests.integration.events import META, T0, note_events
from tests.sample_aggregate import Note, open_note

pytestmark = pytest.mark.integration


@pytest.fixture
def provider(tmp_path: Path) -> LocalKeyProvider:
    return LocalKeyProvider(tmp_path / "keks")


@pytest.fixture
def keyed_store(
    app_pool: Pool, codec: EventCodec, provider: LocalKeyProvider
) -> PostgresEventStore:
    return PostgresEventStore(app_pool, codec, key_provider=provider)


async def _tenant(store: PostgresEventStore) -> TenantId:
    tenant = new_tenant_id()
    await store.register_tenant(tenant)
    return tenant


async def _open_notes(
    store: PostgresEventStore, tenant: TenantId, authors: list[str]
) -> list[UUID]:
    ids = []
    for author in authors:
        events = note_events(1, author=author)
        await store.append(tenant, events, expected_version=0, metadata=META)
        ids.append(events[0].event.originator_id)
    return ids


async def _open_notes_with_id(store: PostgresEventStore, tenant: TenantId, note: UUID) -> None:
    events = [NewEvent(uuid4(), e) for e in open_note(note, T0, author="Fenna").collect_events()]
    await store.append(tenant, events, expected_version=0, metadata=META)


async def _authors(store: PostgresEventStore, tenant: TenantId) -> dict[UUID, str | None]:
    return {
        e.stream_id: vars(e.event)["author_name"]
        for e in await store.read_log(tenant, limit=10_000)
        if isinstance(e.event, Note.Opened)
    }


async def _stored_keys(pool: Pool, tenant: TenantId) -> list[bytes | None]:
    async with pool.acquire() as conn, tenant_transaction(conn, tenant):
        return [
            r[0]
            for r in await conn.fetch(
                "SELECT data_key FROM subject_keys WHERE tenant_id = $1", tenant
            )
        ]


async def _every_table_as_text(admin_dsn: str) -> str:
    """Every row of every table and read model, as PostgreSQL prints it (bytea as hex)."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        tables = await conn.fetch(
            "SELECT schemaname, tablename FROM pg_tables"
            " WHERE schemaname IN ('public', 'read_models')"
        )
        dumps = [
            await conn.fetchval(
                f'SELECT coalesce(string_agg(t::text, chr(10)), \'\') FROM "{s}"."{t}" t'  # noqa: S608
            )
            for s, t in tables
        ]
    finally:
        await conn.close()
    return "\n".join(dumps)


async def test_a_new_data_key_is_stored_only_wrapped_under_the_tenants_current_kek(
    keyed_store: PostgresEventStore, provider: LocalKeyProvider, app_pool: Pool
) -> None:
    tenant = await _tenant(keyed_store)
    [note] = await _open_notes(keyed_store, tenant, ["Anna de Vries"])
    [stored] = await _stored_keys(app_pool, tenant)
    assert stored is not None
    assert len(stored) != 32
    assert kek_of(stored) == await provider.current_kek(tenant)
    assert (await _authors(keyed_store, tenant))[note] == "Anna de Vries"


async def test_rotation_under_load_loses_no_readable_field_and_leaves_no_unwrapped_key(
    keyed_store: PostgresEventStore,
    provider: LocalKeyProvider,
    app_pool: Pool,
    database_dsns: tuple[str, str],
) -> None:
    tenant = await _tenant(keyed_store)
    written = dict(
        zip(
            await _open_notes(keyed_store, tenant, [f"Leerling {i}" for i in range(60)]),
            [f"Leerling {i}" for i in range(60)],
            strict=True,
        )
    )
    old_kek = await provider.current_kek(tenant)
    stop = asyncio.Event()

    async def write_meanwhile(writer: int) -> None:
        count = 0
        while not stop.is_set():
            author = f"Schrijver {writer}-{count}"
            [note] = await _open_notes(keyed_store, tenant, [author])
            written[note] = author
            count += 1

    async def read_meanwhile() -> int:
        reads = 0
        while not stop.is_set():
            seen = await _authors(keyed_store, tenant)
            assert all(seen[n] == a for n, a in list(written.items()) if n in seen)
            reads += 1
        return reads

    load = [asyncio.create_task(write_meanwhile(w)) for w in range(3)]
    reader = asyncio.create_task(read_meanwhile())
    progress: list[tuple[int, int]] = []
    async with app_pool.acquire() as conn:
        result = await keyed_store.data_keys.rotate(
            conn, tenant, lambda done, total: progress.append((done, total))
        )
    stop.set()
    await asyncio.gather(*load)
    assert await reader > 0

    assert result.kek_id != old_kek
    assert result.rewrapped >= 60
    assert progress
    assert progress[-1][0] == progress[-1][1]
    assert await _authors(keyed_store, tenant) == written
    stored = await _stored_keys(app_pool, tenant)
    assert {kek_of(s) for s in stored if s is not None} == {result.kek_id}
    provider.revoke(tenant, old_kek)  # the old KEK is no longer needed by anything
    assert await _authors(keyed_store, tenant) == written
    async with app_pool.acquire() as conn:
        bare_keys = (await keyed_store.data_keys.for_reading(conn, tenant, written)).values()
    every_row = await _every_table_as_text(database_dsns[0])
    assert not [key for key in bare_keys if key is not None and key.hex() in every_row]


async def _until_done_or_waiting_for(task: asyncio.Task[object], pool: Pool, lock: int) -> None:
    """Until ``task`` ends or some session waits for the advisory lock ``lock``."""
    unsigned = lock & (2**64 - 1)
    async with pool.acquire() as conn:
        while not task.done():
            if await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1",
                unsigned >> 32,
                unsigned & 0xFFFFFFFF,
            ):
                return
            await asyncio.sleep(0.01)


async def test_a_key_wrapped_under_the_old_kek_and_committed_after_the_switch_is_rewrapped_too(
    keyed_store: PostgresEventStore, provider: LocalKeyProvider, app_pool: Pool
) -> None:
    tenant = await _tenant(keyed_store)
    await _open_notes(keyed_store, tenant, ["Anna de Vries"])
    async with app_pool.acquire() as writer, app_pool.acquire() as rewrapper:
        # as the pupil index stores its key: inside a transaction that commits later
        async with tenant_transaction(writer, tenant):
            await keyed_store.data_keys.for_writing(writer, tenant, {uuid4()})
            new_kek = await provider.new_kek(tenant)
            rewrap = asyncio.create_task(keyed_store.data_keys.rewrap(rewrapper, tenant))
            await _until_done_or_waiting_for(rewrap, app_pool, key_writers_lock_key(tenant))
        result = await rewrap

    stored = await _stored_keys(app_pool, tenant)
    assert [kek_of(s) for s in stored if s is not None] == [new_kek, new_kek]
    assert result.rewrapped == 2


async def test_a_first_time_subjects_key_is_written_in_four_round_trips_and_a_failure_rolls_back(
    keyed_store: PostgresEventStore, app_pool: Pool
) -> None:
    tenant, subject = await _tenant(keyed_store), uuid4()
    queries: list[str] = []
    async with app_pool.acquire() as conn:
        conn.add_query_logger(lambda logged: queries.append(logged.query))
        made = await keyed_store.data_keys.for_writing(conn, tenant, {subject})
        assert not conn.is_in_transaction()
        with pytest.raises(UnknownTenantError):
            await keyed_store.data_keys.for_writing(conn, new_tenant_id(), {uuid4()})
        assert not conn.is_in_transaction(), "a failed write is rolled back"
        again = await keyed_store.data_keys.for_writing(conn, tenant, {subject})

    # the stored keys read, BEGIN with the key writers' lock, the insert, COMMIT; then the
    # failing write's read
    written = queries[:5]
    assert written[4] == written[0], written
    assert (
        written[1] == f"BEGIN; SELECT pg_advisory_xact_lock_shared({key_writers_lock_key(tenant)})"
    )
    assert written[3] == "COMMIT"
    assert again == made
    assert [kek_of(s) for s in await _stored_keys(app_pool, tenant) if s is not None] == [
        await keyed_store.data_keys.provider.current_kek(tenant)
    ]


async def test_a_bare_key_from_before_wrapping_stays_readable_and_is_wrapped_online(
    keyed_store: PostgresEventStore, provider: LocalKeyProvider, app_pool: Pool
) -> None:
    tenant = await _tenant(keyed_store)
    note_id = uuid4()
    legacy_key = new_data_key()
    async with app_pool.acquire() as conn, tenant_transaction(conn, tenant):
        await conn.execute(
            "INSERT INTO subject_keys (tenant_id, subject_id, data_key) VALUES ($1, $2, $3)",
            tenant,
            note_id,
            legacy_key,
        )
    events = [NewEvent(uuid4(), e) for e in open_note(note_id, T0, author="Bram").collect_events()]
    batch = prepare_batch(
        keyed_store.codec,
        tenant,
        events,
        expected_version=0,
        metadata=META,
        recorded_at=T0,
        data_keys={note_id: legacy_key},
    )
    async with app_pool.acquire() as conn:
        await conn.fetch(APPEND_SQL, *append_arguments(tenant, batch))
    assert await keyed_store.data_keys.census(app_pool, tenant) == {"bare": 1}
    assert (await _authors(keyed_store, tenant))[note_id] == "Bram"

    async with app_pool.acquire() as conn:
        result = await keyed_store.data_keys.rewrap(conn, tenant)

    assert result.rewrapped == 1
    assert await keyed_store.data_keys.census(app_pool, tenant) == {
        await provider.current_kek(tenant): 1
    }
    assert (await _authors(keyed_store, tenant))[note_id] == "Bram"
    assert (await keyed_store.verify_chain(tenant)).intact


async def test_a_revoked_kek_makes_only_that_tenants_personal_fields_unreadable(
    keyed_store: PostgresEventStore, provider: LocalKeyProvider
) -> None:
    revoked, other = await _tenant(keyed_store), await _tenant(keyed_store)
    [lost] = await _open_notes(keyed_store, revoked, ["Chris"])
    [kept] = await _open_notes(keyed_store, other, ["Dana"])

    provider.revoke(revoked, await provider.current_kek(revoked))

    [opened] = await keyed_store.read_stream(revoked, lost)
    assert isinstance(opened.event, Note.Opened)
    assert vars(opened.event)["author_name"] is None
    assert opened.event.title == "t"  # the rest of the event is as it was
    assert (await _authors(keyed_store, other))[kept] == "Dana"
    with pytest.raises(KeyUnavailableError):
        await _open_notes(keyed_store, revoked, ["Eva"])
    assert (await keyed_store.verify_chain(revoked)).intact


async def test_destroying_a_tenants_keks_leaves_none_that_opens_a_backup_of_its_data_keys(
    keyed_store: PostgresEventStore, provider: LocalKeyProvider, app_pool: Pool, tmp_path: Path
) -> None:
    leaving, staying = await _tenant(keyed_store), await _tenant(keyed_store)
    [note] = await _open_notes(keyed_store, leaving, ["Femke"])
    [kept] = await _open_notes(keyed_store, staying, ["Gijs"])
    first = await provider.current_kek(leaving)
    [backed_up] = await _stored_keys(app_pool, leaving)  # as a backup holds it
    async with app_pool.acquire() as conn:
        await keyed_store.data_keys.rotate(conn, leaving)
    second = await provider.current_kek(leaving)

    assert await provider.destroy_keks(leaving) == sorted([first, second])

    assert not (tmp_path / "keks" / leaving).exists()
    assert await keyed_store.data_keys.unwrap_rows(leaving, [(note, backed_up)]) == {note: None}
    assert (await _authors(keyed_store, leaving))[note] is None
    assert (await _authors(keyed_store, staying))[kept] == "Gijs"
    assert await provider.destroy_keks(leaving) == []


async def test_more_tenants_rotating_at_once_than_the_pool_has_connections_all_complete(
    keyed_store: PostgresEventStore, provider: LocalKeyProvider, database_dsns: tuple[str, str]
) -> None:
    tenants = [await _tenant(keyed_store) for _ in range(5)]
    for tenant in tenants:
        await _open_notes(keyed_store, tenant, ["Hanna"])
    new_keks = [await provider.new_kek(tenant) for tenant in tenants]
    small = await create_pool(database_dsns[1], min_size=1, max_size=2)
    try:
        keys = PooledDataKeys(keyed_store.data_keys, small)
        results = await asyncio.wait_for(asyncio.gather(*map(keys.rewrap, tenants)), timeout=30)
    finally:
        small.terminate()  # closing waits for connections a hung re-wrap still holds

    assert [(r.kek_id, r.rewrapped) for r in results if r is not None] == [
        (kek, 1) for kek in new_keks
    ]


async def test_a_process_re_wraps_two_tenants_at_a_time_and_leaves_the_rest_of_its_pool_free(
    keyed_store: PostgresEventStore, provider: LocalKeyProvider, database_dsns: tuple[str, str]
) -> None:
    tenants = [await _tenant(keyed_store) for _ in range(4)]
    for tenant in tenants:
        await provider.new_kek(tenant)
    locks = [key_writers_lock_key(t) for t in tenants]
    writer = await asyncpg.connect(database_dsns[1])  # a writer of every tenant's new keys
    pool = await create_pool(database_dsns[1], min_size=1, max_size=6)
    try:
        async with writer.transaction():
            await writer.execute(
                "SELECT pg_advisory_xact_lock_shared(k) FROM unnest($1::bigint[]) AS k", locks
            )
            keys = PooledDataKeys(keyed_store.data_keys, pool)
            rewraps = asyncio.gather(*map(keys.rewrap, tenants))
            await asyncio.sleep(0.5)
            waiting = await writer.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND (classid::bigint << 32) | objid::bigint = ANY($1::bigint[])",
                locks,
            )
        results = await asyncio.wait_for(rewraps, timeout=30)
    finally:
        await writer.close()
        pool.terminate()

    assert waiting == 2
    assert all(r is not None for r in results)


@pytest.fixture
async def second_pool(database_dsns: tuple[str, str]) -> AsyncIterator[Pool]:
    """A pool of its own: another process's view of the same database."""
    pool = await create_pool(database_dsns[1], min_size=1, max_size=3)
    yield pool
    await pool.close()


async def test_a_shred_in_one_process_is_honoured_by_the_next_read_and_write_of_another(
    keyed_store: PostgresEventStore,
    provider: LocalKeyProvider,
    second_pool: Pool,
    codec: EventCodec,
) -> None:
    elsewhere = PostgresEventStore(second_pool, codec, key_provider=provider)
    tenant = await _tenant(keyed_store)
    [note] = await _open_notes(keyed_store, tenant, ["Fenna"])
    # the other process reads and writes personal data of the subject: it has used its key
    assert (await _authors(elsewhere, tenant))[note] == "Fenna"
    [other_note] = await _open_notes(elsewhere, tenant, ["Gert"])

    await keyed_store.shred_subject(tenant, note)

    assert (await _authors(elsewhere, tenant)) == {note: None, other_note: "Gert"}
    with pytest.raises(DataShreddedError):
        await _open_notes_with_id(elsewhere, tenant, note)
    await elsewhere.close()


async def test_two_processes_giving_a_subject_its_first_key_at_once_both_use_the_stored_one(
    keyed_store: PostgresEventStore,
    provider: LocalKeyProvider,
    app_pool: Pool,
    second_pool: Pool,
    codec: EventCodec,
) -> None:
    elsewhere = PostgresEventStore(second_pool, codec, key_provider=provider)
    tenant = await _tenant(keyed_store)
    subjects = {uuid4() for _ in range(20)}

    async def keys(store: PostgresEventStore, pool: Pool) -> dict[UUID, bytes]:
        async with pool.acquire() as conn:
            return await store.data_keys.for_writing(conn, tenant, subjects)

    here, there = await asyncio.gather(keys(keyed_store, app_pool), keys(elsewhere, second_pool))

    assert here == there
    assert here.keys() == subjects
    assert len(await _stored_keys(app_pool, tenant)) == len(subjects)
    async with app_pool.acquire() as conn:
        assert await keyed_store.data_keys.for_reading(conn, tenant, subjects) == here
    await elsewhere.close()
