"""What both event stores share: checking a batch, encoding and hashing it, and decoding rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from application.errors import EventIdReusedError, InvalidAppendError
from application.ports import (
    AppendResult,
    EventMetadata,
    NewEvent,
    RecordedEvent,
    StreamAppend,
)
from domain.ids import TenantId
from infrastructure.event_codec import EventCodec
from infrastructure.field_encryption import FieldOpener
from infrastructure.hash_chain import (
    canonical_payload,
    event_hash,
    hash_of_sorted_envelope,
)

MAX_PAYLOAD_BYTES = 64 * 1024

Row: TypeAlias = Mapping[str, Any] | asyncpg.Record
MAX_BATCH_EVENTS = 1_000
_OWN_EVENT_ID = "every event needs its own event id (a UUID)"


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """One stream's events, encoded and hashed, as the columns the store writes."""

    stream_id: UUID
    expected_version: int
    recorded_at: datetime
    metadata: EventMetadata
    event_ids: list[UUID]
    event_types: list[str]
    schema_versions: list[int]
    key_refs: list[UUID | None]
    payloads: list[bytes]
    hashes: list[bytes]


def _check_bounds(events: Sequence[NewEvent], expected_version: int) -> None:
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise InvalidAppendError(
            f"expected_version must be a whole number, not {type(expected_version).__name__}"
        )
    if expected_version < 0:
        raise InvalidAppendError("expected_version cannot be negative")
    if not events:
        raise InvalidAppendError("an append needs at least one event")
    if len(events) > MAX_BATCH_EVENTS:
        raise InvalidAppendError(f"an append takes at most {MAX_BATCH_EVENTS} events")


def check_batch(events: Sequence[NewEvent], expected_version: int) -> UUID:
    """Reject malformed batches before anything is written; return the stream id."""
    _check_bounds(events, expected_version)
    stream_id = events[0].event.originator_id
    if not isinstance(stream_id, UUID):
        raise InvalidAppendError("stream ids must be UUIDs")
    version = expected_version
    for new in events:
        version += 1
        event = new.event
        # ``is`` first: UUID's ``__eq__`` is Python code, and runs on every append
        if event.originator_id is not stream_id and event.originator_id != stream_id:
            raise InvalidAppendError("all events of one append must belong to one stream")
        if event.originator_version != version:
            raise InvalidAppendError(
                f"event {version - expected_version} has version {event.originator_version};"
                f" after version {expected_version} it must be {version}"
            )
        event_id: object = new.event_id  # callers outside the type checker exist: check
        if not isinstance(event_id, UUID):
            raise InvalidAppendError(_OWN_EVENT_ID)
    if len(events) > 1:
        _check_distinct_event_ids(events, len(events))
    return stream_id


def check_streams(appends: Sequence[StreamAppend]) -> list[UUID]:
    """Reject an append to several streams unless each batch is sound and each stream differs."""
    if not appends:
        raise InvalidAppendError("an append needs at least one stream")
    stream_ids = [check_batch(a.events, a.expected_version) for a in appends]
    if len(set(stream_ids)) != len(stream_ids):
        raise InvalidAppendError("each stream appears once in an append to several streams")
    _check_distinct_event_ids(
        (e for a in appends for e in a.events), sum(len(a.events) for a in appends)
    )
    return stream_ids


def _check_distinct_event_ids(events: Iterable[NewEvent], count: int) -> None:
    """``count`` events, checked to have UUIDs as ids, must have ``count`` distinct ids."""
    # by their ints: UUID's ``__hash__`` is Python code
    if len({new.event_id.int for new in events}) != count:
        raise InvalidAppendError(_OWN_EVENT_ID)


def prepare_batch(  # noqa: PLR0913 - the parts of an append
    codec: EventCodec,
    tenant_id: TenantId,
    events: Sequence[NewEvent],
    *,
    expected_version: int,
    metadata: EventMetadata,
    recorded_at: datetime,
    data_keys: Mapping[UUID, bytes],
) -> PreparedBatch:
    return prepare_checked_batch(
        codec,
        tenant_id,
        check_batch(events, expected_version),
        events,
        expected_version=expected_version,
        metadata=metadata,
        recorded_at=recorded_at,
        data_keys=data_keys,
    )


