"""Route dependencies: synchronous ones in the request's task, asynchronous ones still together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

from litestar import Litestar, get
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException
from litestar.testing import AsyncTestClient

from api.dependency_resolution import UPSTREAM, resolve_dependencies_in_turn, written_against


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


def test_the_locked_litestar_is_the_one_the_replacement_was_written_against() -> None:
    assert resolve_dependencies_in_turn()
    assert KwargsModel.resolve_dependencies.__module__ == "api.dependency_resolution"


async def _changed_upstream(self: KwargsModel, connection: object, kwargs: object) -> None:
    """Another Litestar's method: any change of its source."""


def test_another_litestars_method_is_not_replaced() -> None:
    assert written_against(UPSTREAM)
    assert not written_against(_changed_upstream)


class _Refused(ClientException):
    status_code = 409


def _refuse() -> str:
    raise _Refused("refused by a dependency")


async def _refuse_later() -> str:
    await asyncio.sleep(0)
    raise _Refused("refused by an asynchronous dependency")


async def _fine() -> str:
    await asyncio.sleep(0)
    return "fine"


@get("/sync-refuses", dependencies={"refused": Provide(_refuse, sync_to_thread=False)})
async def _sync_refuses(refused: NamedDependency[str]) -> str:
    return refused


@get("/async-refuses", dependencies={"refused": Provide(_refuse_later), "fine": Provide(_fine)})
async def _async_refuses(refused: NamedDependency[str], fine: NamedDependency[str]) -> str:
    return refused + fine


async def test_a_failing_dependency_answers_with_its_own_error() -> None:
    resolve_dependencies_in_turn()
    app = Litestar(route_handlers=[_sync_refuses, _async_refuses])
    async with AsyncTestClient(app=app) as client:
        for path in ("/sync-refuses", "/async-refuses"):
            answer = await client.get(path)
            assert answer.status_code == 409, (path, answer.text)
            assert "refused by" in answer.json()["detail"]


_cleaned: list[str] = []


def _sync_resource() -> Iterator[str]:
    yield "sync"
    _cleaned.append("sync")


async def _async_resource() -> AsyncIterator[str]:
    yield "async"
    _cleaned.append("async")


@get(
    "/resources",
    dependencies={
        "one": Provide(_sync_resource),
        "two": Provide(_async_resource),
    },
)
async def _resources(one: NamedDependency[str], two: NamedDependency[str]) -> list[str]:
    assert _cleaned == []
    return [one, two]


async def test_generator_dependencies_are_cleaned_up_after_the_handler() -> None:
    resolve_dependencies_in_turn()
    _cleaned.clear()
    async with AsyncTestClient(app=Litestar(route_handlers=[_resources])) as client:
        answer = await client.get("/resources")
    assert answer.json() == ["sync", "async"]
    assert sorted(_cleaned) == ["async", "sync"]
