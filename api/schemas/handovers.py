"""Bodies of the handover reads: what a handover carries, its state, and the export package."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from api.schemas.common import EventView
from application.queries import Replayable
from domain.transition import (
    HandedArrangement,
    HandedTlv,
    Handover,
    HandoverContent,
    HandoverState,
    IncomingHandover,
    Outflow,
    OutflowDestination,
)


class HandedPupil(msgspec.Struct, frozen=True, kw_only=True):
    """Who the pupil is; name and date of birth blanked for an auditor."""

    name: str | None
    date_of_birth: date | None
    municipality_code: str


class HandoverContentView(msgspec.Struct, frozen=True, kw_only=True):
    pupil: HandedPupil
    support_question: str | None
    tlvs: list[HandedTlv]
    arrangements: list[HandedArrangement]

    @classmethod
    def of(cls, content: HandoverContent, *, personal: bool) -> HandoverContentView:
        return cls(
            pupil=HandedPupil(
                name=content.name if personal else None,
                date_of_birth=content.date_of_birth if personal else None,
                municipality_code=content.municipality_code,
            ),
            support_question=content.support_question if personal else None,
            tlvs=list(content.tlvs),
            arrangements=list(content.arrangements),
        )


class HandoverView(msgspec.Struct, frozen=True, kw_only=True):
    pupil_id: UUID
    sending_swv: str
    receiving_swv: str
    consent_given_on: date
    status: HandoverState
    content: HandoverContentView

    @classmethod
    def of(cls, handover: Handover, *, personal: bool) -> HandoverView:
        return cls(
            pupil_id=handover.pupil_id,
            sending_swv=handover.sending_swv,
            receiving_swv=handover.receiving_swv,
            consent_given_on=handover.consent_given_on,
            status=handover.state,
            content=HandoverContentView.of(handover.content, personal=personal),
        )


class HandoverEvent(EventView, frozen=True):
    """An event of a handover to another SWV."""

    aggregate = Handover


class HandoverRead(Replayable, frozen=True):
    id: UUID
    version: int
    state: HandoverView
    events: list[HandoverEvent]


class IncomingHandoverState(msgspec.Struct, frozen=True, kw_only=True):
    pupil_id: UUID
    """The pupil as this SWV knows them once the handover is accepted."""
    sending_swv: str
    consent_given_on: date
    accepted: bool | None
    answered_on: date | None
    content: HandoverContentView

    @classmethod
    def of(cls, incoming: IncomingHandover, *, personal: bool) -> IncomingHandoverState:
        answer = incoming.answer
        return cls(
            pupil_id=incoming.pupil_id,
            sending_swv=incoming.sending_swv,
            consent_given_on=incoming.consent_given_on,
            accepted=None if answer is None else answer[0],
            answered_on=None if answer is None else answer[1],
            content=HandoverContentView.of(incoming.content, personal=personal),
        )


class IncomingHandoverEvent(EventView, frozen=True):
    """An event of a handover from another SWV."""

    aggregate = IncomingHandover


class IncomingHandoverRead(Replayable, frozen=True):
    id: UUID
    version: int
    state: IncomingHandoverState
    events: list[IncomingHandoverEvent]


class OutflowState(msgspec.Struct, frozen=True, kw_only=True):
    pupil_id: UUID
    destination: OutflowDestination
    left_on: date

    @classmethod
    def of(cls, outflow: Outflow) -> OutflowState:
        return cls(
            pupil_id=outflow.pupil_id, destination=outflow.destination, left_on=outflow.left_on
        )


class OutflowEvent(EventView, frozen=True):
    """An event of a pupil's outflow."""

    aggregate = Outflow


class OutflowRead(Replayable, frozen=True):
    id: UUID
    version: int
    state: OutflowState
    events: list[OutflowEvent]


class HandoverPackage(msgspec.Struct, frozen=True, kw_only=True):
    """A handover for an SWV off the platform, signed by the platform for the sending tenant.

    ``package`` is the canonical JSON (keys sorted, UTF-8) whose SHA-256 is ``digest``, the
    digest the sending tenant's log recorded when it was exported. ``signature`` is a C2SP
    signed note whose body names the handover and that digest, signed with the key of the
    sending tenant's log (``GET …/log/keys``, the verifier key ``key``).
    """

    pupil_id: UUID  # the sending tenant's pupil, whose data the package carries
    format: str
    package: str
    digest: str
    signature: str
    key: str
