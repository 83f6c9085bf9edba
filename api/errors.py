"""The one exception table: every error leaves as RFC 9457 ``application/problem+json``.

Clients never see a stack trace; unexpected errors are logged with the request's correlation id.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_412_PRECONDITION_FAILED,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ExceptionHandlersMap

from application.errors import (
    AccessDeniedError,
    ApplicationError,
    ConcurrencyConflictError,
    DataShreddedError,
    EventIdReusedError,
    IdempotencyKeyReusedError,
    InvalidAppendError,
    KeyUnavailableError,
    NotFoundError,
    TenantSuspendedError,
    UnconfiguredReferenceError,
)
from domain.errors import DomainError, StateConflictError
from infrastructure.connection_loss import LOST, UNREACHABLE, database_unreachable
from infrastructure.metrics import record_database_lost

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://passend.example/problems/"
log = logging.getLogger("passend.api")

PROBLEM_TYPES: dict[str, str] = {
    "validation": "A field or header is missing, unknown, of the wrong type or out of bounds.",
    "bad-request": "The body is not UTF-8 or not JSON, or the request is malformed.",
    "unauthorized": "No valid bearer token.",
    "forbidden": "The token's roles do not allow this.",
    "not-found": "No such tenant, route or object, or one the caller may not know exists.",
    "method-not-allowed": "The path does not take this method.",
    "body-too-large": "The body is larger than the server accepts.",
    "unsupported-media-type": "The body is not sent as application/json.",
    "precondition-failed": "If-Match named another version than the current one.",
    "concurrency-conflict": "Someone changed the object at the same time; read it again.",
    "command-id-reused": "An event id was sent again with other content.",
    "cannot-record": "The events cannot be recorded (malformed, or the subject was shredded).",
    "unconfigured-reference": "A code names a school, municipality or entry not configured.",
    "idempotency-key-reused": "The Idempotency-Key was used for another request.",
    "tenant-suspended": "The platform operator suspended the tenant: it changes nothing.",
    "key-unavailable": "The tenant's key-encryption key is unavailable.",
    "busy": "Too many requests at once; try again after Retry-After.",
    "database-unavailable": "The database cannot be reached; try again after Retry-After.",
    "outcome-unknown": "The database connection broke during the command; send it again.",
    "service-unavailable": "The service cannot serve this now; try again after Retry-After.",
    "not-configured": "This process is not set up to serve this; asking again will not help.",
    "internal-error": "Something went wrong on the server; quote the correlation id.",
}
"""Every problem type but the decision rules' (see ``rule_problem_types``), slug → meaning."""

# HTTP errors raised by the framework or by a guard, by status.
_HTTP_KINDS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "validation",
    500: "internal-error",
    503: "service-unavailable",
}
_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def rule_kind(rule: type[DomainError]) -> str:
    """A decision rule's problem type: its class name in kebab-case, without ``Error``."""
    return _WORD_START.sub("-", rule.__name__.removesuffix("Error")).lower()


