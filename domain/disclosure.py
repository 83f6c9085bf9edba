"""A per-case disclosure of a pupil's data to a municipality, under a named legal basis.

By default a municipality sees figures only (domain.md §1.10). It sees one case's data only
after the SWV records a disclosure naming the case, the municipality, the legal basis and the
fields it may see; what it then sees is exactly those fields. The event holds no personal data.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import InvalidValueError


class DisclosureBasis(StrEnum):
    """Legal bases on which an SWV may give a municipality identifiable case data."""

    LEERPLICHT = "LEERPLICHT"  # Leerplichtwet 1969 art. 18, 21a: the attendance officer's task
    CASUISTRY_COVENANT = "CASUISTRY_COVENANT"  # a casuistry meeting under a privacy covenant
    PARENTAL_CONSENT = "PARENTAL_CONSENT"  # consent for jeugdhulp coordination (AVG art. 6(1)(a))
    JEUGDWET = "JEUGDWET"  # Jeugdwet art. 7.1.1: the municipality's jeugdhulp task


class DisclosedField(StrEnum):
    """What of a case may be disclosed; each names data the SWV holds about the case."""

    NAME = "name"
    DATE_OF_BIRTH = "date_of_birth"
    SCHOOL = "school_code"
    REQUEST_TYPE = "request_type"
    QUESTION = "question"
    DECISION = "decision"
    DECISION_REASONS = "decision_reasons"


class Disclosure(Aggregate):
    TOPIC = "Disclosure"

    class Event(Aggregate.Event):
        pass

    class Recorded(Event, Aggregate.Created):
        TOPIC = "DisclosureToMunicipalityRecorded.v1"
        pupil_id: UUID
        case_id: UUID
        municipality_code: str
        legal_basis: DisclosureBasis
        fields: tuple[DisclosedField, ...]
        disclosed_on: date
        recorded_by: str
        recorded_at: datetime

    Created = Recorded

    def __init__(  # noqa: PLR0913 - the fields of the event
        self,
        *,
        pupil_id: UUID,
        case_id: UUID,
        municipality_code: str,
        legal_basis: DisclosureBasis,
        fields: tuple[DisclosedField, ...],
        disclosed_on: date,
        recorded_by: str,
        recorded_at: datetime,
    ) -> None:
        self.pupil_id = pupil_id
        self.case_id = case_id
        self.municipality_code = municipality_code
        self.legal_basis = legal_basis
        self.fields = fields
        self.disclosed_on = disclosed_on

    @classmethod
    def record(  # noqa: PLR0913 - what a disclosure names
        cls,
        *,
        disclosure_id: UUID,
        pupil_id: UUID,
        case_id: UUID,
        municipality_code: str,
        legal_basis: DisclosureBasis,
        fields: tuple[DisclosedField, ...],
        disclosed_on: date,
        by: str,
        at: datetime,
    ) -> Disclosure:
        if not fields:
            raise InvalidValueError(
                "A disclosure names at least one field it discloses.", fields=("fields",)
            )
        if len(set(fields)) != len(fields):
            raise InvalidValueError("A disclosure names each field once.", fields=("fields",))
        return cls._create(
            cls.Recorded,
            id=disclosure_id,
            pupil_id=pupil_id,
            case_id=case_id,
            municipality_code=municipality_code,
            legal_basis=legal_basis,
            fields=tuple(sorted(fields)),
            disclosed_on=disclosed_on,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )
