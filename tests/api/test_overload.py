"""Past its capacity the API refuses at once with 503 and Retry-After, and recovers at once.

A real uvicorn server with room for one request and no queue. A request whose body has not
fully arrived holds the one slot for as long as the test wants, so what happens is certain.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.auth import Role, TenantGrant, dev_signing_key, mint_token
from api.settings import Settings
from domain.registry import AGGREGATE_CLASSES
from infrastructure.event_codec import EventCodec
from infrastructure.in_memory_event_store import InMemoryEventStore

TENANT = "PO9901"
NEW_TENANT = b'{"swv_code": "PO9902"}'  # what it holds does not matter, only that it is slow


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[str, int, Settings]]:
    settings = Settings(data_dir=tmp_path, max_in_flight=1, max_queued=1, queue_wait_seconds=0.05)
    app = create_app(settings, event_store=InMemoryEventStore(EventCodec(AGGREGATE_CLASSES)))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    running = uvicorn.Server(config)
    task = asyncio.create_task(running.serve())
    while not running.started:  # noqa: ASYNC110 - uvicorn offers no start event
        await asyncio.sleep(0.01)
    port = running.servers[0].sockets[0].getsockname()[1]
    yield "127.0.0.1", port, settings
    running.should_exit = True
    await task


def bearer(settings: Settings, *, platform_operator: bool = False) -> str:
    return "Bearer " + mint_token(
        dev_signing_key(settings.data_dir),
        subject="tester",
        tenants={} if platform_operator else {TENANT: TenantGrant(roles=(Role.LOKET,))},
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        platform_operator=platform_operator,
    )


@contextlib.asynccontextmanager
async def a_request_holding_the_only_slot(
    host: str, port: int, settings: Settings
) -> AsyncIterator[asyncio.StreamReader]:
    """A POST whose headers arrived and whose body is still coming; finished on leaving."""
    reader, writer = await asyncio.open_connection(host, port)
    head = (
        f"POST /v1/platform/tenants HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/json\r\n"
        f"Authorization: {bearer(settings, platform_operator=True)}\r\n"
        f"Content-Length: {len(NEW_TENANT)}\r\n\r\n"
    )
    writer.write(head.encode() + NEW_TENANT[:5])
    await writer.drain()
    await asyncio.sleep(0.2)  # the server reads the headers and admits it
    try:
        yield reader
    finally:
        writer.write(NEW_TENANT[5:])
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")
        writer.close()


async def test_a_burst_past_capacity_is_refused_at_once_and_the_next_request_is_served(
    server: tuple[str, int, Settings],
) -> None:
    host, port, settings = server
    me = f"http://{host}:{port}/v1/tenants/{TENANT}/me"
    headers = {"Authorization": bearer(settings)}
    async with httpx.AsyncClient(timeout=5) as client:
        async with a_request_holding_the_only_slot(host, port, settings) as held:
            burst = await asyncio.gather(*(client.get(me, headers=headers) for _ in range(8)))
            health = [
                await client.get(f"http://{host}:{port}{path}")
                for path in ("/health", "/health/live", "/health/ready")
            ]
        held_status = await held.readline()
        after = await client.get(me, headers=headers)

    assert [r.status_code for r in burst] == [503] * 8
    assert all(r.headers["Retry-After"] == "1" for r in burst)
    assert {r.json()["type"].rsplit("/", 1)[1] for r in burst} == {"busy"}
    assert burst[0].headers["Content-Type"].startswith("application/problem+json")
    assert [r.text for r in health if "busy" in r.text] == []  # health is never refused
    assert not held_status.startswith(b"HTTP/1.1 503")  # the admitted request was served
    assert after.status_code == 200
    assert after.json()["tenant"] == TENANT


def test_every_operation_but_health_declares_the_busy_refusal(tmp_path: Path) -> None:
    app = create_app(
        Settings(data_dir=tmp_path), event_store=InMemoryEventStore(EventCodec(AGGREGATE_CLASSES))
    )
    document = app.openapi_schema.to_schema()
    declared, undeclared = set(), []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            refusal = operation["responses"].get("503", {})
            problem = refusal.get("content", {}).get("application/problem+json", {})
            busy = problem.get("examples", {}).get("busy", {}).get("value", {})
            if busy.get("type", "").endswith("/busy"):
                assert "Retry-After" in refusal["headers"], path
                declared.add(path)
            else:
                undeclared.append(f"{method} {path}")
    assert sorted(undeclared) == ["get /health", "get /health/live", "get /health/ready"]
    assert len(declared) > 100


async def test_a_process_without_an_admin_database_refuses_erasure_naming_no_retry_time(
    server: tuple[str, int, Settings],
) -> None:
    host, port, settings = server
    operator = {"Authorization": bearer(settings, platform_operator=True)}
    async with httpx.AsyncClient(timeout=5) as client:
        answer = await client.post(
            f"http://{host}:{port}/v1/platform/tenants/{TENANT}/erasure",
            headers=operator,
            json={"export_sha256": "ab" * 32, "reason": "Overeenkomst beëindigd."},
        )

    assert answer.status_code == 503, answer.text
    assert answer.json()["type"].endswith("/not-configured")
    assert "admin database" in answer.json()["detail"]
    assert "Retry-After" not in answer.headers  # asking again will not help
