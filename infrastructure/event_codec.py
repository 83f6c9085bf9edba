"""Domain events to stored ``(event_type, schema_version, payload)`` and back, with msgspec.

Type names come from each event class's explicit ``TOPIC`` (``"PupilRegistered.v1"``), never
from Python paths. Personal fields (annotated ``PERSONAL``) are encrypted with the data key
of the event's subject. Older schema versions pass through registered upcasters on decode.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from operator import itemgetter
from types import MappingProxyType
from typing import Annotated, Any, Literal, NamedTuple, TypedDict, get_args, get_origin
from uuid import UUID

import msgspec
from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import TopicError, resolve_topic

from application.ports import DomainEvent
from domain.personal import PersonalData, PersonalKind, key_subject, personal_kind
from infrastructure.field_encryption import (
    FieldOpener,
    FieldSealer,
    associated_data_prefix,
)
from infrastructure.hash_chain import canonical_encoder, in_field_order
from infrastructure.upcasters import UPCASTERS

_TOPIC = re.compile(r"^(?P<type>[A-Z][A-Za-z0-9]+)\.v(?P<version>[1-9][0-9]*)$")
_STREAM_FIELDS = frozenset({"originator_id", "originator_version"})
_set_attribute = object.__setattr__
# called with a computed field list, which the type checker cannot follow
_typed_dict: Callable[[str, dict[str, Any]], type[dict[str, Any]]] = TypedDict  # type: ignore[assignment]

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def make_event(cls: type[Any], fields: dict[str, Any]) -> DomainEvent:
    """An event of ``cls`` whose ``__dict__`` is ``fields`` (its stream fields included)."""
    event = object.__new__(cls)
    # the decoded dict becomes the instance dict: no copy (the event classes are frozen)
    _set_attribute(event, "__dict__", fields)
    return typing.cast("DomainEvent", event)


class DirectDecoder(NamedTuple):
    """What decoding the current version of a type without personal fields takes."""

    schema_version: int
    decode: Callable[[bytes], dict[str, Any]]
    cls: type[Any]


class UnknownEventTypeError(LookupError):
    """A stored event names a type or version this codebase cannot decode."""


@dataclass(frozen=True, slots=True)
class EncodedEvent:
    event_type: str
    schema_version: int
    payload: bytes
    subject_id: UUID | None


@dataclass(frozen=True, slots=True)
class _EventSpec:
    cls: type[Any]
    event_type: str
    schema_version: int
    personal: Mapping[str, Any]
    personal_kind: PersonalKind | None
    decoder: msgspec.json.Decoder[dict[str, Any]]
    field_names: tuple[str, ...]
    plain_decoder: msgspec.json.Decoder[Any]
    sorted_payload: type[msgspec.Struct] | None
    """The payload as a struct of the fields in sorted order, if ``in_field_order`` may encode
    it (see ``_sorted_payload_type``); None otherwise."""
    sorted_values: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    """The fields' values in sorted order, from the event's ``__dict__``."""
    # per personal field: its name, the name as the associated data ends, its value's decoder
    opened: tuple[tuple[str, bytes, Callable[[bytes], Any]], ...]


def _is_personal(annotation: object) -> bool:
    return get_origin(annotation) is Annotated and any(
        isinstance(meta, PersonalData) for meta in getattr(annotation, "__metadata__", ())
    )


def _strip(annotation: object) -> object:
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


_SCALARS = (type(None), bool, int, float, str, bytes, date, datetime, time, UUID, Decimal)
_CONTAINERS = (list, tuple, set, frozenset, dict, typing.Union, types.UnionType)


def _encodes_alike_in_any_order(annotation: object) -> bool:
    """Whether its values encode alike with ``canonical_encoder`` and ``in_field_order``.

    So it is when it holds no struct, dataclass or other object whose fields are encoded
    (the two order those differently): scalars, enums, and containers of them only.
    """
    origin = get_origin(annotation)
    if origin is Annotated:
        return _encodes_alike_in_any_order(get_args(annotation)[0])
    if origin is Literal:
        return True
    if origin is None:
        if annotation is Ellipsis:  # tuple[X, ...]
            return True
        return isinstance(annotation, type) and (
            issubclass(annotation, _SCALARS) or issubclass(annotation, enum.Enum)
        )
    return origin in _CONTAINERS and all(
        _encodes_alike_in_any_order(a) for a in get_args(annotation)
    )


# itemgetter of one name gives its value, not a tuple of one
_MIN_SORTED_FIELDS = 2


def _sorted_payload_type(
    name: str, hints: Mapping[str, object], fields: list[str]
) -> type[msgspec.Struct] | None:
    """A struct of ``fields`` in sorted order, if ``in_field_order`` may encode it.

    It may when every field encodes alike in any order; then encoding it gives what encoding
    the fields as a dict with ``canonical_encoder`` gives, about a quarter sooner (no keys to sort).
    """
    if len(fields) < _MIN_SORTED_FIELDS or not all(
        _encodes_alike_in_any_order(hints[f]) for f in fields
    ):
        return None
    return msgspec.defstruct(name, sorted(fields))


def _spec_for(cls: type[Any], topic: str) -> _EventSpec:
    match = _TOPIC.match(topic)
    if match is None:
        raise ValueError(f"{cls.__qualname__}: topic {topic!r} is not like 'PupilRegistered.v1'")
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = [f.name for f in dataclasses.fields(cls) if f.name not in _STREAM_FIELDS]
    personal = {name: _strip(hints[name]) for name in fields if _is_personal(hints[name])}
    # Decoding into a TypedDict gives the fields as a plain dict, converted to their types
    # (unknown keys dropped): ready to become the event's __dict__ without a copy per field.
    payload_type = _typed_dict(
        f"{match['type']}V{match['version']}Payload",
        {name: str | None if name in personal else _strip(hints[name]) for name in fields},
    )
    # The fields in the clear, strictly: every one given, typed, nothing else (for imports).
    plain_type = msgspec.defstruct(
        f"{match['type']}V{match['version']}Plain",
        [(name, _strip(hints[name])) for name in fields],
        forbid_unknown_fields=True,
    )
    sorted_payload = (
        None
        if personal
        else _sorted_payload_type(f"{match['type']}V{match['version']}Sorted", hints, fields)
    )
    return _EventSpec(
        cls=cls,
        event_type=match["type"],
        schema_version=int(match["version"]),
        personal=MappingProxyType(personal),
        personal_kind=personal_kind(cls),
        decoder=msgspec.json.Decoder(payload_type),
        field_names=tuple(fields),
        plain_decoder=msgspec.json.Decoder(plain_type),
        sorted_payload=sorted_payload,
        sorted_values=_no_values if sorted_payload is None else itemgetter(*sorted(fields)),
        opened=tuple(
            (name, name.encode(), msgspec.json.Decoder(field_type).decode)
            for name, field_type in personal.items()
        ),
    )


def _no_values(_values: Mapping[str, Any]) -> tuple[Any, ...]:
    return ()


def event_classes_of(aggregate_classes: Iterable[type[Any]]) -> list[tuple[type[Any], str]]:
    """Every event class nested in the aggregates whose explicit TOPIC is registered to it."""
    found: dict[type[Any], str] = {}
    for aggregate in aggregate_classes:
        for value in vars(aggregate).values():
            topic = getattr(value, "TOPIC", None)
            # eventsourcing redefines nested event classes; the topic names the final one
            if (
                isinstance(value, type)
                and issubclass(value, CanMutateAggregate)
                and isinstance(topic, str)
                and _registered(topic) is value
            ):
                found[value] = topic
    return list(found.items())


def _registered(topic: str) -> object:
    try:
        return resolve_topic(topic)
    except TopicError:
        return None


class EventCodec:
    """Encodes and decodes the events of a fixed set of aggregates."""

    def __init__(
        self,
        aggregate_classes: Iterable[type[Any]],
        *,
        upcasters: Mapping[tuple[str, int], Upcaster] | None = None,
    ) -> None:
        self._by_class: dict[type[Any], _EventSpec] = {}
        self._by_name: dict[tuple[str, int], _EventSpec] = {}
        self._latest: dict[str, int] = {}
        for cls, topic in event_classes_of(aggregate_classes):
            spec = _spec_for(cls, topic)
            key = (spec.event_type, spec.schema_version)
            if key in self._by_name:
                raise ValueError(f"two event classes claim {topic!r}")
            self._by_class[cls] = spec
            self._by_name[key] = spec
            self._latest[spec.event_type] = max(
                spec.schema_version, self._latest.get(spec.event_type, 0)
            )
        self._upcasters = dict(UPCASTERS if upcasters is None else upcasters)
        # the spec of each type's latest version: what almost every stored event decodes with
        self._current = {t: self._by_name[(t, v)] for t, v in self._latest.items()}
        self.direct_decoders: Mapping[str, DirectDecoder] = MappingProxyType(
            {
                t: DirectDecoder(spec.schema_version, spec.decoder.decode, spec.cls)
                for t, spec in self._current.items()
                if not spec.personal
            }
        )
        """Per event type whose current version has no personal fields: its fields' decoder.

        For a stored event of that version, ``decode_stored`` is: the fields decoded from the
        payload, ``originator_id`` and ``originator_version`` added, the dict made the
        ``__dict__`` of an uninitialised instance of the class (``make_event``). Reading many
        rows does that inline.
        """

    @property
    def event_types(self) -> list[str]:
        return sorted(f"{t}.v{v}" for t, v in self._by_name)

    def _spec(self, event: object) -> _EventSpec:
        try:
            return self._by_class[type(event)]
        except KeyError:
            raise UnknownEventTypeError(
                f"{type(event).__qualname__} has no registered TOPIC"
            ) from None

    def subject_of(self, event: DomainEvent) -> UUID | None:
        """Whose data key encrypts this event's personal fields; None if it has none."""
        spec = self._spec(event)
        if spec.personal_kind is None:
            return None
        pupil = getattr(event, "pupil_id", None)
        return key_subject(
            spec.personal_kind, event.originator_id, pupil if isinstance(pupil, UUID) else None
        )

    def subjects_of(self, events: Iterable[DomainEvent]) -> set[UUID]:
        """The subjects whose data keys ``events`` need (``subject_of`` of each, None left out)."""
        subjects = set()
        by_class = self._by_class
        for event in events:
            spec = by_class.get(type(event))
            if spec is None or spec.personal_kind is not None:
                subject = self.subject_of(event)
                if subject is not None:
                    subjects.add(subject)
        return subjects

    def encode(
        self,
        event: DomainEvent,
        *,
        tenant_id: str,
        event_id: UUID,
        data_key: bytes | None = None,
    ) -> EncodedEvent:
        spec = self._spec(event)
        values = event.__dict__
        fields = {name: values[name] for name in spec.field_names}
        subject = None
        if spec.personal:
            if data_key is None:
                raise ValueError(f"{spec.event_type} holds personal data: a data key is needed")
            subject = self.subject_of(event)
            _seal_personal(spec, fields, data_key, tenant_id, event.originator_id, event_id)
        return EncodedEvent(
            spec.event_type, spec.schema_version, canonical_encoder.encode(fields), subject
        )

    def encode_for_append(
        self,
        event: DomainEvent,
        tenant_id: str,
        event_id: UUID,
        data_keys: Mapping[UUID, bytes],
    ) -> tuple[str, int, bytes, UUID | None]:
        """``encode`` as the store appends: the subject's key taken from ``data_keys``.

        Gives ``(event_type, schema_version, payload, subject_id)``, what ``encode`` gives,
        without an ``EncodedEvent`` and with one look-up of the event's type.
        """
        spec = self._by_class.get(type(event)) or self._spec(event)
        values = event.__dict__
        if spec.sorted_payload is not None:
            payload = in_field_order.encode(spec.sorted_payload(*spec.sorted_values(values)))
            return spec.event_type, spec.schema_version, payload, None
        fields = {name: values[name] for name in spec.field_names}
        if not spec.personal:
            return spec.event_type, spec.schema_version, canonical_encoder.encode(fields), None
        subject = self.subject_of(event)
        if subject is None:
            raise ValueError(f"{spec.event_type} holds personal data: a data key is needed")
        stream_id = event.originator_id
        _seal_personal(spec, fields, data_keys[subject], tenant_id, stream_id, event_id)
        return spec.event_type, spec.schema_version, canonical_encoder.encode(fields), subject

    def decode(  # noqa: PLR0913 - the stored row's columns that decoding needs
        self,
        *,
        event_type: str,
        schema_version: int,
        payload: bytes,
        stream_id: UUID,
        stream_version: int,
        tenant_id: str,
        event_id: UUID,
        data_key: bytes | None = None,
    ) -> DomainEvent:
        return self.decode_stored(
            event_type,
            schema_version,
            payload,
            stream_id,
            stream_version,
            tenant_id,
            event_id,
            None if data_key is None else FieldOpener(data_key),
        )

    def decode_stored(  # noqa: PLR0913, PLR0917 - the stored row's columns, in their order
        self,
        event_type: str,
        schema_version: int,
        payload: bytes,
        stream_id: UUID,
        stream_version: int,
        tenant_id: str,
        event_id: UUID,
        opener: FieldOpener | None,
    ) -> DomainEvent:
        """``decode`` with positional arguments: the form for decoding many stored rows.

        ``opener`` holds the subject's data key (None: no key, or shredded); reading many rows
        makes one for each subject, not one for each field.
        """
        spec = self._current.get(event_type)
        if spec is None or spec.schema_version != schema_version:
            latest = self._latest.get(event_type)
            if latest is None:
                raise UnknownEventTypeError(f"unknown event type {event_type!r}")
            payload, schema_version = self._upcast(event_type, schema_version, payload, latest)
            spec = self._by_name[(event_type, schema_version)]
        fields = spec.decoder.decode(payload)
        if spec.opened:
            prefix = None
            for name, aad_name, decode_value in spec.opened:
                token = fields[name]
                if token is None or opener is None:
                    fields[name] = None  # shredded: the value is gone for good
                    continue
                if prefix is None:
                    prefix = associated_data_prefix(tenant_id, stream_id, event_id)
                fields[name] = decode_value(opener.open(token, prefix + aad_name))
        fields["originator_id"] = stream_id
        fields["originator_version"] = stream_version
        return make_event(spec.cls, fields)

    def from_plain(
        self, event_type: str, schema_version: int, fields: bytes, stream_id: UUID, version: int
    ) -> DomainEvent:
        """An event from its fields in the clear (JSON), checked strictly against its type.

        Every field must be there with its type and no other may be; only the current schema
        version of a type is taken. Raises ``msgspec.ValidationError`` naming the field.
        """
        spec = self._current.get(event_type)
        if spec is None or spec.schema_version != schema_version:
            raise UnknownEventTypeError(
                f"{event_type}.v{schema_version} is not an event type this version records"
            )
        values = msgspec.structs.asdict(spec.plain_decoder.decode(fields))
        values["originator_id"] = stream_id
        values["originator_version"] = version
        event = object.__new__(spec.cls)
        _set_attribute(event, "__dict__", values)
        return typing.cast("DomainEvent", event)

    def plain_encoder(self, event_type: str, schema_version: int) -> PlainEncoder:
        """What ``from_plain`` and ``encode`` do together, without an event object in between.

        Only the current schema version of a type is taken, as by ``from_plain``.
        """
        spec = self._current.get(event_type)
        if spec is None or spec.schema_version != schema_version:
            raise UnknownEventTypeError(
                f"{event_type}.v{schema_version} is not an event type this version records"
            )
        return PlainEncoder(spec)

    def to_plain(self, event: DomainEvent) -> tuple[str, int, dict[str, Any]]:
        """``(event_type, schema_version, fields in the clear)``: what ``from_plain`` takes."""
        spec = self._spec(event)
        values = event.__dict__
        return spec.event_type, spec.schema_version, {n: values[n] for n in spec.field_names}

    def _upcast(
        self, event_type: str, version: int, payload: bytes, latest: int
    ) -> tuple[bytes, int]:
        data: dict[str, Any] = msgspec.json.decode(payload)
        while version < latest:
            upcaster = self._upcasters.get((event_type, version))
            if upcaster is None:
                raise UnknownEventTypeError(f"no upcaster from {event_type}.v{version}")
            data = upcaster(data)
            version += 1
        return canonical_encoder.encode(data), version


