"""Prometheus metrics: one place that declares them, small functions that move them.

Any layer above calls these (the API per request, the store per append, the projection runner
per poll, delivery workers per attempt). With ``PROMETHEUS_MULTIPROC_DIR`` set, every worker
process writes its values to files there and ``exposition`` adds them up; gauges of processes
that ended drop out. Labels carry route templates, SWV codes and projection names only: never
ids of pupils or cases.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUEST_SECONDS = Histogram(
    "passend_http_request_duration_seconds",
    "Time from request to response, per route template, method and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
APPENDS = Counter("passend_appends_total", "Committed appends, per tenant.", ["tenant"])
EVENTS = Counter("passend_events_appended_total", "Events committed, per tenant.", ["tenant"])
PROJECTION_LAG_EVENTS = Gauge(
    "passend_projection_lag_events",
    "Events in a tenant's log that a read model has not applied yet.",
    ["projection", "tenant"],
    multiprocess_mode="livemax",
)
PROJECTION_LAG_SECONDS = Gauge(
    "passend_projection_lag_seconds",
    "Age of the oldest event a read model has not applied yet.",
    ["projection", "tenant"],
    multiprocess_mode="livemax",
)
POOL_CONNECTIONS = Gauge(
    "passend_pool_connections",
    "Connections of the database pools: open, idle, and the maximum.",
    ["state"],
    multiprocess_mode="livesum",
)
DELIVERY_ATTEMPTS = Counter(
    "passend_delivery_attempts_total",
    "Attempts to deliver to a partner, per tenant, transport and result.",
    ["tenant", "transport", "result"],
)
DATABASE_LOST = Counter(
    "passend_database_lost_total",
    "Requests answered 503 because the database was away, per kind.",
    ["kind"],
)

REPLICA_READS = Counter(
    "passend_replica_reads_total",
    "Reads that could go to the read replica, per source that served them.",
    ["source"],
)
REPLICA_LAG_SECONDS = Gauge(
    "passend_replica_lag_seconds",
    "How far the read replica's replay is behind the primary, as last probed.",
    multiprocess_mode="livemax",
)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(route, method, str(status)).observe(seconds)


# Each tenant's two append counters, looked up once: ``labels`` costs more than ``inc`` and
# runs on every append. The children are the registry's own (``labels`` returns the same
# object), and in multiprocess mode each checks for a new pid on every ``inc``.
_append_counters: dict[str, tuple[Counter, Counter]] = {}


def record_append(tenant: str, events: int) -> None:
    counters = _append_counters.get(tenant)
    if counters is None:
        counters = _append_counters[tenant] = (APPENDS.labels(tenant), EVENTS.labels(tenant))
    counters[0].inc()
    counters[1].inc(events)


def record_projection_lag(projection: str, tenant: str, events: int, seconds: float) -> None:
    PROJECTION_LAG_EVENTS.labels(projection, tenant).set(events)
    PROJECTION_LAG_SECONDS.labels(projection, tenant).set(seconds)


def record_pool(*, size: int, idle: int, max_size: int) -> None:
    POOL_CONNECTIONS.labels("open").set(size)
    POOL_CONNECTIONS.labels("idle").set(idle)
    POOL_CONNECTIONS.labels("max").set(max_size)


def record_delivery(tenant: str, transport: str, *, delivered: bool) -> None:
    """One attempt to deliver to a partner (webhook, feed, ...), and whether it arrived."""
    DELIVERY_ATTEMPTS.labels(tenant, transport, "delivered" if delivered else "failed").inc()


def record_database_lost(kind: str) -> None:
    DATABASE_LOST.labels(kind).inc()


def record_replica_read(source: str) -> None:
    REPLICA_READS.labels(source).inc()


def record_replica_lag(seconds: float) -> None:
    REPLICA_LAG_SECONDS.set(seconds)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus text format, and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
