"""Bulk import: a history of events from NDJSON (an SWV moving from its old system) into the log.

One event per line, in the order the log should hold them; a stream's events in version order.
A line is a JSON object (unknown keys are refused)::

    {"tenant": "PO2604", "stream_id": "<uuid>", "stream_version": 1, "event_id": "<uuid>",
     "type": "PupilRegistered.v1", "recorded_at": "2024-08-19T09:30:00+02:00",
     "actor": "loket:j.jansen", "correlation_id": "<uuid>" | null, "causation_id": null,
     "fields": {"name": "…", "date_of_birth": "2015-03-02", …}}

``fields`` are the event's own fields in the clear, checked strictly against its type (every
field, typed, no others). The import encrypts personal fields with the subject's data key,
hashes each event as an append does, gives each tenant's events the next dense positions and
extends the tenant's hash chain; each chunk (consecutive lines of one tenant) is one commit.

Rows go in with ``COPY``, which PostgreSQL does not allow on tables with row-level security
for roles it applies to: the import runs as the database owner (the admin DSN). A tenant's head
row is locked for each chunk, so appends of the running service wait, and positions stay
dense. Resumable: a chunk is committed whole or not at all, and a rerun skips events whose ids
a tenant already holds (checked only until the first chunk that is not there yet).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from application.ports import DomainEvent
from infrastructure.database import Connection, init_connection
from infrastructure.event_batches import MAX_PAYLOAD_BYTES
from infrastructure.event_codec import EventCodec, UnknownEventTypeError
from infrastructure.field_encryption import new_data_key
from infrastructure.hash_chain import event_hash, genesis_hash

_TENANT = re.compile(r"^[A-Z0-9_-]{2,32}$")
_TYPE = re.compile(r"^(?P<type>[A-Z][A-Za-z0-9]+)\.v(?P<version>[1-9][0-9]*)$")
EVENT_COLUMNS = (
    "tenant_id",
    "position",
    "stream_id",
    "stream_version",
    "event_id",
    "event_type",
    "schema_version",
    "recorded_at",
    "actor",
    "correlation_id",
    "causation_id",
    "key_ref",
    "payload",
    "event_hash",
    "commit_hash",
)
DEFAULT_CHUNK = 5_000


class ImportLine(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One line of an import file."""

    tenant: str
    stream_id: UUID
    stream_version: int
    event_id: UUID
    type: str
    recorded_at: datetime
    actor: str
    fields: msgspec.Raw
    correlation_id: UUID | None = None
    causation_id: UUID | None = None


_line_decoder = msgspec.json.Decoder(ImportLine)
_line_encoder = msgspec.json.Encoder()


class ImportLineError(ValueError):
    """A line that cannot be imported; names the line and what is wrong."""

    def __init__(self, line_number: int, reason: str) -> None:
        super().__init__(f"line {line_number}: {reason}")
        self.line_number = line_number


