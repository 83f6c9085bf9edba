"""Handlers for pupils: registration, school career, guardians, consent, leaving, shredding."""

from collections.abc import Callable
from uuid import UUID

from application.access import (
    PROCESSES_CASES,
    SCHOOL_OF_THE_CASE,
    AccessRule,
    school_for_new_record,
)
from application.acts import Act
from application.aggregate_ids import PUPIL_IDS, new_aggregate_id
from application.commands import (
    AddGuardian,
    ChangeGuardianAuthority,
    ChangePupilResidence,
    CommandContext,
    CommandOutcome,
    CorrectPupilDetails,
    EnrolPupil,
    ExtendZorgplichtTerm,
    RecordParentalConsent,
    RecordPupilLeaving,
    RecordSchoolRegistration,
    RegisterPupil,
    RemoveGuardian,
    ShredPupilData,
    WithdrawParentalConsent,
)
from application.handling import change, changes, changes_configured, create, load_swv
from application.ports import Clock, EventStore
from application.references import check_residence, configured_school
from application.retention import subjects_to_shred_with_pupil
from domain.pupil import Pupil
from domain.swv import Swv


async def change_pupil(  # noqa: PLR0913 - the pupil, the command's action and its access rule
    store: EventStore,
    clock: Clock,
    ctx: CommandContext,
    pupil_id: UUID,
    action: Callable[[Pupil, Act], None],
    *,
    rule: AccessRule = SCHOOL_OF_THE_CASE,
) -> CommandOutcome:
    """Run ``action`` on the pupil as the command's act, if ``rule`` lets the caller."""
    act = Act.of(ctx, clock)
    return await change(store, ctx, Pupil, pupil_id, lambda pupil: action(pupil, act), rule=rule)


async def register_pupil(
    cmd: RegisterPupil, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Register a pupil under a new tenant-local pseudonymous id, and where they are enrolled."""
    act = Act.of(ctx, clock)
    SCHOOL_OF_THE_CASE.check_role(ctx.caller)
    school_code = school_for_new_record(ctx.caller, cmd.school_code)
    pupil_id = new_aggregate_id(PUPIL_IDS, ctx)
    swv = await load_swv(store, ctx.tenant_id)
    check_residence(swv, cmd.municipality_code, lives_outside_region=cmd.lives_outside_region)
    school = configured_school(swv, school_code) if school_code else None

    def register() -> Pupil:
        pupil = Pupil.register(
            pupil_id=pupil_id,
            name=cmd.name,
            date_of_birth=cmd.date_of_birth,
            municipality_code=cmd.municipality_code,
            **act.stamp,
        )
        if school is not None:
            pupil.enrol(school=school, enrolled_on=act.dated(cmd.enrolled_on), **act.stamp)
        return pupil

    return await create(store, ctx, pupil_id, register)


@changes(Pupil, "pupil_id", rule=SCHOOL_OF_THE_CASE)
def correct_pupil_details(cmd: CorrectPupilDetails, pupil: Pupil, act: Act) -> None:
    pupil.correct_details(name=cmd.name, date_of_birth=cmd.date_of_birth, **act.stamp)


async def change_pupil_residence(
    cmd: ChangePupilResidence, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    swv = await load_swv(store, ctx.tenant_id)
    check_residence(swv, cmd.municipality_code, lives_outside_region=cmd.lives_outside_region)
    return await change_pupil(
        store,
        clock,
        ctx,
        cmd.pupil_id,
        lambda pupil, act: pupil.change_residence(
            municipality_code=cmd.municipality_code,
            moved_on=act.dated(cmd.moved_on),
            **act.stamp,
        ),
    )


@changes_configured(Pupil, "pupil_id", rule=SCHOOL_OF_THE_CASE)
def record_school_registration(
    cmd: RecordSchoolRegistration, pupil: Pupil, act: Act, swv: Swv
) -> None:
    """Parents registered the pupil at a school in writing; its zorgplicht term starts."""
    pupil.register_at_school(
        school=configured_school(swv, cmd.school_code),
        registered_on=act.dated(cmd.registered_on),
        **act.stamp,
    )


@changes(Pupil, "pupil_id", rule=SCHOOL_OF_THE_CASE)
def extend_zorgplicht_term(_cmd: ExtendZorgplichtTerm, pupil: Pupil, act: Act) -> None:
    pupil.extend_zorgplicht_term(**act.stamp)


@changes_configured(Pupil, "pupil_id", rule=SCHOOL_OF_THE_CASE)
def enrol_pupil(cmd: EnrolPupil, pupil: Pupil, act: Act, swv: Swv) -> None:
    """Enrol the pupil at a school of the SWV; at another school than now, that is a move."""
    pupil.enrol(
        school=configured_school(swv, cmd.school_code),
        enrolled_on=act.dated(cmd.enrolled_on),
        **act.stamp,
    )


@changes(Pupil, "pupil_id", rule=SCHOOL_OF_THE_CASE)
def add_guardian(cmd: AddGuardian, pupil: Pupil, act: Act) -> None:
    pupil.add_guardian(guardian_id=cmd.guardian_id, has_authority=cmd.has_authority, **act.stamp)


@changes(Pupil, "pupil_id", rule=SCHOOL_OF_THE_CASE)
def change_guardian_authority(cmd: ChangeGuardianAuthority, pupil: Pupil, act: Act) -> None:
    pupil.change_guardian_authority(
        guardian_id=cmd.guardian_id, has_authority=cmd.has_authority, **act.stamp
    )


@changes(Pupil, "pupil_id", rule=SCHOOL_OF_THE_CASE)
def remove_guardian(cmd: RemoveGuardian, pupil: Pupil, act: Act) -> None:
    pupil.remove_guardian(guardian_id=cmd.guardian_id, **act.stamp)


@changes(Pupil, "pupil_id", rule=SCHOOL_OF_THE_CASE)
def record_pupil_leaving(cmd: RecordPupilLeaving, pupil: Pupil, act: Act) -> None:
    pupil.leave(reason=cmd.reason, left_on=act.dated(cmd.left_on), **act.stamp)


@changes(Pupil, "pupil_id", rule=SCHOOL_OF_THE_CASE)
def record_parental_consent(cmd: RecordParentalConsent, pupil: Pupil, act: Act) -> None:
    """The parents consent to the pupil's events going to a partner (a consent subscription)."""
    pupil.record_parental_consent(
        partner=cmd.partner, given_on=act.dated(cmd.given_on), **act.stamp
    )


@changes(Pupil, "pupil_id", rule=SCHOOL_OF_THE_CASE)
def withdraw_parental_consent(cmd: WithdrawParentalConsent, pupil: Pupil, act: Act) -> None:
    pupil.withdraw_parental_consent(
        partner=cmd.partner,
        withdrawn_on=act.dated(cmd.withdrawn_on),
        **act.stamp,
    )


async def shred_pupil_data(
    cmd: ShredPupilData, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Record the shredding, then destroy the pupil's data keys (again, on a retry).

    Its own details and its dossiers go; the reasons of its decisions stay on legal hold,
    for retention to shred once their term has passed.
    """
    outcome = await change_pupil(
        store,
        clock,
        ctx,
        cmd.pupil_id,
        lambda pupil, act: pupil.shred_personal_data(**act.stamp),
        rule=PROCESSES_CASES,
    )
    for subject in await subjects_to_shred_with_pupil(store, ctx.tenant_id, cmd.pupil_id):
        await store.shred_subject(ctx.tenant_id, subject)
    return outcome
