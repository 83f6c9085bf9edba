"""A worker waiting for a wake-up with a time limit stops when told, even as it is woken."""

from __future__ import annotations

import asyncio

import pytest

from infrastructure.wake_ups import woken


async def _wait_and_clear_forever(event: asyncio.Event) -> None:
    """The loop of a background worker: wait for a wake-up or the next poll, again and again."""
    while True:
        await woken(event, 0.5)
        event.clear()


@pytest.mark.parametrize("iterations_between", [0, 1, 2, 3])
async def test_a_worker_cancelled_in_the_moment_it_is_woken_stops(iterations_between: int) -> None:
    event = asyncio.Event()
    worker = asyncio.create_task(_wait_and_clear_forever(event))
    await asyncio.sleep(0.01)
    event.set()
    for _ in range(iterations_between):
        await asyncio.sleep(0)
    worker.cancel()
    done, _ = await asyncio.wait({worker}, timeout=2)
    assert done == {worker}, "the cancellation was taken for the wake-up and dropped"
    assert worker.cancelled()


async def test_woken_tells_a_wake_up_from_the_time_running_out() -> None:
    event = asyncio.Event()
    assert not await woken(event, 0.01)
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await woken(event, 5)
