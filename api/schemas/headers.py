"""Response headers the routes set, each declared once for the OpenAPI document.

A route that sets a header names its declaration in ``response_headers``; the document then
says what the header holds, with a schema (and a pattern where the form is fixed).
tests/api/test_response_headers.py calls every read and fails on a header it does not declare.

Litestar declares ``response_headers`` on the success answer only, and an error answer
(``ResponseSpec``) has no headers at all. ``declare_on_problems`` completes the document: the
correlation id on every answer, and the headers a problem of some status always may carry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from litestar.datastructures import ResponseHeader
from litestar.openapi.spec import OpenAPIHeader, Operation, Schema
from litestar.openapi.spec.enums import OpenAPIType

from api.dependencies import CORRELATION_HEADER
from partners.feeds import CHECKPOINT_HEADER

NEXT_AFTER_HEADER = "Passend-Next-After"
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


@dataclass(eq=False)  # hashed as Litestar hashes its own headers
class DeclaredHeader(ResponseHeader):
    """A header for the document only (the route sets the value), with the schema it follows."""

    schema: Schema | None = None


def _declared(name: str, description: str, pattern: str | None = None) -> DeclaredHeader:
    return DeclaredHeader(
        name=name,
        description=description,
        documentation_only=True,
        schema=Schema(type=OpenAPIType.STRING, pattern=pattern),
    )


ETAG = _declared(
    "ETag",
    'The stream\'s version, e.g. "4": send it as If-Match with the next command on it.',
    r'^"[0-9]+"$',
)
LOCATION = _declared("Location", "Where the new resource is read.")
CORRELATION_ID = _declared(
    CORRELATION_HEADER,
    "The request's correlation id (the caller's own, if it sent a UUID), also in the logs "
    "and in the events the request recorded.",
    _UUID,
)
NEXT_AFTER = _declared(
    NEXT_AFTER_HEADER,
    "The tenant position to ask `after` next, also when the page is empty (it moves past "
    "events not meant for this subscription).",
    r"^[0-9]+$",
)
CHECKPOINT = _declared(
    CHECKPOINT_HEADER,
    "Once the tenant has a signed checkpoint: the latest one (a C2SP signed note), in base64 "
    "since a note has lines. Verify it with the `log` key of `GET …/log/keys`; it may lag the "
    "batch (events past its size are covered by a later one).",
    r"^[A-Za-z0-9+/]+={0,2}$",
)
BUNDLE_FILE_NAME = _declared(
    "Content-Disposition",
    "The bundle as a file: the tenant and the tree size it was exported at.",
    r'^attachment; filename="[A-Za-z0-9]+-[0-9]+\.zip"$',
)
STREAM_NOT_CACHED = _declared(
    "Cache-Control", "A stream of Server-Sent Events is never cached.", r"^no-cache$"
)
STREAM_NOT_BUFFERED = _declared(
    "X-Accel-Buffering",
    "Tells a proxy (nginx) to pass each event on at once instead of buffering the stream.",
    r"^no$",
)
RETRY_AFTER = _declared(
    "Retry-After", "The seconds to wait before trying again (RFC 9110).", r"^[0-9]+$"
)
WWW_AUTHENTICATE = _declared(
    "WWW-Authenticate",
    "The scheme to authenticate with: a bearer token (RFC 6750); for a token sent and refused, "
    '`error="invalid_token"`.',
    r"^Bearer ",
)

_ON_EVERY_ANSWER = (CORRELATION_ID,)  # set by echo_correlation_id, whatever the answer
_ON_PROBLEMS = {
    "401": (WWW_AUTHENTICATE,),  # BearerAuthentication and TokenVerifier set it
    # api.errors sets it on every 503 problem asking again helps with: not on not-configured
    # or key-unavailable, which last until the process or its keys are set up otherwise
    "503": (RETRY_AFTER,),
}
_PROBLEM = "application/problem+json"


def declare_on(answer: dict[str, Any], headers: Sequence[DeclaredHeader]) -> None:
    """Declare ``headers`` on one answer (a response object) of the document."""
    declared = answer.setdefault("headers", {})
    for header in headers:
        declared.setdefault(
            header.name,
            OpenAPIHeader(description=header.description, schema=header.schema).to_schema(),
        )


def declare_on_problems(document: Mapping[str, Any]) -> None:
    """Declare, on every answer of every operation, the headers Litestar declares on none."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue  # a path item's parameters or summary
            for status, answer in operation["responses"].items():
                declare_on(answer, _ON_EVERY_ANSWER)
                if _PROBLEM in (answer.get("content") or {}):
                    declare_on(answer, _ON_PROBLEMS.get(status, ()))


def problem_headers(status: int, *headers: DeclaredHeader) -> type[Operation]:
    """An ``operation_class`` for a route whose ``status`` problem also carries ``headers``."""

    class _Operation(Operation):
        def to_schema(self) -> dict[str, Any]:
            operation = super().to_schema()
            declare_on(operation["responses"][str(status)], headers)
            return operation

    return _Operation
