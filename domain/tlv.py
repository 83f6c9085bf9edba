"""Tlv aggregate: a granted toelaatbaarheidsverklaring, from issue to redemption or lapse."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import deadlines
from domain.errors import (
    FundingCategoryError,
    InvalidValueError,
    PeriodError,
    TlvLapseNotDueError,
    TlvNotValidError,
    require_text,
)
from domain.swv import School, SchoolType, SwvPolicy


class TlvType(StrEnum):
    SBO = "SBO"
    SO = "SO"
    VSO = "VSO"

    @property
    def school_type(self) -> SchoolType:
        """The kind of school where a TLV of this type can be redeemed."""
        return SchoolType(self.value)


class FundingCategory(StrEnum):
    """Bekostigingscategorie; numeric labels (1/2/3) are display aliases, never stored."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class TlvStatus(StrEnum):
    ISSUED = "ISSUED"
    REDEEMED = "REDEEMED"
    LAPSED = "LAPSED"
    REVOKED = "REVOKED"


def check_tlv_terms(
    tlv_type: TlvType, funding_category: FundingCategory | None, valid_from: date, valid_until: date
) -> None:
    """The rules every TLV's terms obey: a category for (V)SO only, and a real period."""
    if tlv_type is TlvType.SBO and funding_category is not None:
        raise FundingCategoryError(
            "An SBO TLV carries no funding category: leave the category out.",
            fields=("funding_category",),
        )
    if tlv_type is not TlvType.SBO and funding_category is None:
        raise FundingCategoryError(
            f"An {tlv_type} TLV needs a funding category: choose LOW, MEDIUM or HIGH.",
            fields=("funding_category",),
        )
    if valid_until <= valid_from:
        raise PeriodError(
            f"A TLV valid from {valid_from} cannot end on {valid_until}: "
            "choose an end date after the start date.",
            fields=("valid_until",),
        )


