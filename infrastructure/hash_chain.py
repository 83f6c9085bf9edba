"""Tamper evidence: the hash of each event and the per-tenant chain over commits.

``event_hash = sha256(canonical envelope || canonical payload)``; each commit extends the
tenant chain with ``sha256(previous chain hash || event hashes in position order)``. These
functions are pure, so an auditor's offline verifier computes exactly what the store wrote.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

canonical_encoder = msgspec.json.Encoder(order="sorted")
"""The canonical form that is hashed (keys sorted, no whitespace); payloads are stored in it."""


def genesis_hash(tenant_id: str) -> bytes:
    """The chain hash of a tenant log before its first event."""
    return hashlib.sha256(b"passend:tenant:" + tenant_id.encode()).digest()


def canonical_payload(payload: bytes) -> bytes:
    """Payload JSON in the canonical form that is hashed: keys sorted, no whitespace."""
    return canonical_encoder.encode(msgspec.json.decode(payload))


ENVELOPE_FIELDS = (
    "tenant_id",
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
)
"""What of an event's envelope its hash covers (the position is covered by the chain)."""


def canonical_json(value: object) -> bytes:
    """JSON with keys sorted and no whitespace: the form that is hashed."""
    return canonical_encoder.encode(value)


def canonical_envelope(fields: Mapping[str, Any]) -> bytes:
    """The envelope as hashed, from a mapping holding (at least) ``ENVELOPE_FIELDS``."""
    return canonical_encoder.encode({name: fields[name] for name in ENVELOPE_FIELDS})


def hash_of_canonical(envelope: bytes, payload: bytes) -> bytes:
    """``event_hash`` from the canonical envelope and payload."""
    return hashlib.sha256(envelope + b"\n" + payload).digest()


def event_hash(  # noqa: PLR0913 - the envelope is the list of what the hash covers
    *,
    tenant_id: str,
    stream_id: UUID,
    stream_version: int,
    event_id: UUID,
    event_type: str,
    schema_version: int,
    recorded_at: datetime,
    actor: str,
    correlation_id: UUID | None,
    causation_id: UUID | None,
    key_ref: UUID | None,
    canonical_payload: bytes,
) -> bytes:
    envelope = canonical_envelope(
        {
            "tenant_id": tenant_id,
            "stream_id": stream_id,
            "stream_version": stream_version,
            "event_id": event_id,
            "event_type": event_type,
            "schema_version": schema_version,
            "recorded_at": recorded_at,
            "actor": actor,
            "correlation_id": correlation_id,
            "causation_id": causation_id,
            "key_ref": key_ref,
        }
    )
    return hash_of_canonical(envelope, canonical_payload)


class HashedEnvelope(msgspec.Struct, gc=False):
    """The envelope as hashed: ``ENVELOPE_FIELDS`` declared in sorted order, the order hashed.

    So an encoder that keeps a struct's field order (``in_field_order``) gives what
    ``canonical_envelope`` gives without sorting the names per event; every field is a scalar.
    Declared by hand for the type checker; a unit test holds it to ``ENVELOPE_FIELDS``.
    """

    actor: str
    causation_id: UUID | None
    correlation_id: UUID | None
    event_id: UUID
    event_type: str
    key_ref: UUID | None
    recorded_at: datetime
    schema_version: int
    stream_id: UUID
    stream_version: int
    tenant_id: str


# Sorts dicts' keys and sets but keeps a struct's fields in declared order: for a struct whose
# fields are declared sorted and hold no struct-like values, what ``canonical_json`` gives, sooner.
in_field_order = msgspec.json.Encoder(order="deterministic")
_sorted_envelope_values = operator.itemgetter(
    *(ENVELOPE_FIELDS.index(n) for n in sorted(ENVELOPE_FIELDS))
)


def hash_of_sorted_envelope(  # noqa: PLR0913, PLR0917 - the envelope, positionally
    actor: str,
    causation_id: UUID | None,
    correlation_id: UUID | None,
    event_id: UUID,
    event_type: str,
    key_ref: UUID | None,
    recorded_at: datetime,
    schema_version: int,
    stream_id: UUID,
    stream_version: int,
    tenant_id: str,
    *,
    canonical_payload: bytes,
) -> bytes:
    """``event_hash`` of the envelope's values in sorted field order: the form for many events."""
    envelope = HashedEnvelope(
        actor,
        causation_id,
        correlation_id,
        event_id,
        event_type,
        key_ref,
        recorded_at,
        schema_version,
        stream_id,
        stream_version,
        tenant_id,
    )
    return hashlib.sha256(in_field_order.encode(envelope) + b"\n" + canonical_payload).digest()


def event_hash_of_values(envelope: Sequence[object], canonical_payload: bytes) -> bytes:
    """``event_hash`` of the envelope's values in ``ENVELOPE_FIELDS`` order: for many events."""
    return hash_of_sorted_envelope(
        *_sorted_envelope_values(envelope), canonical_payload=canonical_payload
    )


def next_chain_hash(previous: bytes, event_hashes: Iterable[bytes]) -> bytes:
    return hashlib.sha256(previous + b"".join(event_hashes)).digest()


@dataclass(frozen=True, slots=True)
class ChainRow:
    """What the verifier needs of one stored event."""

    position: int
    stored_event_hash: bytes
    recomputed_event_hash: bytes
    commit_hash: bytes | None


@dataclass(frozen=True, slots=True)
class ChainCheck:
    verified_up_to: int
    chain_hash: bytes
    first_broken_position: int | None
    reason: str | None


class ChainWalk:
    """Walks a tenant log in position order, fed page by page, and names where it breaks.

    It keeps only the running chain hash and the open commit's event hashes, so a log of any
    length is verified in constant memory.
    """

    def __init__(self, tenant_id: str) -> None:
        self.chain = genesis_hash(tenant_id)
        self.verified_up_to = 0
        self._pending: list[bytes] = []
        self._commit_start: int | None = None
        self._expected_position = 1

    def feed(self, rows: Iterable[ChainRow]) -> ChainCheck | None:
        """Walk on over ``rows``; the first break found, or None."""
        for row in rows:
            if row.position != self._expected_position:
                return self._broken(self._expected_position, "a position is missing from the log")
            self._expected_position += 1
            if row.recomputed_event_hash != row.stored_event_hash:
                return self._broken(row.position, "the event's content does not match its hash")
            if self._commit_start is None:
                self._commit_start = row.position
            self._pending.append(row.stored_event_hash)
            if row.commit_hash is not None:
                candidate = next_chain_hash(self.chain, self._pending)
                if candidate != row.commit_hash:
                    return self._broken(
                        self._commit_start,
                        "the chain hash of the commit starting here does not match",
                    )
                self.chain = candidate
                self.verified_up_to = row.position
                self._pending = []
                self._commit_start = None
        return None

    def finish(self) -> ChainCheck:
        """The verdict once every row has been fed."""
        if self._pending:
            return self._broken(self._commit_start, "the last commit has no chain hash")
        return ChainCheck(self.verified_up_to, self.chain, None, None)

    def _broken(self, position: int | None, reason: str) -> ChainCheck:
        return ChainCheck(self.verified_up_to, self.chain, position, reason)


def verify_rows(tenant_id: str, rows: Iterable[ChainRow]) -> ChainCheck:
    """Walk the log in position order; name the first position where it breaks."""
    walk = ChainWalk(tenant_id)
    return walk.feed(rows) or walk.finish()
