"""Commands: what a user asks the system to do, as validated, immutable msgspec Structs.

Dates a command may leave out (``received_on``, ``decided_on``, ...) default to today in the
Netherlands; time and actor come from the context, never from the body.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated
from uuid import UUID

import msgspec

from application.access import Caller
from domain.absence import AbsenceEnd, Reporter
from domain.arrangement import EvaluationParty, GoalAttainment
from domain.deadlines import Channel, PauseCount, check_plausible_date
from domain.disclosure import DisclosedField, DisclosureBasis
from domain.expert_advice import ExpertRole, Qualification
from domain.ids import TenantId
from domain.objection import ObjectionOutcome, Objector, TlvConsequence
from domain.pupil import LeavingReason
from domain.service import ServiceKind
from domain.subscription import IntegrationEventType, LegalBasis, Transport
from domain.support_request import DecisionOutcome, ParentView
from domain.swv import AmountUnit, SchoolType
from domain.tlv import FundingCategory, TlvType
from domain.transition import ConsentChannel, OutflowDestination


@dataclass(frozen=True, slots=True)
class CommandContext:
    """Who asks (``caller``), in which tenant, and the command's id that makes a retry idempotent.

    ``expected_version``, when given, is the version of the changed stream the caller decided
    on (HTTP ``If-Match``); the command is refused if the stream has moved on since.
    """

    tenant_id: TenantId
    caller: Caller
    command_id: UUID
    correlation_id: UUID | None = None
    expected_version: int | None = None

    @property
    def actor(self) -> str:
        return self.caller.actor


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """The stream a command changed, its new version and the tenant positions it took."""

    aggregate_id: UUID
    stream_version: int
    first_position: int
    last_position: int
    also_changed: tuple[UUID, ...] = ()


class Command(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of all commands: every date it names is a plausible one (InvalidValueError if not)."""

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, date):
                check_plausible_date(value, name.replace("_", " ").capitalize(), field=name)


# Hours or euros; far above any real arrangement, well inside the read models' bigint columns.
Amount = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]

# Tenant configuration


class ConfigureSwv(Command, frozen=True, kw_only=True):
    name: str
    committee_name: str
    policy_version: str
    policy_effective_from: date
    lapse_unredeemed_tlvs: bool = True
    tlv_redemption_months: int = 12
    lbt_affiliated: bool = True
    pause_count: PauseCount = PauseCount.COMPLETION_DAY_RUNS


class AddMunicipality(Command, frozen=True, kw_only=True):
    code: str
    name: str


class AddSchool(Command, frozen=True, kw_only=True):
    brin: str
    vestiging: str
    name: str
    board: str
    school_type: SchoolType
    municipality_code: str


class AddArrangementType(Command, frozen=True, kw_only=True):
    code: str
    name: str
    unit: AmountUnit
    default_duration_months: int


class WithdrawArrangementType(Command, frozen=True, kw_only=True):
    code: str


class RenameCommittee(Command, frozen=True, kw_only=True):
    committee_name: str


class AdoptPolicy(Command, frozen=True, kw_only=True):
    policy_version: str
    effective_from: date
    lapse_unredeemed_tlvs: bool = True
    tlv_redemption_months: int = 12
    lbt_affiliated: bool = True
    pause_count: PauseCount = PauseCount.COMPLETION_DAY_RUNS


# Pupils


class RegisterPupil(Command, frozen=True, kw_only=True):
    """With a ``school_code``, the pupil is registered as enrolled at that school."""

    name: str
    date_of_birth: date
    municipality_code: str
    school_code: str | None = None
    enrolled_on: date | None = None
    lives_outside_region: bool = False