def _seal_personal(  # noqa: PLR0913, PLR0917 - what the associated data binds
    spec: _EventSpec,
    fields: dict[str, Any],
    data_key: bytes,
    tenant_id: str,
    stream_id: UUID,
    event_id: UUID,
) -> None:
    """Encrypt ``fields``' personal values in place with the subject's data key.

    One cipher and one associated-data prefix for all of the event's personal fields.
    """
    sealer = FieldSealer(data_key)
    prefix = associated_data_prefix(tenant_id, stream_id, event_id)
    for name in spec.personal:
        fields[name] = sealer.seal(canonical_encoder.encode(fields[name]), prefix + name.encode())


class PlainEncoder:
    """One event type's fields in the clear (JSON) to its stored payload, for bulk imports.

    ``decode`` checks the fields as strictly as ``EventCodec.from_plain``; ``payload`` gives
    the bytes ``EventCodec.encode`` gives for the event those fields make, encoded straight
    from the checked fields.
    """

    def __init__(self, spec: _EventSpec) -> None:
        self.event_type = spec.event_type
        self.schema_version = spec.schema_version
        self.decode: Callable[[bytes], Any] = spec.plain_decoder.decode
        self._personal = tuple((name, name.encode()) for name in spec.personal)
        self._kind = spec.personal_kind
        self._pupil = "pupil_id" in spec.field_names

    def subject_of(self, fields: Any, stream_id: UUID) -> UUID | None:  # noqa: ANN401 - a decoded struct
        """As ``EventCodec.subject_of`` for the event these fields make."""
        if self._kind is None or not self._personal:
            return None  # nothing to encrypt: no key, no key_ref (as ``encode`` gives)
        pupil = fields.pupil_id if self._pupil else None
        return key_subject(self._kind, stream_id, pupil if isinstance(pupil, UUID) else None)

    def payload(
        self,
        fields: Any,  # noqa: ANN401 - a struct from ``decode``
        *,
        tenant_id: str,
        stream_id: UUID,
        event_id: UUID,
        sealer: FieldSealer | None,
    ) -> bytes:
        """The stored payload; ``sealer`` holds the subject's key for personal fields."""
        if not self._personal:
            return canonical_encoder.encode(fields)
        if sealer is None:
            raise ValueError(f"{self.event_type} holds personal data: a data key is needed")
        prefix = associated_data_prefix(tenant_id, stream_id, event_id)
        sealed = {
            name: sealer.seal(canonical_encoder.encode(getattr(fields, name)), prefix + aad_name)
            for name, aad_name in self._personal
        }
        return canonical_encoder.encode(msgspec.structs.replace(fields, **sealed))
