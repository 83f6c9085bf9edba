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
    NotFoundError,
    TenantSuspendedError,
    UnconfiguredReferenceError,
)
from domain.errors import (
    AlreadyNotifiedError,
    ApplicationAlreadyCompleteError,
    ArrangementClosedError,
    DomainError,
    DuplicateConfigurationError,
    ObjectionClosedError,
    PupilHasLeftError,
    RequestAlreadyDecidedError,
    TlvNotValidError,
)
from domain.tenancy import TenancyStateError

PROBLEM_JSON = "application/problem+json"
_TYPE_BASE = "https://passend.example/problems/"
log = logging.getLogger("passend.api")

# Refusals because of what already happened (409); every other rule violation is 422.
_STATE_CONFLICTS = (
    AlreadyNotifiedError,
    ApplicationAlreadyCompleteError,
    ArrangementClosedError,
    DuplicateConfigurationError,
    ObjectionClosedError,
    PupilHasLeftError,
    RequestAlreadyDecidedError,
    TlvNotValidError,
    TenancyStateError,
)


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,  # noqa: ANN401 - RFC 9457 extension members are free-form JSON
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": _TYPE_BASE + kind if kind else "about:blank",
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


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = exc.extra if isinstance(exc.extra, list) else []
    return problem(
        exc.status_code if exc.status_code != 400 else HTTP_422_UNPROCESSABLE_ENTITY,  # noqa: PLR2004
        "The request is not valid",
        exc.detail,
        kind="validation",
        errors=[
            {"field": _field_at_fault(e), "message": e.get("message"), "source": e.get("source")}
            for e in errors
            if isinstance(e, dict)
        ],
        instance=request.url.path,
    )


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return problem(
        exc.status_code, exc.detail, None, headers=exc.headers, instance=request.url.path
    )


def _domain(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    status = (
        HTTP_409_CONFLICT if isinstance(exc, _STATE_CONFLICTS) else HTTP_422_UNPROCESSABLE_ENTITY
    )
    return problem(
        status,
        "The decision rules do not allow this",
        str(exc),
        kind=type(exc).__name__,
        instance=request.url.path,
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
        return problem(HTTP_422_UNPROCESSABLE_ENTITY, "Cannot record this", str(exc), instance=path)
    return _unexpected(request, exc)


def _denied(request: Request[Any, Any, Any], exc: AccessDeniedError) -> Response[Any]:
    return problem(403, str(exc), None, instance=request.url.path)


def _unconfigured(
    request: Request[Any, Any, Any], exc: UnconfiguredReferenceError
) -> Response[Any]:
    return problem(
        HTTP_422_UNPROCESSABLE_ENTITY,
        "The request names something the SWV has not configured",
        str(exc),
        kind="unconfigured-reference",
        errors=[{"field": exc.field, "message": str(exc), "source": "body"}],
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
        "Something went wrong on our side; nothing was recorded. Quote the correlation id.",
        correlation_id=request.scope.get("state", {}).get("correlation_id"),
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ValidationException: _validation,
    HTTPException: _http,
    DomainError: _domain,
    ApplicationError: _application,
    TenantSuspendedError: _suspended,
    AccessDeniedError: _denied,
    UnconfiguredReferenceError: _unconfigured,
    IdempotencyKeyReusedError: _key_reused,
    ServiceUnavailableError: _unavailable,
    Exception: _unexpected,
}

__all__ = [
    "EXCEPTION_HANDLERS",
    "PROBLEM_JSON",
    "MediaType",
    "ServiceUnavailableError",
    "problem",
]
