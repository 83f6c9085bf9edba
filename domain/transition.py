"""Transitions between partnerships: a PO SWV hands a pupil's decisions to the VO SWV.

With the parents' consent, the sending tenant prepares a ``Handover`` holding only what the
receiving SWV needs to continue support: who the pupil is (to find or register them), the TLV
type and category, running arrangements, and the support question. The receiving tenant gets an
``IncomingHandover`` with exactly that, and accepts or declines it; the answer comes back to
the sender's ``Handover``. Each tenant's log holds its own side; nothing else crosses.

Also the last step out: ``Outflow`` records where a VO/VSO pupil went (work, day care, further
education), for the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import InvalidValueError, StateConflictError, require_text
from domain.personal import PERSONAL
from domain.swv import check_municipality_code, check_swv_code
from domain.tlv import FundingCategory, TlvType


class ConsentChannel(StrEnum):
    WRITTEN = "WRITTEN"  # a signed form
    DIGITAL = "DIGITAL"  # through the school's or SWV's portal


class HandoverState(StrEnum):
    PREPARED = "PREPARED"
    DELIVERED = "DELIVERED"  # the receiving tenant has it
    EXPORTED = "EXPORTED"  # handed over as a signed package: the receiver is not on the platform
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"


class OutflowDestination(StrEnum):
    ARBEID = "ARBEID"
    DAGBESTEDING = "DAGBESTEDING"
    VERVOLGONDERWIJS = "VERVOLGONDERWIJS"


class HandoverError(StateConflictError):
    """The handover is not in a state that allows this (already answered, or not delivered)."""


@dataclass(frozen=True, slots=True)
class HandedTlv:
    tlv_type: TlvType
    funding_category: FundingCategory | None
    valid_until: date


@dataclass(frozen=True, slots=True)
class HandedArrangement:
    arrangement_type: str
    end_on: date


@dataclass(frozen=True, slots=True)
class HandoverContent:
    """Everything that crosses the boundary, and nothing more."""

    name: str
    date_of_birth: date
    municipality_code: str
    support_question: str
    tlvs: tuple[HandedTlv, ...]
    arrangements: tuple[HandedArrangement, ...]


def _check_receiver(sending: str, receiving: str) -> str:
    check_swv_code(receiving, field="receiving_swv")
    if receiving == sending:
        raise InvalidValueError(
            "A pupil is handed to another partnership, not to this one.", fields=("receiving_swv",)
        )
    return receiving


class Handover(Aggregate):
    """The sending tenant's side."""

    TOPIC = "Handover"

    class Event(Aggregate.Event):
        pass

    class Prepared(Event, Aggregate.Created):
        TOPIC = "HandoverPrepared.v1"
        pupil_id: UUID
        sending_swv: str
        receiving_swv: str
        consent_given_on: date
        consent_channel: ConsentChannel
        name: Annotated[str, PERSONAL]
        date_of_birth: Annotated[date, PERSONAL]
        municipality_code: str
        support_question: Annotated[str, PERSONAL]
        tlvs: tuple[HandedTlv, ...]
        arrangements: tuple[HandedArrangement, ...]
        prepared_by: str
        prepared_at: datetime

    Created = Prepared

    class Delivered(Event):
        TOPIC = "HandoverDelivered.v1"
        pupil_id: UUID
        delivered_by: str
        delivered_at: datetime

        def apply(self, aggregate: Handover) -> None:
            aggregate.state = HandoverState.DELIVERED

    class Exported(Event):
        TOPIC = "HandoverExported.v1"
        pupil_id: UUID
        package_digest: str
        exported_by: str
        exported_at: datetime

        def apply(self, aggregate: Handover) -> None:
            aggregate.state = HandoverState.EXPORTED

    class Answered(Event):
        TOPIC = "HandoverAnswered.v1"
        pupil_id: UUID
        accepted: bool
        answered_on: date
        reason: Annotated[str, PERSONAL]
        answered_by: str
        answered_at: datetime

        def apply(self, aggregate: Handover) -> None:
            aggregate.state = HandoverState.ACCEPTED if self.accepted else HandoverState.DECLINED

    def __init__(  # noqa: PLR0913 - the fields of HandoverPrepared
        self,
        *,
        pupil_id: UUID,
        sending_swv: str,
        receiving_swv: str,
        consent_given_on: date,
        consent_channel: ConsentChannel,
        name: str,
        date_of_birth: date,
        municipality_code: str,
        support_question: str,
        tlvs: tuple[HandedTlv, ...],
        arrangements: tuple[HandedArrangement, ...],
        prepared_by: str,
        prepared_at: datetime,
    ) -> None:
        self.pupil_id = pupil_id
        self.sending_swv = sending_swv
        self.receiving_swv = receiving_swv
        self.consent_given_on = consent_given_on
        self.content = HandoverContent(
            name, date_of_birth, municipality_code, support_question, tlvs, arrangements
        )
        self.state = HandoverState.PREPARED

    @classmethod
    def prepare(  # noqa: PLR0913 - what the consent covers
        cls,
        *,
        handover_id: UUID,
        pupil_id: UUID,
        sending_swv: str,
        receiving_swv: str,
        consent_given_on: date,
        consent_channel: ConsentChannel,
        content: HandoverContent,
        by: str,
        at: datetime,
    ) -> Handover:
        """Prepare a handover the parents consented to; it carries ``content`` and no more."""
        return cls._create(
            cls.Prepared,
            id=handover_id,
            pupil_id=pupil_id,
            sending_swv=sending_swv,
            receiving_swv=_check_receiver(sending_swv, receiving_swv),
            consent_given_on=consent_given_on,
            consent_channel=consent_channel,
            name=require_text(content.name, "The pupil's name", field="name"),
            date_of_birth=content.date_of_birth,
            municipality_code=check_municipality_code(
                content.municipality_code, field="municipality_code"
            ),
            support_question=require_text(
                content.support_question, "The support question", field="support_question"
            ),
            tlvs=content.tlvs,
            arrangements=content.arrangements,
            prepared_by=by,
            prepared_at=at,
        )

    def mark_delivered(self, *, by: str, at: datetime) -> None:
        if self.state is not HandoverState.PREPARED:
            raise HandoverError(f"This handover is {self.state.value.lower()} already.")
        self.trigger_event(self.Delivered, pupil_id=self.pupil_id, delivered_by=by, delivered_at=at)

    def mark_exported(self, *, package_digest: str, by: str, at: datetime) -> None:
        if self.state is not HandoverState.PREPARED:
            raise HandoverError(f"This handover is {self.state.value.lower()} already.")
        self.trigger_event(
            self.Exported,
            pupil_id=self.pupil_id,
            package_digest=package_digest,
            exported_by=by,
            exported_at=at,
        )

    def record_answer(
        self, *, accepted: bool, answered_on: date, reason: str, by: str, at: datetime
    ) -> None:
        """The receiving SWV's answer, as it came back from its own log."""
        if self.state is not HandoverState.DELIVERED:
            raise HandoverError("Only a delivered handover is answered.")
        self.trigger_event(
            self.Answered,
            pupil_id=self.pupil_id,
            accepted=accepted,
            answered_on=answered_on,
            reason=reason,
            answered_by=by,
            answered_at=at,
        )


