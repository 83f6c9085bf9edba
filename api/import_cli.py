"""``passend import FILE``: a history of events from NDJSON into the log, with a progress bar.

The format is described in ``infrastructure/bulk_import.py``. The import runs as the database
owner (``DATABASE_URL``; without it, on the embedded server in the data directory), and may
run while the service serves. Interrupted, it is simply run again.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Annotated

import asyncpg
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from api.settings import Settings
from api.transparency import checkpoint_signer
from domain.ids import TenantId
from domain.registry import AGGREGATE_CLASSES
from infrastructure import embedded_postgres_server
from infrastructure.bulk_import import (
    DEFAULT_CHUNK,
    PREPARING_PROCESSES,
    ImportLineError,
    ImportResult,
    import_events,
)
from infrastructure.database import Pool, create_pool
from infrastructure.event_codec import EventCodec
from infrastructure.migrate import apply_migrations
from infrastructure.signed_note import Signer
from infrastructure.transparency_log import TransparencyLog
from infrastructure.wake_ups import stop_task


class TransparencyLogExtender:
    """Extends each tenant's Merkle tree over what was imported and signs a checkpoint of it.

    Proofs then cover the imported history at once, whether or not a service is running.
    Trees are extended in the background while the import writes: a tenant's as soon as the
    import moves on to the next, and the one being written whenever no extension is running.
    ``finish`` covers every tenant up to its head.
    """

    def __init__(self, pool: Pool, signer: Signer) -> None:
        self._pool = pool
        self._log = TransparencyLog(pool, signer)
        self._waiting: list[str] = []
        self._extending: asyncio.Task[None] | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def connected(
        cls, admin_dsn: str, signer: Signer
    ) -> AsyncIterator[TransparencyLogExtender]:
        pool = await create_pool(admin_dsn, min_size=1, max_size=1)
        extender = cls(pool, signer)
        try:
            yield extender
        finally:
            with contextlib.suppress(Exception):  # ``finish`` raised what it raised
                await stop_task(extender._extending)
            await pool.close()

    @property
    def idle(self) -> bool:
        return self._extending is None or self._extending.done()

    def soon(self, tenant: str) -> None:
        """Extend ``tenant``'s tree in the background."""
        self._waiting.append(tenant)
        if self.idle:
            self._extending = asyncio.ensure_future(self._extend_waiting())

    async def finish(self, tenants: Iterable[str]) -> None:
        """Extend every tenant's tree up to its head; raises what a background extension did."""
        if self._extending is not None:
            await self._extending
        for tenant in sorted(tenants):
            await self._extend(tenant)

    async def _extend_waiting(self) -> None:
        while self._waiting:
            await self._extend(self._waiting.pop(0))

    async def _extend(self, tenant: str) -> None:
        while await self._log.integrate(TenantId(tenant)):
            pass  # 100,000 leaves per step


@contextlib.contextmanager
def _heap_frozen() -> Iterator[None]:
    """What this process holds before the import stays out of its collections meanwhile.

    Writing allocates steadily (results, records, trees), and each full collection would scan
    everything alive before: the caller's heap, the modules, a benchmark's workload. As the
    service freezes its start-up heap (``api.serving``); thawed after unless frozen before.
    """
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:
            gc.unfreeze()


async def run_import(  # noqa: PLR0913 - the import and how it is split
    admin_dsn: str,
    path: Path,
    *,
    signer: Signer,
    chunk_size: int = DEFAULT_CHUNK,
    show_progress: bool = True,
    preparing_processes: int = PREPARING_PROCESSES,
) -> ImportResult:
    """Migrate, import ``path`` (a bar shows the bytes read), extending the tenants' trees.

    The result's ``seconds`` include the trees: they are part of what an import writes.
    """
    size = path.stat().st_size  # noqa: ASYNC240 - once, before anything runs
    admin = await asyncpg.connect(admin_dsn)
    try:
        await apply_migrations(admin)
    finally:
        await admin.close()
    codec = EventCodec(AGGREGATE_CLASSES)
    with (
        _heap_frozen(),
        path.open("rb") as lines,
        Progress(
            TextColumn("importing {task.fields[events]:,} events"),
            BarColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            disable=not show_progress,
        ) as bar,
    ):
        task = bar.add_task("import", total=size, events=0)
        counted = 0
        async with TransparencyLogExtender.connected(admin_dsn, signer) as trees:
            writing: str | None = None

            def progress(tenant: str, events: int) -> None:
                nonlocal counted, writing
                counted += events
                bar.update(task, completed=lines.tell(), events=counted)
                if writing is not None and tenant != writing:
                    trees.soon(writing)  # the import has moved on to the next tenant
                elif trees.idle:
                    trees.soon(tenant)  # up to what is written so far: less is left at the end
                writing = tenant

            result = await import_events(
                admin_dsn,
                codec,
                lines,
                chunk_size=chunk_size,
                progress=progress,
                preparing_processes=preparing_processes,
            )
            started = time.perf_counter()
            await trees.finish(result.tenants)
            result.seconds += time.perf_counter() - started
    return result


def import_command(
    file: Annotated[Path, typer.Argument(help="NDJSON, one event per line.", exists=True)],
    chunk: Annotated[int, typer.Option(help="Events per commit.")] = DEFAULT_CHUNK,
) -> None:
    """Import a history of events (NDJSON) into the log: validated, encrypted, hash-chained."""
    settings = Settings.from_env()
    embedded_dir: Path | None = None
    admin_dsn = settings.database_url
    if admin_dsn is None:
        embedded_dir = settings.data_dir / "postgres"
        admin_dsn = embedded_postgres_server.start(embedded_dir).admin_dsn()
    try:
        result = asyncio.run(
            run_import(admin_dsn, file, signer=checkpoint_signer(settings), chunk_size=chunk)
        )
    except ImportLineError as error:
        typer.echo(f"Stopped at {error}; everything before it is imported.", err=True)
        raise typer.Exit(1) from None
    finally:
        if embedded_dir is not None:
            embedded_postgres_server.stop(embedded_dir)
    rate = result.events / result.seconds if result.seconds else 0.0
    typer.echo(
        f"Imported {result.events:,} events into {len(result.tenants)} tenants, their"
        " transparency logs extended and signed,"
        f" in {result.seconds:.1f} s ({rate:,.0f} events/s)"
        + (f"; {result.skipped:,} were there already" if result.skipped else "")
    )
