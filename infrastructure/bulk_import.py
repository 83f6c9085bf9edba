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

Rows go in with binary ``COPY``, which PostgreSQL does not allow on tables with row-level
security for roles it applies to: the import runs as the database owner (the admin DSN). A
tenant's head row is locked for each chunk, so appends of the running service wait, and
positions stay dense. Resumable: a chunk is committed whole or not at all, and a rerun skips
events whose ids a tenant held when the import began (checked only until the first chunk that
is not there yet). Which tenants resume, and from which position, is read once, before any
block is prepared: an event id the file repeats is never taken for one imported before, and
stops the import naming its line.

Three processes share the work, so that preparing overlaps writing on two cores: two preparing
processes (forked, each with its own connection for lookups and data keys) take turns at the
blocks of lines, checking, encrypting, encoding and hashing each into rows in ``COPY``'s binary
format; this process hands them to the server over one connection, in the file's order,
filling in only the positions and the chain hash it reads under the head's lock. A preparing
process sees every other block only, so each chunk names where its streams begin and end, and
this process checks that each stream goes on where the chunks before it left it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import itertools
import multiprocessing
import re
import struct
from array import array
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from application.errors import DataShreddedError
from application.ports import DomainEvent
from domain.ids import TenantId
from infrastructure import copy_binary
from infrastructure.data_keys import DataKeys
from infrastructure.database import Connection, init_connection
from infrastructure.event_batches import MAX_PAYLOAD_BYTES
from infrastructure.event_codec import EventCodec, PlainEncoder, UnknownEventTypeError
from infrastructure.field_encryption import FieldSealer
from infrastructure.hash_chain import event_hash_of_values, genesis_hash, next_chain_hash
from infrastructure.key_provider import KeyProvider, default_key_provider

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
PREPARING_PROCESSES = 2
"""Preparing is the import's bound (parsing, checking, encrypting, hashing in Python): two
processes keep both cores busy while the server and this process write."""