class IncomingHandover(Aggregate):
    """The receiving tenant's side: what arrived, and its answer."""

    TOPIC = "IncomingHandover"

    class Event(Aggregate.Event):
        pass

    class Received(Event, Aggregate.Created):
        TOPIC = "HandoverReceived.v1"
        pupil_id: UUID  # the pupil as this tenant will know them
        sending_swv: str
        handover_id: UUID  # the sender's Handover, to answer it
        consent_given_on: date
        name: Annotated[str, PERSONAL]
        date_of_birth: Annotated[date, PERSONAL]
        municipality_code: str
        support_question: Annotated[str, PERSONAL]
        tlvs: tuple[HandedTlv, ...]
        arrangements: tuple[HandedArrangement, ...]
        received_by: str
        received_at: datetime

    Created = Received

    class Accepted(Event):
        TOPIC = "HandoverAccepted.v1"
        pupil_id: UUID
        accepted_on: date
        accepted_by: str
        accepted_at: datetime

        def apply(self, aggregate: IncomingHandover) -> None:
            aggregate.answer = (True, self.accepted_on, "")

    class Declined(Event):
        TOPIC = "HandoverDeclined.v1"
        pupil_id: UUID
        declined_on: date
        reason: Annotated[str, PERSONAL]
        declined_by: str
        declined_at: datetime

        def apply(self, aggregate: IncomingHandover) -> None:
            aggregate.answer = (False, self.declined_on, self.reason)

    def __init__(  # noqa: PLR0913 - the fields of HandoverReceived
        self,
        *,
        pupil_id: UUID,
        sending_swv: str,
        handover_id: UUID,
        consent_given_on: date,
        name: str,
        date_of_birth: date,
        municipality_code: str,
        support_question: str,
        tlvs: tuple[HandedTlv, ...],
        arrangements: tuple[HandedArrangement, ...],
        received_by: str,
        received_at: datetime,
    ) -> None:
        self.pupil_id = pupil_id
        self.sending_swv = sending_swv
        self.handover_id = handover_id
        self.consent_given_on = consent_given_on
        self.content = HandoverContent(
            name, date_of_birth, municipality_code, support_question, tlvs, arrangements
        )
        self.answer: tuple[bool, date, str] | None = None

    @classmethod
    def receive(  # noqa: PLR0913 - what came across
        cls,
        *,
        incoming_id: UUID,
        pupil_id: UUID,
        sending_swv: str,
        handover_id: UUID,
        consent_given_on: date,
        content: HandoverContent,
        by: str,
        at: datetime,
    ) -> IncomingHandover:
        return cls._create(
            cls.Received,
            id=incoming_id,
            pupil_id=pupil_id,
            sending_swv=sending_swv,
            handover_id=handover_id,
            consent_given_on=consent_given_on,
            name=content.name,
            date_of_birth=content.date_of_birth,
            municipality_code=content.municipality_code,
            support_question=content.support_question,
            tlvs=content.tlvs,
            arrangements=content.arrangements,
            received_by=by,
            received_at=at,
        )

    def _require_unanswered(self) -> None:
        if self.answer is not None:
            raise HandoverError("This handover was answered already.")

    def accept(self, *, accepted_on: date, by: str, at: datetime) -> None:
        self._require_unanswered()
        self.trigger_event(
            self.Accepted,
            pupil_id=self.pupil_id,
            accepted_on=accepted_on,
            accepted_by=by,
            accepted_at=at,
        )

    def decline(self, *, declined_on: date, reason: str, by: str, at: datetime) -> None:
        self._require_unanswered()
        self.trigger_event(
            self.Declined,
            pupil_id=self.pupil_id,
            declined_on=declined_on,
            reason=require_text(reason, "The reason", field="reason"),
            declined_by=by,
            declined_at=at,
        )


class Outflow(Aggregate):
    """Where a pupil went after VO/VSO, for the figures."""

    TOPIC = "Outflow"

    class Event(Aggregate.Event):
        pass

    class Recorded(Event, Aggregate.Created):
        TOPIC = "OutflowRecorded.v1"
        pupil_id: UUID
        destination: OutflowDestination
        left_on: date
        recorded_by: str
        recorded_at: datetime

    Created = Recorded

    def __init__(
        self,
        *,
        pupil_id: UUID,
        destination: OutflowDestination,
        left_on: date,
        recorded_by: str,
        recorded_at: datetime,
    ) -> None:
        self.pupil_id = pupil_id
        self.destination = destination
        self.left_on = left_on

    @classmethod
    def record(  # noqa: PLR0913 - an outflow's facts
        cls,
        *,
        outflow_id: UUID,
        pupil_id: UUID,
        destination: OutflowDestination,
        left_on: date,
        by: str,
        at: datetime,
    ) -> Outflow:
        return cls._create(
            cls.Recorded,
            id=outflow_id,
            pupil_id=pupil_id,
            destination=destination,
            left_on=left_on,
            recorded_by=by,
            recorded_at=at,
        )
