"""The export of a tenant's TLV registrations per period, for DUO.

Passend's own format (``passend-duo-tlv-registraties/1``, documented in docs/duo-export.md with
its JSON Schema), unconfirmed until DUO's own specification is obtained. One registration per
TLV issued in the period: its beschikkingsnummer, type, funding category, validity as it stands,
and where it was redeemed. No pupil data: DUO links a TLV to the pupil through the enrolling
school's registration, which names the beschikkingsnummer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from uuid import UUID

import msgspec

from application.ports import RecordedEvent
from application.queries import Replayable
from domain.beschikkingsnummer import beschikkingsnummer
from domain.tlv import FundingCategory, Tlv, TlvType

EXPORT_FORMAT = "passend-duo-tlv-registraties/1"


class RegistrationStatus(StrEnum):
    ISSUED = "ISSUED"
    REDEEMED = "REDEEMED"
    LAPSED = "LAPSED"
    REVOKED = "REVOKED"


class TlvRegistration(msgspec.Struct, frozen=True, kw_only=True):
    beschikkingsnummer: str
    tlv_type: TlvType
    funding_category: FundingCategory | None
    issued_on: date
    valid_from: date
    valid_until: date
    status: RegistrationStatus
    redeemed_at_school: str | None = None
    enrolled_on: date | None = None


class TlvRegistrationExport(Replayable, frozen=True, kw_only=True):
    format: str
    swv_code: str
    period_from: date
    period_until: date
    registrations: list[TlvRegistration]


def _evolve(  # noqa: PLR0911 - one branch per event type, flat on purpose
    swv_code: str, registration: TlvRegistration | None, tlv_id: UUID, event: object
) -> TlvRegistration | None:
    replace = msgspec.structs.replace
    if isinstance(event, Tlv.Granted):
        return TlvRegistration(
            beschikkingsnummer=beschikkingsnummer(swv_code, tlv_id),
            tlv_type=event.tlv_type,
            funding_category=event.funding_category,
            issued_on=event.issued_on,
            valid_from=event.valid_from,
            valid_until=event.valid_until,
            status=RegistrationStatus.ISSUED,
        )
    if registration is None:
        return None
    match event:
        case Tlv.Extended() | Tlv.ExtendedAdministratively():
            return replace(registration, valid_until=event.valid_until)
        case Tlv.Revised():
            return replace(
                registration,
                funding_category=event.funding_category,
                valid_from=event.valid_from,
                valid_until=event.valid_until,
            )
        case Tlv.Redeemed():
            return replace(
                registration,
                status=RegistrationStatus.REDEEMED,
                redeemed_at_school=event.school_code,
                enrolled_on=event.enrolled_on,
            )
        case Tlv.Lapsed():
            return replace(registration, status=RegistrationStatus.LAPSED)
        case Tlv.Revoked():
            return replace(registration, status=RegistrationStatus.REVOKED)
    return registration


class TlvRegistrations:
    """Folds a tenant's log, page by page, into its TLVs as DUO would register them (pure)."""

    def __init__(self, swv_code: str) -> None:
        self.swv_code = swv_code
        self._by_tlv: dict[UUID, TlvRegistration] = {}

    def fold(self, events: Iterable[RecordedEvent]) -> None:
        for recorded in events:
            if isinstance(recorded.event, Tlv.Event):
                found = _evolve(
                    self.swv_code,
                    self._by_tlv.get(recorded.stream_id),
                    recorded.stream_id,
                    recorded.event,
                )
                if found is not None:
                    self._by_tlv[recorded.stream_id] = found

    def export(self, period_from: date, period_until: date) -> TlvRegistrationExport:
        """The TLVs issued from ``period_from`` to ``period_until``, both included."""
        issued = [r for r in self._by_tlv.values() if period_from <= r.issued_on <= period_until]
        issued.sort(key=lambda r: (r.issued_on, r.beschikkingsnummer))
        return TlvRegistrationExport(
            format=EXPORT_FORMAT,
            swv_code=self.swv_code,
            period_from=period_from,
            period_until=period_until,
            registrations=issued,
        )
