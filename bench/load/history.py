"""A synthetic but valid national history, as an import file (``passend import`` format).

The three demo tenants are seeded once, through the application's own handlers, into an
in-memory store. Each synthetic tenant takes one of them as its template by sector: its
configuration once (schools, municipalities, arrangement types, committee, policies), then
the template's cases again and again, each copy ("cohort") with fresh ids, until the tenant
holds its share of the events. Ids are remapped by XOR with a per-copy salt that leaves the
UUID version bits alone, so every copy is a valid history of its own and no two collide.

The history lengthens with its size, it does not widen: a tenant takes a fixed number of
cohorts a school year (``YEARLY_EVENTS`` events), and the number of school years grows with
the events asked for. A cohort of school year ``k`` back has every date (business dates,
timestamps, dates of birth) moved ``k`` whole calendar years back, so school years still end
on 31 July and month terms stay month terms; only the weekday moves. The current year's
cohorts are the template as seeded (its "today" is 2 November 2026). Cohorts a year or more
back are closed as their school would have closed them: undecided requests withdrawn,
objections decided after the LBT's advice, a pending registration ended by enrolment; from
``LEAVE_AFTER_YEARS`` back (when every TLV and arrangement of the copy has ended) each pupil
has left the SWV. Those closing events are made by the domain's own aggregates, so they pass
its rules. What is current therefore keeps its size once the history holds three school
years (the longest TLV runs that long): two years hold about 8% fewer current rows than ten.

``YEARLY_EVENTS`` is 6,600 a tenant: one Passenderwijs cohort holds 23 pupils, 23 requests and
7 TLVs in 266 events, so a PO tenant decides about 175 TLVs and 200 arrangements a year, within
the 150-300 TLV decisions a year an average SWV makes (shared/docs/domain.md, "TLVs per SWV
per year"). At 150 tenants that is about 1M events a year: the default 2M events are two
school years, and ``--events 10M`` is the decade of decisions issue #16 asks about.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.handling import rebuild
from application.ports import RecordedEvent
from demo import seed_demo
from demo.dates import school_year_end, weekday_on_or_before
from demo.tenants import PASSENDERWIJS, VO_RUW, ZOUT
from domain.ids import TenantId
from domain.objection import Objection, ObjectionOutcome
from domain.pupil import LeavingReason, Pupil
from domain.registry import AGGREGATE_CLASSES
from domain.support_request import SupportRequest
from domain.swv import Swv, swv_stream_id
from infrastructure.bulk_import import import_line
from infrastructure.event_codec import EventCodec
from infrastructure.in_memory_event_store import InMemoryEventStore
from projections.cases import CaseBook, CaseKind

VERSION = 2
"""In the history file's name: a file written by another version is not taken for this one."""
YEARLY_EVENTS = 6_600
"""A tenant's events of one school year (see above)."""
LEAVE_AFTER_YEARS = 3
"""From this many school years back, a cohort's pupils have left the SWV."""
TEMPLATE_TODAY = datetime(2026, 11, 2, 9, tzinfo=UTC)
"""The day the templates are seeded on: the current cohorts' "today"."""

_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# a date value, or the date of a timestamp value: right after the quote that opens the string
_DATE = re.compile(rb'(?<=")(\d{4})-(\d\d)-(\d\d)(?=["T])')
# the bits a salt may flip: not the version nibble, not the variant bits
_SALT_MASK = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
TEMPLATES = (PASSENDERWIJS, VO_RUW, ZOUT)
_CLOSED_BY = "loket:archief"

A = TypeVar("A", bound=Aggregate)
Pieces = list[bytes | int | date]
"""An import line cut at its UUIDs (ints) and dates; text pieces in between."""


class _FixedClock:
    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at


@dataclass(frozen=True, slots=True)
class _Template:
    """One demo tenant's history as import lines cut at their UUIDs, dates and tenant codes."""

    tenant: str
    configuration: list[Pieces]
    cases: list[Pieces]
    closing: list[Pieces]  # for cohorts a year or more back
    leaving: list[Pieces]  # for cohorts LEAVE_AFTER_YEARS or more back, after ``closing``
    configuration_ids: frozenset[int]

    @property
    def sector(self) -> str:
        return self.tenant[:2]

    def cohort_size(self, years_back: int) -> int:
        """The events of one copy of the cases, ``years_back`` school years back."""
        closing = len(self.closing) if years_back >= 1 else 0
        return (
            len(self.cases)
            + closing
            + (len(self.leaving) if years_back >= LEAVE_AFTER_YEARS else 0)
        )


