"""Route dependencies: synchronous ones in the request's task, asynchronous ones still together."""

from __future__ import annotations

import asyncio

from litestar import Litestar, get
from litestar.di import NamedDependency, Provide
from litestar.testing import AsyncTestClient

from api.dependency_resolution import resolve_dependencies_in_turn


def _task_name() -> str:
    task = asyncio.current_task()
    assert task is not None
    return task.get_name()


def _in(tag: str) -> str:
    return f"{tag} in {_task_name()}"


class _Meeting:
    """Two asynchronous dependencies that each wait for the other: only together do they end."""

    def __init__(self) -> None:
        self.first, self.second = asyncio.Event(), asyncio.Event()


async def _first(meeting: NamedDependency[_Meeting]) -> str:
    meeting.first.set()
    await asyncio.wait_for(meeting.second.wait(), timeout=2)
    return "first"


async def _second(meeting: NamedDependency[_Meeting]) -> str:
    meeting.second.set()
    await asyncio.wait_for(meeting.first.wait(), timeout=2)
    return "second"


@get(
    "/probe",
    dependencies={
        "a": Provide(lambda: _in("a"), sync_to_thread=False),
        "b": Provide(lambda: _in("b"), sync_to_thread=False),
        "c": Provide(lambda: _in("c"), sync_to_thread=False),
        "meeting": Provide(_Meeting, sync_to_thread=False),
        "first": Provide(_first),
        "second": Provide(_second),
    },
)
async def _probe(
    a: NamedDependency[str],
    b: NamedDependency[str],
    c: NamedDependency[str],
    first: NamedDependency[str],
    second: NamedDependency[str],
) -> dict[str, object]:
    return {"sync": [a, b, c], "handler": _task_name(), "async": [first, second]}


async def test_sync_dependencies_run_in_the_request_task_and_async_ones_overlap() -> None:
    resolve_dependencies_in_turn()
    async with AsyncTestClient(app=Litestar(route_handlers=[_probe])) as client:
        answer = (await client.get("/probe")).json()
    handler = answer["handler"]
    assert answer["sync"] == [f"{tag} in {handler}" for tag in "abc"]
    assert answer["async"] == ["first", "second"], "two asynchronous ones still run together"
