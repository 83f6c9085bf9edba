"""eventsourcing 9.5.6: its PostgreSQL recorder, run in threads; reads decode with its mapper."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from uuid import UUID

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)

from bench.store.harness import Context, Sample, Window, frozen_heap
from bench.store.workload import BATCH, PAGE, READ_PASSES, WRITERS, Ev, warmup

if TYPE_CHECKING:
    from eventsourcing.postgres import PostgresApplicationRecorder


def _to_stored(evs: list[Ev]) -> list[StoredEvent]:
    return [
        StoredEvent(
            originator_id=e.stream_id, originator_version=e.version, topic=e.topic, state=e.state
        )
        for e in evs
    ]


def _mapper() -> Mapper[UUID]:
    """Eventsourcing's mapper with the transcodings its ``Application`` registers."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), DecimalAsStr()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


class EventsourcingBench:
    """The recorder layer, as in ../shared/bench/peer_eventsourcing.py, run in threads."""

    name = "eventsourcing"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.datastore: Any = None

    async def open(self) -> None:
        from eventsourcing.postgres import PostgresDatastore  # noqa: PLC0415 - psycopg only here

        parts = urlsplit(self.ctx.admin_dsn)
        hostspec = parts.netloc.rpartition("@")[2]
        # The embedded server's host is a socket directory's percent-encoded path, which
        # parts.hostname would lower-case.
        socket_dir = hostspec.startswith("%2F")
        host = unquote(hostspec.partition(":")[0]) if socket_dir else parts.hostname
        self.datastore = PostgresDatastore(
            dbname=parts.path.lstrip("/"),
            host=host or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or "",
            pool_size=WRITERS,
            max_overflow=0,
        )
        await asyncio.to_thread(self.datastore.pool.open, wait=True, timeout=30)

    async def close(self) -> None:
        await asyncio.to_thread(self.datastore.close)

    def _recorder(self, table: str, *, fresh: bool) -> PostgresApplicationRecorder:
        from eventsourcing.postgres import PostgresApplicationRecorder  # noqa: PLC0415

        if fresh:
            with self.datastore.transaction(commit=True) as curs:
                curs.execute(f"DROP TABLE IF EXISTS {table}")
        recorder = PostgresApplicationRecorder(self.datastore, events_table_name=table)
        if fresh:
            recorder.create_table()
        return recorder

    def _warm(self, recorder: PostgresApplicationRecorder, threads: int) -> None:
        # 20 untimed inserts per connection, concurrently, so psycopg prepares its statements
        wk = warmup(threads, 20)

        def run(calls: list[list[Ev]]) -> None:
            for evs in calls:
                recorder.insert_events(_to_stored(evs))

        workers = [threading.Thread(target=run, args=(wk.calls(1, [t]),)) for t in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    def _write(self, phase: str, before: Callable[[], int]) -> Sample:
        """``before()`` runs just ahead of the timed part; it returns the WAL position."""
        wk = self.ctx.workload
        recorder = self._recorder(f"bench_es_{phase}", fresh=True)
        threads = WRITERS if phase == "concurrent" else 1
        self._warm(recorder, threads)
        if phase == "concurrent":
            per_worker = [
                [_to_stored(evs) for evs in calls] for calls in wk.worker_calls(WRITERS, 1)
            ]
        else:
            per_worker = [[_to_stored(evs) for evs in wk.calls(BATCH if phase == "batch" else 1)]]
        lsn0 = before()
        with frozen_heap():
            return self._timed_write(recorder, per_worker, lsn0)

    def _timed_write(
        self,
        recorder: PostgresApplicationRecorder,
        per_worker: list[list[list[StoredEvent]]],
        lsn0: int,
    ) -> Sample:
        errors: list[BaseException] = []
        barrier = threading.Barrier(len(per_worker) + 1)

        def worker(calls: list[list[StoredEvent]]) -> None:
            barrier.wait()
            try:
                for stored in calls:
                    recorder.insert_events(stored)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        workers = [threading.Thread(target=worker, args=(c,)) for c in per_worker]
        for w in workers:
            w.start()
        barrier.wait()
        window = Window(self.ctx.server)
        for w in workers:
            w.join()
        sample = window.stop(self.ctx.workload.n)
        sample.wal_bytes = -lsn0
        if errors:
            raise errors[0]
        return sample

    async def write(self, phase: str, run: int) -> Sample:
        loop = asyncio.get_running_loop()

        def before() -> int:  # a CHECKPOINT just before timing, as for the others
            asyncio.run_coroutine_threadsafe(self.ctx.checkpoint(), loop).result()
            return asyncio.run_coroutine_threadsafe(self.ctx.wal_lsn(), loop).result()

        sample = await asyncio.to_thread(self._write, phase, before)
        sample.wal_bytes += await self.ctx.wal_lsn()
        table = f"bench_es_{phase}"
        count = await self.ctx.admin.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
        threads = WRITERS if phase == "concurrent" else 1
        assert count == self.ctx.workload.n + 20 * threads, count  # noqa: S101
        return sample

    def _read(self) -> Sample:
        wk = self.ctx.workload
        recorder = self._recorder("bench_es_read", fresh=True)
        # The same domain events as Passend reads, stored by eventsourcing's own mapper, so that
        # reading decodes them into domain events as an eventsourcing application would.
        mapper = _mapper()
        calls = wk.calls(1)  # the physical order of the per-event phase, 100 events per call
        for i in range(0, len(calls), 100):
            recorder.insert_events(
                [mapper.to_stored_event(c[0].new.event) for c in calls[i : i + 100]]
            )
        with self.datastore.get_connection() as conn:
            conn.execute("VACUUM ANALYZE bench_es_read")

        to_domain_event = mapper.to_domain_event

        def read_all() -> int:
            count, start = 0, None
            while True:
                page = (
                    recorder.select_notifications(start=None, limit=PAGE)
                    if start is None
                    else recorder.select_notifications(
                        start=start, limit=PAGE, inclusive_of_start=False
                    )
                )
                count += len([to_domain_event(n) for n in page])
                if len(page) < PAGE:
                    return count
                start = page[-1].id

        assert read_all() == wk.n  # noqa: S101
        with frozen_heap():
            window = Window(self.ctx.server)
            for _ in range(READ_PASSES):
                read_all()
            return window.stop(wk.n * READ_PASSES)

    async def read(self, run: int) -> Sample:
        return await asyncio.to_thread(self._read)
