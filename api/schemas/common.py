"""What every route shares: the command answer, event views, problem documents, examples.

A read shows each event's data; fields marked personal in the domain are blanked (and named in
``redacted``) for callers who may not see them (api/authorisation.py decides who).
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import typing
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any, ClassVar, Self, TypeVar
from uuid import UUID

import msgspec
from litestar import Response
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, BodyKwarg
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth import Principal
from api.errors import PROBLEM_TYPE_BASE
from application.commands import CommandOutcome
from application.ports import RecordedEvent
from application.queries import AggregateHistory
from domain.personal import PersonalData

MAX_POSITION = 2**62
"""Larger positions and sizes are refused as input: no log grows that far."""

ENVELOPE_FIELDS = frozenset(
    {"originator_id", "originator_version", "originator_topic", "timestamp"}
)


class CommandAccepted(msgspec.Struct, frozen=True):
    """A recorded command: the stream it changed, its new version and the tenant position."""

    id: UUID
    version: int
    position: int
    also_changed: list[UUID] = msgspec.field(default_factory=list)


class EventView(msgspec.Struct, frozen=True):
    """A recorded event; ``type`` says which, and how ``data`` looks.

    A read declares its own subclass naming the aggregate whose events it shows
    (``aggregate``); the OpenAPI document types that subclass as the ``oneOf`` of exactly
    those event types (api/schemas/events.py). The wire format is the same for all.
    """

    aggregate: ClassVar[builtins.type[Any] | None] = None  # ``type`` is a field here

    position: int
    version: int
    type: str
    schema_version: int
    recorded_at: datetime
    actor: str
    correlation_id: UUID | None
    data: dict[str, Any]
    redacted: list[str] = msgspec.field(default_factory=list)

    @classmethod
    def of(cls, recorded: RecordedEvent, *, personal: bool) -> Self:
        """The view of ``recorded``; personal fields blanked unless ``personal``."""
        event = recorded.event
        hidden: frozenset[str] = frozenset() if personal else _personal_fields(type(event))
        data = {
            f.name: None if f.name in hidden else msgspec.to_builtins(getattr(event, f.name))
            for f in dataclasses.fields(event)  # type: ignore[arg-type]
            if f.name not in ENVELOPE_FIELDS
        }
        return cls(
            position=recorded.position,
            version=recorded.stream_version,
            type=recorded.event_type,
            schema_version=recorded.schema_version,
            recorded_at=recorded.recorded_at,
            actor=recorded.actor,
            correlation_id=recorded.correlation_id,
            data=data,
            redacted=sorted(hidden.intersection(data)),
        )

    @classmethod
    def views(cls, events: Iterable[RecordedEvent], *, personal: bool) -> list[Self]:
        return [cls.of(recorded, personal=personal) for recorded in events]


class FieldError(msgspec.Struct, frozen=True, omit_defaults=True):
    """A field at fault: ``pointer`` is a JSON pointer (RFC 6901) into the body."""

    field: str | None
    message: str | None
    source: str | None = None
    pointer: str | None = None


class ProblemDetails(msgspec.Struct, frozen=True, omit_defaults=True):
    """RFC 9457 problem details; ``errors`` names each field at fault."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None
    current_version: int | None = None


_personal_by_class: dict[type[Any], frozenset[str]] = {}


def _personal_fields(cls: type[Any]) -> frozenset[str]:
    found = _personal_by_class.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls, include_extras=True)
        found = frozenset(
            name
            for name, hint in hints.items()
            if typing.get_origin(hint) is Annotated
            and any(isinstance(meta, PersonalData) for meta in hint.__metadata__)
        )
        _personal_by_class[cls] = found
    return found


def url(principal: Principal, resource: str, resource_id: object) -> str:
    """Where a resource of the caller's tenant lives, for a ``Location`` header."""
    return f"/v1/tenants/{principal.tenant_id}/{resource}/{resource_id}"


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


R = TypeVar("R", bound=msgspec.Struct)


@functools.cache
def _shown_events(read: type[msgspec.Struct]) -> type[EventView]:
    """The ``EventView`` subclass a read declares its events as (``list[PupilEvent]``)."""
    shown: type[EventView] = typing.get_args(typing.get_type_hints(read)["events"])[0]
    return shown