class CorrectPupilDetails(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    name: str
    date_of_birth: date


class ChangePupilResidence(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    municipality_code: str
    moved_on: date | None = None
    lives_outside_region: bool = False


class RecordSchoolRegistration(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    school_code: str
    registered_on: date | None = None


class ExtendZorgplichtTerm(Command, frozen=True, kw_only=True):
    pupil_id: UUID


class EnrolPupil(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    school_code: str
    enrolled_on: date | None = None


class AddGuardian(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    guardian_id: UUID
    has_authority: bool


class ChangeGuardianAuthority(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    guardian_id: UUID
    has_authority: bool


class RemoveGuardian(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    guardian_id: UUID


class RecordPupilLeaving(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    reason: LeavingReason
    left_on: date | None = None


class ShredPupilData(Command, frozen=True, kw_only=True):
    pupil_id: UUID


# Support requests and TLV applications


class SubmitSupportRequest(Command, frozen=True, kw_only=True):
    """Either ``arrangement_type`` (a catalogue code) or ``tlv_type`` names what is asked.

    No ``school_code``: a school caller's own school.
    """

    pupil_id: UUID
    school_code: str | None = None
    arrangement_type: str | None = None
    tlv_type: TlvType | None = None
    question: str
    parent_view: ParentView
    received_on: date | None = None


class CheckCompleteness(Command, frozen=True, kw_only=True):
    request_id: UUID
    missing: tuple[str, ...] = ()
    checked_on: date | None = None


class SuspendApplication(Command, frozen=True, kw_only=True):
    """An invitation to complete the application (Awb 4:5) by ``complete_by``."""

    request_id: UUID
    reason: str
    complete_by: date
    suspended_on: date | None = None


class ResumeApplication(Command, frozen=True, kw_only=True):
    request_id: UUID
    resumed_on: date | None = None


class ExtendDecisionTerm(Command, frozen=True, kw_only=True):
    """A notice under Awb 4:14 that the decision takes until ``extended_to``."""

    request_id: UUID
    reason: str
    extended_to: date
    notified_on: date | None = None


class RecordParentView(Command, frozen=True, kw_only=True):
    request_id: UUID
    parent_view: ParentView


class AssignExpert(Command, frozen=True, kw_only=True):
    """Ask the expert who signs in as ``expert_subject`` for the first or second advice."""

    request_id: UUID
    role: ExpertRole
    expert_subject: str


class RecordExpertAdvice(Command, frozen=True, kw_only=True):
    """No ``expert_id``: the advice is the assigned expert's for that role."""

    request_id: UUID
    role: ExpertRole
    qualification: Qualification
    independence_declared: bool
    written_on: date
    advice: str
    expert_id: UUID | None = None
    # the conclusion beside the text; a TLV application's advices need it
    admissible: bool | None = None
    advised_tlv_type: TlvType | None = None
    advised_category: FundingCategory | None = None
    works_at_school: str | None = None


class DecideSupportRequest(Command, frozen=True, kw_only=True):
    """Grant or refuse; granting a TLV names its category (SO/VSO) and period."""

    request_id: UUID
    outcome: DecisionOutcome
    reasons: str
    decided_on: date | None = None
    funding_category: FundingCategory | None = None
    valid_from: date | None = None
    valid_until: date | None = None


class WithdrawSupportRequest(Command, frozen=True, kw_only=True):
    """The school withdraws its request before the committee decided it."""

    request_id: UUID
    reason: str
    withdrawn_on: date | None = None


class NotifyDecision(Command, frozen=True, kw_only=True):
    """The decision was sent (or handed over) on ``notified_on``, by ``channel``."""

    request_id: UUID
    notified_on: date | None = None
    channel: Channel = Channel.POST


# TLVs


class ExtendTlv(Command, frozen=True, kw_only=True):
    tlv_id: UUID
    valid_until: date
    support_request_id: UUID | None = None
    decided_on: date | None = None


class ExtendTlvs(Command, frozen=True, kw_only=True):
    """An administrative extension of many TLVs at once, under one regulation."""

    tlv_ids: tuple[UUID, ...]
    valid_until: date
    regulation: str


class RedeemTlv(Command, frozen=True, kw_only=True):
    """The enrolling school names the TLV by the beschikkingsnummer the parents handed it."""

    beschikkingsnummer: str
    school_code: str | None = None
    enrolled_on: date | None = None


class LapseTlv(Command, frozen=True, kw_only=True):
    tlv_id: UUID


# Objections


class LodgeObjection(Command, frozen=True, kw_only=True):
    support_request_id: UUID
    objector: Objector
    grounds: str
    received_on: date | None = None
    lateness_excuse: str | None = None
    channel: Channel = Channel.POST
    posted_on: date | None = None  # the postmark, for an objection sent by post (Awb 6:9)


class ExplainObjectionLateness(Command, frozen=True, kw_only=True):
    objection_id: UUID
    explanation: str
    received_on: date | None = None


class RuleOnObjectionLateness(Command, frozen=True, kw_only=True):
    """The committee's ruling whether a late objection's lateness is excusable (Awb 6:11)."""

    objection_id: UUID
    excusable: bool
    reasons: str
    decided_on: date | None = None


class PostponeObjectionDecision(Command, frozen=True, kw_only=True):
    objection_id: UUID
    reason: str
    notified_on: date | None = None


class AgreeLongerObjectionTerm(Command, frozen=True, kw_only=True):
    objection_id: UUID
    agreed_until: date
    consented_on: date | None = None


class RequestLbtAdvice(Command, frozen=True, kw_only=True):
    objection_id: UUID
    requested_on: date | None = None


class RecordLbtAdvice(Command, frozen=True, kw_only=True):
    objection_id: UUID
    recommended_outcome: ObjectionOutcome
    advice: str
    received_on: date | None = None


class DecideObjection(Command, frozen=True, kw_only=True):
    objection_id: UUID
    outcome: ObjectionOutcome
    reasons: str
    decided_on: date | None = None
    tlv_consequence: TlvConsequence = TlvConsequence.NONE
    funding_category: FundingCategory | None = None
    valid_from: date | None = None
    valid_until: date | None = None


# Arrangements


class GrantArrangement(Command, frozen=True, kw_only=True):
    """Grant the arrangement a granted request asked for; no end date: the catalogue default."""

    support_request_id: UUID
    provider: str
    amount: Amount
    start_on: date
    end_on: date | None = None
    decided_on: date | None = None


class ExtendArrangement(Command, frozen=True, kw_only=True):
    arrangement_id: UUID
    end_on: date
    reason: str
    amount_added: Amount = 0
    decided_on: date | None = None


class EndArrangementEarly(Command, frozen=True, kw_only=True):
    arrangement_id: UUID
    ended_on: date
    reason: str


class EvaluateArrangement(Command, frozen=True, kw_only=True):
    arrangement_id: UUID
    party: EvaluationParty
    goal_attainment: GoalAttainment
    notes: str
    evaluated_on: date | None = None


# Privacy


class RecordDisclosure(Command, frozen=True, kw_only=True):
    """Disclose one case's data to the pupil's municipality, under a named legal basis."""

    request_id: UUID
    municipality_code: str
    legal_basis: DisclosureBasis
    fields: tuple[DisclosedField, ...]
    disclosed_on: date | None = None


# The platform log: what the platform operator does to a tenant


class OpenTenant(Command, frozen=True, kw_only=True):
    code: str
    name: str


class SuspendTenant(Command, frozen=True, kw_only=True):
    code: str
    reason: str


class ReinstateTenant(Command, frozen=True, kw_only=True):
    code: str
    reason: str


class ExportTenant(Command, frozen=True, kw_only=True):
    """Hand a suspended tenant's whole log back, before it leaves (AVG art. 28(3)(g))."""

    code: str


class EraseTenant(Command, frozen=True, kw_only=True):
    """Delete every row of a tenant whose log as it stands was exported."""

    code: str
    export_sha256: Annotated[
        str,
        msgspec.Meta(
            pattern="^[0-9a-f]{64}$",
            description="The SHA-256 (hex) of the export file, as sha256sum prints it.",
        ),
    ]
    reason: Annotated[str, msgspec.Meta(pattern=r"\S", description="Why, for the platform log.")]


class RotateTenantKeys(Command, frozen=True, kw_only=True):
    """Make a new key-encryption key current for the tenant and re-wrap its data keys under it."""

    code: str
    reason: Annotated[str, msgspec.Meta(pattern=r"\S", description="Why, for the platform log.")]


# Partner subscriptions and parental consent (#13)


class CreateSubscription(Command, frozen=True, kw_only=True):
    partner: str
    legal_basis: LegalBasis
    event_types: tuple[IntegrationEventType, ...]
    transport: Transport
    municipalities: tuple[str, ...] = ()
    schools: tuple[str, ...] = ()
    webhook_url: str | None = None


class ChangeSubscription(Command, frozen=True, kw_only=True):
    """Pause, resume or delete: the action is the handler's, the subscription the command's."""

    subscription_id: UUID


class ReplaySubscription(Command, frozen=True, kw_only=True):
    subscription_id: UUID
    after_position: int = 0


class RotateWebhookSecret(Command, frozen=True, kw_only=True):
    subscription_id: UUID
    overlap_seconds: int = 86_400


class RecordParentalConsent(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    partner: str
    given_on: date | None = None


class WithdrawParentalConsent(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    partner: str
    withdrawn_on: date | None = None


# Thuiszitters, services and provisions (#18)

Hours = Annotated[int, msgspec.Meta(ge=0, le=10_000)]


class SchoolHoliday(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    first_day: date
    last_day: date


class SetSchoolHolidays(Command, frozen=True, kw_only=True):
    """The region's school holidays of the school year starting in ``school_year``."""

    school_year: Annotated[int, msgspec.Meta(ge=2000, le=2100)]
    holidays: tuple[SchoolHoliday, ...]


class SetThuiszitterspactMonths(Command, frozen=True, kw_only=True):
    months: int


class ReportAbsence(Command, frozen=True, kw_only=True):
    """A pupil out of school: enrolled at ``school_code`` (relatief) or nowhere (absoluut)."""

    pupil_id: UUID
    absent_since: date
    reporter: Reporter
    school_code: str | None = None
    completely_absent: bool = False
    reported_on: date | None = None


class ReportAbsenceHours(Command, frozen=True, kw_only=True):
    absence_case_id: UUID
    week: date
    unauthorised_hours: Hours


class RecordAbsenceReportToDuo(Command, frozen=True, kw_only=True):
    absence_case_id: UUID
    reported_on: date | None = None


class RecordAbsencePlan(Command, frozen=True, kw_only=True):
    absence_case_id: UUID
    plan: str
    agreed_on: date
    review_on: date
    offer_made: bool = False


class CloseAbsenceCase(Command, frozen=True, kw_only=True):
    absence_case_id: UUID
    end: AbsenceEnd
    ended_on: date | None = None


class OfferService(Command, frozen=True, kw_only=True):
    code: str
    name: str
    kind: ServiceKind
    for_pupils: bool


class WithdrawService(Command, frozen=True, kw_only=True):
    code: str


class RequestService(Command, frozen=True, kw_only=True):
    """A school asks for a service: for a pupil (``pupil_id``) where the service is about one."""

    service_code: str
    question: str
    school_code: str | None = None
    pupil_id: UUID | None = None
    requested_on: date | None = None


class ShareOfCosts(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    municipality_code: str
    percent: int


class GrantService(Command, frozen=True, kw_only=True):
    service_request_id: UUID
    hours: Hours
    provider: str
    start_on: date
    end_on: date
    municipal_shares: tuple[ShareOfCosts, ...] = ()
    decided_on: date | None = None


class RefuseService(Command, frozen=True, kw_only=True):
    service_request_id: UUID
    reasons: str
    decided_on: date | None = None


class WithdrawServiceRequest(Command, frozen=True, kw_only=True):
    service_request_id: UUID
    withdrawn_on: date | None = None


class RecordServiceDelivery(Command, frozen=True, kw_only=True):
    service_request_id: UUID
    hours: Hours
    delivered_on: date | None = None


class PrepareHandover(Command, frozen=True, kw_only=True):
    """Hand a pupil's decisions to another SWV, as far as the parents consented (``…_ids``)."""

    pupil_id: UUID
    receiving_swv: str
    consent_given_on: date
    consent_channel: ConsentChannel
    support_question: str
    tlv_ids: tuple[UUID, ...] = ()
    arrangement_ids: tuple[UUID, ...] = ()


class ExportHandover(Command, frozen=True, kw_only=True):
    """Hand over as a signed package: the receiving SWV is not on the platform."""

    handover_id: UUID


class AcceptHandover(Command, frozen=True, kw_only=True):
    incoming_handover_id: UUID
    accepted_on: date | None = None


class DeclineHandover(Command, frozen=True, kw_only=True):
    incoming_handover_id: UUID
    reason: str
    declined_on: date | None = None


class RecordOutflow(Command, frozen=True, kw_only=True):
    """Where a pupil went after VO/VSO: work, day care or further education."""

    pupil_id: UUID
    destination: OutflowDestination
    left_on: date


class OsoRequestKind(StrEnum):
    """What an OSO "aanvraag SWV-dossier" asks for (docs/oso-import.md)."""

    TLV_SBO = "TLV_SBO"
    TLV_SO = "TLV_SO"
    TLV_VSO = "TLV_VSO"
    ARRANGEMENT = "ARRANGEMENT"


class OsoPupil(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The pupil as the dossier names them; OSO carries no BSN or onderwijsnummer here."""

    name: str
    date_of_birth: date
    municipality_code: str
    lives_outside_region: bool = False


class ImportOsoSwvDossier(Command, frozen=True, kw_only=True):
    """A school's OSO "aanvraag SWV-dossier", mapped as docs/oso-import.md documents."""

    school_code: str
    pupil: OsoPupil
    request_kind: OsoRequestKind
    question: str
    parent_view: ParentView
    arrangement_type: str | None = None
    received_on: date | None = None