class ImportLine(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """One line of an import file (ids, text and times only: no cycles for the collector)."""

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
        self.reason = reason

    def __reduce__(self) -> tuple[type[ImportLineError], tuple[int, str]]:
        # raised in the preparing process, it crosses to this one pickled
        return type(self), (self.line_number, self.reason)


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
class _Chunk:
    tenant: str
    first_line: int
    lines: list[tuple[int, ImportLine]] = field(default_factory=list)


@dataclass(slots=True)
class _Tenant:
    held: int  # its last position when the import began: what is there already to skip
    resuming: bool  # it held events then, and the chunks so far were there: skip those
    # where its streams stood in the database when first looked up (resuming tenants only)
    stored_versions: dict[UUID, int] = field(default_factory=dict)
    sealers: dict[UUID, FieldSealer] = field(default_factory=dict)


@dataclass(slots=True)
class ImportResult:
    events: int = 0
    skipped: int = 0
    tenants: set[str] = field(default_factory=set)
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class PreparedChunk:
    """One commit's rows in binary ``COPY`` form, all but their positions and chain hash."""

    tenant: str
    lines: int  # the lines it stands for, skipped ones included
    skipped: int
    events: int
    rows: bytes  # header, rows, trailer; the last row's commit hash zeroed
    position_offsets: bytes  # where each row's position goes, native int64s
    event_hashes: bytes  # the rows' event hashes, concatenated in their order
    stream_ids: bytes  # the chunk's streams, 16 bytes each, in the order they first appear
    # per stream, native int64s: its first and last version in the chunk, the line of its
    # first event, and its version in the database when looked up (0 if not, or not there)
    stream_spans: bytes
    row_lines: bytes  # each row's line, native int64s

    def stamped(self, last_position: int, chain_hash: bytes) -> bytearray:
        """The rows at the positions after ``last_position``, closed by ``chain_hash``."""
        rows = bytearray(self.rows)
        put = _POSITION.pack_into
        for number, offset in enumerate(memoryview(self.position_offsets).cast("q"), 1):
            put(rows, offset, last_position + number)
        end = len(rows) - len(copy_binary.TRAILER)
        rows[end - len(chain_hash) : end] = chain_hash
        return rows


_POSITION = struct.Struct(">q")
_HASH_BYTES = hashlib.sha256().digest_size
_HASH_LENGTH = struct.pack(">i", _HASH_BYTES)
# stream_id, stream_version and event_id, each behind its length: packed at once
_IDS = struct.Struct(">i16sii" + "i16s")
_JSONB_HEAD = struct.Struct(">ib")
_EVENT_ID_AT = _POSITION.size + _IDS.size - 16  # from a row's position: the last of _IDS


def read_chunks(lines: Iterable[bytes], chunk_size: int, first_line: int = 1) -> Iterator[_Chunk]:
    """Consecutive lines of one tenant, at most ``chunk_size`` at a time, decoded."""
    chunk: _Chunk | None = None
    for number, raw in enumerate(lines, start=first_line):
        if not raw or raw.isspace():  # (``strip`` would copy every line)
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


def read_blocks(lines: Iterable[bytes], size: int) -> Iterator[tuple[int, list[bytes]]]:
    """``(number of its first line, lines)``, ``size`` lines at a time, undecoded."""
    remaining = iter(lines)
    first = 1
    while block := list(itertools.islice(remaining, size)):
        yield first, block
        first += len(block)


_Checked = tuple[int, ImportLine, PlainEncoder, bytes, Any, UUID | None]


class ChunkPreparer:
    """Checks, encrypts, encodes and hashes chunks; looks things up over its own connection."""

    def __init__(
        self,
        lookups: Connection,
        codec: EventCodec,
        held: dict[str, int],
        key_provider: KeyProvider | None = None,
    ) -> None:
        """``held``: the last position of each tenant that held events when the import began."""
        self._conn = lookups
        self._codec = codec
        self._held = held
        self._keys = DataKeys(key_provider or default_key_provider())
        self._tenants: dict[str, _Tenant] = {}
        self._encoders: dict[str, tuple[PlainEncoder, bytes]] = {}

    async def prepare_block(self, first_line: int, lines: list[bytes]) -> list[PreparedChunk]:
        """The block's chunks (one per run of a tenant's lines), ready to be written."""
        return [await self.prepare(chunk) for chunk in read_chunks(lines, len(lines), first_line)]

    async def prepare(self, chunk: _Chunk) -> PreparedChunk:
        state = await self._tenant(chunk.tenant, chunk.first_line)
        lines, skipped = len(chunk.lines), 0
        if state.resuming:
            skipped = await self._skip_imported(chunk.tenant, state, chunk)
            await self._stream_versions(chunk.tenant, state, chunk)
        checked = self._checked(chunk)
        await self._data_keys(chunk.tenant, state, {c[5] for c in checked if c[5] is not None})
        return self._rows(chunk.tenant, state, checked, lines, skipped)

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
        held = self._held.get(tenant, 0)
        state = _Tenant(held=held, resuming=held > 0)
        self._tenants[tenant] = state
        return state

    async def _skip_imported(self, tenant: str, state: _Tenant, chunk: _Chunk) -> int:
        """Drop the chunk's events the tenant holds already; 0 when it holds none."""
        ids = [line.event_id for _, line in chunk.lines]
        rows = await self._conn.fetch(
            "SELECT event_id FROM events WHERE tenant_id = $1 AND event_id = ANY($2::uuid[])"
            " AND position <= $3",
            tenant,
            ids,
            state.held,
        )
        if not rows:
            state.resuming = False
            return 0
        there = {r["event_id"] for r in rows}
        chunk.lines = [(n, line) for n, line in chunk.lines if line.event_id not in there]
        return len(there)

    async def _stream_versions(self, tenant: str, state: _Tenant, chunk: _Chunk) -> None:
        """Where the chunk's streams stand, for a tenant that held events before."""
        unseen = list({line.stream_id for _, line in chunk.lines} - state.stored_versions.keys())
        if not unseen:
            return
        rows = await self._conn.fetch(
            "SELECT stream_id, max(stream_version) AS v FROM events"
            " WHERE tenant_id = $1 AND stream_id = ANY($2::uuid[]) AND position <= $3"
            " GROUP BY stream_id",
            tenant,
            unseen,
            state.held,
        )
        state.stored_versions.update({r["stream_id"]: r["v"] for r in rows})

    async def _data_keys(self, tenant: str, state: _Tenant, subjects: set[UUID]) -> None:
        """Keys for the chunk's subjects; new ones stored wrapped under the tenant's KEK."""
        missing = subjects - state.sealers.keys()
        if not missing:
            return
        try:
            keys = await self._keys.for_writing(self._conn, TenantId(tenant), missing)
        except DataShreddedError as error:
            raise ValueError(f"tenant {tenant}: {error}") from None
        state.sealers.update({subject: FieldSealer(key) for subject, key in keys.items()})

    def _encoder(self, number: int, type_name: str) -> tuple[PlainEncoder, bytes]:
        """The type's encoder and its columns (event_type, schema_version) as ``COPY`` has them."""
        known = self._encoders.get(type_name)
        if known is not None:
            return known
        match = _TYPE.match(type_name)
        if match is None:
            raise ImportLineError(number, f"type {type_name!r} is not like 'PupilRegistered.v1'")
        try:
            encoder = self._codec.plain_encoder(match["type"], int(match["version"]))
        except UnknownEventTypeError as error:
            raise ImportLineError(number, f"{type_name}: {error}") from None
        columns = copy_binary.text(encoder.event_type) + copy_binary.int2(encoder.schema_version)
        self._encoders[type_name] = encoder, columns
        return encoder, columns

    def _checked(self, chunk: _Chunk) -> list[_Checked]:
        """Each line's fields checked against its type, and whose key encrypts them."""
        checked: list[_Checked] = []
        for number, line in chunk.lines:
            encoder, type_columns = self._encoder(number, line.type)
            if line.recorded_at.tzinfo is None:
                raise ImportLineError(number, "recorded_at needs a time zone offset")
            try:
                fields = encoder.decode(line.fields)
            except msgspec.ValidationError as error:
                raise ImportLineError(number, f"{line.type}: {error}") from None
            subject = encoder.subject_of(fields, line.stream_id)
            checked.append((number, line, encoder, type_columns, fields, subject))
        return checked

    def _rows(
        self, tenant: str, state: _Tenant, checked: list[_Checked], lines: int, skipped: int
    ) -> PreparedChunk:
        """Encrypted, encoded, hashed and laid out for ``COPY``, versions checked within it."""
        stored_versions = state.stored_versions
        # by the stream's 16 bytes (hashed in C, unlike a UUID): first, last, line of first,
        # stored version
        spans: dict[bytes, list[int]] = {}
        sealers = state.sealers
        # each row starts with its field count, the tenant and the position's length
        row_start = copy_binary.field_count(len(EVENT_COLUMNS)) + copy_binary.text(tenant)
        row_start += copy_binary.INT8_LENGTH
        position_at = len(row_start)
        unknown_position = bytes(_POSITION.size)
        uuid, text, jsonb_head = copy_binary.uuid, copy_binary.text, _JSONB_HEAD.pack
        ids, timestamptz = _IDS.pack, copy_binary.timestamptz
        actors: dict[str, bytes] = {}
        parts = [copy_binary.HEADER]
        offsets = array("q")
        row_lines = array("q")
        hashes = []
        size = len(copy_binary.HEADER)
        for number, line, encoder, type_columns, fields, subject in checked:
            stream_id, version, event_id = line.stream_id, line.stream_version, line.event_id
            stream = stream_id.int.to_bytes(16, "big")  # ``UUID.bytes``, without its frame
            span = spans.get(stream)
            if span is None:
                # where it goes on from is checked by the writer, which has seen every chunk
                spans[stream] = [version, version, number, stored_versions.get(stream_id, 0)]
            elif version == span[1] + 1:
                span[1] = version
            else:
                raise version_gap(number, stream_id, span[1], version)
            payload = encoder.payload(
                fields,
                tenant_id=tenant,
                stream_id=stream_id,
                event_id=event_id,
                sealer=None if subject is None else sealers[subject],
            )
            if len(payload) > MAX_PAYLOAD_BYTES:
                raise ImportLineError(number, f"the event is over {MAX_PAYLOAD_BYTES} bytes")
            digest = event_hash_of_values(
                (
                    tenant,
                    stream_id,
                    version,
                    event_id,
                    encoder.event_type,
                    encoder.schema_version,
                    line.recorded_at,
                    line.actor,
                    line.correlation_id,
                    line.causation_id,
                    subject,
                ),
                payload,
            )
            actor = actors.get(line.actor)
            if actor is None:
                actor = actors[line.actor] = text(line.actor)
            row = b"".join(
                (
                    row_start,
                    unknown_position,
                    ids(16, stream, 4, version, 16, event_id.int.to_bytes(16, "big")),
                    type_columns,
                    timestamptz(line.recorded_at),
                    actor,
                    uuid(line.correlation_id),
                    uuid(line.causation_id),
                    uuid(subject),
                    jsonb_head(len(payload) + 1, copy_binary.JSONB_VERSION),
                    payload,
                    _HASH_LENGTH,
                    digest,
                    copy_binary.NULL,  # commit_hash: the last row's is filled in below
                )
            )
            offsets.append(size + position_at)
            row_lines.append(number)
            size += len(row)
            parts.append(row)
            hashes.append(digest)
        if hashes:
            last = parts[-1]
            parts[-1] = last[: -len(copy_binary.NULL)] + copy_binary.bytea(bytes(_HASH_BYTES))
        parts.append(copy_binary.TRAILER)
        return PreparedChunk(
            tenant=tenant,
            lines=lines,
            skipped=skipped,
            events=len(hashes),
            rows=b"".join(parts),
            position_offsets=offsets.tobytes(),
            event_hashes=b"".join(hashes),
            stream_ids=b"".join(spans),
            stream_spans=array("q", itertools.chain.from_iterable(spans.values())).tobytes(),
            row_lines=row_lines.tobytes(),
        )


def version_gap(number: int, stream_id: UUID, at: int, version: int) -> ImportLineError:
    return ImportLineError(
        number,
        f"stream {stream_id} is at version {at}; the next event must have version {at + 1},"
        f" not {version}",
    )


class StreamVersions:
    """Where each stream of the import stands, in the writer: chunks go on where others left off.

    The preparing processes see every other block only, so the writer checks, chunk by chunk
    in the file's order, that each stream's first version in the chunk follows its last one
    written (or, for a stream this import has not written yet, its version in the database as
    the preparing process found it).
    """

    def __init__(self) -> None:
        self._at: dict[tuple[str, bytes], int] = {}

    def check(self, chunk: PreparedChunk) -> None:
        """Raise ``ImportLineError`` for the first stream that does not go on where it stood."""
        at = self._at
        tenant = chunk.tenant
        spans = memoryview(chunk.stream_spans).cast("q")
        for index in range(len(spans) // 4):
            first, _, number, stored = spans[4 * index : 4 * index + 4]
            stream = chunk.stream_ids[16 * index : 16 * index + 16]
            before = at.get((tenant, stream), stored)
            if first != before + 1:
                raise version_gap(number, UUID(bytes=stream), before, first)

    def written(self, chunk: PreparedChunk) -> None:
        at = self._at
        tenant = chunk.tenant
        spans = memoryview(chunk.stream_spans).cast("q")
        for index in range(len(spans) // 4):
            at[tenant, chunk.stream_ids[16 * index : 16 * index + 16]] = spans[4 * index + 1]


class _PreparingProcess:
    """The preparer of the process a pool forked: its own event loop and connection."""

    loop: asyncio.AbstractEventLoop
    connection: Connection
    preparer: ChunkPreparer

    @classmethod
    def start(cls, admin_dsn: str, codec: EventCodec, held: dict[str, int]) -> None:
        # what the fork inherited stays out of the collector's scans (and its pages unwritten)
        gc.freeze()
        cls.loop = asyncio.new_event_loop()
        cls.connection = cls.loop.run_until_complete(asyncpg.connect(admin_dsn))
        cls.preparer = ChunkPreparer(cls.connection, codec, held)

    @classmethod
    def prepare_block(cls, first_line: int, lines: list[bytes]) -> list[PreparedChunk]:
        # A block makes tens of thousands of objects the collector tracks (checked fields,
        # tuples), all freed by their reference counts once it is prepared; its passes over
        # them cost about 2.4 µs of the 18 µs an event took to prepare (in-process, 20,000
        # events). Cycles made meanwhile are collected after the block.
        gc.disable()
        try:
            return cls.loop.run_until_complete(cls.preparer.prepare_block(first_line, lines))
        finally:
            gc.enable()

    @classmethod
    def stop(cls) -> None:
        cls.loop.run_until_complete(cls.connection.close())
        cls.loop.close()


LOCK_HEAD = (
    "SELECT last_position, chain_hash FROM tenant_heads WHERE tenant_id = $1 FOR NO KEY UPDATE"
)
"""The tenant's head, locked for a chunk. As an append's ``UPDATE`` of it, not ``FOR UPDATE``:
that would also hold up the foreign-key check of every data key a preparing process stores for
the tenant meanwhile, until the chunk commits."""


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def held_positions(admin_dsn: str) -> dict[str, int]:
    """The last position of every tenant that holds events: where an import resumes each."""
    admin = await asyncpg.connect(admin_dsn)
    try:
        rows = await admin.fetch(
            "SELECT tenant_id, last_position FROM tenant_heads WHERE last_position > 0"
        )
    finally:
        await admin.close()
    return {row["tenant_id"]: row["last_position"] for row in rows}


async def _repeated_event(writer: Connection, chunk: PreparedChunk) -> ImportLineError:
    """The chunk's first event whose id its tenant holds already, or that the chunk repeats."""
    rows = memoryview(chunk.rows)
    lines = memoryview(chunk.row_lines).cast("q")
    ids = [
        UUID(bytes=bytes(rows[offset + _EVENT_ID_AT : offset + _EVENT_ID_AT + 16]))
        for offset in memoryview(chunk.position_offsets).cast("q")
    ]
    held = {
        row["event_id"]: row["position"]
        for row in await writer.fetch(
            "SELECT event_id, position FROM events WHERE tenant_id = $1"
            " AND event_id = ANY($2::uuid[])",
            chunk.tenant,
            ids,
        )
    }
    first_line: dict[UUID, int] = {}
    for event_id, number in zip(ids, lines, strict=True):
        if event_id in held:
            where = f"at position {held[event_id]} of tenant {chunk.tenant}'s log"
        elif event_id in first_line:
            where = f"on line {first_line[event_id]}"
        else:
            first_line[event_id] = number
            continue
        return ImportLineError(number, f"event {event_id} is there already, {where}")
    return ImportLineError(lines[0], "an event id of this chunk is there already")


async def write_chunk(writer: Connection, chunk: PreparedChunk) -> None:
    """One commit: lock the head, copy the rows at the next positions, move the head.

    An event id its tenant holds already (not one a resumed import skips: one the file
    repeats) stops it with ``ImportLineError`` naming the line.
    """
    if not chunk.events:
        return
    try:
        await _write_chunk(writer, chunk)
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name != "events_event_id_key":
            raise
        raise await _repeated_event(writer, chunk) from None


async def _write_chunk(writer: Connection, chunk: PreparedChunk) -> None:
    async with writer.transaction():
        head = await writer.fetchrow(LOCK_HEAD, chunk.tenant)
        if head is None:
            raise ValueError(f"tenant {chunk.tenant} has no head row")
        chain_hash = next_chain_hash(head["chain_hash"], (chunk.event_hashes,))
        await writer.copy_to_table(
            "events",
            source=_once(bytes(chunk.stamped(head["last_position"], chain_hash))),
            columns=EVENT_COLUMNS,
            format="binary",
        )
        await writer.execute(
            "UPDATE tenant_heads SET last_position = $2, chain_hash = $3 WHERE tenant_id = $1",
            chunk.tenant,
            head["last_position"] + chunk.events,
            chain_hash,
        )


_BLOCKS_AHEAD = 1  # per preparing process, besides the one it prepares: none ever waits


async def import_events(  # noqa: PLR0913 - the import and how it is split
    admin_dsn: str,
    codec: EventCodec,
    lines: Iterable[bytes],
    *,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[str, int], None] | None = None,
    preparing_processes: int = PREPARING_PROCESSES,
) -> ImportResult:
    """Import ``lines`` (NDJSON, see the module docstring) as the database owner.

    Blocks of ``chunk_size`` lines are prepared (checked, encrypted, encoded, hashed) by
    ``preparing_processes`` processes in turn while this one writes the blocks before them, in
    order. A line that cannot be imported stops the import after everything before its chunk
    is written. ``progress`` is called with the tenant and the number of lines of each written
    chunk.
    """
    if preparing_processes < 1:
        raise ValueError(f"an import needs a preparing process, not {preparing_processes}")
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = ImportResult()
    blocks = enumerate(read_blocks(lines, chunk_size))
    pending: deque[asyncio.Future[list[PreparedChunk]]] = deque()
    versions = StreamVersions()
    # decided once, here: a preparing process that first meets a tenant after this process
    # wrote some of its events would take it for one that is resuming
    held = await held_positions(admin_dsn)
    with contextlib.ExitStack() as stack:
        # forked before this process opens a connection: no child shares a socket in use.
        # One pool per process, so that block i goes to process i mod n, in turn.
        preparers = [
            stack.enter_context(
                ProcessPoolExecutor(
                    1,
                    mp_context=multiprocessing.get_context("fork"),
                    initializer=_PreparingProcess.start,
                    initargs=(admin_dsn, codec, held),
                )
            )
            for _ in range(preparing_processes)
        ]

        def prepare_next() -> None:
            numbered = next(blocks, None)
            if numbered is not None:
                index, block = numbered
                preparer = preparers[index % len(preparers)]
                pending.append(
                    loop.run_in_executor(preparer, _PreparingProcess.prepare_block, *block)
                )

        for _ in range((1 + _BLOCKS_AHEAD) * len(preparers)):
            prepare_next()
        writer = await asyncpg.connect(admin_dsn)
        try:
            await init_connection(writer)
            while pending:
                chunks = await pending.popleft()
                prepare_next()
                for chunk in chunks:
                    versions.check(chunk)
                    await write_chunk(writer, chunk)
                    versions.written(chunk)
                    result.events += chunk.events
                    result.skipped += chunk.skipped
                    result.tenants.add(chunk.tenant)
                    if progress is not None:
                        progress(chunk.tenant, chunk.lines)
            for preparer in preparers:
                await loop.run_in_executor(preparer, _PreparingProcess.stop)
        finally:
            for future in pending:
                future.cancel()
            await writer.close()
    result.seconds = loop.time() - started
    return result
