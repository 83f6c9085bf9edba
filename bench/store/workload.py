"""The store benchmark's workload: a bench aggregate and its events, generated before timing."""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from application.ports import EventMetadata, NewEvent

PHASES = ("per_event", "batch", "concurrent", "read")
IMPLS = ("passend", "eventsourcing", "limit", "bare_schema")
BATCH = 10
WRITERS = 4
PAGE = 500
READ_PASSES = 5
STATE_SIZE = 300
BENCH_DATABASE = "passend_bench"
METADATA = EventMetadata(actor="bench:writer")


class BenchOrder(Aggregate):
    """An order whose every event carries ~300 bytes of JSON-ish state."""

    TOPIC = "BenchOrder"
    id: UUID

    class Created(Aggregate.Created):
        TOPIC = "BenchOrderCreated.v1"

    class Event(Aggregate.Event):
        pass

    class Placed(Created):
        TOPIC = "BenchOrderPlaced.v1"
        sku: str
        quantity: int
        unit_price: dict[str, str]
        customer: dict[str, str]
        note: str

    class ItemAdded(Event):
        TOPIC = "BenchItemAdded.v1"
        sku: str
        quantity: int
        unit_price: dict[str, str]
        customer: dict[str, str]
        note: str

        def apply(self, aggregate: BenchOrder) -> None:
            aggregate.lines[self.sku] = aggregate.lines.get(self.sku, 0) + self.quantity

    class ItemRemoved(ItemAdded):
        TOPIC = "BenchItemRemoved.v1"

        def apply(self, aggregate: BenchOrder) -> None:
            aggregate.lines.pop(self.sku, None)

    class AddressChanged(ItemAdded):
        TOPIC = "BenchAddressChanged.v1"

        def apply(self, aggregate: BenchOrder) -> None:
            aggregate.customer = self.customer

    class Submitted(ItemAdded):
        TOPIC = "BenchOrderSubmitted.v1"

        def apply(self, aggregate: BenchOrder) -> None:
            aggregate.submitted = True

    @event(Placed)
    def __init__(  # noqa: PLR0913 - the event's fields
        self,
        *,
        sku: str,
        quantity: int,
        unit_price: dict[str, str],
        customer: dict[str, str],
        note: str,
        timestamp: datetime,
    ) -> None:
        self.lines = {sku: quantity}
        self.customer = customer
        self.submitted = False


# ---------------------------------------------------------------- the workload

# eventsourcing and the limit store the reference's topics and states; Passend its own events.
ES_TOPICS = (
    "bench.domain:Order.Created",
    "bench.domain:Order.ItemAdded",
    "bench.domain:Order.ItemRemoved",
    "bench.domain:Order.AddressChanged",
    "bench.domain:Order.Submitted",
)
# after the first, each reference topic's event: the same fields, applied as its own
LATER_EVENTS = (
    BenchOrder.ItemAdded,
    BenchOrder.ItemRemoved,
    BenchOrder.AddressChanged,
    BenchOrder.Submitted,
)
_sorted_json = msgspec.json.Encoder(order="sorted")


def make_state(rng: random.Random, stream_id: UUID, version: int, size: int) -> bytes:
    """The reference workload's state (../shared/bench/workload.py), byte for byte."""
    body: dict[str, Any] = {
        "originator_id": str(stream_id),
        "originator_version": version,
        "timestamp": "2024-05-%02dT%02d:%02d:%02d.%06d+00:00"  # noqa: UP031
        % (
            rng.randint(1, 28),
            rng.randint(0, 23),
            rng.randint(0, 59),
            rng.randint(0, 59),
            rng.randint(0, 999999),
        ),
        "sku": "SKU-%08d" % rng.randint(0, 10**8 - 1),  # noqa: UP031
        "quantity": rng.randint(1, 20),
        "unit_price": {
            "amount": "%d.%02d" % (rng.randint(1, 999), rng.randint(0, 99)),  # noqa: UP031
            "currency": "EUR",
        },
        "customer": {
            "id": "cust-%06d" % rng.randint(0, 999999),  # noqa: UP031
            "tier": rng.choice(["gold", "silver", "basic"]),
        },
        "note": "",
    }
    raw = json.dumps(body, separators=(",", ":"))
    pad = max(0, size - len(raw))
    body["note"] = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(pad))
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Ev:
    """One event of the workload, in the shape each implementation takes."""

    stream_id: UUID
    version: int
    topic: str  # eventsourcing / limit
    state: bytes  # eventsourcing / limit: the reference's JSON state
    new: NewEvent  # Passend: a domain event of BenchOrder and its event id


