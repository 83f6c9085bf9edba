"""A synthetic but valid national history, as an import file (``passend import`` format).

The three demo tenants are seeded once, through the application's own handlers, into an
in-memory store. Each synthetic tenant takes one of them as its template by sector: its
configuration once (schools, municipalities, arrangement types, committee, policies), then
the template's cases again and again, each copy ("cohort") with fresh ids, until the tenant
holds its share of the events. Ids are remapped by XOR with a per-copy salt that leaves the
UUID version bits alone, so every copy is a valid history of its own and no two collide.
Dates stay those of the template: copies are cases running side by side, not a decade.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from application.ports import RecordedEvent
from demo import seed_demo
from demo.tenants import PASSENDERWIJS, VO_RUW, ZOUT
from domain.ids import TenantId
from domain.registry import AGGREGATE_CLASSES
from domain.swv import swv_stream_id
from infrastructure.bulk_import import import_line
from infrastructure.event_codec import EventCodec
from infrastructure.in_memory_event_store import InMemoryEventStore

_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# the bits a salt may flip: not the version nibble, not the variant bits
_SALT_MASK = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
TEMPLATES = (PASSENDERWIJS, VO_RUW, ZOUT)


class _FixedClock:
    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at


@dataclass(frozen=True, slots=True)
class _Template:
    """One demo tenant's history as import lines cut at their UUIDs and tenant codes."""

    tenant: str
    configuration: list[list[bytes | int]]  # text pieces and UUID ints, alternating
    cases: list[list[bytes | int]]
    configuration_ids: frozenset[int]

    @property
    def sector(self) -> str:
        return self.tenant[:2]


def _pieces(line: bytes) -> list[bytes | int]:
    out: list[bytes | int] = []
    at = 0
    for match in _UUID.finditer(line):
        out.append(line[at : match.start()])
        out.append(UUID(match[0].decode()).int)
        at = match.end()
    out.append(line[at:])
    return out


async def _templates(codec: EventCodec) -> list[_Template]:
    store = InMemoryEventStore(codec)
    await seed_demo(store, _FixedClock(datetime(2026, 11, 2, 9, tzinfo=UTC)))
    templates = []
    for tenant in TEMPLATES:
        events: list[RecordedEvent] = []
        async for page in store.read_log_pages(tenant, page_size=1_000):
            events.extend(page)
        config_stream = swv_stream_id(tenant)
        configuration: list[list[bytes | int]] = []
        cases: list[list[bytes | int]] = []
        for recorded in events:
            line = import_line(
                tenant,
                recorded.event,
                codec,
                event_id=recorded.event_id,
                recorded_at=recorded.recorded_at,
                actor=recorded.actor,
                correlation_id=recorded.correlation_id,
                causation_id=recorded.causation_id,
            )
            target = configuration if recorded.stream_id == config_stream else cases
            target.append(_pieces(line))
        ids = frozenset(p for line in configuration for p in line if isinstance(p, int))
        templates.append(_Template(tenant, configuration, cases, ids))
    return templates


def tenant_codes(count: int) -> list[TenantId]:
    """``count`` SWV codes, PO and VO in the country's proportion (about 3 : 2)."""
    return [TenantId(f"{'VO' if i % 5 in {1, 3} else 'PO'}{3000 + i:04d}") for i in range(count)]


def _render(
    pieces: list[bytes | int], code: bytes, template_code: bytes, salt: int, fixed: dict[int, str]
) -> bytes:
    parts = []
    for piece in pieces:
        if isinstance(piece, bytes):
            parts.append(piece.replace(template_code, code))
        else:
            known = fixed.get(piece)
            parts.append((known or str(UUID(int=piece ^ salt))).encode())
    return b"".join(parts) + b"\n"


def history_lines(templates: list[_Template], tenants: int, events: int) -> Iterator[bytes]:
    """The import lines: tenant after tenant, each about ``events / tenants`` events."""
    rng = random.Random(2026)
    by_sector = {"PO": [t for t in templates if t.sector == "PO"], "VO": []}
    by_sector["VO"] = [t for t in templates if t.sector == "VO"]
    share = max(1, events // tenants)
    for index, code in enumerate(tenant_codes(tenants)):
        options = by_sector[code[:2]]
        template = options[index % len(options)]
        code_bytes, template_code = code.encode(), template.tenant.encode()
        tenant_salt = rng.getrandbits(128) & _SALT_MASK
        # configuration ids are the tenant's own; its stream id derives from its code
        fixed = {i: str(UUID(int=i ^ tenant_salt)) for i in template.configuration_ids}
        fixed[swv_stream_id(TenantId(template.tenant)).int] = str(swv_stream_id(code))
        written = 0
        for pieces in template.configuration:
            yield _render(pieces, code_bytes, template_code, tenant_salt, fixed)
            written += 1
        while written < share:
            salt = rng.getrandbits(128) & _SALT_MASK
            for pieces in template.cases:
                yield _render(pieces, code_bytes, template_code, salt, fixed)
            written += len(template.cases)


async def write_history(path: Path, *, tenants: int, events: int) -> int:
    """Write the import file; returns the number of lines."""
    codec = EventCodec(AGGREGATE_CLASSES)
    templates = await _templates(codec)
    count = 0
    with path.open("wb") as out:
        for line in history_lines(templates, tenants, events):
            out.write(line)
            count += 1
    return count
