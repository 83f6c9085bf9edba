"""Waiting for a wake-up and stopping a background task, in ways that keep cancellations.

Background workers wait for an ``asyncio.Event`` (a commit, a NOTIFY) or their next poll,
whichever comes first. ``asyncio.wait_for`` is the wrong tool for that on Python 3.11: when the
event is set in the same loop iteration in which the waiting task is cancelled, it returns the
event's result and drops the cancellation (python/cpython#86296, fixed in 3.12). Under a steady
stream of wake-ups that is likely, and a worker stopped then went on forever while its ``stop``
waited for it. ``asyncio.timeout`` keeps a cancellation from outside apart from its own.

Stopping a worker has the same trap the other way round: ``task.cancel()`` then awaiting it
under ``suppress(CancelledError)`` also swallows a cancellation of the task that stops it,
which then runs on (past an ``asyncio.timeout`` meant to end it, say). ``stop_task`` tells the
two apart by the stopping task's own count of cancellation requests (``Task.cancelling``).

A process's own stop is an event too: ``stop_event`` gives one that SIGINT and SIGTERM set.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any


def stop_event(stop: asyncio.Event | None = None) -> asyncio.Event:
    """``stop`` if given (a caller stops the process), else one SIGINT and SIGTERM set."""
    if stop is not None:
        return stop
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def woken(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait until ``event`` is set, at most ``timeout_s``; False if the time ran out."""
    try:
        async with asyncio.timeout(timeout_s):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def stop_task(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and wait until it has ended; a cancellation of the caller meanwhile goes on.

    Only a cancellation requested while it waits counts: a stop in the ``finally`` of a task
    already cancelled must still stop, and let the stops after it stop, what it is given. What
    the task raised other than its cancellation is raised here.
    """
    if task is None:
        return
    current = asyncio.current_task()
    requested = current.cancelling() if current is not None else 0
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    # Checked after, not in an ``except``: ``task`` may swallow its cancellation, and asyncio
    # passes the caller's on to the task it awaits.
    if current is not None and current.cancelling() > requested:
        raise asyncio.CancelledError
