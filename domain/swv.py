"""Swv aggregate: one tenant's configuration and policy. Every change is an event.

Decisions elsewhere quote the ``policy_version`` in force, so an auditor can replay them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.absence import Holiday
from domain.deadlines import PauseCount
from domain.errors import (
    DuplicateConfigurationError,
    InvalidValueError,
    UnknownArrangementTypeError,
    UnknownMunicipalityError,
    UnknownSchoolError,
    require_text,
)
from domain.ids import TenantId

SWV_NAMESPACE = UUID("6d1f7c8e-3b52-4c1a-9a43-1f0e2b7d5a10")
_SWV_CODE = re.compile(r"^(PO|VO)\d{4}$")
_MUNICIPALITY_CODE = re.compile(r"^GM\d{4}$")
_BRIN = re.compile(r"^\d{2}[A-Z]{2}$")
_VESTIGING = re.compile(r"^\d{2}$")
_CATALOGUE_CODE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
_MAX_ARRANGEMENT_MONTHS = 60
_MAX_REDEMPTION_MONTHS = 36
THUISZITTERSPACT_MONTHS = 3  # the pact's "no child at home longer than 3 months" (policy)
_MAX_PACT_MONTHS = 12
_FIRST_SCHOOL_YEAR, _LAST_SCHOOL_YEAR = 2000, 2100


class Sector(StrEnum):
    PO = "PO"
    VO = "VO"


class SchoolType(StrEnum):
    REGULAR = "REGULAR"
    SBO = "SBO"
    SO = "SO"
    VSO = "VSO"

    def fits(self, sector: Sector) -> bool:
        """SBO and SO belong to PO partnerships, VSO to VO; regular schools to both."""
        return self is SchoolType.REGULAR or (sector is Sector.VO) == (self is SchoolType.VSO)


class AmountUnit(StrEnum):
    HOURS = "HOURS"
    EUROS = "EUROS"  # amounts in euro cents


@dataclass(frozen=True, slots=True)
class School:
    brin: str
    vestiging: str
    name: str
    board: str
    school_type: SchoolType
    municipality_code: str

    @property
    def code(self) -> str:
        """BRIN plus vestigingsnummer, e.g. ``12AB00``; how events refer to a school."""
        return self.brin + self.vestiging


@dataclass(frozen=True, slots=True)
class ArrangementType:
    code: str
    name: str
    unit: AmountUnit
    default_duration_months: int


@dataclass(frozen=True, slots=True)
class SwvPolicy:
    """The rules a tenant chose where the law leaves room (ondersteuningsplan)."""

    version: str
    effective_from: date
    lapse_unredeemed_tlvs: bool = True
    tlv_redemption_months: int = 12
    lbt_affiliated: bool = True
    # Awb 4:15: whether the completion day still pauses the decision term (case law unsettled)
    pause_count: PauseCount = PauseCount.COMPLETION_DAY_RUNS


def swv_stream_id(tenant_id: TenantId) -> UUID:
    """The stream of a tenant's configuration, derived from its SWV code."""
    return uuid5(SWV_NAMESPACE, tenant_id)


def is_municipality_code(code: str) -> bool:
    """Whether ``code`` has the form of a CBS municipality code: GM plus four digits."""
    return bool(_MUNICIPALITY_CODE.match(code))


def check_municipality_code(code: str, *, field: str) -> str:
    """``code`` if it is a CBS municipality code; the one check every aggregate uses."""
    if not is_municipality_code(code):
        raise InvalidValueError(
            f"{code!r} is not a CBS municipality code: use GM plus four digits, e.g. 'GM0632'.",
            fields=(field,),
        )
    return code


def check_swv_code(code: str, *, field: str = "code") -> None:
    if not _SWV_CODE.match(code):
        raise InvalidValueError(
            f"{code!r} is not an SWV code: use PO or VO plus four digits, e.g. 'PO2604'.",
            fields=(field,),
        )


def _check_policy(policy: SwvPolicy) -> None:
    require_text(policy.version, "The policy version", field="policy_version")
    if not 1 <= policy.tlv_redemption_months <= _MAX_REDEMPTION_MONTHS:
        raise InvalidValueError(
            f"A TLV redemption term of {policy.tlv_redemption_months} months is not plausible: "
            f"choose 1 to {_MAX_REDEMPTION_MONTHS} months.",
            fields=("tlv_redemption_months",),
        )