def prepare_checked_batch(  # noqa: PLR0913 - the parts of an append
    codec: EventCodec,
    tenant_id: TenantId,
    stream_id: UUID,
    events: Sequence[NewEvent],
    *,
    expected_version: int,
    metadata: EventMetadata,
    recorded_at: datetime,
    data_keys: Mapping[UUID, bytes],
) -> PreparedBatch:
    """``prepare_batch`` for a batch that ``check_batch`` accepted and gave ``stream_id`` for.

    Each event as ``encode_and_hash`` does it, written out in the loop: a batch's client CPU
    goes to its events, and the call and its tuple cost about a tenth of one.
    """
    event_ids: list[UUID] = []
    event_types: list[str] = []
    schema_versions: list[int] = []
    key_refs: list[UUID | None] = []
    payloads: list[bytes] = []
    hashes: list[bytes] = []
    encode = codec.encode_for_append
    actor, causation_id, correlation_id = (
        metadata.actor,
        metadata.causation_id,
        metadata.correlation_id,
    )
    version = expected_version
    for new in events:
        version += 1
        event_id = new.event_id
        event_type, schema_version, payload, key_ref = encode(
            new.event, tenant_id, event_id, data_keys
        )
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise _too_large(version - expected_version, event_type, payload)
        hashes.append(
            hash_of_sorted_envelope(
                actor,
                causation_id,
                correlation_id,
                event_id,
                event_type,
                key_ref,
                recorded_at,
                schema_version,
                stream_id,
                version,
                tenant_id,
                canonical_payload=payload,
            )
        )
        event_ids.append(event_id)
        event_types.append(event_type)
        schema_versions.append(schema_version)
        key_refs.append(key_ref)
        payloads.append(payload)
    return PreparedBatch(
        stream_id,
        expected_version,
        recorded_at,
        metadata,
        event_ids,
        event_types,
        schema_versions,
        key_refs,
        payloads,
        hashes,
    )


def _too_large(offset: int, event_type: str, payload: bytes) -> InvalidAppendError:
    return InvalidAppendError(
        f"event {offset} ({event_type}) is {len(payload)} bytes; the limit is {MAX_PAYLOAD_BYTES}"
    )


def encode_and_hash(  # noqa: PLR0913, PLR0917 - the parts of one event's row
    codec: EventCodec,
    tenant_id: TenantId,
    stream_id: UUID,
    version: int,
    new: NewEvent,
    recorded_at: datetime,
    metadata: EventMetadata,
    data_keys: Mapping[UUID, bytes],
) -> tuple[str, int, bytes, UUID | None, bytes]:
    """A checked batch's only event as stored: ``(type, schema version, payload, key_ref, hash)``.

    ``prepare_checked_batch`` does the same for each event of a larger one.
    """
    event_id = new.event_id
    event_type, schema_version, payload, key_ref = codec.encode_for_append(
        new.event, tenant_id, event_id, data_keys
    )
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise _too_large(1, event_type, payload)
    digest = hash_of_sorted_envelope(
        metadata.actor,
        metadata.causation_id,
        metadata.correlation_id,
        event_id,
        event_type,
        key_ref,
        recorded_at,
        schema_version,
        stream_id,
        version,
        tenant_id,
        canonical_payload=payload,
    )
    return event_type, schema_version, payload, key_ref, digest


