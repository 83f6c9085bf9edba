"""Background workers: waiting for a wake-up, and being stopped, keep every cancellation."""

from __future__ import annotations

import asyncio

import pytest

from infrastructure.wake_ups import stop_task, woken


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


async def _tidy_up_when_cancelled() -> None:
    """A worker that, once cancelled, takes a moment to tidy up before it ends."""
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        await asyncio.sleep(5)
        raise


async def test_a_stop_cancelled_while_it_waits_for_its_worker_is_cancelled() -> None:
    worker = asyncio.create_task(_tidy_up_when_cancelled())
    await asyncio.sleep(0)
    stopping = asyncio.create_task(stop_task(worker))
    await asyncio.sleep(0.01)
    assert not stopping.done()
    stopping.cancel()
    done, _ = await asyncio.wait({stopping}, timeout=2)
    assert done == {stopping}
    assert stopping.cancelled(), "the worker's cancellation was taken for the stop's and dropped"
    assert worker.cancelled()


async def test_stop_task_ends_a_worker_and_returns() -> None:
    worker = asyncio.create_task(asyncio.Event().wait())
    await asyncio.sleep(0)
    await stop_task(worker)
    assert worker.cancelled()
    await stop_task(worker)
    await stop_task(None)


async def test_every_stop_in_the_cleanup_of_a_cancelled_task_stops_its_worker() -> None:
    workers = [asyncio.create_task(asyncio.Event().wait()) for _ in range(2)]

    async def serve() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            for worker in workers:
                await stop_task(worker)

    serving = asyncio.create_task(serve())
    await asyncio.sleep(0)
    serving.cancel()
    done, _ = await asyncio.wait({serving}, timeout=2)
    assert done == {serving}
    assert serving.cancelled()
    assert all(worker.cancelled() for worker in workers), "a stop took the cancellation as its own"
