"""An in-memory event store for fast unit tests; the same contract tests as PostgreSQL's."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application.errors import (
    ConcurrencyConflictError,
    DataShreddedError,
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
from infrastructure.event_batches import (
    PreparedBatch,
    check_page_size,
    check_streams,
    prepare_checked_batch,
    recompute_hash,
    same_batch_again,
    to_recorded,
)
from infrastructure.event_codec import EventCodec
from infrastructure.field_encryption import new_data_key
from infrastructure.hash_chain import ChainRow, genesis_hash, next_chain_hash, verify_rows

Row = dict[str, Any]


@dataclass
class _TenantLog:
    tenant_id: TenantId
    chain_hash: bytes
    rows: list[Row] = field(default_factory=list)
    by_event_id: dict[UUID, Row] = field(default_factory=dict)
    streams: dict[UUID, list[Row]] = field(default_factory=dict)
    keys: dict[UUID, bytes | None] = field(default_factory=dict)


class InMemoryEventStore:
    """Implements ``application.ports.EventStore`` in process memory; events are still encoded."""

    def __init__(self, codec: EventCodec | None = None) -> None:
        self._codec = codec or EventCodec(AGGREGATE_CLASSES)
        self._tenants: dict[str, _TenantLog] = {}

    @property
    def codec(self) -> EventCodec:
        return self._codec

    def _log(self, tenant_id: TenantId) -> _TenantLog:
        try:
            return self._tenants[tenant_id]
        except KeyError:
            raise UnknownTenantError(tenant_id) from None

    async def register_tenant(self, tenant_id: TenantId) -> None:
        self._tenants.setdefault(tenant_id, _TenantLog(tenant_id, genesis_hash(tenant_id)))

    async def append(
        self,
        tenant_id: TenantId,
        events: Sequence[NewEvent],
        *,
        expected_version: int,
        metadata: EventMetadata,
    ) -> AppendResult:
        [result] = await self.append_streams(
            tenant_id, [StreamAppend(events, expected_version)], metadata=metadata
        )
        return result

    async def append_streams(
        self, tenant_id: TenantId, appends: Sequence[StreamAppend], *, metadata: EventMetadata
    ) -> list[AppendResult]:
        stream_ids = check_streams(appends)
        log = self._log(tenant_id)
        done: dict[int, AppendResult] = {}
        for index, (append, stream_id) in enumerate(zip(appends, stream_ids, strict=True)):
            if any(new.event_id in log.by_event_id for new in append.events):
                stored = log.by_event_id
                done[index] = same_batch_again(self._codec, append.events, stored, log.keys)
                continue
            actual = len(log.streams.get(stream_id, []))
            if actual != append.expected_version:
                raise ConcurrencyConflictError(
                    stream_id, expected=append.expected_version, actual=actual
                )
        pending = [i for i in range(len(appends)) if i not in done]
        data_keys = self._data_keys([e for i in pending for e in appends[i].events], log)
        recorded_at = datetime.now(UTC)
        batches = {
            i: prepare_checked_batch(
                self._codec,
                tenant_id,
                stream_ids[i],
                appends[i].events,
                expected_version=appends[i].expected_version,
                metadata=metadata,
                recorded_at=recorded_at,
                data_keys=data_keys,
            )
            for i in pending
        }
        # Every batch is checked and encoded: from here on nothing can refuse one of them.
        for index, batch in batches.items():
            done[index] = self._write(log, tenant_id, batch)
        return [done[i] for i in range(len(appends))]

    def _data_keys(self, events: Sequence[NewEvent], log: _TenantLog) -> dict[UUID, bytes]:
        data_keys: dict[UUID, bytes] = {}
        for new in events:
            subject = self._codec.subject_of(new.event)
            if subject is not None:
                key = log.keys.setdefault(subject, new_data_key())
                if key is None:
                    raise DataShreddedError(f"the personal data of subject {subject} was shredded")
                data_keys[subject] = key
        return data_keys

    @staticmethod
    def _write(log: _TenantLog, tenant_id: TenantId, batch: PreparedBatch) -> AppendResult:
        first = len(log.rows) + 1
        count = len(batch.event_ids)
        log.chain_hash = next_chain_hash(log.chain_hash, batch.hashes)
        for offset in range(count):
            row: Row = {
                "tenant_id": tenant_id,
                "position": first + offset,
                "stream_id": batch.stream_id,
                "stream_version": batch.expected_version + offset + 1,
                "event_id": batch.event_ids[offset],
                "event_type": batch.event_types[offset],
                "schema_version": batch.schema_versions[offset],
                "recorded_at": batch.recorded_at,
                "actor": batch.metadata.actor,
                "correlation_id": batch.metadata.correlation_id,
                "causation_id": batch.metadata.causation_id,
                "key_ref": batch.key_refs[offset],
                "payload": batch.payloads[offset],
                "event_hash": batch.hashes[offset],
                "commit_hash": log.chain_hash if offset == count - 1 else None,
            }
            log.rows.append(row)
            log.by_event_id[row["event_id"]] = row
            log.streams.setdefault(batch.stream_id, []).append(row)
        return AppendResult(batch.expected_version + count, first, len(log.rows))

    async def read_stream(
        self,
        tenant_id: TenantId,
        stream_id: UUID,
        *,
        to_version: int | None = None,
        to_position: int | None = None,
    ) -> list[RecordedEvent]:
        log = self._log(tenant_id)
        return [
            to_recorded(self._codec, row, log.keys)
            for row in log.streams.get(stream_id, [])
            if (to_version is None or row["stream_version"] <= to_version)
            and (to_position is None or row["position"] <= to_position)
        ]

    async def read_log(
        self, tenant_id: TenantId, *, after: int = 0, limit: int = 500
    ) -> list[RecordedEvent]:
        log = self._log(tenant_id)
        start = max(after, 0)
        return [to_recorded(self._codec, row, log.keys) for row in log.rows[start : start + limit]]

    async def read_log_pages(
        self, tenant_id: TenantId, *, after: int = 0, page_size: int = 500
    ) -> AsyncGenerator[list[RecordedEvent], None]:
        check_page_size(page_size)
        while page := await self.read_log(tenant_id, after=after, limit=page_size):
            yield page
            if len(page) < page_size:
                return
            after = page[-1].position

    async def head(self, tenant_id: TenantId) -> TenantHead:
        log = self._log(tenant_id)
        return TenantHead(tenant_id, len(log.rows), log.chain_hash)

    async def verify_chain(self, tenant_id: TenantId) -> ChainVerification:
        log = self._log(tenant_id)
        check = verify_rows(
            tenant_id,
            (
                ChainRow(r["position"], r["event_hash"], recompute_hash(r), r["commit_hash"])
                for r in log.rows
            ),
        )
        return ChainVerification(
            tenant_id,
            check.verified_up_to,
            check.chain_hash,
            check.first_broken_position,
            check.reason,
        )

    async def shred_subject(self, tenant_id: TenantId, subject_id: UUID) -> None:
        self._log(tenant_id).keys[subject_id] = None