class Swv(Aggregate):
    TOPIC = "Swv"

    class Event(Aggregate.Event):
        pass

    class Configured(Event, Aggregate.Created):
        TOPIC = "SwvConfigured.v2"
        code: str
        name: str
        sector: Sector
        committee_name: str
        policy_version: str
        policy_effective_from: date
        lapse_unredeemed_tlvs: bool
        tlv_redemption_months: int
        lbt_affiliated: bool
        pause_count: PauseCount
        changed_by: str
        changed_at: datetime

    Created = Configured

    class Renamed(Event):
        TOPIC = "SwvRenamed.v1"
        name: str
        changed_by: str
        changed_at: datetime

        def apply(self, aggregate: Swv) -> None:
            aggregate.name = self.name

    class CommitteeRenamed(Event):
        TOPIC = "CommitteeRenamed.v1"
        committee_name: str
        changed_by: str
        changed_at: datetime

        def apply(self, aggregate: Swv) -> None:
            aggregate.committee_name = self.committee_name

    class MunicipalityAdded(Event):
        TOPIC = "MunicipalityAdded.v1"
        municipality_code: str
        municipality_name: str
        changed_by: str
        changed_at: datetime

        def apply(self, aggregate: Swv) -> None:
            aggregate.municipalities[self.municipality_code] = self.municipality_name

    class SchoolAdded(Event):
        TOPIC = "SchoolAdded.v1"
        brin: str
        vestiging: str
        school_name: str
        board: str
        school_type: SchoolType
        municipality_code: str
        changed_by: str
        changed_at: datetime

        def apply(self, aggregate: Swv) -> None:
            school = School(
                self.brin,
                self.vestiging,
                self.school_name,
                self.board,
                self.school_type,
                self.municipality_code,
            )
            aggregate.schools[school.code] = school

    class SchoolRemoved(Event):
        TOPIC = "SchoolRemoved.v1"
        school_code: str
        changed_by: str
        changed_at: datetime

        def apply(self, aggregate: Swv) -> None:
            del aggregate.schools[self.school_code]

    class ArrangementTypeAdded(Event):
        TOPIC = "ArrangementTypeAdded.v1"
        type_code: str
        type_name: str
        unit: AmountUnit
        default_duration_months: int
        changed_by: str
        changed_at: datetime

        def apply(self, aggregate: Swv) -> None:
            aggregate.catalogue[self.type_code] = ArrangementType(
                self.type_code, self.type_name, self.unit, self.default_duration_months
            )

    class ArrangementTypeWithdrawn(Event):
        TOPIC = "ArrangementTypeWithdrawn.v1"
        type_code: str
        changed_by: str
        changed_at: datetime

        def apply(self, aggregate: Swv) -> None:
            del aggregate.catalogue[self.type_code]

    class PolicyAdopted(Event):
        TOPIC = "PolicyAdopted.v2"
        policy_version: str
        effective_from: date
        lapse_unredeemed_tlvs: bool
        tlv_redemption_months: int
        lbt_affiliated: bool
        pause_count: PauseCount
        changed_by: str
        changed_at: datetime

        def apply(self, aggregate: Swv) -> None:
            aggregate.policy = SwvPolicy(
                self.policy_version,
                self.effective_from,
                self.lapse_unredeemed_tlvs,
                self.tlv_redemption_months,
                self.lbt_affiliated,
                self.pause_count,
            )
            aggregate.policies = [*aggregate.policies, aggregate.policy]

    class SchoolHolidaysSet(Event):
        """The region's school holidays of one school year (1 August to 31 July)."""

        TOPIC = "SchoolHolidaysSet.v1"
        school_year: int  # the year it starts in: 2025 for 2025/26
        holidays: tuple[Holiday, ...]
        changed_by: str
        changed_at: datetime

        def apply(self, aggregate: Swv) -> None:
            aggregate.school_holidays[self.school_year] = self.holidays

    class ThuiszitterspactSignalSet(Event):
        """After how many months without an offer an absence case signals (policy, not law)."""

        TOPIC = "ThuiszitterspactSignalSet.v1"
        months: int
        changed_by: str
        changed_at: datetime

        def apply(self, aggregate: Swv) -> None:
            aggregate.thuiszitterspact_months = self.months

    def __init__(  # noqa: PLR0913 - the fields of SwvConfigured
        self,
        *,
        code: str,
        name: str,
        sector: Sector,
        committee_name: str,
        policy_version: str,
        policy_effective_from: date,
        lapse_unredeemed_tlvs: bool,
        tlv_redemption_months: int,
        lbt_affiliated: bool,
        pause_count: PauseCount,
    ) -> None:
        self.code = TenantId(code)
        self.name = name
        self.sector = sector
        self.committee_name = committee_name
        self.policy = SwvPolicy(
            policy_version,
            policy_effective_from,
            lapse_unredeemed_tlvs,
            tlv_redemption_months,
            lbt_affiliated,
            pause_count,
        )
        self.policies = [self.policy]
        """Every policy adopted, in the order adopted; ``policy`` is the last."""
        self.municipalities: dict[str, str] = {}
        self.schools: dict[str, School] = {}
        self.catalogue: dict[str, ArrangementType] = {}
        self.school_holidays: dict[int, tuple[Holiday, ...]] = {}
        self.thuiszitterspact_months = THUISZITTERSPACT_MONTHS

    @classmethod
    def configure(  # noqa: PLR0913 - a tenant's founding facts
        cls,
        *,
        code: TenantId,
        name: str,
        committee_name: str,
        policy: SwvPolicy,
        by: str,
        at: datetime,
    ) -> Swv:
        check_swv_code(code)
        _check_policy(policy)
        return cls._create(
            cls.Configured,
            id=swv_stream_id(code),
            code=code,
            name=require_text(name, "The SWV name", field="name"),
            sector=Sector(code[:2]),
            committee_name=require_text(
                committee_name, "The committee name", field="committee_name"
            ),
            policy_version=policy.version,
            policy_effective_from=policy.effective_from,
            lapse_unredeemed_tlvs=policy.lapse_unredeemed_tlvs,
            tlv_redemption_months=policy.tlv_redemption_months,
            lbt_affiliated=policy.lbt_affiliated,
            pause_count=policy.pause_count,
            changed_by=by,
            changed_at=at,
            timestamp=at,
        )

    def rename(self, name: str, *, by: str, at: datetime) -> None:
        self.trigger_event(
            self.Renamed,
            name=require_text(name, "The SWV name", field="name"),
            changed_by=by,
            changed_at=at,
            timestamp=at,
        )

    def rename_committee(self, committee_name: str, *, by: str, at: datetime) -> None:
        self.trigger_event(
            self.CommitteeRenamed,
            committee_name=require_text(
                committee_name, "The committee name", field="committee_name"
            ),
            changed_by=by,
            changed_at=at,
            timestamp=at,
        )

    def add_municipality(self, code: str, name: str, *, by: str, at: datetime) -> None:
        check_municipality_code(code, field="code")
        if code in self.municipalities:
            raise DuplicateConfigurationError(f"Municipality {code} is already registered.")
        self.trigger_event(
            self.MunicipalityAdded,
            municipality_code=code,
            municipality_name=require_text(name, "The municipality name", field="name"),
            changed_by=by,
            changed_at=at,
            timestamp=at,
        )

    def add_school(self, school: School, *, by: str, at: datetime) -> None:
        if not _BRIN.match(school.brin) or not _VESTIGING.match(school.vestiging):
            raise InvalidValueError(
                f"{school.brin!r}/{school.vestiging!r} is not a BRIN and vestigingsnummer: "
                "use two digits and two capitals, then two digits, e.g. '12AB' and '00'.",
                fields=("brin", "vestiging"),
            )
        if school.code in self.schools:
            raise DuplicateConfigurationError(f"School {school.code} is already registered.")
        if school.municipality_code not in self.municipalities:
            raise UnknownMunicipalityError(
                f"Municipality {school.municipality_code} is not part of {self.code}: "
                "add the municipality first.",
                fields=("municipality_code",),
            )
        if not school.school_type.fits(self.sector):
            raise InvalidValueError(
                f"A {school.school_type} school does not belong to a {self.sector} partnership.",
                fields=("school_type",),
            )
        self.trigger_event(
            self.SchoolAdded,
            brin=school.brin,
            vestiging=school.vestiging,
            school_name=require_text(school.name, "The school name", field="name"),
            board=require_text(school.board, "The school board", field="board"),
            school_type=school.school_type,
            municipality_code=school.municipality_code,
            changed_by=by,
            changed_at=at,
            timestamp=at,
        )

    def remove_school(self, school_code: str, *, by: str, at: datetime) -> None:
        self.school(school_code)
        self.trigger_event(
            self.SchoolRemoved, school_code=school_code, changed_by=by, changed_at=at, timestamp=at
        )

    def add_arrangement_type(self, entry: ArrangementType, *, by: str, at: datetime) -> None:
        if not _CATALOGUE_CODE.match(entry.code):
            raise InvalidValueError(
                f"{entry.code!r} is not a catalogue code: use 2 to 40 lowercase letters, digits "
                "and hyphens, starting with a letter, e.g. 'ambulante-begeleiding'.",
                fields=("code",),
            )
        if entry.code in self.catalogue:
            raise DuplicateConfigurationError(
                f"Arrangement type {entry.code!r} is already in the catalogue."
            )
        if not 1 <= entry.default_duration_months <= _MAX_ARRANGEMENT_MONTHS:
            raise InvalidValueError(
                f"A default duration of {entry.default_duration_months} months is not possible: "
                f"choose 1 to {_MAX_ARRANGEMENT_MONTHS} months.",
                fields=("default_duration_months",),
            )
        self.trigger_event(
            self.ArrangementTypeAdded,
            type_code=entry.code,
            type_name=require_text(entry.name, "The arrangement type name", field="name"),
            unit=entry.unit,
            default_duration_months=entry.default_duration_months,
            changed_by=by,
            changed_at=at,
            timestamp=at,
        )

    def withdraw_arrangement_type(self, code: str, *, by: str, at: datetime) -> None:
        self.arrangement_type(code, field="code")
        self.trigger_event(
            self.ArrangementTypeWithdrawn,
            type_code=code,
            changed_by=by,
            changed_at=at,
            timestamp=at,
        )

    def adopt_policy(self, policy: SwvPolicy, *, by: str, at: datetime) -> None:
        _check_policy(policy)
        if policy.version == self.policy.version:
            raise DuplicateConfigurationError(
                f"Policy version {policy.version!r} is already in force: give the new one its own "
                "version, so earlier decisions keep pointing at the policy they were taken under."
            )
        self.trigger_event(
            self.PolicyAdopted,
            policy_version=policy.version,
            effective_from=policy.effective_from,
            lapse_unredeemed_tlvs=policy.lapse_unredeemed_tlvs,
            tlv_redemption_months=policy.tlv_redemption_months,
            lbt_affiliated=policy.lbt_affiliated,
            pause_count=policy.pause_count,
            changed_by=by,
            changed_at=at,
            timestamp=at,
        )

    def set_school_holidays(
        self, school_year: int, holidays: tuple[Holiday, ...], *, by: str, at: datetime
    ) -> None:
        """The holidays of one school year, replacing what was set for it; each starts in it."""
        if not _FIRST_SCHOOL_YEAR <= school_year <= _LAST_SCHOOL_YEAR:
            raise InvalidValueError(
                f"{school_year} is not a school year: give the year it starts in, e.g. 2025.",
                fields=("school_year",),
            )
        first, last = date(school_year, 8, 1), date(school_year + 1, 7, 31)
        for holiday in holidays:
            if not first <= holiday.first_day <= last:
                raise InvalidValueError(
                    f"A holiday from {holiday.first_day} does not start in school year "
                    f"{school_year}/{school_year + 1} ({first} to {last}).",
                    fields=("holidays",),
                )
        ordered = tuple(sorted(holidays, key=lambda h: h.first_day))
        for before, after in itertools.pairwise(ordered):
            if after.first_day <= before.last_day:
                raise InvalidValueError(
                    f"The holidays from {before.first_day} and {after.first_day} overlap.",
                    fields=("holidays",),
                )
        self.trigger_event(
            self.SchoolHolidaysSet,
            school_year=school_year,
            holidays=ordered,
            changed_by=by,
            changed_at=at,
            timestamp=at,
        )

    def set_thuiszitterspact_months(self, months: int, *, by: str, at: datetime) -> None:
        if not 1 <= months <= _MAX_PACT_MONTHS:
            raise InvalidValueError(
                f"A signal after {months} months is not plausible: choose 1 to "
                f"{_MAX_PACT_MONTHS} (the Thuiszitterspact names 3).",
                fields=("months",),
            )
        self.trigger_event(
            self.ThuiszitterspactSignalSet,
            months=months,
            changed_by=by,
            changed_at=at,
            timestamp=at,
        )

    @property
    def holidays(self) -> tuple[Holiday, ...]:
        """Every school holiday configured, in date order: school weeks leave them out."""
        return tuple(h for year in sorted(self.school_holidays) for h in self.school_holidays[year])

    def policy_on(self, day: date) -> SwvPolicy:
        """The policy in force on ``day``, the business date of a decision.

        Of the policies effective by then, the one effective latest (the later adopted when two
        share a date); before the first policy's date, the first policy.
        """
        in_force = [
            (policy.effective_from, order, policy)
            for order, policy in enumerate(self.policies)
            if policy.effective_from <= day
        ]
        return max(in_force)[2] if in_force else self.policies[0]

    def school(self, school_code: str, *, field: str = "school_code") -> School:
        try:
            return self.schools[school_code]
        except KeyError:
            raise UnknownSchoolError(
                f"School {school_code!r} is not registered in {self.code}: "
                "register it in the SWV configuration first.",
                fields=(field,),
            ) from None

    def arrangement_type(self, code: str, *, field: str = "arrangement_type") -> ArrangementType:
        try:
            return self.catalogue[code]
        except KeyError:
            raise UnknownArrangementTypeError(
                f"Arrangement type {code!r} is not in the catalogue of {self.code}: "
                f"choose one of {sorted(self.catalogue)} or add it to the catalogue first.",
                fields=(field,),
            ) from None