def _pieces(line: bytes) -> Pieces:
    out: Pieces = []
    at = 0
    for match in _UUID.finditer(line):
        out.extend(_dated(line[at : match.start()]))
        out.append(UUID(match[0].decode()).int)
        at = match.end()
    out.extend(_dated(line[at:]))
    return out


def _dated(text: bytes) -> Pieces:
    out: Pieces = []
    at = 0
    for match in _DATE.finditer(text):
        out.append(text[at : match.start()])
        out.append(date(int(match[1]), int(match[2]), int(match[3])))
        at = match.end()
    out.append(text[at:])
    return out


@lru_cache(maxsize=65_536)
def _years_back(day: date, years: int) -> bytes:
    """``day`` moved ``years`` calendar years back (29 February to the 28th), ISO-formatted."""
    year = day.year - years
    try:
        return day.replace(year=year).isoformat().encode()
    except ValueError:
        return date(year, 2, 28).isoformat().encode()


def _rebuilt(events: Sequence[RecordedEvent], cls: type[A]) -> A:
    aggregate = rebuild(events)
    if not isinstance(aggregate, cls):
        raise TypeError(f"{events[0].stream_id} is no {cls.__name__}")
    return aggregate


def _closing_events(
    swv: Swv, streams: dict[UUID, list[RecordedEvent]], sector: str
) -> tuple[list[Any], list[Any]]:
    """What closes the template's open cases a school year on, and the pupils' leaving later.

    Made by the aggregates' own commands, in template time: the cases close within a month of
    the template's today, the pupils leave on 31 July ``LEAVE_AFTER_YEARS`` school years on.
    """
    today = TEMPLATE_TODAY.date()
    closed_on = weekday_on_or_before(today + timedelta(days=28))
    at = datetime.combine(closed_on, time(15), UTC)
    events = [r for stream in streams.values() for r in stream]
    events.sort(key=lambda r: r.position)
    aggregates: dict[UUID, Any] = {}
    for case in CaseBook({}).fold(events).values():
        if not case.is_open or case.kind in {CaseKind.TLV, CaseKind.ARRANGEMENT}:
            continue  # TLVs and arrangements end by their dates
        if case.kind is CaseKind.REQUEST:
            request = _rebuilt(streams[case.case_id], SupportRequest)
            request.withdraw(
                reason="Niet meer nodig: de school biedt de ondersteuning zelf.",
                withdrawn_on=closed_on,
                by=_CLOSED_BY,
                at=at,
            )
            aggregates[case.case_id] = request
        elif case.kind is CaseKind.OBJECTION:
            objection = _rebuilt(streams[case.case_id], Objection)
            if objection.lbt_requested_on is not None and objection.lbt_recommendation is None:
                objection.record_lbt_advice(
                    recommended_outcome=ObjectionOutcome.REJECTED,
                    advice="Het bezwaar is ongegrond.",
                    received_on=closed_on - timedelta(days=14),
                    by=_CLOSED_BY,
                    at=at,
                )
            objection.decide(
                outcome=ObjectionOutcome.REJECTED,
                reasons="Overeenkomstig het advies van de LBT.",
                decided_on=closed_on,
                policy=swv.policy_on(closed_on),
                by=_CLOSED_BY,
                at=at,
            )
            aggregates[case.case_id] = objection
        elif case.kind is CaseKind.REGISTRATION:
            pupil = _rebuilt(streams[case.case_id], Pupil)
            enrolled_on = min(closed_on, case.ends_on or closed_on)
            pupil.enrol(
                school=swv.school(case.school_code),
                enrolled_on=enrolled_on,
                by=_CLOSED_BY,
                at=datetime.combine(enrolled_on, time(15), UTC),
            )
            aggregates[case.case_id] = pupil
    closing = [e for a in aggregates.values() for e in a.collect_events()]
    left_on = school_year_end(today, years=LEAVE_AFTER_YEARS)
    reason = LeavingReason.TRANSFER_TO_VO if sector == "PO" else LeavingReason.LEFT_EDUCATION
    leaving: list[Any] = []
    for stream_id, stream in streams.items():
        aggregate = aggregates.get(stream_id) or rebuild(stream)
        if isinstance(aggregate, Pupil) and aggregate.left_on is None:
            aggregate.leave(
                reason=reason,
                left_on=left_on,
                by=_CLOSED_BY,
                at=datetime.combine(left_on, time(15), UTC),
            )
            leaving.extend(aggregate.collect_events())
    return closing, leaving


def _latest(lines: Sequence[Pieces]) -> date:
    return max(p for line in lines for p in line if isinstance(p, date))


