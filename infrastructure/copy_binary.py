"""Fields in PostgreSQL's binary ``COPY`` format (``COPY … FROM STDIN (FORMAT binary)``).

A row is the number of its fields (int16) and each field as its length (int32, -1 for NULL)
followed by the type's binary send form; the data starts with ``HEADER`` and ends with
``TRAILER``. Only the types the event log uses are here.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from uuid import UUID

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)  # signature, flags, no extension
TRAILER = struct.pack(">h", -1)
NULL = struct.pack(">i", -1)
INT8_LENGTH = struct.pack(">i", 8)
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_length = struct.Struct(">i").pack
_int2 = struct.Struct(">ih").pack
_int4 = struct.Struct(">ii").pack
_int8 = struct.Struct(">iq").pack
_uuid_length = _length(16)
_jsonb = struct.Struct(">ib").pack
JSONB_VERSION = 1


def field_count(count: int) -> bytes:
    return struct.pack(">h", count)


def text(value: str) -> bytes:
    encoded = value.encode()
    return _length(len(encoded)) + encoded


def bytea(value: bytes | None) -> bytes:
    return NULL if value is None else _length(len(value)) + value


def int2(value: int) -> bytes:
    return _int2(2, value)


def int4(value: int) -> bytes:
    return _int4(4, value)


def int8(value: int) -> bytes:
    return _int8(8, value)


def uuid(value: UUID | None) -> bytes:
    # what ``value.bytes`` gives, without the property's Python frame
    return NULL if value is None else _uuid_length + value.int.to_bytes(16, "big")


def timestamptz(value: datetime) -> bytes:
    """Microseconds since 2000-01-01 UTC; ``value`` must carry its offset."""
    return _int8(8, (value - _PG_EPOCH) // _MICROSECOND)


def jsonb(value: bytes) -> bytes:
    """JSON text behind jsonb's version byte."""
    return _jsonb(len(value) + 1, JSONB_VERSION) + value
