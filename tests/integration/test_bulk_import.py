"""``passend import``: a history from NDJSON lands in the log as if it had been appended."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import msgspec
import pytest

from application.ports import RecordedEvent
from demo import seed_demo
from domain.ids import TenantId
from infrastructure.bulk_import import LOCK_HEAD, ImportLineError, import_events, import_line
from infrastructure.data_keys import DataKeys
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from infrastructure.in_memory_event_store import InMemoryEventStore
from infrastructure.key_provider import default_key_provider
from tests.tenant_codes import fresh_swv_code

pytestmark = pytest.mark.integration


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 2, 9, tzinfo=UTC)


async def _demo_history(codec: EventCodec) -> tuple[TenantId, list[RecordedEvent], list[bytes]]:
    tenant = fresh_swv_code()
    source = InMemoryEventStore(codec)
    await seed_demo(source, _Clock(), tenant_ids={"PO2604": tenant})
    events = [e async for page in source.read_log_pages(tenant) for e in page]
    lines = [
        import_line(
            tenant,
            e.event,
            codec,
            event_id=e.event_id,
            recorded_at=e.recorded_at,
            actor=e.actor,
            correlation_id=e.correlation_id,
            causation_id=e.causation_id,
        )
        for e in events
    ]
    return tenant, events, lines


async def test_an_imported_history_reads_back_event_for_event_with_a_sound_chain(
    database_dsns: tuple[str, str], pg_store: PostgresEventStore, codec: EventCodec
) -> None:
    tenant, events, lines = await _demo_history(codec)

    result = await import_events(database_dsns[0], codec, lines, chunk_size=50)

    stored = [e async for page in pg_store.read_log_pages(tenant) for e in page]
    assert result.events == len(events) == len(stored)
    assert [e.position for e in stored] == list(range(1, len(events) + 1))
    assert [(e.event_id, e.stream_id, e.stream_version) for e in stored] == [
        (e.event_id, e.stream_id, e.stream_version) for e in events
    ]
    assert [e.event.__dict__ for e in stored] == [e.event.__dict__ for e in events]
    verification = await pg_store.verify_chain(tenant)
    assert verification.first_broken_position is None
    assert verification.verified_up_to == len(events)


async def test_personal_fields_are_stored_encrypted(
    database_dsns: tuple[str, str], pg_store: PostgresEventStore, codec: EventCodec
) -> None:
    tenant, events, lines = await _demo_history(codec)
    names = {
        name
        for e in events
        if e.event_type == "PupilRegistered" and isinstance(name := vars(e.event)["name"], str)
    }

    await import_events(database_dsns[0], codec, lines)

    raw = [r.event for r in await pg_store.read_log(tenant, limit=1_000)]
    assert names
    assert {getattr(e, "name", None) for e in raw} >= names  # decrypted on reading
    async with pg_store._connections.lease() as conn:  # the stored rows, as they lie
        payloads = await conn.fetch(
            "SELECT payload FROM passend_read_log_events($1, 0, 1000)", tenant
        )
    stored = b"".join(row["payload"] for row in payloads)
    assert not any(name.encode() in stored for name in names)


async def test_an_import_run_again_adds_nothing(
    database_dsns: tuple[str, str], pg_store: PostgresEventStore, codec: EventCodec
) -> None:
    tenant, events, lines = await _demo_history(codec)
    await import_events(database_dsns[0], codec, lines[: len(lines) // 2], chunk_size=40)

    again = await import_events(database_dsns[0], codec, lines, chunk_size=40)

    assert (again.skipped, again.events) == (len(lines) // 2, len(lines) - len(lines) // 2)
    assert (await pg_store.head(tenant)).last_position == len(events)
    assert (await pg_store.verify_chain(tenant)).first_broken_position is None


async def test_a_line_that_does_not_fit_its_type_stops_the_import_naming_line_and_field(
    database_dsns: tuple[str, str], pg_store: PostgresEventStore, codec: EventCodec
) -> None:
    tenant, _, lines = await _demo_history(codec)
    broken = msgspec.json.decode(lines[3])
    broken["fields"]["unexpected"] = 1
    lines[3] = msgspec.json.encode(broken)

    with pytest.raises(ImportLineError, match=r"line 4: .*unexpected"):
        await import_events(database_dsns[0], codec, lines, chunk_size=100)

    assert (await pg_store.head(tenant)).last_position == 0


async def test_a_line_that_does_not_fit_stops_the_import_with_every_chunk_before_it_written(
    database_dsns: tuple[str, str], pg_store: PostgresEventStore, codec: EventCodec
) -> None:
    tenant, _, lines = await _demo_history(codec)
    broken = msgspec.json.decode(lines[65])
    broken["fields"]["unexpected"] = 1
    lines[65] = msgspec.json.encode(broken)

    with pytest.raises(ImportLineError, match=r"line 66: .*unexpected"):
        await import_events(database_dsns[0], codec, lines, chunk_size=20)

    assert (await pg_store.head(tenant)).last_position == 60
    assert (await pg_store.verify_chain(tenant)).first_broken_position is None


async def test_a_stream_that_skips_a_version_between_chunks_stops_the_import_at_that_chunk(
    database_dsns: tuple[str, str], pg_store: PostgresEventStore, codec: EventCodec
) -> None:
    # chunks are prepared by processes in turn, each seeing every other one: the writer
    # checks that a stream's first event in a chunk follows its last one in the chunks before
    tenant, events, lines = await _demo_history(codec)
    size = 20
    index = next(
        i
        for i, e in enumerate(events)
        if e.stream_version > 1
        and [o.stream_id for o in events[i - i % size : i - i % size + size]].count(e.stream_id)
        == 1
    )
    broken = msgspec.json.decode(lines[index])
    broken["stream_version"] += 1
    lines[index] = msgspec.json.encode(broken)

    stream, version = events[index].stream_id, events[index].stream_version
    gap = rf"line {index + 1}: stream {stream} is at version {version - 1};.* not {version + 1}$"
    with pytest.raises(ImportLineError, match=gap):
        await import_events(database_dsns[0], codec, lines, chunk_size=size)

    assert (await pg_store.head(tenant)).last_position == index - index % size
    assert (await pg_store.verify_chain(tenant)).first_broken_position is None


async def test_an_event_id_repeated_in_a_fresh_import_stops_it_naming_the_line(
    database_dsns: tuple[str, str], pg_store: PostgresEventStore, codec: EventCodec
) -> None:
    # Blocks of 20 lines go to the two preparing processes in turn: X, Y, X, Y, X, X. The
    # second process first meets tenant X in the sixth block, once the first blocks are
    # written: X held events by then, but not when the import began, so nothing is skipped.
    size = 20
    (first, _, first_lines), (second, _, second_lines) = [
        await _demo_history(codec) for _ in range(2)
    ]
    x, y = first_lines[: 4 * size], second_lines[: 2 * size]
    repeated = msgspec.json.decode(x[-1])
    repeated["event_id"] = msgspec.json.decode(x[0])["event_id"]
    x[-1] = msgspec.json.encode(repeated)
    lines = [*x[:size], *y[:size], *x[size : 2 * size], *y[size:], *x[2 * size :]]

    with pytest.raises(
        ImportLineError, match=rf"line {len(lines)}: event {repeated['event_id']} is .* position 1"
    ):
        await import_events(database_dsns[0], codec, lines, chunk_size=size)

    assert (await pg_store.head(first)).last_position == 3 * size
    assert (await pg_store.head(second)).last_position == 2 * size


async def test_an_event_id_repeated_within_a_chunk_names_both_lines(
    database_dsns: tuple[str, str], pg_store: PostgresEventStore, codec: EventCodec
) -> None:
    tenant, _, lines = await _demo_history(codec)
    lines = lines[:30]
    repeated = msgspec.json.decode(lines[-1])
    repeated["event_id"] = msgspec.json.decode(lines[24])["event_id"]
    lines[-1] = msgspec.json.encode(repeated)

    with pytest.raises(ImportLineError, match=r"line 30: event .* is there already, on line 25"):
        await import_events(database_dsns[0], codec, lines, chunk_size=20)

    assert (await pg_store.head(tenant)).last_position == 20


async def test_a_chunk_being_written_holds_up_no_new_data_key_of_its_tenant(
    database_dsns: tuple[str, str], pg_store: PostgresEventStore
) -> None:
    tenant = fresh_swv_code()
    await pg_store.register_tenant(tenant)
    writer = await asyncpg.connect(database_dsns[0])
    preparing = await asyncpg.connect(database_dsns[0])
    try:
        await preparing.execute("SET lock_timeout = '2s'")
        async with writer.transaction():
            assert await writer.fetchrow(LOCK_HEAD, tenant) is not None
            keys = await DataKeys(default_key_provider()).for_writing(
                preparing, tenant, {uuid4(), uuid4()}
            )
        assert len(keys) == 2
    finally:
        await writer.close()
        await preparing.close()
