"""Results over the runs: the table, the ratios against the targets, the JSON summary."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from bench.store.harness import Sample
from bench.store.workload import IMPLS, PHASES

# Passend ÷ eventsourcing (``*_ratio``; reads decode into domain events on both sides) and
# Passend ÷ bare_schema (what the store's Python costs over its own SQL). The limit is shown
# for reference only: the schema's rules (row-level security, idempotency, jsonb, the hash
# chain) cost what they cost, see ops/bench/README.md.
TARGETS = {
    "per_event_ratio": 2.2,
    "batch_ratio": 2.0,
    "concurrent_ratio": 3.0,
    "read_ratio": 1.8,
    "per_event_vs_bare_schema": 0.92,
    "batch_vs_bare_schema": 0.92,
    "concurrent_vs_bare_schema": 0.92,
    "read_vs_bare_schema": 0.7,
}
_COMPARED = (("eventsourcing", "ratio"), ("bare_schema", "vs_bare_schema"), ("limit", "vs_limit"))


@dataclass
class Results:
    samples: dict[str, dict[str, list[Sample]]] = field(default_factory=dict)

    def add(self, phase: str, impl: str, sample: Sample) -> None:
        self.samples.setdefault(phase, {}).setdefault(impl, []).append(sample)

    def rates(self, phase: str, impl: str) -> list[float]:
        return [s.rate for s in self.samples.get(phase, {}).get(impl, [])]

    def median_rate(self, phase: str, impl: str) -> float | None:
        rates = self.rates(phase, impl)
        return statistics.median(rates) if rates else None

    def ratio(self, phase: str, over: str) -> float | None:
        ours, theirs = self.median_rate(phase, "passend"), self.median_rate(phase, over)
        return None if ours is None or theirs is None else ours / theirs

    def schema_ratio(self, phase: str) -> float | None:
        bare, limit = self.median_rate(phase, "bare_schema"), self.median_rate(phase, "limit")
        return None if bare is None or limit is None else bare / limit

    def paired(self, phase: str, over: str) -> list[float]:
        return [
            a / b
            for a, b in zip(self.rates(phase, "passend"), self.rates(phase, over), strict=False)
        ]


def _med(values: list[float]) -> float:
    clean = [v for v in values if v == v]  # noqa: PLR0124 - drops NaN
    return statistics.median(clean) if clean else float("nan")


def print_table(results: Results) -> None:
    head = (
        f"{'phase':<11} {'implementation':<14} {'min':>9} {'median':>9} {'max':>9}"
        f" {'wall':>7} {'client':>7} {'server':>7} {'WAL':>6}"
    )
    print()
    print("events/s over the runs; wall, client CPU and server CPU in µs per event (medians);")
    print("WAL in bytes per event")
    print(head)
    print("-" * len(head))
    for phase in PHASES:
        for impl in IMPLS:
            samples = results.samples.get(phase, {}).get(impl)
            if not samples:
                continue
            rates = [s.rate for s in samples]
            print(
                f"{phase:<11} {impl:<14} {min(rates):>9,.0f} {statistics.median(rates):>9,.0f}"
                f" {max(rates):>9,.0f}"
                f" {_med([s.per_event_us(s.secs) for s in samples]):>7.1f}"
                f" {_med([s.per_event_us(s.client_cpu) for s in samples]):>7.1f}"
                f" {_med([s.per_event_us(s.server_cpu) for s in samples]):>7.1f}"
                f" {_med([s.wal_bytes / s.events for s in samples]):>6.0f}"
            )
    print()
    print("ratios of the medians (per-run pairs in brackets)")
    for phase in PHASES:
        for over, suffix in _COMPARED:
            ratio = results.ratio(phase, over)
            if ratio is None:
                continue
            key = f"{phase}_{suffix}"
            pairs = results.paired(phase, over)
            target = TARGETS.get(key)
            verdict = (
                "(reference)"
                if target is None
                else f"target >= {target:<4}  {'met' if ratio >= target else 'MISSED'}"
            )
            print(f"  {key:<26} {ratio:6.2f}  ({min(pairs):.2f}-{max(pairs):.2f})  {verdict}")


def print_breakdown(results: Results) -> None:
    """Passend ÷ bare_schema (the store's Python) and bare_schema ÷ limit (schema and SQL)."""
    lines = []
    for phase in PHASES:
        store = results.ratio(phase, "bare_schema")
        schema = results.schema_ratio(phase)
        if store is not None and schema is not None:
            lines.append(f"  {phase:<11} {store:21.2f}  {schema:19.2f}")
    if lines:
        print()
        print("where the gap to the limit lies (medians, not targets):")
        print(f"  {'phase':<11} passend ÷ bare_schema  bare_schema ÷ limit")
        print("\n".join(lines))


def summary(results: Results, params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for phase in PHASES:
        for over, suffix in (("eventsourcing", "ratio"), ("limit", "vs_limit")):
            ratio = results.ratio(phase, over)
            if ratio is not None:
                out[f"{phase}_{suffix}"] = round(ratio, 3)
    for phase in PHASES:
        store, schema = results.ratio(phase, "bare_schema"), results.schema_ratio(phase)
        if store is not None:
            out[f"{phase}_vs_bare_schema"] = round(store, 3)
        if schema is not None:
            out[f"{phase}_bare_schema_vs_limit"] = round(schema, 3)
    out["targets"] = {k: v for k, v in TARGETS.items() if k in out}
    out["targets_met"] = {k: out[k] >= v for k, v in TARGETS.items() if k in out}
    out["events_per_s"] = {
        phase: {
            impl: {
                "min": round(min(r)),
                "median": round(statistics.median(r)),
                "max": round(max(r)),
                "runs": [round(x) for x in r],
            }
            for impl in IMPLS
            if (r := results.rates(phase, impl))
        }
        for phase in PHASES
        if phase in results.samples
    }
    out["client_cpu_us_per_event"] = {
        phase: {
            impl: round(_med([s.per_event_us(s.client_cpu) for s in samples]), 1)
            for impl, samples in by_impl.items()
        }
        for phase, by_impl in results.samples.items()
    }
    out["server_cpu_us_per_event"] = {
        phase: {
            impl: round(_med([s.per_event_us(s.server_cpu) for s in samples]), 1)
            for impl, samples in by_impl.items()
        }
        for phase, by_impl in results.samples.items()
    }
    out["params"] = params
    return out