def aggregate_read(
    read: type[R],
    history: AggregateHistory[Any],
    state: object,
    *,
    personal: bool,
    **more: Any,  # noqa: ANN401 - the read's other fields (replayed_to)
) -> Response[R]:
    """The answer to a read of one aggregate: its id, version, state and events, and its ETag.

    The events are shown as the read declares them (``events: list[PupilEvent]``); personal
    fields blanked unless ``personal``.
    """
    events = _shown_events(read)
    return Response(
        read(
            id=history.aggregate.id,
            version=history.version,
            state=state,
            events=events.views(history.events, personal=personal),
            **more,
        ),
        headers=etag(history.version),
    )


def accepted(outcome: CommandOutcome, *, location: str | None = None) -> Response[CommandAccepted]:
    """The answer to a command: 201 with a Location when it created something, else 200."""
    headers = etag(outcome.stream_version)
    if location is not None:
        headers["Location"] = location
    return Response(
        CommandAccepted(
            id=outcome.aggregate_id,
            version=outcome.stream_version,
            position=outcome.last_position,
            also_changed=list(outcome.also_changed),
        ),
        status_code=HTTP_201_CREATED if location is not None else HTTP_200_OK,
        headers=headers,
    )


def example(value: Mapping[str, Any], summary: str = "Example") -> BodyKwarg:
    """Body metadata with one example, to annotate a route's ``data`` parameter with."""
    body: BodyKwarg = Body(examples=[Example(summary=summary, value=dict(value))])
    return body


_TYPES = PROBLEM_TYPE_BASE
_PROBLEMS: dict[int, tuple[str, dict[str, Any]]] = {
    400: (
        "The body is not JSON, or a header is malformed.",
        {"type": f"{_TYPES}bad-request", "title": "Bad Request", "status": 400},
    ),
    401: (
        "No valid bearer token.",
        {
            "type": f"{_TYPES}unauthorized",
            "title": "A bearer token is required: Authorization: Bearer <token>.",
            "status": 401,
        },
    ),
    403: (
        "The token's roles in this tenant do not allow this.",
        {
            "type": f"{_TYPES}forbidden",
            "title": "This needs one of the roles: committee, loket.",
            "status": 403,
        },
    ),
    404: (
        "No such tenant, resource or one the caller may see (existence is not revealed).",
        {
            "type": f"{_TYPES}not-found",
            "title": "Not found",
            "status": 404,
        },
    ),
    409: (
        "The resource's state does not allow this any more, or a concurrent change won.",
        {
            "type": f"{_TYPES}request-already-decided",
            "title": "The decision rules do not allow this",
            "status": 409,
            "detail": "Request … was granted on 2025-03-20; a decision is taken once.",
        },
    ),
    412: (
        "If-Match named another version than the current one.",
        {
            "type": f"{_TYPES}precondition-failed",
            "title": "The resource changed since the version in If-Match",
            "status": 412,
            "current_version": 4,
        },
    ),
    413: (
        "The body is larger than the server accepts.",
        {"type": f"{_TYPES}body-too-large", "title": "Request Entity Too Large", "status": 413},
    ),
    415: (
        "The body is not sent as application/json.",
        {
            "type": f"{_TYPES}unsupported-media-type",
            "title": "Send the body as application/json.",
            "status": 415,
        },
    ),
    422: (
        "A field is missing, unknown or invalid, or a decision rule refuses the command.",
        {
            "type": f"{_TYPES}validation",
            "title": "The request is not valid",
            "status": 422,
            "errors": [
                {
                    "field": "reasons",
                    "message": "Object missing required field `reasons`",
                    "source": "body",
                    "pointer": "/reasons",
                }
            ],
        },
    ),
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error responses a route can give, as problem+json."""
    return {
        status: ResponseSpec(
            data_container=ProblemDetails,
            description=_PROBLEMS[status][0],
            media_type="application/problem+json",
            examples=[Example(summary=_PROBLEMS[status][0], value=_PROBLEMS[status][1])],
        )
        for status in statuses
    }


READ_ERRORS = problems(400, 401, 403, 404)
COMMAND_ERRORS = problems(400, 401, 403, 404, 409, 412, 413, 415, 422)
