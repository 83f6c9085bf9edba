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
    """The SWV's name, as letters show it."""
    committee_name: str
    """The name of the committee that decides on TLVs (CvT)."""
    policy_version: str
    """The version of the ondersteuningsplan, quoted by every later decision."""
    policy_effective_from: date
    """The day the first policy takes effect."""
    lapse_unredeemed_tlvs: bool = True
    """Whether a TLV that no school redeemed lapses after the redemption term."""
    tlv_redemption_months: int = 12
    """How many months a TLV may go unredeemed before it lapses."""
    lbt_affiliated: bool = True
    """Whether the SWV is affiliated with the Landelijke Bezwaarcommissie (LBT), which advises on
    objections."""
    pause_count: PauseCount = PauseCount.COMPLETION_DAY_RUNS
    """How a suspension's completion day counts in the decision term (domain.md §1.12)."""


class AddMunicipality(Command, frozen=True, kw_only=True):
    code: str
    """The CBS municipality code (GM + 4 digits), e.g. GM0632."""
    name: str
    """The municipality's name."""


class AddSchool(Command, frozen=True, kw_only=True):
    brin: str
    """The school's BRIN number (4 characters)."""
    vestiging: str
    """The vestiging (2 digits); with the BRIN the school code."""
    name: str
    """The school's name."""
    board: str
    """The school board (bevoegd gezag)."""
    school_type: SchoolType
    """REGULAR, SBO, SO or VSO."""
    municipality_code: str
    """The municipality the school is in (one the SWV has configured)."""


class AddArrangementType(Command, frozen=True, kw_only=True):
    code: str
    """A short code for the catalogue entry, e.g. plusklas."""
    name: str
    """The arrangement's name, as schools know it."""
    unit: AmountUnit
    """What an amount of it counts: HOURS or EUROS."""
    default_duration_months: int
    """How long it runs when a grant names no end date."""


class WithdrawArrangementType(Command, frozen=True, kw_only=True):
    code: str
    """The catalogue entry to withdraw; running arrangements stay."""


class RenameCommittee(Command, frozen=True, kw_only=True):
    committee_name: str
    """The committee's new name."""


class AdoptPolicy(Command, frozen=True, kw_only=True):
    policy_version: str
    """The version of the ondersteuningsplan, quoted by every later decision."""
    effective_from: date
    """The day the policy takes effect; decisions from then on quote it."""
    lapse_unredeemed_tlvs: bool = True
    """Whether a TLV that no school redeemed lapses after the redemption term."""
    tlv_redemption_months: int = 12
    """How many months a TLV may go unredeemed before it lapses."""
    lbt_affiliated: bool = True
    """Whether the SWV is affiliated with the Landelijke Bezwaarcommissie (LBT), which advises on
    objections."""
    pause_count: PauseCount = PauseCount.COMPLETION_DAY_RUNS
    """How a suspension's completion day counts in the decision term (domain.md §1.12)."""


# Pupils


class RegisterPupil(Command, frozen=True, kw_only=True):
    """With a ``school_code``, the pupil is registered as enrolled at that school."""

    name: str
    """The pupil's full name (personal data, encrypted at rest)."""
    date_of_birth: date
    """The pupil's date of birth."""
    municipality_code: str
    """The municipality the pupil lives in (CBS code, GM + 4 digits)."""
    school_code: str | None = None
    """The school the pupil is enrolled at, if any (a school caller: its own)."""
    enrolled_on: date | None = None
    """The first school day at that school; today if left out."""
    lives_outside_region: bool = False
    """True for a pupil living outside the SWV's region: the municipality is then not one of the
    SWV's."""