def recompute_hash(row: Row) -> bytes:
    """The hash a stored row should have, from its columns alone."""
    return event_hash(
        tenant_id=row["tenant_id"],
        stream_id=row["stream_id"],
        stream_version=row["stream_version"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        schema_version=row["schema_version"],
        recorded_at=row["recorded_at"],
        actor=row["actor"],
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        key_ref=row["key_ref"],
        canonical_payload=canonical_payload(row["payload"]),
    )


def to_recorded(
    codec: EventCodec, row: Row, data_keys: Mapping[UUID, bytes | None]
) -> RecordedEvent:
    key_ref = row["key_ref"]
    return RecordedEvent(
        tenant_id=row["tenant_id"],
        position=row["position"],
        stream_id=row["stream_id"],
        stream_version=row["stream_version"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        schema_version=row["schema_version"],
        recorded_at=row["recorded_at"],
        actor=row["actor"],
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        event=codec.decode_stored(
            row["event_type"],
            row["schema_version"],
            row["payload"],
            row["stream_id"],
            row["stream_version"],
            row["tenant_id"],
            row["event_id"],
            _opener(data_keys, key_ref),
        ),
    )


def _opener(data_keys: Mapping[UUID, bytes | None], key_ref: UUID | None) -> FieldOpener | None:
    key = None if key_ref is None else data_keys.get(key_ref)
    return None if key is None else FieldOpener(key)


def check_page_size(page_size: int) -> None:
    value: object = page_size  # callers outside the type checker exist: check
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"page_size must be a whole number of at least 1, not {value!r}")


# The columns of ``passend_event_row`` (migration 0003), in order.
EVENT_ROW_KEY_REF = 10


def event_rows_to_recorded(
    codec: EventCodec,
    tenant_id: TenantId,
    rows: Iterable[asyncpg.Record],
    data_keys: Mapping[UUID, bytes | None],
) -> list[RecordedEvent]:
    """Decode rows of ``passend_event_row`` (one tenant's): the read path, many rows at once.

    Rows of a current type without personal fields are decoded inline (``direct_decoders``),
    the others by ``decode_stored``; each becomes a ``RecordedEvent`` built positionally.
    """
    decode = codec.decode_stored
    direct = codec.direct_decoders
    # one cipher a subject for the whole page, not one a field
    openers = {ref: FieldOpener(key) for ref, key in data_keys.items() if key is not None}
    new_event = object.__new__
    set_attribute = object.__setattr__
    recorded: list[RecordedEvent] = []
    append = recorded.append
    for (
        position,
        stream_id,
        stream_version,
        event_id,
        event_type,
        schema_version,
        recorded_at,
        actor,
        correlation_id,
        causation_id,
        key_ref,
        payload,
    ) in rows:
        decoder = direct.get(event_type)
        if decoder is not None and decoder.schema_version == schema_version:
            # make_event, inline
            fields = decoder.decode(payload)
            fields["originator_id"] = stream_id
            fields["originator_version"] = stream_version
            event = new_event(decoder.cls)
            set_attribute(event, "__dict__", fields)
        else:
            event = decode(
                event_type,
                schema_version,
                payload,
                stream_id,
                stream_version,
                tenant_id,
                event_id,
                None if key_ref is None else openers.get(key_ref),
            )
        append(
            RecordedEvent(
                tenant_id,
                position,
                stream_id,
                stream_version,
                event_id,
                event_type,
                schema_version,
                recorded_at,
                actor,
                correlation_id,
                causation_id,
                event,
            )
        )
    return recorded


def same_batch_again(
    codec: EventCodec,
    events: Sequence[NewEvent],
    stored_by_id: Mapping[UUID, Row],
    data_keys: Mapping[UUID, bytes | None],
) -> AppendResult:
    """The original result of a retried append whose event ids are stored already.

    Every event must be stored, and stored exactly as it is now; otherwise an id was reused
    for something else, and the retry is refused.
    """
    rows = []
    for new in events:
        row = stored_by_id.get(new.event_id)
        if row is None:
            raise EventIdReusedError(next(e.event_id for e in events if e.event_id in stored_by_id))
        stored = to_recorded(codec, row, data_keys).event
        if type(stored) is not type(new.event) or stored.__dict__ != new.event.__dict__:
            raise EventIdReusedError(new.event_id)
        rows.append(row)
    return AppendResult(
        stream_version=rows[-1]["stream_version"],
        first_position=rows[0]["position"],
        last_position=rows[-1]["position"],
    )