async def _templates(codec: EventCodec) -> list[_Template]:
    store = InMemoryEventStore(codec)
    await seed_demo(store, _FixedClock(TEMPLATE_TODAY))
    rng = random.Random(2604)
    templates = []
    for tenant in TEMPLATES:
        events: list[RecordedEvent] = []
        async for page in store.read_log_pages(tenant, page_size=1_000):
            events.extend(page)
        config_stream = swv_stream_id(tenant)
        configuration: list[Pieces] = []
        cases: list[Pieces] = []
        streams: dict[UUID, list[RecordedEvent]] = defaultdict(list)
        for recorded in events:
            line = import_line(
                tenant,
                recorded.event,
                codec,
                event_id=recorded.event_id,
                # the event's own time, not the seeding's: the file is the same on every run
                recorded_at=recorded.event.timestamp,
                actor=recorded.actor,
                correlation_id=recorded.correlation_id,
                causation_id=recorded.causation_id,
            )
            target = configuration if recorded.stream_id == config_stream else cases
            target.append(_pieces(line))
            if recorded.stream_id != config_stream:
                streams[recorded.stream_id].append(recorded)
        swv = _rebuilt([r for r in events if r.stream_id == config_stream], Swv)
        closing, leaving = (
            [
                _pieces(
                    import_line(
                        tenant,
                        event,
                        codec,
                        event_id=UUID(int=rng.getrandbits(128), version=4),
                        recorded_at=event.timestamp,
                        actor=_CLOSED_BY,
                    )
                )
                for event in made
            ]
            for made in _closing_events(swv, streams, tenant[:2])
        )
        leaving_on = school_year_end(TEMPLATE_TODAY.date(), years=LEAVE_AFTER_YEARS)
        if _latest(cases) > leaving_on:
            raise ValueError(f"{tenant}'s cases run past {leaving_on}, when its pupils leave")
        ids = frozenset(p for line in configuration for p in line if isinstance(p, int))
        templates.append(_Template(tenant, configuration, cases, closing, leaving, ids))
    return templates


def tenant_codes(count: int) -> list[TenantId]:
    """``count`` SWV codes, PO and VO in the country's proportion (about 3 : 2)."""
    return [TenantId(f"{'VO' if i % 5 in {1, 3} else 'PO'}{3000 + i:04d}") for i in range(count)]


def history_file_name(tenants: int, events: int) -> str:
    """The history's file in a data directory: by version, so an older file is not reused."""
    return f"history-v{VERSION}-{tenants}-{events}.ndjson"


def _render(  # noqa: PLR0913 - a line, its tenant, its copy and its year
    pieces: Pieces,
    code: bytes,
    template_code: bytes,
    salt: int,
    fixed: dict[int, str],
    *,
    years_back: int,
) -> bytes:
    parts = []
    for piece in pieces:
        if isinstance(piece, bytes):
            parts.append(piece.replace(template_code, code))
        elif isinstance(piece, int):
            known = fixed.get(piece)
            parts.append((known or str(UUID(int=piece ^ salt))).encode())
        else:
            parts.append(_years_back(piece, years_back))
    return b"".join(parts) + b"\n"


def _cohort_years(template: _Template, room: int, yearly_events: int) -> list[int]:
    """How many school years back each cohort lies, oldest first; the oldest year is partial."""
    per_year = max(1, round(yearly_events / template.cohort_size(0)))
    years: list[int] = []
    while room > 0:
        years_back = len(years) // per_year
        years.append(years_back)
        room -= template.cohort_size(years_back)
    return years[::-1]


def history_lines(
    templates: list[_Template], tenants: int, events: int, *, yearly_events: int = YEARLY_EVENTS
) -> Iterator[bytes]:
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
        cohorts = _cohort_years(template, share - len(template.configuration), yearly_events)
        # configured before its oldest cohort came in
        oldest = cohorts[0] if cohorts else 0
        for pieces in template.configuration:
            yield _render(pieces, code_bytes, template_code, tenant_salt, fixed, years_back=oldest)
        for years_back in cohorts:
            salt = rng.getrandbits(128) & _SALT_MASK
            lines = template.cases
            if years_back >= 1:
                lines = lines + template.closing
            if years_back >= LEAVE_AFTER_YEARS:
                lines = lines + template.leaving
            for pieces in lines:
                yield _render(pieces, code_bytes, template_code, salt, fixed, years_back=years_back)


async def write_history(
    path: Path, *, tenants: int, events: int, yearly_events: int = YEARLY_EVENTS
) -> int:
    """Write the import file; returns the number of lines."""
    codec = EventCodec(AGGREGATE_CLASSES)
    templates = await _templates(codec)
    count = 0
    with path.open("wb") as out:
        for line in history_lines(templates, tenants, events, yearly_events=yearly_events):
            out.write(line)
            count += 1
    return count
