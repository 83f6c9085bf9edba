"""Waiting for a wake-up with a time limit, in a way that a stop always ends.

Background workers wait for an ``asyncio.Event`` (a commit, a NOTIFY) or their next poll,
whichever comes first. ``asyncio.wait_for`` is the wrong tool for that on Python 3.11: when the
event is set in the same loop iteration in which the waiting task is cancelled, it returns the
event's result and drops the cancellation (python/cpython#86296, fixed in 3.12). Under a steady
stream of wake-ups that is likely, and a worker stopped then went on forever while its ``stop``
waited for it. ``asyncio.timeout`` keeps a cancellation from outside apart from its own.
"""

from __future__ import annotations

import asyncio


async def woken(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait until ``event`` is set, at most ``timeout_s``; False if the time ran out."""
    try:
        async with asyncio.timeout(timeout_s):
            await event.wait()
    except TimeoutError:
        return False
    return True
