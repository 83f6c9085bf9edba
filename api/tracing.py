"""OpenTelemetry traces: off by default, on with the standard ``OTEL_*`` environment variables.

``OTEL_TRACES_EXPORTER`` names the exporters (``console`` ships with the SDK; ``otlp`` needs
the ``opentelemetry-exporter-otlp`` package), ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES`` describe the process, ``OTEL_SDK_DISABLED=true`` turns it all off.
When on, every request gets a server span (the ASGI instrumentation, named by route template),
every command a span inside it, every append a span inside that, and every asyncpg query its
own. Spans carry route templates, SWV codes and command names, never bodies.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

from infrastructure.event_store import trace_appends

if TYPE_CHECKING:
    from litestar.plugins.opentelemetry import OpenTelemetryPlugin
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

log = logging.getLogger("passend.tracing")
_EXPORTERS_GROUP = "opentelemetry_traces_exporter"
_provider: TracerProvider | None = None


def requested_exporters(environ: Mapping[str, str] | None = None) -> list[str]:
    """The exporters the environment asks for; none unless ``OTEL_TRACES_EXPORTER`` names one."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    names = [n.strip() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    return [name for name in names if name != "none"]


def _exporter(name: str) -> SpanExporter | None:
    found = entry_points(group=_EXPORTERS_GROUP, name=name)
    if not found:
        log.error("no trace exporter %r installed; traces are not sent there", name)
        return None
    exporter: SpanExporter = next(iter(found)).load()()
    return exporter


def enable_tracing(exporters: Sequence[SpanExporter] = (), *, batch: bool = True) -> TracerProvider:
    """Trace this process (once): the global tracer provider, and asyncpg instrumented."""
    global _provider  # noqa: PLW0603 - one tracer provider per process, as OpenTelemetry wants
    # the SDK costs each process about 4 MB (psutil among it): only traced processes pay
    from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import (  # noqa: PLC0415
        BatchSpanProcessor,
        SimpleSpanProcessor,
    )

    if _provider is None:
        named = "OTEL_SERVICE_NAME" in os.environ  # the environment's name wins over ours
        _provider = TracerProvider(
            resource=Resource.create({} if named else {"service.name": "passend"})
        )
        # the instrumentations take most of a second to import: only traced processes pay
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor  # noqa: PLC0415

        trace.set_tracer_provider(_provider)
        trace_appends()
        AsyncPGInstrumentor().instrument(tracer_provider=_provider)  # type: ignore[no-untyped-call]
    processor = BatchSpanProcessor if batch else SimpleSpanProcessor
    for exporter in exporters:
        _provider.add_span_processor(processor(exporter))
    return _provider


def tracing_from_environment() -> TracerProvider | None:
    """Turn tracing on if the environment asks for it; the provider, or None when off."""
    if _provider is not None:
        return _provider
    names = requested_exporters()
    if not names:
        return None
    exporters = [e for e in (_exporter(name) for name in names) if e is not None]
    return enable_tracing(exporters)


def tracing_plugins() -> list[OpenTelemetryPlugin]:
    """Litestar's OpenTelemetry plugin if the environment asks for traces, else none."""
    tracer_provider = tracing_from_environment()
    if tracer_provider is None:
        return []
    # the ASGI instrumentation takes most of a second to import: only traced processes pay
    from litestar.plugins.opentelemetry import (  # noqa: PLC0415
        OpenTelemetryConfig,
        OpenTelemetryPlugin,
    )

    config = OpenTelemetryConfig(
        tracer_provider=tracer_provider, scope_span_details_extractor=span_name_of_request
    )
    return [OpenTelemetryPlugin(config)]


def tracing_enabled() -> TracerProvider | None:
    return _provider


def span_name_of_request(scope: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """A request's first span name: its method only, as the path may hold ids.

    The request is routed after its span starts; ``name_request_span`` then renames it.
    """
    return str(scope.get("method", "HTTP")), {}


def name_request_span(method: str, route: str) -> None:
    """Name the current request's span by its route template, once the route is known."""
    span = trace.get_current_span()
    if span.is_recording():
        span.update_name(f"{method} {route}")
        span.set_attribute("http.route", route)
