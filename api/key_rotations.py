"""Re-wrapping a tenant's data keys after a rotation, as a task of the process that runs it.

``POST …/key-rotations`` starts one after its answer; the background process (or the single
``serve`` process) resumes those a stopped process left. Apart from the routes, so that the
background process, which serves none, does not import them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING
from uuid import UUID

from application.access import Caller
from application.handlers import platform
from application.ports import Clock, EventStore
from infrastructure.data_keys import PooledDataKeys
from infrastructure.database import Pool
from infrastructure.event_store import PostgresEventStore
from infrastructure.system import SystemClock
from infrastructure.wake_ups import stop_task

if TYPE_CHECKING:
    from litestar.datastructures import State

log = logging.getLogger("passend.platform")
_RUNNING_ROTATIONS = "key_rotations"
_RESUMING_ROTATIONS = "key_rotations_resuming"


def rewrap_in_background(  # noqa: PLR0913 - who completes it, and the ports it uses
    state: State,
    code: str,
    caller: Caller,
    *,
    store: EventStore,
    clock: Clock,
    keys: PooledDataKeys,
    correlation_id: UUID | None = None,
) -> None:
    """Re-wrap the tenant's data keys after the answer; one task per tenant in this process."""
    running: dict[str, asyncio.Task[None]] = state.get(_RUNNING_ROTATIONS) or {}
    state[_RUNNING_ROTATIONS] = running
    if code in running:
        return
    task = asyncio.create_task(
        platform.complete_key_rotation(
            code, caller, store=store, clock=clock, keys=keys, correlation_id=correlation_id
        )
    )
    running[code] = task

    def done(finished: asyncio.Task[None]) -> None:
        running.pop(code, None)
        if not finished.cancelled() and finished.exception() is not None:
            log.error("key rotation of %s stopped", code, exc_info=finished.exception())

    task.add_done_callback(done)


def resume_key_rotations(
    state: State, store: PostgresEventStore, pool: Pool, *, every_s: float | None = None
) -> None:
    """Resume, in the background, every rotation a stopped process left re-wrapping.

    Once, or every ``every_s`` until stopped: a rotation whose worker died while re-wrapping is
    left unfinished until something looks again, and the process that runs the background work
    outlives the HTTP workers. As ``POST …/key-rotations`` does, one task per tenant; the
    completion names ``KEY_ROTATION_RESUMER``. A rotation a live process is re-wrapping is left
    to it (``PooledDataKeys.rewrap``), and a second completion of one records nothing more.
    """
    keys = PooledDataKeys(store.data_keys, pool)

    async def resume() -> None:
        while True:
            try:
                await _resume_once(state, store, keys)
            except Exception:
                if every_s is None:
                    raise
                log.exception("key rotations not resumed; looking again in %.0f s", every_s)
            if every_s is None:
                return
            await asyncio.sleep(every_s)

    def done(finished: asyncio.Task[None]) -> None:
        if not finished.cancelled() and finished.exception() is not None:
            log.error("key rotations not resumed", exc_info=finished.exception())

    task = asyncio.create_task(resume())
    task.add_done_callback(done)
    state[_RESUMING_ROTATIONS] = task


async def _resume_once(state: State, store: PostgresEventStore, keys: PooledDataKeys) -> None:
    running = state.get(_RUNNING_ROTATIONS) or {}
    codes = [c for c in await platform.tenants_rotating_keys(store) if c not in running]
    if codes:
        log.info("resuming the key rotation of %s", ", ".join(codes))
    for code in codes:
        rewrap_in_background(
            state,
            code,
            platform.KEY_ROTATION_RESUMER,
            store=store,
            clock=state.get("clock") or SystemClock(),  # as provide_clock
            keys=keys,
        )


async def stop_key_rotations(state: State) -> None:
    """Stop re-wrapping at shutdown; the next process to start resumes where it was."""
    with contextlib.suppress(Exception):  # logged as it stopped
        await stop_task(state.get(_RESUMING_ROTATIONS))
    running: dict[str, asyncio.Task[None]] = state.get(_RUNNING_ROTATIONS) or {}
    for task in list(running.values()):
        with contextlib.suppress(Exception):  # the rotation logged it when it stopped
            await stop_task(task)
