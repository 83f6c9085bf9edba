"""``--profile``: Passend's client CPU per event without the database, and a cProfile."""

from __future__ import annotations

import cProfile
import pstats
import sys
import time
from collections.abc import Callable
from datetime import datetime

from bench.store.harness import Context
from bench.store.passend import PassendBench
from bench.store.workload import METADATA, Ev, Workload
from domain.ids import TenantId


def cpu_breakdown(bench: PassendBench, wk: Workload) -> None:
    """Client CPU of Passend's own work per event, without the database."""
    from infrastructure.event_batches import check_batch, prepare_batch  # noqa: PLC0415

    codec = bench.codec
    calls = wk.calls(1)
    tenant = TenantId("PROFILE")

    def per_event(label: str, fn: Callable[[list[Ev]], object]) -> None:
        t0 = time.process_time()
        for evs in calls:
            fn(evs)
        print(f"  {label:<44} {(time.process_time() - t0) / len(calls) * 1e6:7.2f} µs/event")

    print("\nclient CPU of Passend's work per event, no database (one event per call):")
    per_event("check_batch", lambda evs: check_batch([e.new for e in evs], evs[0].version - 1))
    per_event(
        "codec.encode",
        lambda evs: codec.encode(evs[0].new.event, tenant_id=tenant, event_id=evs[0].new.event_id),
    )
    now = datetime.now().astimezone()
    per_event(
        "prepare_batch (check + encode + hash)",
        lambda evs: prepare_batch(
            codec,
            tenant,
            [e.new for e in evs],
            expected_version=evs[0].version - 1,
            metadata=METADATA,
            recorded_at=now,
            data_keys={},
        ),
    )


async def profile_passend(ctx: Context, bench: PassendBench) -> None:
    cpu_breakdown(bench, ctx.workload)
    for phase in ("per_event", "read"):
        ctx.profile = cProfile.Profile()
        sample = await (bench.read(99) if phase == "read" else bench.write(phase, 99))
        profile, ctx.profile = ctx.profile, None
        print(
            f"\nprofile of passend {phase}: {sample.rate:,.0f} ev/s under the profiler,"
            " top functions by own time:"
        )
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(18)