class Tlv(Aggregate):
    TOPIC = "Tlv"

    class Event(Aggregate.Event):
        pass

    class Granted(Event, Aggregate.Created):
        TOPIC = "TlvGranted.v1"
        pupil_id: UUID
        support_request_id: UUID
        tlv_type: TlvType
        funding_category: FundingCategory | None
        valid_from: date
        valid_until: date
        issued_on: date
        redeem_by: date | None
        objection_id: UUID | None
        policy_version: str
        granted_by: str
        granted_at: datetime

    Created = Granted

    class Extended(Event):
        TOPIC = "TlvExtended.v1"
        valid_until: date
        previous_valid_until: date
        support_request_id: UUID | None
        decided_on: date
        policy_version: str
        extended_by: str
        extended_at: datetime

        def apply(self, aggregate: Tlv) -> None:
            aggregate.valid_until = self.valid_until

    class ExtendedAdministratively(Event):
        TOPIC = "TlvExtendedAdministratively.v1"
        valid_until: date
        previous_valid_until: date
        regulation: str
        batch_id: UUID
        policy_version: str
        extended_by: str
        extended_at: datetime

        def apply(self, aggregate: Tlv) -> None:
            aggregate.valid_until = self.valid_until

    class Redeemed(Event):
        TOPIC = "TlvRedeemed.v1"
        school_code: str
        enrolled_on: date
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: Tlv) -> None:
            aggregate.status = TlvStatus.REDEEMED
            aggregate.redeemed_at_school = self.school_code

    class Lapsed(Event):
        TOPIC = "TlvLapsed.v1"
        lapsed_on: date
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: Tlv) -> None:
            aggregate.status = TlvStatus.LAPSED

    class Revised(Event):
        TOPIC = "TlvRevised.v1"
        objection_id: UUID
        funding_category: FundingCategory | None
        valid_from: date
        valid_until: date
        policy_version: str
        revised_by: str
        revised_at: datetime

        def apply(self, aggregate: Tlv) -> None:
            aggregate.funding_category = self.funding_category
            aggregate.valid_from = self.valid_from
            aggregate.valid_until = self.valid_until

    class Revoked(Event):
        TOPIC = "TlvRevoked.v1"
        objection_id: UUID
        policy_version: str
        revoked_by: str
        revoked_at: datetime

        def apply(self, aggregate: Tlv) -> None:
            aggregate.status = TlvStatus.REVOKED

    def __init__(  # noqa: PLR0913 - the fields of TlvGranted
        self,
        *,
        pupil_id: UUID,
        support_request_id: UUID,
        tlv_type: TlvType,
        funding_category: FundingCategory | None,
        valid_from: date,
        valid_until: date,
        issued_on: date,
        redeem_by: date | None,
    ) -> None:
        self.pupil_id = pupil_id
        self.support_request_id = support_request_id
        self.tlv_type = tlv_type
        self.funding_category = funding_category
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.issued_on = issued_on
        self.redeem_by = redeem_by
        self.status = TlvStatus.ISSUED
        self.redeemed_at_school: str | None = None

    @classmethod
    def grant(  # noqa: PLR0913 - the terms of a beschikking
        cls,
        *,
        tlv_id: UUID,
        pupil_id: UUID,
        support_request_id: UUID,
        tlv_type: TlvType,
        funding_category: FundingCategory | None,
        valid_from: date,
        valid_until: date,
        issued_on: date,
        policy: SwvPolicy,
        by: str,
        at: datetime,
        objection_id: UUID | None = None,
    ) -> Tlv:
        """Issue a TLV; whether it lapses when not redeemed in time is tenant policy."""
        check_tlv_terms(tlv_type, funding_category, valid_from, valid_until)
        redeem_by = (
            deadlines.tlv_redemption_deadline(issued_on, months=policy.tlv_redemption_months)
            if policy.lapse_unredeemed_tlvs
            else None
        )
        return cls._create(
            cls.Granted,
            id=tlv_id,
            pupil_id=pupil_id,
            support_request_id=support_request_id,
            tlv_type=tlv_type,
            funding_category=funding_category,
            valid_from=valid_from,
            valid_until=valid_until,
            issued_on=issued_on,
            redeem_by=redeem_by,
            objection_id=objection_id,
            policy_version=policy.version,
            granted_by=by,
            granted_at=at,
            timestamp=at,
        )

    @property
    def redemption_deadline(self) -> date | None:
        """The last day to enrol the pupil, or None when the tenant lets TLVs run to their end."""
        return self.redeem_by if self.status is TlvStatus.ISSUED else None

    def is_valid_on(self, day: date) -> bool:
        return (
            self.status in {TlvStatus.ISSUED, TlvStatus.REDEEMED}
            and self.valid_from <= day <= self.valid_until
        )

    def _check_can_change(self) -> None:
        if self.status in {TlvStatus.LAPSED, TlvStatus.REVOKED}:
            raise TlvNotValidError(
                f"TLV {self.id} is {self.status.lower()}: apply for a new TLV instead."
            )

    def _check_new_end(self, valid_until: date) -> None:
        self._check_can_change()
        if valid_until <= self.valid_until:
            raise PeriodError(
                f"TLV {self.id} already runs until {self.valid_until}: "
                "an extension must end later than that.",
                fields=("valid_until",),
            )

    def extend(  # noqa: PLR0913 - an extension is a decision of its own
        self,
        *,
        valid_until: date,
        decided_on: date,
        policy_version: str,
        by: str,
        at: datetime,
        support_request_id: UUID | None = None,
    ) -> None:
        """Extend after an individual re-assessment."""
        self._check_new_end(valid_until)
        self.trigger_event(
            self.Extended,
            valid_until=valid_until,
            previous_valid_until=self.valid_until,
            support_request_id=support_request_id,
            decided_on=decided_on,
            policy_version=policy_version,
            extended_by=by,
            extended_at=at,
            timestamp=at,
        )

    def extend_administratively(  # noqa: PLR0913 - the regulation and the batch it is part of
        self,
        *,
        valid_until: date,
        regulation: str,
        batch_id: UUID,
        policy_version: str,
        by: str,
        at: datetime,
    ) -> None:
        """Extend without re-assessment, under a sector-wide regulation (as in 2021)."""
        self._check_new_end(valid_until)
        self.trigger_event(
            self.ExtendedAdministratively,
            valid_until=valid_until,
            previous_valid_until=self.valid_until,
            regulation=require_text(
                regulation, "The regulation behind the extension", field="regulation"
            ),
            batch_id=batch_id,
            policy_version=policy_version,
            extended_by=by,
            extended_at=at,
            timestamp=at,
        )

    def redeem(self, *, school: School, enrolled_on: date, by: str, at: datetime) -> None:
        """The pupil was enrolled on this TLV at a school of the matching type."""
        if self.status is not TlvStatus.ISSUED:
            raise TlvNotValidError(
                f"TLV {self.id} is {self.status.lower()}; it can be redeemed only once, "
                "and only while it is issued."
            )
        if school.school_type is not self.tlv_type.school_type:
            raise InvalidValueError(
                f"An {self.tlv_type} TLV is redeemed at an {self.tlv_type} school; "
                f"{school.code} is {school.school_type}.",
                fields=("school_code",),
            )
        if not self.valid_from <= enrolled_on <= self.valid_until:
            raise TlvNotValidError(
                f"TLV {self.id} is valid from {self.valid_from} to {self.valid_until}, "
                f"not on {enrolled_on}: enrol within its validity."
            )
        if self.redeem_by is not None and enrolled_on > self.redeem_by:
            raise TlvNotValidError(
                f"TLV {self.id} had to be redeemed by {self.redeem_by}: record that it lapsed, "
                "and apply for a new one."
            )
        self.trigger_event(
            self.Redeemed,
            school_code=school.code,
            enrolled_on=enrolled_on,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def lapse(self, *, today: date, by: str, at: datetime) -> None:
        """Record that the TLV was not redeemed in time, where tenant policy says it lapses."""
        if self.status is not TlvStatus.ISSUED:
            raise TlvLapseNotDueError(
                f"TLV {self.id} is {self.status.lower()}; it cannot lapse.", fields=("tlv_id",)
            )
        if self.redeem_by is None:
            raise TlvLapseNotDueError(
                "Under the policy it was issued with, this TLV does not lapse when unredeemed.",
                fields=("tlv_id",),
            )
        if today <= self.redeem_by:
            raise TlvLapseNotDueError(
                f"TLV {self.id} can still be redeemed until {self.redeem_by}: wait until after it.",
                fields=("tlv_id",),
            )
        self.trigger_event(
            self.Lapsed, lapsed_on=today, recorded_by=by, recorded_at=at, timestamp=at
        )

    def revise(  # noqa: PLR0913 - the revised terms of the decision on objection
        self,
        *,
        objection_id: UUID,
        funding_category: FundingCategory | None,
        valid_from: date,
        valid_until: date,
        policy_version: str,
        by: str,
        at: datetime,
    ) -> None:
        """Change category or period after an objection was (partly) upheld."""
        self._check_can_change()
        check_tlv_terms(self.tlv_type, funding_category, valid_from, valid_until)
        self.trigger_event(
            self.Revised,
            objection_id=objection_id,
            funding_category=funding_category,
            valid_from=valid_from,
            valid_until=valid_until,
            policy_version=policy_version,
            revised_by=by,
            revised_at=at,
            timestamp=at,
        )

    def revoke(self, *, objection_id: UUID, policy_version: str, by: str, at: datetime) -> None:
        """Withdraw the TLV after an objection against granting it was upheld."""
        self._check_can_change()
        self.trigger_event(
            self.Revoked,
            objection_id=objection_id,
            policy_version=policy_version,
            revoked_by=by,
            revoked_at=at,
            timestamp=at,
        )