class CorrectPupilDetails(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    """The pupil, by the id the registration answered."""
    name: str
    """The corrected full name."""
    date_of_birth: date
    """The corrected date of birth."""


class ChangePupilResidence(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    """The pupil, by the id the registration answered."""
    municipality_code: str
    """The municipality the pupil now lives in (CBS code)."""
    moved_on: date | None = None
    """The day of the move; today if left out."""
    lives_outside_region: bool = False
    """True for a pupil living outside the SWV's region: the municipality is then not one of the
    SWV's."""


class RecordSchoolRegistration(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    """The pupil, by the id the registration answered."""
    school_code: str
    """The school the parents registered the pupil at (aanmelding); its zorgplicht starts."""
    registered_on: date | None = None
    """The day of the registration; today if left out."""


class ExtendZorgplichtTerm(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    """The pupil, by the id the registration answered."""


class EnrolPupil(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    """The pupil, by the id the registration answered."""
    school_code: str
    """The school the pupil is enrolled at."""
    enrolled_on: date | None = None
    """The first school day there; today if left out."""


class AddGuardian(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    """The pupil, by the id the registration answered."""
    guardian_id: UUID
    """The guardian, by an id the caller chooses once and keeps using."""
    has_authority: bool
    """Whether the guardian holds parental authority (gezag)."""


class ChangeGuardianAuthority(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    """The pupil, by the id the registration answered."""
    guardian_id: UUID
    """The guardian, by an id the caller chooses once and keeps using."""
    has_authority: bool
    """Whether the guardian now holds parental authority (gezag)."""


class RemoveGuardian(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    """The pupil, by the id the registration answered."""
    guardian_id: UUID
    """The guardian, by an id the caller chooses once and keeps using."""


class RecordPupilLeaving(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    """The pupil, by the id the registration answered."""
    reason: LeavingReason
    """Why the pupil leaves the SWV's schools."""
    left_on: date | None = None
    """The last day; today if left out."""


class ShredPupilData(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    """The pupil, by the id the registration answered."""


# Support requests and TLV applications


class SubmitSupportRequest(Command, frozen=True, kw_only=True):
    """Either ``arrangement_type`` (a catalogue code) or ``tlv_type`` names what is asked.

    No ``school_code``: a school caller's own school.
    """

    pupil_id: UUID
    """The pupil, by the id the registration answered."""
    school_code: str | None = None
    """The school that submits; a school caller leaves it out (its own school)."""
    arrangement_type: str | None = None
    """For a loket request: the catalogue code of the arrangement asked for."""
    tlv_type: TlvType | None = None
    """For a TLV application: SBO, SO or VSO."""
    question: str
    """What the school asks, in its own words."""
    parent_view: ParentView
    """What the parents think of the request."""
    received_on: date | None = None
    """The business date it was received; today if left out, never after today."""


class CheckCompleteness(Command, frozen=True, kw_only=True):
    request_id: UUID
    """The support request, by the id its submission answered."""
    missing: tuple[str, ...] = ()
    """What the application still lacks; empty when it is complete (the decision term starts)."""
    checked_on: date | None = None
    """The business date of the check; today if left out, never after today."""


class SuspendApplication(Command, frozen=True, kw_only=True):
    """An invitation to complete the application (Awb 4:5) by ``complete_by``."""

    request_id: UUID
    """The support request, by the id its submission answered."""
    reason: str
    """Why, in a sentence the people concerned can read."""
    complete_by: date
    """The day by which the applicant should complete it (Awb 4:5)."""
    suspended_on: date | None = None
    """The business date of the invitation; today if left out, never after today."""


class ResumeApplication(Command, frozen=True, kw_only=True):
    request_id: UUID
    """The support request, by the id its submission answered."""
    resumed_on: date | None = None
    """The business date it was completed; today if left out, never after today."""


class ExtendDecisionTerm(Command, frozen=True, kw_only=True):
    """A notice under Awb 4:14 that the decision takes until ``extended_to``."""

    request_id: UUID
    """The support request, by the id its submission answered."""
    reason: str
    """Why, in a sentence the people concerned can read."""
    extended_to: date
    """The day by which the decision will be taken (Awb 4:14)."""
    notified_on: date | None = None
    """The business date it was sent or handed over; today if left out, never after today."""


class RecordParentView(Command, frozen=True, kw_only=True):
    request_id: UUID
    """The support request, by the id its submission answered."""
    parent_view: ParentView
    """What the parents think of the request."""


class AssignExpert(Command, frozen=True, kw_only=True):
    """Ask the expert who signs in as ``expert_subject`` for the first or second advice."""

    request_id: UUID
    """The support request, by the id its submission answered."""
    role: ExpertRole
    """Which of the two advices: FIRST or SECOND."""
    expert_subject: str
    """The expert, by the subject (sub) of the token they sign in with."""


class RecordExpertAdvice(Command, frozen=True, kw_only=True):
    """No ``expert_id``: the advice is the assigned expert's for that role."""

    request_id: UUID
    """The support request, by the id its submission answered."""
    role: ExpertRole
    """Which of the two advices: FIRST or SECOND."""
    qualification: Qualification
    """The expert's qualification, e.g. ORTHOPEDAGOOG."""
    independence_declared: bool
    """Whether the expert declared to be independent of the applying school."""
    written_on: date
    """The business date the advice was written; never after today."""
    advice: str
    """The advice as written."""
    expert_id: UUID | None = None
    """Only when the loket records an advice for an expert; an expert leaves it out."""
    # the conclusion beside the text; a TLV application's advices need it
    admissible: bool | None = None
    """The conclusion: whether the pupil is admissible (a TLV application's advices need it)."""
    advised_tlv_type: TlvType | None = None
    """The TLV type the expert advises (SBO, SO, VSO)."""
    advised_category: FundingCategory | None = None
    """The funding category the expert advises."""
    works_at_school: str | None = None
    """The school the expert works at, if any (it may not be the applying one)."""


class DecideSupportRequest(Command, frozen=True, kw_only=True):
    """Grant or refuse; granting a TLV names its category (SO/VSO) and period."""

    request_id: UUID
    """The support request, by the id its submission answered."""
    outcome: DecisionOutcome
    """GRANTED or REFUSED; a granted TLV application issues the TLV."""
    reasons: str
    """The reasons (motivering), as they will stand in the decision letter."""
    decided_on: date | None = None
    """The business date of the decision; today if left out, never after today."""
    funding_category: FundingCategory | None = None
    """The TLV's funding category (bekostigingscategorie): LOW, MEDIUM or HIGH; for SO/VSO only."""
    valid_from: date | None = None
    """For a TLV: the first day it is valid."""
    valid_until: date | None = None
    """For a TLV: the last day it is valid."""


class WithdrawSupportRequest(Command, frozen=True, kw_only=True):
    """The school withdraws its request before the committee decided it."""

    request_id: UUID
    """The support request, by the id its submission answered."""
    reason: str
    """Why the school no longer asks."""
    withdrawn_on: date | None = None
    """The business date of the withdrawal; today if left out, never after today."""


class NotifyDecision(Command, frozen=True, kw_only=True):
    """The decision was sent (or handed over) on ``notified_on``, by ``channel``."""

    request_id: UUID
    """The support request, by the id its submission answered."""
    notified_on: date | None = None
    """The business date the decision was sent or handed over; the objection term starts the day
    after."""
    channel: Channel = Channel.POST
    """How it was sent or delivered: POST, EMAIL, PORTAL or HAND."""


# TLVs


class ExtendTlv(Command, frozen=True, kw_only=True):
    tlv_id: UUID
    """The TLV, by the id the decision that issued it answered."""
    valid_until: date
    """The new last day the TLV is valid."""
    support_request_id: UUID | None = None
    """The re-assessment's support request, if it had one."""
    decided_on: date | None = None
    """The business date of the decision; today if left out, never after today."""


class ExtendTlvs(Command, frozen=True, kw_only=True):
    """An administrative extension of many TLVs at once, under one regulation."""

    tlv_ids: tuple[UUID, ...]
    """The TLVs to extend; each is extended or not on its own."""
    valid_until: date
    """The new last day each TLV is valid."""
    regulation: str
    """The regulation under which they are extended, as the letters quote it."""


class RedeemTlv(Command, frozen=True, kw_only=True):
    """The enrolling school names the TLV by the beschikkingsnummer the parents handed it."""

    beschikkingsnummer: str
    """The TLV's beschikkingsnummer, as the parents handed it to the school."""
    school_code: str | None = None
    """The enrolling school; a school caller leaves it out (its own)."""
    enrolled_on: date | None = None
    """The first school day there; today if left out."""


class LapseTlv(Command, frozen=True, kw_only=True):
    tlv_id: UUID
    """The TLV, by the id the decision that issued it answered."""


# Objections


class LodgeObjection(Command, frozen=True, kw_only=True):
    support_request_id: UUID
    """The decided support request this is about."""
    objector: Objector
    """Who objects: the PARENTS or the SCHOOL_BOARD."""
    grounds: str
    """The grounds of the objection, as the objector gives them."""
    received_on: date | None = None
    """The business date it was received; today if left out, never after today."""
    lateness_excuse: str | None = None
    """For a late objection: why it came late, if the objector says so."""
    channel: Channel = Channel.POST
    """How it was sent or delivered: POST, EMAIL, PORTAL or HAND."""
    posted_on: date | None = None  # the postmark, for an objection sent by post (Awb 6:9)
    """For an objection sent by post: the postmark's date (Awb 6:9)."""


class ExplainObjectionLateness(Command, frozen=True, kw_only=True):
    objection_id: UUID
    """The objection, by the id its lodging answered."""
    explanation: str
    """Why the objection came late, as the objector explains it."""
    received_on: date | None = None
    """The business date it was received; today if left out, never after today."""


class RuleOnObjectionLateness(Command, frozen=True, kw_only=True):
    """The committee's ruling whether a late objection's lateness is excusable (Awb 6:11)."""

    objection_id: UUID
    """The objection, by the id its lodging answered."""
    excusable: bool
    """Whether the lateness is excusable (Awb 6:11); if not, the objection is inadmissible."""
    reasons: str
    """The reasons (motivering), as they will stand in the decision letter."""
    decided_on: date | None = None
    """The business date of the decision; today if left out, never after today."""


class PostponeObjectionDecision(Command, frozen=True, kw_only=True):
    objection_id: UUID
    """The objection, by the id its lodging answered."""
    reason: str
    """Why, in a sentence the people concerned can read."""
    notified_on: date | None = None
    """The business date it was sent or handed over; today if left out, never after today."""


class AgreeLongerObjectionTerm(Command, frozen=True, kw_only=True):
    objection_id: UUID
    """The objection, by the id its lodging answered."""
    agreed_until: date
    """The day until which the objector agreed to wait (Awb 7:10 lid 4)."""
    consented_on: date | None = None
    """The business date of the consent; today if left out, never after today."""


class RequestLbtAdvice(Command, frozen=True, kw_only=True):
    objection_id: UUID
    """The objection, by the id its lodging answered."""
    requested_on: date | None = None
    """The business date the LBT was asked; today if left out, never after today."""


class RecordLbtAdvice(Command, frozen=True, kw_only=True):
    objection_id: UUID
    """The objection, by the id its lodging answered."""
    recommended_outcome: ObjectionOutcome
    """The outcome the LBT recommends."""
    advice: str
    """The advice as written."""
    received_on: date | None = None
    """The business date it was received; today if left out, never after today."""


class DecideObjection(Command, frozen=True, kw_only=True):
    objection_id: UUID
    """The objection, by the id its lodging answered."""
    outcome: ObjectionOutcome
    """The decision on the objection."""
    reasons: str
    """The reasons (motivering), as they will stand in the decision letter."""
    decided_on: date | None = None
    """The business date of the decision; today if left out, never after today."""
    tlv_consequence: TlvConsequence = TlvConsequence.NONE
    """What it does to the TLV: NONE, GRANTED, REVISED or REVOKED."""
    funding_category: FundingCategory | None = None
    """The TLV's funding category (bekostigingscategorie): LOW, MEDIUM or HIGH; for SO/VSO only."""
    valid_from: date | None = None
    """For a granted or revised TLV: its first valid day."""
    valid_until: date | None = None
    """For a granted or revised TLV: its last valid day."""


# Arrangements


class GrantArrangement(Command, frozen=True, kw_only=True):
    """Grant the arrangement a granted request asked for; no end date: the catalogue default."""

    support_request_id: UUID
    """The decided support request this is about."""
    provider: str
    """Who provides the arrangement (a school, service or organisation)."""
    amount: Amount
    """How much: hours or euros, as the catalogue entry counts it."""
    start_on: date
    """The first day of the arrangement."""
    end_on: date | None = None
    """The last day; the catalogue entry's default duration if left out."""
    decided_on: date | None = None
    """The business date of the decision; today if left out, never after today."""


class ExtendArrangement(Command, frozen=True, kw_only=True):
    arrangement_id: UUID
    """The arrangement, by the id its grant answered."""
    end_on: date
    """The new last day."""
    reason: str
    """Why, in a sentence the people concerned can read."""
    amount_added: Amount = 0
    """Hours or euros added to the amount granted."""
    decided_on: date | None = None
    """The business date of the decision; today if left out, never after today."""


class EndArrangementEarly(Command, frozen=True, kw_only=True):
    arrangement_id: UUID
    """The arrangement, by the id its grant answered."""
    ended_on: date
    """The last day it ran."""
    reason: str
    """Why, in a sentence the people concerned can read."""


class EvaluateArrangement(Command, frozen=True, kw_only=True):
    arrangement_id: UUID
    """The arrangement, by the id its grant answered."""
    party: EvaluationParty
    """Who evaluates: the SCHOOL or the PARENTS."""
    goal_attainment: GoalAttainment
    """How far its goals were reached."""
    notes: str
    """The evaluation in words."""
    evaluated_on: date | None = None
    """The business date of the evaluation; today if left out, never after today."""


# Privacy


class RecordDisclosure(Command, frozen=True, kw_only=True):
    """Disclose one case's data to the pupil's municipality, under a named legal basis."""

    request_id: UUID
    """The support request, by the id its submission answered."""
    municipality_code: str
    """The pupil's municipality the case is disclosed to."""
    legal_basis: DisclosureBasis
    """The legal basis of the disclosure."""
    fields: tuple[DisclosedField, ...]
    """Exactly the fields disclosed; the municipality sees these and nothing else."""
    disclosed_on: date | None = None
    """The day of the disclosure; today if left out."""


# The platform log: what the platform operator does to a tenant


class OpenTenant(Command, frozen=True, kw_only=True):
    code: str
    """The SWV code, e.g. PO2604 (PO or VO and four digits)."""
    name: str
    """The SWV's name."""


class SuspendTenant(Command, frozen=True, kw_only=True):
    code: str
    """The SWV code of the tenant."""
    reason: str
    """Why, in a sentence the people concerned can read."""


class ReinstateTenant(Command, frozen=True, kw_only=True):
    code: str
    """The SWV code of the tenant."""
    reason: str
    """Why, in a sentence the people concerned can read."""


class ExportTenant(Command, frozen=True, kw_only=True):
    """Hand a suspended tenant's whole log back, before it leaves (AVG art. 28(3)(g))."""

    code: str
    """The SWV code of the tenant."""


class EraseTenant(Command, frozen=True, kw_only=True):
    """Delete every row of a tenant whose log as it stands was exported."""

    code: str
    """The SWV code of the tenant."""
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
    """The SWV code of the tenant."""
    reason: Annotated[str, msgspec.Meta(pattern=r"\S", description="Why, for the platform log.")]
    """Why, in a sentence the people concerned can read."""


# Partner subscriptions and parental consent (#13)


class CreateSubscription(Command, frozen=True, kw_only=True):
    partner: str
    """The partner: the subject (sub) of its token, which has the partner role in this tenant."""
    legal_basis: LegalBasis
    """The legal basis the partner receives events on; it bounds the event types."""
    event_types: tuple[IntegrationEventType, ...]
    """The integration event types to deliver, e.g. nl.passend.pupil.enrolled.v1."""
    transport: Transport
    """WEBHOOK (pushed) or PULL (the partner reads its feed)."""
    municipalities: tuple[str, ...] = ()
    """Only events about pupils of these municipalities (CBS codes); empty: all."""
    schools: tuple[str, ...] = ()
    """Only events about pupils of these schools (school codes); empty: all."""
    webhook_url: str | None = None
    """For WEBHOOK: the https URL to post batches to; it must resolve to public addresses."""


class ChangeSubscription(Command, frozen=True, kw_only=True):
    """Pause, resume or delete: the action is the handler's, the subscription the command's."""

    subscription_id: UUID
    """The subscription, by the id its creation answered."""


class ReplaySubscription(Command, frozen=True, kw_only=True):
    subscription_id: UUID
    """The subscription, by the id its creation answered."""
    after_position: int = 0
    """Deliver again everything after this tenant position (0: the whole log)."""


class RotateWebhookSecret(Command, frozen=True, kw_only=True):
    subscription_id: UUID
    """The subscription, by the id its creation answered."""
    overlap_seconds: int = 86_400
    """How long the previous secret also signs, in seconds."""


class RecordParentalConsent(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    """The pupil, by the id the registration answered."""
    partner: str
    """The partner: the subject (sub) of its token, which has the partner role in this tenant."""
    given_on: date | None = None
    """The day the parents gave consent; today if left out."""


class WithdrawParentalConsent(Command, frozen=True, kw_only=True):
    pupil_id: UUID
    """The pupil, by the id the registration answered."""
    partner: str
    """The partner: the subject (sub) of its token, which has the partner role in this tenant."""
    withdrawn_on: date | None = None
    """The day the parents withdrew consent; today if left out."""


# Thuiszitters, services and provisions (#18)

Hours = Annotated[int, msgspec.Meta(ge=0, le=10_000)]


class SchoolHoliday(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    first_day: date
    last_day: date


class SetSchoolHolidays(Command, frozen=True, kw_only=True):
    """The region's school holidays of the school year starting in ``school_year``."""

    school_year: Annotated[int, msgspec.Meta(ge=2000, le=2100)]
    """The calendar year the school year starts in, e.g. 2025 for 2025-2026."""
    holidays: tuple[SchoolHoliday, ...]
    """The region's school holidays of that school year, each a first and a last day."""


class SetThuiszitterspactMonths(Command, frozen=True, kw_only=True):
    months: int
    """After how many months out of school a pupil counts as a thuiszitter under the
    Thuiszitterspact."""


class ReportAbsence(Command, frozen=True, kw_only=True):
    """A pupil out of school: enrolled at ``school_code`` (relatief) or nowhere (absoluut)."""

    pupil_id: UUID
    """The pupil, by the id the registration answered."""
    absent_since: date
    """The first day the pupil was out of school."""
    reporter: Reporter
    """Who reports the absence."""
    school_code: str | None = None
    """The school the pupil is enrolled at (relatief verzuim); left out if enrolled nowhere."""
    completely_absent: bool = False
    """Whether the pupil attends no lessons at all."""
    reported_on: date | None = None
    """The business date of the report; today if left out, never after today."""


class ReportAbsenceHours(Command, frozen=True, kw_only=True):
    absence_case_id: UUID
    """The absence case, by the id its report answered."""
    week: date
    """The week the hours were missed in (a day of it)."""
    unauthorised_hours: Hours
    """The hours of unauthorised absence in that week."""


class RecordAbsenceReportToDuo(Command, frozen=True, kw_only=True):
    absence_case_id: UUID
    """The absence case, by the id its report answered."""
    reported_on: date | None = None
    """The business date it was reported to DUO; today if left out, never after today."""


class RecordAbsencePlan(Command, frozen=True, kw_only=True):
    absence_case_id: UUID
    """The absence case, by the id its report answered."""
    plan: str
    """The plan agreed to get the pupil back to school, in words."""
    agreed_on: date
    """The day the plan was agreed."""
    review_on: date
    """The day the plan is reviewed."""
    offer_made: bool = False
    """Whether the pupil was offered a place or a service with it."""


class CloseAbsenceCase(Command, frozen=True, kw_only=True):
    absence_case_id: UUID
    """The absence case, by the id its report answered."""
    end: AbsenceEnd
    """How the absence ended."""
    ended_on: date | None = None
    """The business date it ended; today if left out, never after today."""


class OfferService(Command, frozen=True, kw_only=True):
    code: str
    """A short code for the service in the SWV's catalogue."""
    name: str
    """The service's name, as schools know it."""
    kind: ServiceKind
    """What kind of service it is."""
    for_pupils: bool
    """Whether a request for it names a pupil."""


class WithdrawService(Command, frozen=True, kw_only=True):
    code: str
    """The service to withdraw from the catalogue."""


class RequestService(Command, frozen=True, kw_only=True):
    """A school asks for a service: for a pupil (``pupil_id``) where the service is about one."""

    service_code: str
    """The service asked for, by its catalogue code."""
    question: str
    """What the school asks, in its own words."""
    school_code: str | None = None
    """The school that asks; a school caller leaves it out (its own)."""
    pupil_id: UUID | None = None
    """The pupil the service is for, where the service is about one."""
    requested_on: date | None = None
    """The business date of the request; today if left out, never after today."""


class ShareOfCosts(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    municipality_code: str
    percent: int


class GrantService(Command, frozen=True, kw_only=True):
    service_request_id: UUID
    """The service request, by the id its submission answered."""
    hours: Hours
    """The hours granted."""
    provider: str
    """Who provides the service."""
    start_on: date
    """The first day of the service."""
    end_on: date
    """The last day of the service."""
    municipal_shares: tuple[ShareOfCosts, ...] = ()
    """What share of the costs each municipality bears, in percent."""
    decided_on: date | None = None
    """The business date of the decision; today if left out, never after today."""


class RefuseService(Command, frozen=True, kw_only=True):
    service_request_id: UUID
    """The service request, by the id its submission answered."""
    reasons: str
    """The reasons (motivering), as they will stand in the decision letter."""
    decided_on: date | None = None
    """The business date of the decision; today if left out, never after today."""


class WithdrawServiceRequest(Command, frozen=True, kw_only=True):
    service_request_id: UUID
    """The service request, by the id its submission answered."""
    withdrawn_on: date | None = None
    """The business date of the withdrawal; today if left out, never after today."""


class RecordServiceDelivery(Command, frozen=True, kw_only=True):
    service_request_id: UUID
    """The service request, by the id its submission answered."""
    hours: Hours
    """The hours delivered."""
    delivered_on: date | None = None
    """The business date it was delivered; today if left out, never after today."""


class PrepareHandover(Command, frozen=True, kw_only=True):
    """Hand a pupil's decisions to another SWV, as far as the parents consented (``…_ids``)."""

    pupil_id: UUID
    """The pupil, by the id the registration answered."""
    receiving_swv: str
    """The SWV code of the SWV the pupil moves to."""
    consent_given_on: date
    """The day the parents consented to the handover."""
    consent_channel: ConsentChannel
    """How the parents gave their consent."""
    support_question: str
    """The pupil's support question, as the receiving SWV should read it."""
    tlv_ids: tuple[UUID, ...] = ()
    """The TLVs the parents consented to hand over."""
    arrangement_ids: tuple[UUID, ...] = ()
    """The arrangements the parents consented to hand over."""


class ExportHandover(Command, frozen=True, kw_only=True):
    """Hand over as a signed package: the receiving SWV is not on the platform."""

    handover_id: UUID
    """The handover, by the id its preparation answered."""


class AcceptHandover(Command, frozen=True, kw_only=True):
    incoming_handover_id: UUID
    """The incoming handover, by its id."""
    accepted_on: date | None = None
    """The business date of the acceptance; today if left out."""


class DeclineHandover(Command, frozen=True, kw_only=True):
    incoming_handover_id: UUID
    """The incoming handover, by its id."""
    reason: str
    """Why, in a sentence the people concerned can read."""
    declined_on: date | None = None
    """The business date it was declined; today if left out."""


class RecordOutflow(Command, frozen=True, kw_only=True):
    """Where a pupil went after VO/VSO: work, day care or further education."""

    pupil_id: UUID
    """The pupil, by the id the registration answered."""
    destination: OutflowDestination
    """Where the pupil went: work, day care or further education."""
    left_on: date
    """The day the pupil left school."""


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
    """The school that sent the OSO dossier."""
    pupil: OsoPupil
    """The pupil as the dossier names them."""
    request_kind: OsoRequestKind
    """What the dossier asks for: a TLV (SBO, SO, VSO) or an arrangement."""
    question: str
    """What the school asks, in its own words."""
    parent_view: ParentView
    """What the parents think of the request."""
    arrangement_type: str | None = None
    """For an arrangement: the catalogue code asked for."""
    received_on: date | None = None
    """The business date it was received; today if left out, never after today."""