def import_line(  # noqa: PLR0913 - the envelope of one event
    tenant: str,
    event: DomainEvent,
    codec: EventCodec,
    *,
    event_id: UUID,
    recorded_at: datetime,
    actor: str,
    correlation_id: UUID | None = None,
    causation_id: UUID | None = None,
) -> bytes:
    """The import line of ``event`` (for exports, tests and the benchmark's generator)."""
    event_type, version, fields = codec.to_plain(event)
    return _line_encoder.encode(
        ImportLine(
            tenant=tenant,
            stream_id=event.originator_id,
            stream_version=event.originator_version,
            event_id=event_id,
            type=f"{event_type}.v{version}",
            recorded_at=recorded_at,
            actor=actor,
            fields=msgspec.Raw(_line_encoder.encode(fields)),
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
    )


@dataclass(slots=True)
class _Row:
    """A prepared event: every column but its position and commit hash."""

    stream_id: UUID
    stream_version: int
    event_id: UUID
    event_type: str
    schema_version: int
    recorded_at: datetime
    actor: str
    correlation_id: UUID | None
    causation_id: UUID | None
    key_ref: UUID | None
    payload: bytes
    event_hash: bytes


@dataclass(slots=True)
class _Chunk:
    tenant: str
    first_line: int
    lines: list[tuple[int, ImportLine]] = field(default_factory=list)


@dataclass(slots=True)
class _Tenant:
    resuming: bool  # it held events when the import began: skip what is there already
    versions: dict[UUID, int] = field(default_factory=dict)
    keys: dict[UUID, bytes] = field(default_factory=dict)


@dataclass(slots=True)
class ImportResult:
    events: int = 0
    skipped: int = 0
    tenants: set[str] = field(default_factory=set)
    seconds: float = 0.0


def read_chunks(lines: Iterable[bytes], chunk_size: int) -> Iterator[_Chunk]:
    """Consecutive lines of one tenant, at most ``chunk_size`` at a time, decoded."""
    chunk: _Chunk | None = None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            line = _line_decoder.decode(raw)
        except msgspec.ValidationError as error:
            raise ImportLineError(number, str(error)) from None
        except msgspec.DecodeError as error:
            raise ImportLineError(number, f"not JSON: {error}") from None
        if chunk is None or chunk.tenant != line.tenant or len(chunk.lines) >= chunk_size:
            if chunk is not None:
                yield chunk
            chunk = _Chunk(line.tenant, number)
        chunk.lines.append((number, line))
    if chunk is not None:
        yield chunk


class BulkImport:
    """Writes chunks over one admin connection, looks things up over another."""

    def __init__(self, writer: Connection, lookups: Connection, codec: EventCodec) -> None:
        self._writer = writer
        self._conn = lookups
        self._codec = codec
        self._tenants: dict[str, _Tenant] = {}

    async def _tenant(self, tenant: str, number: int) -> _Tenant:
        known = self._tenants.get(tenant)
        if known is not None:
            return known
        if not _TENANT.match(tenant):
            raise ImportLineError(number, f"tenant {tenant!r} is not an SWV code like 'PO2604'")
        await self._conn.execute(
            "INSERT INTO tenant_heads (tenant_id, chain_hash) VALUES ($1, $2)"
            " ON CONFLICT (tenant_id) DO NOTHING",
            tenant,
            genesis_hash(tenant),
        )
        held = await self._conn.fetchval(
            "SELECT last_position FROM tenant_heads WHERE tenant_id = $1", tenant
        )
        state = _Tenant(resuming=held > 0)
        self._tenants[tenant] = state
        return state

    async def _skip_imported(self, tenant: str, state: _Tenant, chunk: _Chunk) -> int:
        """Drop the chunk's events the tenant holds already; 0 when it holds none."""
        ids = [line.event_id for _, line in chunk.lines]
        rows = await self._conn.fetch(
            "SELECT event_id FROM events WHERE tenant_id = $1 AND event_id = ANY($2::uuid[])",
            tenant,
            ids,
        )
        if not rows:
            state.resuming = False
            return 0
        there = {r["event_id"] for r in rows}
        chunk.lines = [(n, line) for n, line in chunk.lines if line.event_id not in there]
        return len(there)

    async def _stream_versions(self, tenant: str, state: _Tenant, chunk: _Chunk) -> None:
        """Where the chunk's streams stand, for a tenant that held events before."""
        unseen = list({line.stream_id for _, line in chunk.lines} - state.versions.keys())
        if not unseen:
            return
        rows = await self._conn.fetch(
            "SELECT stream_id, max(stream_version) AS v FROM events"
            " WHERE tenant_id = $1 AND stream_id = ANY($2::uuid[]) GROUP BY stream_id",
            tenant,
            unseen,
        )
        state.versions.update({r["stream_id"]: r["v"] for r in rows})

    async def _data_keys(self, tenant: str, state: _Tenant, subjects: set[UUID]) -> None:
        missing = list(subjects - state.keys.keys())
        if not missing:
            return
        await self._conn.execute(
            "INSERT INTO subject_keys (tenant_id, subject_id, data_key)"
            " SELECT $1, s, k FROM unnest($2::uuid[], $3::bytea[]) AS u(s, k)"
            " ON CONFLICT (tenant_id, subject_id) DO NOTHING",
            tenant,
            missing,
            [new_data_key() for _ in missing],
        )
        rows = await self._conn.fetch(
            "SELECT subject_id, data_key FROM subject_keys"
            " WHERE tenant_id = $1 AND subject_id = ANY($2::uuid[])",
            tenant,
            missing,
        )
        for row in rows:
            if row["data_key"] is None:
                raise ValueError(
                    f"tenant {tenant}: the personal data of subject {row['subject_id']} was"
                    " shredded; no new personal data can be recorded for it"
                )
            state.keys[row["subject_id"]] = row["data_key"]

    def _events(self, chunk: _Chunk) -> list[tuple[int, ImportLine, DomainEvent]]:
        """Each line's event, checked against its type: the CPU-bound first half."""
        events = []
        from_plain = self._codec.from_plain
        for number, line in chunk.lines:
            match = _TYPE.match(line.type)
            if match is None:
                raise ImportLineError(
                    number, f"type {line.type!r} is not like 'PupilRegistered.v1'"
                )
            if line.recorded_at.tzinfo is None:
                raise ImportLineError(number, "recorded_at needs a time zone offset")
            try:
                event = from_plain(
                    match["type"],
                    int(match["version"]),
                    line.fields,
                    line.stream_id,
                    line.stream_version,
                )
            except (msgspec.ValidationError, UnknownEventTypeError) as error:
                raise ImportLineError(number, f"{line.type}: {error}") from None
            events.append((number, line, event))
        return events

    def _rows(
        self, tenant: str, state: _Tenant, events: list[tuple[int, ImportLine, DomainEvent]]
    ) -> list[_Row]:
        """Encrypted, encoded and hashed, stream versions checked: the second half."""
        rows = []
        versions = state.versions
        encode = self._codec.encode
        subject_of = self._codec.subject_of
        for number, line, event in events:
            expected = versions.get(line.stream_id, 0) + 1
            if line.stream_version != expected:
                raise ImportLineError(
                    number,
                    f"stream {line.stream_id} is at version {expected - 1}; the next event"
                    f" must have version {expected}, not {line.stream_version}",
                )
            versions[line.stream_id] = expected
            subject = subject_of(event)
            encoded = encode(
                event,
                tenant_id=tenant,
                event_id=line.event_id,
                data_key=None if subject is None else state.keys[subject],
            )
            if len(encoded.payload) > MAX_PAYLOAD_BYTES:
                raise ImportLineError(number, f"the event is over {MAX_PAYLOAD_BYTES} bytes")
            rows.append(
                _Row(
                    line.stream_id,
                    line.stream_version,
                    line.event_id,
                    encoded.event_type,
                    encoded.schema_version,
                    line.recorded_at,
                    line.actor,
                    line.correlation_id,
                    line.causation_id,
                    encoded.subject_id,
                    encoded.payload,
                    event_hash(
                        tenant_id=tenant,
                        stream_id=line.stream_id,
                        stream_version=line.stream_version,
                        event_id=line.event_id,
                        event_type=encoded.event_type,
                        schema_version=encoded.schema_version,
                        recorded_at=line.recorded_at,
                        actor=line.actor,
                        correlation_id=line.correlation_id,
                        causation_id=line.causation_id,
                        key_ref=encoded.subject_id,
                        canonical_payload=encoded.payload,
                    ),
                )
            )
        return rows

    async def prepare(self, chunk: _Chunk) -> tuple[int, list[_Row]]:
        """(events skipped as imported before, the rows to write) for one chunk."""
        state = await self._tenant(chunk.tenant, chunk.first_line)
        skipped = 0
        if state.resuming:
            skipped = await self._skip_imported(chunk.tenant, state, chunk)
            await self._stream_versions(chunk.tenant, state, chunk)
        # The CPU-bound parts run in a thread, so that the event loop keeps feeding the copy of
        # the chunk before this one to the server meanwhile.
        events = await asyncio.to_thread(self._events, chunk)
        subjects = {s for _, _, e in events if (s := self._codec.subject_of(e)) is not None}
        await self._data_keys(chunk.tenant, state, subjects)
        return skipped, await asyncio.to_thread(self._rows, chunk.tenant, state, events)

    async def write(self, tenant: str, rows: list[_Row]) -> None:
        """One commit: lock the head, copy the rows at the next positions, move the head."""
        if not rows:
            return
        async with self._writer.transaction():
            head = await self._writer.fetchrow(
                "SELECT last_position, chain_hash FROM tenant_heads WHERE tenant_id = $1"
                " FOR UPDATE",
                tenant,
            )
            if head is None:
                raise ValueError(f"tenant {tenant} has no head row")
            base = head["last_position"]
            chain = hashlib.sha256(head["chain_hash"] + b"".join(r.event_hash for r in rows))
            chain_hash = chain.digest()
            last = len(rows) - 1
            records = [
                (
                    tenant,
                    base + i + 1,
                    r.stream_id,
                    r.stream_version,
                    r.event_id,
                    r.event_type,
                    r.schema_version,
                    r.recorded_at,
                    r.actor,
                    r.correlation_id,
                    r.causation_id,
                    r.key_ref,
                    r.payload,
                    r.event_hash,
                    chain_hash if i == last else None,
                )
                for i, r in enumerate(rows)
            ]
            await self._writer.copy_records_to_table(
                "events", records=records, columns=EVENT_COLUMNS
            )
            await self._writer.execute(
                "UPDATE tenant_heads SET last_position = $2, chain_hash = $3 WHERE tenant_id = $1",
                tenant,
                base + len(rows),
                chain_hash,
            )


async def import_events(
    admin_dsn: str,
    codec: EventCodec,
    lines: Iterable[bytes],
    *,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import ``lines`` (NDJSON, see the module docstring) as the database owner.

    The next chunk is prepared (checked, encrypted, hashed) while the server stores this one.
    ``progress`` is called with the number of lines each chunk held.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = ImportResult()
    writer = await asyncpg.connect(admin_dsn)
    lookups = await asyncpg.connect(admin_dsn)
    writing: asyncio.Task[None] | None = None
    try:
        await init_connection(writer)
        importer = BulkImport(writer, lookups, codec)
        for chunk in read_chunks(lines, chunk_size):
            count = len(chunk.lines)
            skipped, rows = await importer.prepare(chunk)
            if writing is not None:
                await writing
            writing = asyncio.ensure_future(importer.write(chunk.tenant, rows))
            result.events += len(rows)
            result.skipped += skipped
            result.tenants.add(chunk.tenant)
            if progress is not None:
                progress(count)
        if writing is not None:
            await writing
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
            with contextlib.suppress(BaseException):
                await writing
        await writer.close()
        await lookups.close()
    result.seconds = loop.time() - started
    return result