def rule_problem_types() -> dict[str, str]:
    """The problem type of every decision rule (``DomainError`` subclass), slug → meaning."""
    found: dict[str, str] = {}
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        rule = pending.pop()
        found[rule_kind(rule)] = (rule.__doc__ or "").strip().splitlines()[0]
        pending.extend(rule.__subclasses__())
    return dict(sorted(found.items()))


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    kind: str,
    headers: dict[str, str] | None = None,
    **extra: Any,  # noqa: ANN401 - RFC 9457 extension members are free-form JSON
) -> Response[dict[str, Any]]:
    """A problem document; ``kind`` is its type's kebab-case slug (PROBLEM_TYPES)."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + kind,
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


class ServiceUnavailableError(Exception):
    """The service cannot serve this now (too busy, or its database is away): 503, Retry-After.

    ``kind`` names the reason in the problem type (``busy``, ...), so clients can tell them apart.
    """

    def __init__(self, title: str, detail: str, *, retry_after_s: int, kind: str) -> None:
        super().__init__(detail)
        self.title, self.detail = title, detail
        self.retry_after_s, self.kind = retry_after_s, kind


class NotConfiguredError(Exception):
    """This process is not set up to serve this (no admin database): 503 without Retry-After.

    Unlike the other 503s it lasts until the process is configured otherwise, so it names no
    moment to ask again.
    """


def _not_configured(request: Request[Any, Any, Any], exc: NotConfiguredError) -> Response[Any]:
    return problem(
        HTTP_503_SERVICE_UNAVAILABLE,
        "This process is not set up to serve this",
        str(exc),
        kind="not-configured",
        instance=request.url.path,
    )


def _unavailable(request: Request[Any, Any, Any], exc: ServiceUnavailableError) -> Response[Any]:
    return problem(
        HTTP_503_SERVICE_UNAVAILABLE,
        exc.title,
        exc.detail,
        kind=exc.kind,
        headers={"Retry-After": str(exc.retry_after_s)},
        instance=request.url.path,
    )


_NAMED_FIELD = re.compile(r"field `([^`]+)`")


def _field_at_fault(error: dict[str, Any]) -> str | None:
    """The field an error is about; a header by its HTTP name.

    For a missing or unknown field that is the field itself, not its parent (Litestar calls
    the whole body ``data``).
    """
    key, source = error.get("key"), error.get("source")
    if source == "header" and isinstance(key, str):
        return key.replace("_", "-").title()
    named = _NAMED_FIELD.search(str(error.get("message") or ""))
    if source == "body" and named:
        return named[1] if key in {None, "data"} else f"{key}.{named[1]}"
    return key if isinstance(key, str) else None


def _field_error(error: dict[str, Any]) -> dict[str, Any]:
    """One ``errors`` member: the field, a JSON pointer into the body when it is in the body."""
    pointer = error.get("pointer")
    field = (pointer[1:].replace("/", ".") or None) if isinstance(pointer, str) else None
    field = field or _field_at_fault(error)
    found: dict[str, Any] = {
        "field": field,
        "message": error.get("message"),
        "source": error.get("source"),
    }
    if error.get("source") == "body":
        found["pointer"] = pointer if isinstance(pointer, str) else _pointer_to(field)
    return found


def _pointer_to(field: str | None) -> str:
    return "/" + field.replace(".", "/") if field else ""


def _errors_at(
    request: Request[Any, Any, Any], fields: tuple[str, ...], message: str
) -> list[dict[str, Any]]:
    """The ``errors`` member for command fields: in the path by name, in the body by pointer."""
    in_path = request.path_params
    return [
        {"field": f, "message": message, "source": "path"}
        if f in in_path
        else {"field": f, "message": message, "source": "body", "pointer": _pointer_to(f)}
        for f in fields
    ]


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = exc.extra if isinstance(exc.extra, list) else []
    return problem(
        exc.status_code if exc.status_code != 400 else HTTP_422_UNPROCESSABLE_ENTITY,  # noqa: PLR2004
        "The request is not valid",
        exc.detail,
        kind="validation",
        errors=[_field_error(e) for e in errors if isinstance(e, dict)],
        instance=request.url.path,
    )


def _http_kind(status: int) -> str:
    return _HTTP_KINDS.get(status) or ("internal-error" if status >= 500 else "bad-request")  # noqa: PLR2004


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    headers = exc.headers
    if exc.status_code == HTTP_503_SERVICE_UNAVAILABLE:
        # its problem type tells the client to try again after Retry-After, so it is sent
        headers = {"Retry-After": str(RETRY_AFTER_S), **(headers or {})}
    return problem(
        exc.status_code,
        exc.detail,
        None,
        kind=_http_kind(exc.status_code),
        headers=headers,
        instance=request.url.path,
    )


def _domain(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    # Refusals because of what already happened are 409; every other rule violation is 422.
    status = (
        HTTP_409_CONFLICT if isinstance(exc, StateConflictError) else HTTP_422_UNPROCESSABLE_ENTITY
    )
    return problem(
        status,
        "The decision rules do not allow this",
        str(exc),
        kind=rule_kind(type(exc)),
        instance=request.url.path,
        errors=_errors_at(request, exc.fields, str(exc)),
    )


def _application(request: Request[Any, Any, Any], exc: ApplicationError) -> Response[Any]:
    path = request.url.path
    if isinstance(exc, NotFoundError):
        return problem(HTTP_404_NOT_FOUND, "Not found", str(exc), kind="not-found", instance=path)
    if isinstance(exc, ConcurrencyConflictError):
        if request.headers.get("if-match"):
            return problem(
                HTTP_412_PRECONDITION_FAILED,
                "The resource changed since the version in If-Match",
                str(exc),
                kind="precondition-failed",
                current_version=exc.actual,
                instance=path,
            )
        return problem(
            HTTP_409_CONFLICT,
            "Someone changed this at the same time",
            str(exc),
            kind="concurrency-conflict",
            current_version=exc.actual,
            instance=path,
        )
    if isinstance(exc, EventIdReusedError):
        return problem(HTTP_409_CONFLICT, "Command id reused", str(exc), kind="command-id-reused")
    if isinstance(exc, (InvalidAppendError, DataShreddedError)):
        return problem(
            HTTP_422_UNPROCESSABLE_ENTITY,
            "Cannot record this",
            str(exc),
            kind="cannot-record",
            instance=path,
        )
    return _unexpected(request, exc)


def _key_unavailable(request: Request[Any, Any, Any], exc: KeyUnavailableError) -> Response[Any]:
    return problem(
        HTTP_503_SERVICE_UNAVAILABLE,
        "This tenant's personal data keys are unavailable",
        f"{exc} Nothing was recorded.",
        kind="key-unavailable",
        instance=request.url.path,
    )


def _denied(request: Request[Any, Any, Any], exc: AccessDeniedError) -> Response[Any]:
    return problem(403, str(exc), None, kind="forbidden", instance=request.url.path)


def _unconfigured(
    request: Request[Any, Any, Any], exc: UnconfiguredReferenceError
) -> Response[Any]:
    return problem(
        HTTP_422_UNPROCESSABLE_ENTITY,
        "The request names something the SWV has not configured",
        str(exc),
        kind="unconfigured-reference",
        errors=_errors_at(request, (exc.field,), str(exc)),
        instance=request.url.path,
    )


def _key_reused(request: Request[Any, Any, Any], exc: IdempotencyKeyReusedError) -> Response[Any]:
    return problem(
        HTTP_422_UNPROCESSABLE_ENTITY,
        "The idempotency key was used for another request",
        str(exc),
        kind="idempotency-key-reused",
        errors=[{"field": "Idempotency-Key", "message": str(exc), "source": "header"}],
        instance=request.url.path,
    )


def _suspended(request: Request[Any, Any, Any], exc: TenantSuspendedError) -> Response[Any]:
    return problem(
        423, "The tenant is suspended", str(exc), kind="tenant-suspended", instance=request.url.path
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Internal server error",
        "Something went wrong on our side. Quote the correlation id; a command sent again with"
        " the same Idempotency-Key is recorded at most once and answers what happened.",
        kind="internal-error",
        correlation_id=request.scope.get("state", {}).get("correlation_id"),
    )


RETRY_AFTER_S = 2
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def unavailable(
    detail: str,
    *,
    kind: str = "service-unavailable",
    retry_after_s: int = RETRY_AFTER_S,
    **extra: Any,  # noqa: ANN401 - problem extension members
) -> Response[dict[str, Any]]:
    """A 503 with ``Retry-After``: the database is away, or the service is overloaded."""
    return problem(
        HTTP_503_SERVICE_UNAVAILABLE,
        "Service unavailable",
        detail,
        kind=kind,
        headers={"Retry-After": str(retry_after_s)},
        **extra,
    )


def _database_lost(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """503 while the database is away; for a command whose answer was lost, outcome unknown."""
    log.warning("database lost on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    path = request.url.path
    unknown = request.method not in _SAFE_METHODS and not database_unreachable(exc)
    record_database_lost("outcome-unknown" if unknown else "unavailable")
    if not unknown:
        # Not "nothing was recorded": a command that appends twice may have done one.
        return unavailable(
            "The database cannot be reached right now. Try again shortly; send a command again"
            " with the same Idempotency-Key, so that it is recorded at most once.",
            kind="database-unavailable",
            instance=path,
        )
    return unavailable(
        "The connection to the database broke while this command ran: it may or may not have"
        " been recorded. Send it again with the same Idempotency-Key once the service answers;"
        " it is recorded at most once and the answer tells the outcome.",
        kind="outcome-unknown",
        outcome="unknown",
        instance=path,
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ValidationException: _validation,
    HTTPException: _http,
    DomainError: _domain,
    ApplicationError: _application,
    KeyUnavailableError: _key_unavailable,
    TenantSuspendedError: _suspended,
    AccessDeniedError: _denied,
    UnconfiguredReferenceError: _unconfigured,
    IdempotencyKeyReusedError: _key_reused,
    **dict.fromkeys(UNREACHABLE + LOST, _database_lost),
    ServiceUnavailableError: _unavailable,
    NotConfiguredError: _not_configured,
    Exception: _unexpected,
}

__all__ = [
    "EXCEPTION_HANDLERS",
    "PROBLEM_JSON",
    "PROBLEM_TYPES",
    "PROBLEM_TYPE_BASE",
    "MediaType",
    "NotConfiguredError",
    "ServiceUnavailableError",
    "problem",
    "rule_kind",
    "rule_problem_types",
    "unavailable",
]
