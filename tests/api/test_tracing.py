"""With tracing on, one command is one trace: the request, the command, the append, its SQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from api.app import create_app
from api.auth import Role
from api.settings import Settings
from api.tracing import enable_tracing, requested_exporters
from tests.api.conftest import SCHOOL, Api, open_tenant


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    spans = InMemorySpanExporter()
    enable_tracing([spans], batch=False)
    yield spans
    spans.shutdown()  # later spans of this process are dropped, not kept in memory


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_a_command_is_one_trace_from_route_to_append(
    exporter: InMemorySpanExporter, database_dsns: tuple[str, str], tmp_path: Path
) -> None:
    admin, app = database_dsns
    settings = Settings(
        database_url=admin, database_app_url=app, database_retry_seconds=0.1, data_dir=tmp_path
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        for _ in range(200):
            if (await client.get("/health")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        api = Api(client, settings)
        tenant = await open_tenant(api)
        exporter.clear()
        await api.ok(
            "POST",
            f"/v1/tenants/{tenant}/pupils",
            api.as_(tenant, Role.LOKET),
            {
                "name": "Kim",
                "date_of_birth": "2016-01-02",
                "municipality_code": "GM0632",
                "school_code": SCHOOL,
            },
        )

    spans = exporter.get_finished_spans()
    by_id = {span.context.span_id: span for span in spans}
    append = next(span for span in spans if span.name == "event_store.append")
    command = next(span for span in spans if span.name.startswith("command "))
    request = next(span for span in spans if span.name == "POST /v1/tenants/{swv_code}/pupils")
    assert command.name == "command register_pupil"
    assert command.attributes is not None
    assert command.attributes["passend.tenant"] == tenant
    assert command.name in ancestors(append, by_id)
    assert request.name in ancestors(command, by_id)
    sql = [span for span in spans if "event_store.append" in ancestors(span, by_id)]
    assert sql, "the append's statements are spans inside it"
    assert len({span.context.trace_id for span in (request, command, append, *sql)}) == 1


def test_tracing_is_off_unless_an_exporter_is_named() -> None:
    assert requested_exporters({}) == []
    assert requested_exporters({"OTEL_TRACES_EXPORTER": "none"}) == []
    assert requested_exporters({"OTEL_TRACES_EXPORTER": "console,otlp"}) == ["console", "otlp"]
    disabled = {"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"}
    assert requested_exporters(disabled) == []
