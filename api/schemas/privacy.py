"""Bodies of the privacy routes: a pupil's subject access report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec

from application.queries import LogMoment
from application.subject_access import SubjectAccessReport


class HeldSubjectView(msgspec.Struct, frozen=True, kw_only=True):
    subject_id: UUID
    kind: str
    purpose: str
    legal_basis: str
    shredded: bool
    kept_until: date | None
    retention: str


class HeldRecordView(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    stream_id: UUID
    event_type: str
    recorded_at: datetime
    recorded_by: str
    data: dict[str, Any]
    personal_fields: dict[str, str]


class SubjectAccessView(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the SWV holds about one pupil (AVG art. 15), personal fields decrypted."""

    tenant: str
    pupil_id: UUID
    produced_at: datetime
    controller: str
    data_held: list[HeldSubjectView]
    records: list[HeldRecordView]
    recipients: list[dict[str, Any]]
    rights: str
    replayed_to: LogMoment | None = None
    """As of which moment of the log; None for the data as held now."""

    @classmethod
    def of(
        cls, report: SubjectAccessReport, replayed_to: LogMoment | None = None
    ) -> SubjectAccessView:
        return cls(
            tenant=report.tenant_id,
            pupil_id=report.pupil_id,
            produced_at=report.produced_at,
            controller=f"Samenwerkingsverband {report.tenant_id}",
            data_held=[
                HeldSubjectView(
                    subject_id=s.subject_id,
                    kind=s.kind.value,
                    purpose=s.purpose,
                    legal_basis=s.legal_basis,
                    shredded=s.shredded,
                    kept_until=s.kept_until,
                    retention=s.retention,
                )
                for s in report.subjects
            ],
            records=[
                HeldRecordView(
                    position=r.position,
                    stream_id=r.stream_id,
                    event_type=r.event_type,
                    recorded_at=r.recorded_at,
                    recorded_by=r.recorded_by,
                    data=r.data,
                    personal_fields={name: kind.value for name, kind in r.personal.items()},
                )
                for r in report.records
            ],
            recipients=report.recipients,
            rights=(
                "You may have incorrect data corrected (AVG art. 16) through the SWV's loket, "
                "object to processing (art. 21) and complain to the Autoriteit Persoonsgegevens."
            ),
            replayed_to=replayed_to,
        )


class DisclosedCaseView(msgspec.Struct, frozen=True, kw_only=True):
    case_id: UUID
    pupil_id: UUID
    legal_basis: str
    disclosed_on: date
    data: dict[str, Any]


class DisclosuresView(msgspec.Struct, frozen=True, kw_only=True):
    """The cases disclosed to one municipality, each with exactly the fields disclosed."""

    municipality_code: str
    cases: list[DisclosedCaseView]
