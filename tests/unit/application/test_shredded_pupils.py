"""Which pupil an event erases: the one the loket shredded, or the one whose own term passed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from application.ports import RecordedEvent
from application.retention import pupil_shredded_by
from domain.ids import TenantId
from domain.personal import PersonalKind
from domain.pupil import Pupil
from domain.retention import Due, Retention, Subject

AT = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


def recorded(event: object, stream_id: object) -> RecordedEvent:
    return RecordedEvent(
        tenant_id=TenantId("PO2604"),
        position=1,
        stream_id=stream_id,  # type: ignore[arg-type]
        stream_version=1,
        event_id=uuid4(),
        event_type=type(event).__name__,
        schema_version=1,
        recorded_at=AT,
        actor="loket:tester",
        correlation_id=None,
        causation_id=None,
        event=event,  # type: ignore[arg-type]
    )


def retention_shredding(kind: PersonalKind, pupil_id: object) -> RecordedEvent:
    retention = Retention.open(tenant_id="PO2604", by="system", at=AT)
    subject = Subject(uuid4(), kind, pupil_id, uuid4(), date(2025, 1, 1), date(2025, 1, 1))  # type: ignore[arg-type]
    retention.record_shredded(
        Due(subject, "a rule", date(2025, 1, 1), date(2028, 1, 1)),
        today=date(2029, 1, 1),
        by="system",
        at=AT,
    )
    return recorded(retention.collect_events()[-1], retention.id)


def test_a_pupil_is_erased_by_its_own_shred_and_by_the_end_of_its_own_term_only() -> None:
    pupil = Pupil.register(
        pupil_id=uuid4(),
        name="Sam de Vries",
        date_of_birth=date(2017, 5, 12),
        municipality_code="GM0632",
        by="loket:tester",
        at=AT,
    )
    registered = pupil.collect_events()[-1]
    pupil.shred_personal_data(by="loket:tester", at=AT)
    shredded = pupil.collect_events()[-1]

    assert pupil_shredded_by(recorded(shredded, pupil.id)) == pupil.id
    assert pupil_shredded_by(retention_shredding(PersonalKind.SUBJECT, pupil.id)) == pupil.id
    assert pupil_shredded_by(retention_shredding(PersonalKind.DOSSIER, pupil.id)) is None
    assert pupil_shredded_by(recorded(registered, pupil.id)) is None
