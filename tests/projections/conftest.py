"""Fixtures for the runner's tests: tenants with notes, and runners stopped after each test."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from uuid import UUID

import pytest

from domain.ids import TenantId
from infrastructure.database import Pool
from infrastructure.event_store import PostgresEventStore
from projections.projection import Projection
from projections.runner import ProjectionRunner
from tests.conftest import database_of_its_own, new_tenant_id
from tests.integration.events import META, note_events

RunnerFactory = Callable[..., Awaitable[ProjectionRunner]]

database_dsns, app_pool = database_of_its_own("passend_test_projections")


async def tenant_with_notes(
    store: PostgresEventStore, streams: Sequence[int], *, text: str = "x"
) -> tuple[TenantId, dict[UUID, int]]:
    """A new tenant with one note stream per entry, of that many events."""
    tenant_id = new_tenant_id()
    await store.register_tenant(tenant_id)
    expected: dict[UUID, int] = {}
    for count in streams:
        events = note_events(count, text=text)
        await store.append(tenant_id, events, expected_version=0, metadata=META)
        expected[events[0].event.originator_id] = count
    return tenant_id, expected


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout_s: float = 10.0, every_s: float = 0.005
) -> float:
    """Seconds until ``check()`` holds; fails the test after ``timeout_s``."""
    started = time.perf_counter()
    while not await check():
        if time.perf_counter() - started > timeout_s:
            pytest.fail(f"not true within {timeout_s}s")
        await asyncio.sleep(every_s)
    return time.perf_counter() - started


@pytest.fixture
async def start_runner(app_pool: Pool) -> AsyncIterator[RunnerFactory]:
    started: list[ProjectionRunner] = []

    async def start(
        store: PostgresEventStore,
        projections: Sequence[Projection],
        *,
        pool: Pool | None = None,
        **options: float,
    ) -> ProjectionRunner:
        runner = ProjectionRunner(pool or app_pool, store, projections, **options)  # type: ignore[arg-type]
        await runner.start()
        started.append(runner)
        return runner

    yield start
    for runner in started:
        await runner.stop()