def _passend_fields(state: bytes, version: int, rng: random.Random) -> dict[str, Any]:
    """The domain event's fields, from the reference state, padded to the same JSON size."""
    body = json.loads(state)
    fields: dict[str, Any] = {
        "sku": body["sku"],
        "quantity": body["quantity"],
        "unit_price": body["unit_price"],
        "customer": body["customer"],
        "note": "",
        "timestamp": datetime.fromisoformat(body["timestamp"]),
    }
    sized = dict(fields, originator_topic=BenchOrder.TOPIC) if version == 1 else fields
    room = len(state) - len(_sorted_json.encode(sized))
    note = body["note"]
    while len(note) < room:
        note += rng.choice("abcdefghijklmnopqrstuvwxyz ")
    fields["note"] = note[: max(room, 0)]
    return fields


class Workload:
    """``events`` events over ``streams`` streams, as in ../shared/bench/workload.py.

    Per-event and concurrent appends go round-robin over the streams (v1 of all, then v2, ...);
    batches are ``BATCH`` consecutive versions of one stream, interleaved over the streams.
    """

    def __init__(self, events: int, streams: int, seed: int = 42) -> None:
        if events % streams:
            raise SystemExit(f"--events ({events}) must be a multiple of --streams ({streams})")
        self.n = events
        self.streams = streams
        self.per_stream = events // streams
        rng = random.Random(seed)
        self.stream_ids = [UUID(int=rng.getrandbits(128), version=4) for _ in range(streams)]
        states = [
            [
                (
                    ES_TOPICS[0] if v == 1 else ES_TOPICS[1 + (v % (len(ES_TOPICS) - 1))],
                    make_state(rng, sid, v, STATE_SIZE),
                )
                for v in range(1, self.per_stream + 1)
            ]
            for sid in self.stream_ids
        ]
        id_rng = random.Random(seed + 1)
        self.events = [
            self._stream(sid, row, id_rng) for sid, row in zip(self.stream_ids, states, strict=True)
        ]
        self.avg_state_bytes = statistics.mean(len(e.state) for row in self.events for e in row)

    @staticmethod
    def _stream(sid: UUID, row: list[tuple[str, bytes]], rng: random.Random) -> list[Ev]:
        order: BenchOrder | None = None
        for version, (topic, state) in enumerate(row, start=1):
            fields = _passend_fields(state, version, rng)
            if order is None:
                # eventsourcing takes the aggregate id as a keyword its __init__ does not declare
                order = BenchOrder(id=sid, **fields)  # type: ignore[call-arg]
            else:
                order.trigger_event(LATER_EVENTS[ES_TOPICS.index(topic) - 1], **fields)
        if order is None:
            return []
        domain_events = order.collect_events()
        return [
            Ev(sid, version, topic, state, NewEvent(UUID(int=rng.getrandbits(128), version=4), e))
            for version, ((topic, state), e) in enumerate(
                zip(row, domain_events, strict=True), start=1
            )
        ]

    def calls(self, batch: int, streams: Sequence[int] | None = None) -> list[list[Ev]]:
        """Append calls, each ``batch`` consecutive events of one stream."""
        idx = range(self.streams) if streams is None else streams
        return [
            self.events[a][start : start + batch]
            for start in range(0, self.per_stream, batch)
            for a in idx
        ]

    def worker_calls(self, workers: int, batch: int) -> list[list[list[Ev]]]:
        return [
            self.calls(batch, [a for a in range(self.streams) if a % workers == w])
            for w in range(workers)
        ]


_warmups: dict[tuple[int, int], Workload] = {}


def warmup(streams: int, per_stream: int) -> Workload:
    """Separate streams for untimed calls that prepare each connection's statements."""
    key = (streams, per_stream)
    if key not in _warmups:
        _warmups[key] = Workload(streams * per_stream, streams, seed=7)
    return _warmups[key]
