"""The PostgreSQL event store: one statement per append, dense per-tenant positions.

An append bumps the tenant's head row and inserts the batch in one data-modifying CTE, so
positions are gapless and in commit order per tenant while tenants never wait for each
other. There is no table lock and no NOTIFY inside the append; readers are woken after commit.
A single event goes through ``passend_append_one`` (scalar parameters), a batch through
``passend_append_events`` (an array per column that differs by event, the payloads as one JSON
array and the hashes as one ``bytea``). Reads fetch only the columns that decoding needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
from collections.abc import AsyncGenerator, Callable, Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
from opentelemetry import trace
from opentelemetry.environment_variables import OTEL_PYTHON_TRACER_PROVIDER

from application.errors import (
    ConcurrencyConflictError,
    UnknownTenantError,
)
from application.ports import (
    AppendResult,
    ChainVerification,
    EventMetadata,
    NewEvent,
    RecordedEvent,
    StreamAppend,
    TenantHead,
)
from domain.ids import TenantId
from domain.registry import AGGREGATE_CLASSES
from infrastructure import metrics
from infrastructure.data_keys import DataKeys
from infrastructure.database import Connection, HeldConnections, Pool, tenant_transaction
from infrastructure.event_batches import (
    EVENT_ROW_KEY_REF,
    PreparedBatch,
    check_batch,
    check_page_size,
    check_streams,
    encode_and_hash,
    event_rows_to_recorded,
    prepare_checked_batch,
    recompute_hash,
    same_batch_again,
)
from infrastructure.event_codec import EventCodec
from infrastructure.hash_chain import ChainCheck, ChainRow, ChainWalk, genesis_hash
from infrastructure.key_provider import KeyProvider, default_key_provider

APPEND_SQL = (
    "SELECT passend_append_events($1, $2, $3, $4, $5, $6, $7, $8::uuid[], $9::text[],"
    " $10::int2[], $11::uuid[], $12::jsonb, $13::bytea)"
)
APPEND_ONE_SQL = "SELECT passend_append_one($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
# every column, hashes included: for verifying the chain
_READ_LOG = "SELECT * FROM passend_read_log($1, $2, $3)"
# the columns of passend_event_row: for decoding
READ_LOG_EVENTS_SQL = "SELECT * FROM passend_read_log_events($1, $2, $3)"
_READ_STREAM_EVENTS = "SELECT * FROM passend_read_stream_events($1, $2, $3, $4)"
_MAX_VERSION = 2**31 - 1
_tracer = trace.get_tracer("passend.event_store")
# A provider named by the environment is loaded at the first span: trace from the start then.
_traced = OTEL_PYTHON_TRACER_PROVIDER in os.environ
_MAX_POSITION = 2**63 - 1
_VERIFY_PAGE = 2_000

CommitListener = Callable[[TenantId, int], None]


HELD_BY_DEFAULT = 2
"""Connections a store keeps between calls unless told otherwise."""


class PostgresEventStore:
    """Implements ``application.ports.EventStore`` on an asyncpg pool.

    Between calls the store keeps up to ``held_connections`` of the pool's connections (by
    default ``HELD_BY_DEFAULT``) instead of checking one out per call; see ``HeldConnections``.
    Its functions and transactions leave nothing in a session, so that is safe. They go back to
    the pool after a quarter to half a second without use, or at ``close``.
    """

    def __init__(
        self,
        pool: Pool,
        codec: EventCodec,
        *,
        held_connections: int | None = None,
        key_provider: KeyProvider | None = None,
    ) -> None:
        self._pool = pool
        self._codec = codec
        # What the store keeps, the projection runner, the deliveries and the reads sharing the
        # pool cannot use: a store kept busy by a stream of appends is never idle long enough
        # to give back, so keeping all but one starved them (a read model seconds behind).
        default = min(HELD_BY_DEFAULT, max(1, pool.get_max_size() - 1))
        limit = default if held_connections is None else held_connections
        self._connections = HeldConnections(pool, limit)
        self._listeners: list[CommitListener] = []
        # no key cache: every call reads the keys it needs, so a shred anywhere is seen at once
        self._data_keys = DataKeys(key_provider or default_key_provider())

    @property
    def codec(self) -> EventCodec:
        return self._codec

    @property
    def data_keys(self) -> DataKeys:
        return self._data_keys

    @property
    def pool(self) -> Pool:
        return self._pool

    async def close(self) -> None:
        """Give the connections the store keeps back to the pool (before closing the pool)."""
        await self._connections.release_all()

    def on_commit(self, listener: CommitListener) -> None:
        """Call ``listener(tenant, last_position)`` after every committed append."""
        self._listeners.append(listener)

    async def register_tenant(self, tenant_id: TenantId) -> None:
        async with self._connections.lease() as conn, tenant_transaction(conn, tenant_id):
            await conn.execute(
                "INSERT INTO tenant_heads (tenant_id, chain_hash) VALUES ($1, $2)"
                " ON CONFLICT (tenant_id) DO NOTHING",
                tenant_id,
                genesis_hash(tenant_id),
            )

    async def append(
        self,
        tenant_id: TenantId,
        events: Sequence[NewEvent],
        *,
        expected_version: int,
        metadata: EventMetadata,
    ) -> AppendResult:
        if not _traced:
            return await self._append(tenant_id, events, expected_version, metadata)
        with _tracer.start_as_current_span(
            "event_store.append",
            attributes={"passend.tenant": tenant_id, "passend.events": len(events)},
        ):
            return await self._append(tenant_id, events, expected_version, metadata)

    def _append(
        self,
        tenant_id: TenantId,
        events: Sequence[NewEvent],
        expected_version: int,
        metadata: EventMetadata,
    ) -> Coroutine[Any, Any, AppendResult]:
        """Check the batch; its append to await, by one event or as a batch.

        Not a coroutine itself: awaiting an append then resumes through one frame less, once
        per round trip.
        """
        stream_id = check_batch(events, expected_version)
        if len(events) == 1:
            return self._append_one(tenant_id, stream_id, events, expected_version, metadata)
        return self._append_batch(tenant_id, stream_id, events, expected_version, metadata)

    async def _append_batch(
        self,
        tenant_id: TenantId,
        stream_id: UUID,
        events: Sequence[NewEvent],
        expected_version: int,
        metadata: EventMetadata,
    ) -> AppendResult:
        subjects = self._codec.subjects_of(e.event for e in events)
        data_keys = await self._data_keys_for_writing(tenant_id, subjects) if subjects else {}
        batch = prepare_checked_batch(
            self._codec,
            tenant_id,
            stream_id,
            events,
            expected_version=expected_version,
            metadata=metadata,
            recorded_at=datetime.now(UTC),
            data_keys=data_keys,
        )
        try:
            positions = await self._connections.fetch(
                APPEND_SQL, *append_arguments(tenant_id, batch)
            )
        except asyncpg.UniqueViolationError:
            positions = []
        if not positions:
            return await self._explain_refused_append(
                tenant_id, events, stream_id, expected_version
            )
        last = positions[-1][0]
        self._committed(tenant_id, last, len(events))
        return AppendResult(expected_version + len(events), positions[0][0], last)

    async def _append_one(
        self,
        tenant_id: TenantId,
        stream_id: UUID,
        events: Sequence[NewEvent],
        expected_version: int,
        metadata: EventMetadata,
    ) -> AppendResult:
        """``_append`` of one event: its row straight into ``passend_append_one``'s arguments.

        The commonest append (one command, one event), so it builds no batch and its
        connection comes without a lease; the client's time per append is what the store's
        benchmark compares with its own SQL called bare.
        """
        new = events[0]
        subject = self._codec.subject_of(new.event)
        data_keys = (
            {} if subject is None else await self._data_keys_for_writing(tenant_id, {subject})
        )
        recorded_at = datetime.now(UTC)
        version = expected_version + 1
        event_type, schema_version, payload, key_ref, digest = encode_and_hash(
            self._codec, tenant_id, stream_id, version, new, recorded_at, metadata, data_keys
        )
        try:
            position = await self._connections.fetchval(
                APPEND_ONE_SQL,
                tenant_id,
                stream_id,
                expected_version,
                recorded_at,
                metadata.actor,
                metadata.correlation_id,
                metadata.causation_id,
                new.event_id,
                event_type,
                schema_version,
                key_ref,
                payload,
                digest,
            )
        except asyncpg.UniqueViolationError:
            position = None
        if position is None:
            return await self._explain_refused_append(
                tenant_id, events, stream_id, expected_version
            )
        self._committed(tenant_id, position, 1)
        return AppendResult(version, position, position)

    async def append_streams(
        self, tenant_id: TenantId, appends: Sequence[StreamAppend], *, metadata: EventMetadata
    ) -> list[AppendResult]:
        if not _traced:
            return await self._append_streams(tenant_id, appends, metadata)
        with _tracer.start_as_current_span(
            "event_store.append_streams",
            attributes={
                "passend.tenant": tenant_id,
                "passend.events": sum(len(a.events) for a in appends),
            },
        ):
            return await self._append_streams(tenant_id, appends, metadata)

    async def _append_streams(
        self, tenant_id: TenantId, appends: Sequence[StreamAppend], metadata: EventMetadata
    ) -> list[AppendResult]:
        stream_ids = check_streams(appends)
        events = [e for a in appends for e in a.events]
        subjects = self._codec.subjects_of(e.event for e in events)
        data_keys = await self._data_keys_for_writing(tenant_id, subjects) if subjects else {}
        recorded_at = datetime.now(UTC)
        batches = [
            prepare_checked_batch(
                self._codec,
                tenant_id,
                stream_id,
                append.events,
                expected_version=append.expected_version,
                metadata=metadata,
                recorded_at=recorded_at,
                data_keys=data_keys,
            )
            for append, stream_id in zip(appends, stream_ids, strict=True)
        ]
        try:
            async with self._connections.lease() as conn, conn.transaction():
                written = await _write_batches(conn, tenant_id, batches)
        except (_RefusedAppendError, asyncpg.UniqueViolationError):
            return await self._explain_refused_appends(tenant_id, appends, batches, metadata)
        self._committed(
            tenant_id,
            max(r.last_position for r in written),
            sum(r.last_position - r.first_position + 1 for r in written),
        )
        return written

    def _committed(self, tenant_id: TenantId, last_position: int, events: int) -> None:
        metrics.record_append(tenant_id, events)
        for listener in self._listeners:
            listener(tenant_id, last_position)

    async def _explain_refused_appends(
        self,
        tenant_id: TenantId,
        appends: Sequence[StreamAppend],
        batches: Sequence[PreparedBatch],
        metadata: EventMetadata,
    ) -> list[AppendResult]:
        """Each stream's batch as stored before, or the conflict that refused the transaction.

        Streams whose batch was stored already answer its original result; if only some
        were, the others are appended together now (a retry completes what is missing).
        """
        done: dict[int, AppendResult] = {}
        pending: list[int] = []
        first_conflict: ConcurrencyConflictError | None = None
        for index, (append, batch) in enumerate(zip(appends, batches, strict=True)):
            try:
                done[index] = await self._explain_refused_append(
                    tenant_id, append.events, batch.stream_id, batch.expected_version
                )
            except ConcurrencyConflictError as conflict:
                if conflict.actual != conflict.expected:
                    raise
                pending.append(index)
                first_conflict = first_conflict or conflict
        if first_conflict is not None and not done:
            raise first_conflict  # nothing was stored: another writer came between
        if pending:
            completed = await self._append_streams(
                tenant_id, [appends[i] for i in pending], metadata
            )
            done.update(zip(pending, completed, strict=True))
        return [done[i] for i in range(len(appends))]

    async def _explain_refused_append(
        self,
        tenant_id: TenantId,
        events: Sequence[NewEvent],
        stream_id: UUID,
        expected_version: int,
    ) -> AppendResult:
        async with self._connections.lease() as conn, tenant_transaction(conn, tenant_id):
            if (
                await conn.fetchval("SELECT 1 FROM tenant_heads WHERE tenant_id = $1", tenant_id)
                != 1
            ):
                raise UnknownTenantError(tenant_id)
            rows = await conn.fetch(
                "SELECT * FROM events WHERE tenant_id = $1 AND event_id = ANY($2::uuid[])"
                " ORDER BY position",
                tenant_id,
                [e.event_id for e in events],
            )
            if rows:
                keys = await self._data_keys_for_reading(
                    conn, tenant_id, {r["key_ref"] for r in rows} - {None}
                )
                by_id = {row["event_id"]: row for row in rows}
                return same_batch_again(self._codec, events, by_id, keys)
            actual = await conn.fetchval(
                "SELECT coalesce(max(stream_version), 0) FROM events"
                " WHERE tenant_id = $1 AND stream_id = $2",
                tenant_id,
                stream_id,
            )
        raise ConcurrencyConflictError(stream_id, expected=expected_version, actual=int(actual))

    async def read_stream(
        self,
        tenant_id: TenantId,
        stream_id: UUID,
        *,
        to_version: int | None = None,
        to_position: int | None = None,
    ) -> list[RecordedEvent]:
        async with self._connections.lease() as conn:
            rows = await conn.fetch(
                _READ_STREAM_EVENTS,
                tenant_id,
                stream_id,
                _MAX_VERSION if to_version is None else to_version,
                _MAX_POSITION if to_position is None else to_position,
            )
            return await self._decode(conn, tenant_id, rows)

    async def read_log(
        self, tenant_id: TenantId, *, after: int = 0, limit: int = 500
    ) -> list[RecordedEvent]:
        async with self._connections.lease() as conn:
            rows = await conn.fetch(READ_LOG_EVENTS_SQL, tenant_id, after, limit)
            return await self._decode(conn, tenant_id, rows)

    async def read_log_pages(
        self, tenant_id: TenantId, *, after: int = 0, page_size: int = 500
    ) -> AsyncGenerator[list[RecordedEvent], None]:
        """``read_log`` page after page, each next page fetched while this one is decoded.

        The server's part of a page (reading the rows, sending them) then overlaps the
        client's (decoding them into events). A full page is final (positions are dense and
        never change), so reading ahead never returns stale rows.
        """
        check_page_size(page_size)
        async with self._connections.lease() as conn:
            rows = await conn.fetch(READ_LOG_EVENTS_SQL, tenant_id, after, page_size)
            while rows:
                keys = await self._data_keys_of_rows(conn, tenant_id, rows)
                ahead: asyncio.Future[list[asyncpg.Record]] | None = None
                if len(rows) == page_size:
                    ahead = asyncio.ensure_future(
                        conn.fetch(READ_LOG_EVENTS_SQL, tenant_id, rows[-1][0], page_size)
                    )
                    await asyncio.sleep(0)  # the read-ahead sends its query before we decode
                try:
                    yield event_rows_to_recorded(self._codec, tenant_id, rows, keys)
                except (Exception, GeneratorExit):
                    # an undecodable page, or the caller stopped: let the read-ahead finish
                    # (one page) so that the connection is clean to keep
                    if ahead is not None:
                        with contextlib.suppress(Exception):
                            await ahead
                    raise
                except BaseException:
                    if ahead is not None:  # cancelled: the lease hands the connection back
                        ahead.cancel()
                    raise
                rows = await ahead if ahead is not None else []

    async def _decode(
        self, conn: Connection, tenant_id: TenantId, rows: Sequence[asyncpg.Record]
    ) -> list[RecordedEvent]:
        """Rows of ``passend_event_row`` to recorded events."""
        keys = await self._data_keys_of_rows(conn, tenant_id, rows)
        return event_rows_to_recorded(self._codec, tenant_id, rows, keys)

    async def _data_keys_of_rows(
        self, conn: Connection, tenant_id: TenantId, rows: Sequence[asyncpg.Record]
    ) -> dict[UUID, bytes | None]:
        """The data keys that rows of ``passend_event_row`` with personal fields need."""
        refs = {r[EVENT_ROW_KEY_REF] for r in rows} - {None}
        return await self._data_keys_for_reading(conn, tenant_id, refs) if refs else {}

    async def head(self, tenant_id: TenantId) -> TenantHead:
        async with self._connections.lease() as conn, tenant_transaction(conn, tenant_id):
            row = await conn.fetchrow(
                "SELECT last_position, chain_hash FROM tenant_heads WHERE tenant_id = $1",
                tenant_id,
            )
        if row is None:
            raise UnknownTenantError(tenant_id)
        return TenantHead(tenant_id, row["last_position"], row["chain_hash"])

    async def verify_chain(self, tenant_id: TenantId) -> ChainVerification:
        # Up to the head as read now: events appended meanwhile belong to a later chain hash.
        head = await self.head(tenant_id)
        walk = ChainWalk(tenant_id)
        check: ChainCheck | None = None
        after = 0
        async with self._connections.lease() as conn:
            while check is None and after < head.last_position:
                limit = min(_VERIFY_PAGE, head.last_position - after)
                page = await conn.fetch(_READ_LOG, tenant_id, after, limit)
                check = walk.feed(
                    ChainRow(r["position"], r["event_hash"], recompute_hash(r), r["commit_hash"])
                    for r in page
                )
                if len(page) < limit:
                    break
                after = page[-1]["position"]
        check = check or walk.finish()
        if check.first_broken_position is None and (
            check.verified_up_to != head.last_position or check.chain_hash != head.chain_hash
        ):
            return ChainVerification(
                tenant_id,
                check.verified_up_to,
                check.chain_hash,
                check.verified_up_to + 1,
                "the tenant head does not match the chain over the stored events",
            )
        return ChainVerification(
            tenant_id,
            check.verified_up_to,
            check.chain_hash,
            check.first_broken_position,
            check.reason,
        )

    async def shred_subject(self, tenant_id: TenantId, subject_id: UUID) -> None:
        async with self._connections.lease() as conn:
            await self._data_keys.shred(conn, tenant_id, [subject_id])

    async def _data_keys_for_writing(
        self, tenant_id: TenantId, subjects: set[UUID]
    ) -> dict[UUID, bytes]:
        async with self._connections.lease() as conn:
            return await self._data_keys.for_writing(conn, tenant_id, subjects)

    async def _data_keys_for_reading(
        self, conn: Connection, tenant_id: TenantId, refs: set[UUID | None]
    ) -> dict[UUID, bytes | None]:
        wanted = {ref for ref in refs if ref is not None}
        return await self._data_keys.for_reading(conn, tenant_id, wanted) if wanted else {}


def trace_appends() -> None:
    """Open a span per append from now on: for whoever sets the tracer provider (``api.tracing``).

    Without a provider a span records nothing, yet opening one costs about as much client CPU
    as encoding and hashing the event; and asking OpenTelemetry whether one is set costs about
    1.2 µs per append (it looks up an environment variable each time). So the store is told.
    """
    global _traced  # noqa: PLW0603 - a provider, once set, stays
    _traced = True


class _RefusedAppendError(Exception):
    """One stream's batch was refused: roll back the whole transaction, then explain why."""


