"""Everything held about one pupil, for a subject access request (AVG art. 15).

Read from the log, decrypted: every event of the pupil's own stream and of the cases that were
opened for it, and every other event that names it; each personal field with the purpose it is
held for, its legal basis and until when it is kept; and who received data about it: the
municipalities it was disclosed to, and the partner subscriptions that were delivered events
about it (from the delivery record, partners/recipients.py), with their legal basis.

As of a position of the log (to answer a request about the past, AVG art. 15 and 16): the
records up to that position, the subjects and retention terms as they stood then, the
municipalities disclosed to by then and the partners first delivered to by then. A subject
shredded since is marked shredded, its values gone for good; a partner row delivered to again
after the moment names no count and no last delivery, since the delivery record counts per
pupil, subscription and type, not per delivery.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from application.errors import AggregateNotFoundError
from application.ports import Clock, EventStore, RecordedEvent
from application.retention import SubjectLedger
from domain.disclosure import Disclosure
from domain.ids import TenantId
from domain.personal import PersonalKind, personal_fields
from domain.retention import Retention
from domain.subscription import Subscription


@dataclass(frozen=True, slots=True)
class Purpose:
    purpose: str
    legal_basis: str


PURPOSES: Mapping[PersonalKind, Purpose] = {
    PersonalKind.SUBJECT: Purpose(
        "Knowing which pupil a request, decision or arrangement is about, in the SWV's "
        "statutory tasks (admissibility to special education, allocating support).",
        "AVG art. 6(1)(e): a task in the public interest (WPO art. 18a, WVO art. 17a).",
    ),
    PersonalKind.DOSSIER: Purpose(
        "Assessing the support request or TLV application: the question, the experts' "
        "advices, the objection and its handling.",
        "AVG art. 6(1)(e) (WPO art. 18a, WVO art. 17a); for health data AVG art. 9(2)(g) "
        "with UAVG art. 30.",
    ),
    PersonalKind.DECISION: Purpose(
        "The decision (beschikking) and its reasons, which the SWV must keep as an archive record.",
        "AVG art. 6(1)(e) for the decision; art. 6(1)(c) with the Archiefwet 1995 for keeping it.",
    ),
}


@dataclass(frozen=True, slots=True)
class HeldRecord:
    """One recorded event about the pupil, its personal fields decrypted."""

    position: int
    stream_id: UUID
    event_type: str
    recorded_at: datetime
    recorded_by: str
    data: dict[str, Any]
    personal: dict[str, PersonalKind]


@dataclass(frozen=True, slots=True)
class HeldSubject:
    """Personal data under one key: what it is for, and until when it is kept."""

    subject_id: UUID
    kind: PersonalKind
    purpose: str
    legal_basis: str
    shredded: bool
    kept_until: date | None
    retention: str


@dataclass(frozen=True, slots=True)
class PartnerDelivery:
    """What one subscription was delivered about the pupil: events of one type, when, how many."""

    subscription_id: UUID
    event_type: str
    first_delivered_at: datetime
    last_delivered_at: datetime
    events_delivered: int


def partner_recipients(
    deliveries: Sequence[PartnerDelivery],
    subscriptions: Mapping[UUID, Subscription.Created],
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """One recipient per subscription: the partner, its legal basis, what it got, and when.

    ``until``: as it stood then; a subscription delivered to since names no count or last time.
    """
    by_subscription: dict[UUID, list[PartnerDelivery]] = {}
    for delivery in deliveries:
        if until is None or delivery.first_delivered_at <= until:
            by_subscription.setdefault(delivery.subscription_id, []).append(delivery)
    recipients = []
    for subscription_id, delivered in by_subscription.items():
        created = subscriptions.get(subscription_id)
        first = min(d.first_delivered_at for d in delivered)
        last = max(d.last_delivered_at for d in delivered)
        known = until is None or last <= until
        recipients.append(
            {
                "recipient": f"partner {created.partner if created else '(unknown)'}",
                "legal_basis": str(created.legal_basis) if created else "",
                "fields": sorted(d.event_type for d in delivered),
                "on": first.date().isoformat(),
                "subscription_id": str(subscription_id),
                "first_delivered_at": first.isoformat(),
                "last_delivered_at": last.isoformat() if known else None,
                "events_delivered": sum(d.events_delivered for d in delivered) if known else None,
            }
        )
    return recipients


@dataclass(frozen=True, slots=True)
class SubjectAccessReport:
    tenant_id: TenantId
    pupil_id: UUID
    produced_at: datetime
    subjects: list[HeldSubject]
    records: list[HeldRecord]
    recipients: list[dict[str, Any]]

    @property
    def personal_values(self) -> list[Any]:
        """Every personal field value the report shows."""
        return [r.data[name] for r in self.records for name in r.personal]


def _about(recorded: RecordedEvent, pupil_id: UUID, streams: set[UUID]) -> bool:
    event = recorded.event
    named = getattr(event, "pupil_id", None) == pupil_id
    if named and recorded.stream_version == 1:
        streams.add(recorded.stream_id)  # a case opened for the pupil: all its events are
    return named or recorded.stream_id in streams


def _data(event: object) -> dict[str, Any]:
    return {
        f.name: getattr(event, f.name)
        for f in dataclasses.fields(event)  # type: ignore[arg-type]
        if f.name not in {"originator_id", "originator_version", "timestamp"}
    }


@dataclass(frozen=True, slots=True)
class AsOf:
    """A moment of the log: its position and when it was committed."""

    position: int
    committed_at: datetime | None


async def subject_access(  # noqa: PLR0913 - the pupil, where from, and as of when
    store: EventStore,
    tenant_id: TenantId,
    pupil_id: UUID,
    clock: Clock,
    deliveries: Sequence[PartnerDelivery] = (),
    *,
    as_of: AsOf | None = None,
) -> SubjectAccessReport:
    """The report; ``deliveries``: what partner subscriptions were delivered about the pupil.

    ``as_of``: as the data stood at that position of the log (shredded since: marked so).
    """
    up_to = None if as_of is None else as_of.position
    streams = {pupil_id}
    ledger = SubjectLedger()  # up to the moment asked about
    now = SubjectLedger()  # up to the head: what has been shredded since
    records: list[HeldRecord] = []
    recipients: list[dict[str, Any]] = []
    subscriptions: dict[UUID, Subscription.Created] = {}
    async with contextlib.aclosing(store.read_log_pages(tenant_id)) as pages:
        async for page in pages:
            for recorded in page:
                now.feed(recorded)
                if isinstance(recorded.event, Subscription.Created):
                    subscriptions[recorded.stream_id] = recorded.event
                if up_to is not None and recorded.position > up_to:
                    continue
                ledger.feed(recorded)
                if _about(recorded, pupil_id, streams):
                    event = recorded.event
                    if isinstance(event, Disclosure.Recorded):
                        recipients.append(
                            {
                                "recipient": f"municipality {event.municipality_code}",
                                "legal_basis": event.legal_basis.value,
                                "fields": [f.value for f in event.fields],
                                "on": event.disclosed_on.isoformat(),
                                "case_id": str(event.case_id),
                            }
                        )
                    records.append(
                        HeldRecord(
                            position=recorded.position,
                            stream_id=recorded.stream_id,
                            event_type=f"{recorded.event_type}.v{recorded.schema_version}",
                            recorded_at=recorded.recorded_at,
                            recorded_by=recorded.actor,
                            data=_data(recorded.event),
                            personal=personal_fields(type(recorded.event)),
                        )
                    )
    if not records:
        raise AggregateNotFoundError("Pupil", pupil_id)
    produced_at = clock.now()
    retention = ledger.retention or Retention.open(tenant_id=tenant_id, by="-", at=produced_at)
    related = ledger.of_pupil(pupil_id)
    shredded = {s.subject_id for s in now.of_pupil(pupil_id)} - {
        s.subject_id for s in now.subjects()
    }
    if now.retention is not None:
        shredded |= now.retention.shredded
    subjects = []
    for subject in related:
        term = retention.term_of(subject, related)
        purpose = PURPOSES[subject.kind]
        subjects.append(
            HeldSubject(
                subject_id=subject.subject_id,
                kind=subject.kind,
                purpose=purpose.purpose,
                legal_basis=purpose.legal_basis,
                shredded=subject.subject_id in shredded,
                kept_until=term[1],
                retention=term[0],
            )
        )
    until = None if as_of is None else as_of.committed_at or datetime.min.replace(tzinfo=UTC)
    recipients.extend(partner_recipients(deliveries, subscriptions, until))
    return SubjectAccessReport(tenant_id, pupil_id, produced_at, subjects, records, recipients)
