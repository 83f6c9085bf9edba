"""The EventStore contract, run against the in-memory and the PostgreSQL store alike."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from uuid import uuid4

import pytest

from application.errors import (
    ConcurrencyConflictError,
    EventIdReusedError,
    InvalidAppendError,
    UnknownTenantError,
)
from application.ports import EventStore, NewEvent, StreamAppend
from domain.ids import TenantId
from tests.conftest import new_tenant_id
from tests.integration.events import META, T0, more_events, note_events
from tests.sample_aggregate import Note, open_note


async def test_appending_a_new_stream_gives_dense_positions_from_one(
    store: EventStore, tenant: TenantId
) -> None:
    result = await store.append(tenant, note_events(3), expected_version=0, metadata=META)
    assert (result.stream_version, result.first_position, result.last_position) == (3, 1, 3)
    second = await store.append(tenant, note_events(2), expected_version=0, metadata=META)
    assert (second.first_position, second.last_position) == (4, 5)
    assert (await store.head(tenant)).last_position == 5


async def test_a_stream_reads_back_as_the_events_that_were_appended(
    store: EventStore, tenant: TenantId
) -> None:
    events = note_events(3)
    await store.append(tenant, events, expected_version=0, metadata=META)
    stream = await store.read_stream(tenant, events[0].event.originator_id)
    assert [r.event.__dict__ for r in stream] == [e.event.__dict__ for e in events]
    assert [r.event_id for r in stream] == [e.event_id for e in events]
    assert [r.event_type for r in stream] == [
        "TestNoteOpened",
        "TestNoteWritten",
        "TestNoteWritten",
    ]
    assert {(r.schema_version, r.actor, r.tenant_id) for r in stream} == {(1, "user:test", tenant)}


async def test_a_stream_reads_up_to_a_version_or_a_tenant_position(
    store: EventStore, tenant: TenantId
) -> None:
    first = note_events(3)
    await store.append(tenant, first, expected_version=0, metadata=META)
    await store.append(tenant, note_events(2), expected_version=0, metadata=META)
    stream_id = first[0].event.originator_id
    assert [r.stream_version for r in await store.read_stream(tenant, stream_id, to_version=2)] == [
        1,
        2,
    ]
    assert [r.position for r in await store.read_stream(tenant, stream_id, to_position=1)] == [1]


async def test_the_tenant_log_pages_after_a_position(store: EventStore, tenant: TenantId) -> None:
    for _ in range(4):
        await store.append(tenant, note_events(2), expected_version=0, metadata=META)
    page = await store.read_log(tenant, after=3, limit=4)
    assert [r.position for r in page] == [4, 5, 6, 7]
    assert [r.position for r in await store.read_log(tenant, after=7, limit=10)] == [8]


async def _pages(
    store: EventStore, tenant: TenantId, *, after: int = 0, page_size: int
) -> list[list[int]]:
    return [
        [r.position for r in page]
        async for page in store.read_log_pages(tenant, after=after, page_size=page_size)
    ]


async def test_reading_the_log_page_by_page_yields_every_event_once_in_order(
    store: EventStore, tenant: TenantId
) -> None:
    for _ in range(4):
        await store.append(tenant, note_events(3), expected_version=0, metadata=META)
    assert await _pages(store, tenant, page_size=5) == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]
    assert await _pages(store, tenant, page_size=4) == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    assert await _pages(store, tenant, after=9, page_size=2) == [[10, 11], [12]]
    assert await _pages(store, tenant, after=12, page_size=2) == []


async def test_log_pages_hold_the_events_read_log_returns_personal_fields_decrypted(
    store: EventStore, tenant: TenantId
) -> None:
    for author in ("Anna de Vries", "Bert Jansen", "Cor Smit"):
        await store.append(tenant, note_events(2, author=author), expected_version=0, metadata=META)
    paged = [r async for page in store.read_log_pages(tenant, page_size=2) for r in page]
    assert paged == await store.read_log(tenant)
    authors = [vars(r.event)["author_name"] for r in paged if isinstance(r.event, Note.Opened)]
    assert authors == ["Anna de Vries", "Bert Jansen", "Cor Smit"]


async def test_a_log_page_size_below_one_is_refused(store: EventStore, tenant: TenantId) -> None:
    with pytest.raises(ValueError, match="page_size"):
        await anext(aiter(store.read_log_pages(tenant, page_size=0)))


async def test_stopping_early_in_the_log_pages_leaves_the_store_usable(
    store: EventStore, tenant: TenantId
) -> None:
    for _ in range(5):
        await store.append(tenant, note_events(2), expected_version=0, metadata=META)
    async with contextlib.aclosing(store.read_log_pages(tenant, page_size=3)) as pages:
        async for page in pages:
            assert [r.position for r in page] == [1, 2, 3]
            break
    await store.append(tenant, note_events(1), expected_version=0, metadata=META)
    assert len(await store.read_log(tenant)) == 11
    assert await _pages(store, tenant, after=8, page_size=3) == [[9, 10, 11]]


async def test_appending_at_a_stale_version_is_a_conflict_naming_both_versions(
    store: EventStore, tenant: TenantId
) -> None:
    note = open_note(uuid4(), T0)
    note.write("a", timestamp=T0)
    await store.append(
        tenant,
        [NewEvent(uuid4(), e) for e in note.collect_events()],
        expected_version=0,
        metadata=META,
    )
    note.write("b", timestamp=T0)
    late = [NewEvent(uuid4(), e) for e in note.collect_events()]
    await store.append(tenant, late, expected_version=2, metadata=META)
    note.write("c", timestamp=T0)
    stale = NewEvent(uuid4(), note.collect_events()[0])
    # the same version 4, but claimed to follow version 2
    with pytest.raises(InvalidAppendError):
        await store.append(tenant, [stale], expected_version=2, metadata=META)
    rival = open_note(note.id, T0)
    with pytest.raises(ConcurrencyConflictError) as raised:
        await store.append(
            tenant,
            [NewEvent(uuid4(), e) for e in rival.collect_events()],
            expected_version=0,
            metadata=META,
        )
    assert (raised.value.expected, raised.value.actual) == (0, 3)


async def test_appending_past_the_end_of_a_stream_is_a_conflict(
    store: EventStore, tenant: TenantId
) -> None:
    note = open_note(uuid4(), T0)
    note.collect_events()
    note.write("ahead", timestamp=T0)
    with pytest.raises(ConcurrencyConflictError) as raised:
        await store.append(
            tenant,
            [NewEvent(uuid4(), e) for e in note.collect_events()],
            expected_version=1,
            metadata=META,
        )
    assert (raised.value.expected, raised.value.actual) == (1, 0)
    assert await store.read_log(tenant) == []


async def test_the_same_batch_again_returns_the_original_positions_and_adds_nothing(
    store: EventStore, tenant: TenantId
) -> None:
    events = note_events(3)
    first = await store.append(tenant, events, expected_version=0, metadata=META)
    again = await store.append(tenant, events, expected_version=0, metadata=META)
    assert again == first
    assert len(await store.read_log(tenant)) == 3


async def test_reusing_an_event_id_for_other_content_is_refused(
    store: EventStore, tenant: TenantId
) -> None:
    events = note_events(1)
    await store.append(tenant, events, expected_version=0, metadata=META)
    other = note_events(1, note_id=events[0].event.originator_id, author="Bert")
    with pytest.raises(EventIdReusedError):
        await store.append(
            tenant,
            [NewEvent(events[0].event_id, other[0].event)],
            expected_version=0,
            metadata=META,
        )
    assert len(await store.read_log(tenant)) == 1


@pytest.mark.parametrize("expected_version", ["0", 0.0, True, None, -1])
async def test_an_expected_version_that_is_not_a_whole_number_is_refused(
    store: EventStore, tenant: TenantId, expected_version: object
) -> None:
    with pytest.raises(InvalidAppendError):
        await store.append(
            tenant,
            note_events(1),
            expected_version=expected_version,  # type: ignore[arg-type]
            metadata=META,
        )
    assert await store.read_log(tenant) == []


async def test_an_empty_batch_is_refused(store: EventStore, tenant: TenantId) -> None:
    with pytest.raises(InvalidAppendError):
        await store.append(tenant, [], expected_version=0, metadata=META)


async def test_a_batch_spanning_two_streams_is_refused(store: EventStore, tenant: TenantId) -> None:
    with pytest.raises(InvalidAppendError):
        await store.append(
            tenant, [note_events(1)[0], note_events(1)[0]], expected_version=0, metadata=META
        )
    assert await store.read_log(tenant) == []


async def test_a_batch_giving_two_events_one_event_id_is_refused(
    store: EventStore, tenant: TenantId
) -> None:
    first, second = note_events(2)
    with pytest.raises(InvalidAppendError, match="its own event id"):
        await store.append(
            tenant,
            [first, NewEvent(first.event_id, second.event)],
            expected_version=0,
            metadata=META,
        )
    assert await store.read_log(tenant) == []


async def test_an_oversized_payload_is_refused_and_nothing_is_written(
    store: EventStore, tenant: TenantId
) -> None:
    note = open_note(uuid4(), T0)
    note.write("x" * 100_000, timestamp=T0)
    with pytest.raises(InvalidAppendError, match=r"event 2 \(TestNoteWritten\) .* limit"):
        await store.append(
            tenant,
            [NewEvent(uuid4(), e) for e in note.collect_events()],
            expected_version=0,
            metadata=META,
        )
    assert await store.read_log(tenant) == []


async def test_appending_to_an_unknown_tenant_is_refused(store: EventStore) -> None:
    with pytest.raises(UnknownTenantError):
        await store.append(new_tenant_id(), note_events(1), expected_version=0, metadata=META)


async def test_the_same_stream_id_in_two_tenants_stays_two_streams(store: EventStore) -> None:
    first, second = new_tenant_id(), new_tenant_id()
    await store.register_tenant(first)
    await store.register_tenant(second)
    stream_id = uuid4()
    await store.append(first, note_events(2, note_id=stream_id), expected_version=0, metadata=META)
    await store.append(
        second, note_events(3, note_id=stream_id, author="Bert"), expected_version=0, metadata=META
    )
    assert [r.stream_version for r in await store.read_stream(first, stream_id)] == [1, 2]
    in_second = await store.read_stream(second, stream_id)
    assert [r.position for r in in_second] == [1, 2, 3]
    assert isinstance(in_second[0].event, Note.Opened)
    assert in_second[0].event.author_name == "Bert"


async def test_an_untampered_log_verifies(store: EventStore, tenant: TenantId) -> None:
    for size in (1, 3, 2):
        await store.append(tenant, note_events(size), expected_version=0, metadata=META)
    check = await store.verify_chain(tenant)
    assert check.intact
    assert check.verified_up_to == 6
    assert check.chain_hash == (await store.head(tenant)).chain_hash


async def test_shredding_a_subject_erases_its_personal_fields_but_keeps_the_chain(
    store: EventStore, tenant: TenantId
) -> None:
    events = note_events(2, author="Anna de Vries")
    stream_id = events[0].event.originator_id
    await store.append(tenant, events, expected_version=0, metadata=META)
    opened = (await store.read_stream(tenant, stream_id))[0].event
    assert isinstance(opened, Note.Opened)
    assert opened.author_name == "Anna de Vries"
    await store.shred_subject(tenant, stream_id)
    shredded: object = (await store.read_stream(tenant, stream_id))[0].event
    assert isinstance(shredded, Note.Opened)
    assert vars(shredded)["author_name"] is None
    assert shredded.title == "t"
    assert (await store.verify_chain(tenant)).intact


async def test_recorded_times_follow_commit_order(store: EventStore, tenant: TenantId) -> None:
    await store.append(tenant, note_events(1), expected_version=0, metadata=META)
    await store.append(tenant, note_events(1), expected_version=0, metadata=META)
    first, second = await store.read_log(tenant)
    assert second.recorded_at - first.recorded_at >= timedelta(0)


# Appending to several streams of one tenant in one transaction


async def test_two_streams_appended_together_take_consecutive_positions(
    store: EventStore, tenant: TenantId
) -> None:
    first, second = note_events(2), note_events(1)
    results = await store.append_streams(
        tenant, [StreamAppend(first, 0), StreamAppend(second, 0)], metadata=META
    )
    assert [(r.stream_version, r.first_position, r.last_position) for r in results] == [
        (2, 1, 2),
        (1, 3, 3),
    ]
    for events in (first, second):
        stream = await store.read_stream(tenant, events[0].event.originator_id)
        assert [r.event_id for r in stream] == [e.event_id for e in events]
    assert (await store.verify_chain(tenant)).intact


async def test_a_refused_second_stream_leaves_the_first_unwritten_too(
    store: EventStore, tenant: TenantId
) -> None:
    taken = note_events(1)
    await store.append(tenant, taken, expected_version=0, metadata=META)
    before = await store.head(tenant)
    fresh = note_events(2)
    clashing = note_events(1, note_id=taken[0].event.originator_id)
    with pytest.raises(ConcurrencyConflictError) as raised:
        await store.append_streams(
            tenant, [StreamAppend(fresh, 0), StreamAppend(clashing, 0)], metadata=META
        )
    assert (raised.value.stream_id, raised.value.actual) == (taken[0].event.originator_id, 1)
    assert await store.read_stream(tenant, fresh[0].event.originator_id) == []
    assert await store.head(tenant) == before


async def test_the_same_streams_again_return_the_original_results_and_add_nothing(
    store: EventStore, tenant: TenantId
) -> None:
    appends = [StreamAppend(note_events(2), 0), StreamAppend(note_events(3), 0)]
    first = await store.append_streams(tenant, appends, metadata=META)
    again = await store.append_streams(tenant, appends, metadata=META)
    assert again == first
    assert len(await store.read_log(tenant)) == 5


async def test_a_retry_completes_the_streams_that_are_missing(
    store: EventStore, tenant: TenantId
) -> None:
    stored, missing = note_events(2), note_events(1)
    before = await store.append(tenant, stored, expected_version=0, metadata=META)
    results = await store.append_streams(
        tenant, [StreamAppend(stored, 0), StreamAppend(missing, 0)], metadata=META
    )
    assert results[0] == before
    assert (results[1].stream_version, results[1].first_position) == (1, 3)


async def test_one_stream_twice_in_an_append_is_refused(
    store: EventStore, tenant: TenantId
) -> None:
    note = open_note(uuid4(), T0)
    opened = [NewEvent(uuid4(), e) for e in note.collect_events()]
    written = more_events(note, 1)
    with pytest.raises(InvalidAppendError):
        await store.append_streams(
            tenant, [StreamAppend(opened, 0), StreamAppend(written, 1)], metadata=META
        )
    assert await store.read_log(tenant) == []