async def _write_batch(
    conn: Connection, tenant_id: TenantId, batch: PreparedBatch
) -> AppendResult | None:
    """Append one prepared batch; None if the stream is not at the expected version."""
    first: int | None
    if len(batch.event_ids) == 1:
        first = last = await conn.fetchval(APPEND_ONE_SQL, *append_one_arguments(tenant_id, batch))
    else:
        positions = await conn.fetch(APPEND_SQL, *append_arguments(tenant_id, batch))
        first, last = (positions[0][0], positions[-1][0]) if positions else (None, None)
    if first is None or last is None:
        return None
    return AppendResult(
        stream_version=batch.expected_version + len(batch.event_ids),
        first_position=first,
        last_position=last,
    )


async def _write_batches(
    conn: Connection, tenant_id: TenantId, batches: Sequence[PreparedBatch]
) -> list[AppendResult]:
    """Append each batch in turn (in the caller's transaction); the first refused one raises."""
    written = []
    for batch in batches:
        result = await _write_batch(conn, tenant_id, batch)
        if result is None:
            raise _RefusedAppendError
        written.append(result)
    return written


def append_one_arguments(tenant_id: TenantId, batch: PreparedBatch) -> tuple[Any, ...]:
    meta = batch.metadata
    return (
        tenant_id,
        batch.stream_id,
        batch.expected_version,
        batch.recorded_at,
        meta.actor,
        meta.correlation_id,
        meta.causation_id,
        batch.event_ids[0],
        batch.event_types[0],
        batch.schema_versions[0],
        batch.key_refs[0],
        batch.payloads[0],
        batch.hashes[0],
    )


def append_arguments(tenant_id: TenantId, batch: PreparedBatch) -> tuple[Any, ...]:
    """``passend_append_events``'s arguments (migration 0014)."""
    meta = batch.metadata
    key_refs = batch.key_refs
    return (
        tenant_id,
        batch.stream_id,
        batch.expected_version,
        batch.recorded_at,
        meta.actor,
        meta.correlation_id,
        meta.causation_id,
        batch.event_ids,
        batch.event_types,
        batch.schema_versions,
        key_refs if any(ref is not None for ref in key_refs) else None,
        b"[" + b",".join(batch.payloads) + b"]",
        b"".join(batch.hashes),
    )


@functools.cache
def application_codec() -> EventCodec:
    """The codec of every aggregate's events, made once per process.

    Making it reads every event class's type hints (tens of ms); a worker that makes it
    before it serves spends none of that in a turn of its event loop.
    """
    return EventCodec(AGGREGATE_CLASSES)


def application_store(pool: Pool, data_dir: Path) -> PostgresEventStore:
    """The store of every aggregate, its personal fields under the KEKs of ``data_dir``."""
    return PostgresEventStore(
        pool, application_codec(), key_provider=default_key_provider(data_dir)
    )
