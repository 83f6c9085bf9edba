"""Structured logs: JSON lines in production, readable columns in a terminal.

Every line carries ``correlation_id``, ``tenant`` and ``route`` (null outside a request), bound
per request by the correlation middleware. Standard-library loggers (ours, uvicorn, asyncpg)
go through the same processors. No personal data: request lines name the route template and
the ids in the path, never bodies or query strings, and fields with a personal name are masked.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

CONTEXT_KEYS = ("correlation_id", "tenant", "route")
LOG_LEVEL_VARIABLE = "PASSEND_LOG_LEVEL"
# Field names that carry personal data somewhere in the domain; never logged as such.
_PERSONAL_FIELDS = frozenset(
    {"name", "date_of_birth", "bsn", "address", "email", "phone", "parent_view", "question"}
)


def _with_request_context(
    _logger: object, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in CONTEXT_KEYS:
        event.setdefault(key, None)
    return event


def _mask_personal_fields(
    _logger: object, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in _PERSONAL_FIELDS.intersection(event):
        event[key] = "[masked]"
    return event


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.ExtraAdder(),
        _with_request_context,
        _mask_personal_fields,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def wants_json(stream: TextIO) -> bool:
    """JSON unless the stream is a terminal; ``PASSEND_LOG_FORMAT=json|console`` decides."""
    chosen = os.environ.get("PASSEND_LOG_FORMAT", "").lower()
    if chosen in {"json", "console"}:
        return chosen == "json"
    return not stream.isatty()


def configure_logging(
    *, json: bool | None = None, level: int | None = None, stream: TextIO | None = None
) -> logging.Handler:
    """Route every logger through structlog's processors to ``stream`` (stderr by default).

    ``level`` by default from ``PASSEND_LOG_LEVEL`` (e.g. ``warning``: no line per request),
    else INFO.
    """
    if level is None:
        named = logging.getLevelName(os.environ.get(LOG_LEVEL_VARIABLE, "INFO").upper())
        level = named if isinstance(named, int) else logging.INFO
    out = stream or sys.stderr
    as_json = wants_json(out) if json is None else json
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    shared = _shared_processors()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info if as_json else _keep,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # the request line is ours, without query
    return handler


def _keep(
    _logger: object, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    return event


def bind_request(*, correlation_id: str, tenant: str | None, route: str | None) -> None:
    """Bind the request's context for every line logged while it runs."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        correlation_id=correlation_id, tenant=tenant, route=route
    )


def unbind_request() -> None:
    structlog.contextvars.clear_contextvars()
