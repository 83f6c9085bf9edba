"""Handlers for pupils: registration, school career, guardians, leaving and shredding."""

from application.access import PROCESSES_CASES, SCHOOL_OF_THE_CASE, school_for_new_record
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
    RecordPupilLeaving,
    RecordSchoolRegistration,
    RegisterPupil,
    RemoveGuardian,
    ShredPupilData,
)
from application.handling import change, create, load_swv
from application.ports import Clock, EventStore
from application.references import check_residence, configured_school
from application.retention import subjects_to_shred_with_pupil
from domain.pupil import Pupil


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


async def correct_pupil_details(
    cmd: CorrectPupilDetails, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.correct_details(
            name=cmd.name, date_of_birth=cmd.date_of_birth, **act.stamp
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def change_pupil_residence(
    cmd: ChangePupilResidence, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    swv = await load_swv(store, ctx.tenant_id)
    check_residence(swv, cmd.municipality_code, lives_outside_region=cmd.lives_outside_region)
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.change_residence(
            municipality_code=cmd.municipality_code,
            moved_on=act.dated(cmd.moved_on),
            **act.stamp,
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def record_school_registration(
    cmd: RecordSchoolRegistration, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Parents registered the pupil at a school in writing; its zorgplicht term starts."""
    act = Act.of(ctx, clock)
    swv = await load_swv(store, ctx.tenant_id)
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.register_at_school(
            school=configured_school(swv, cmd.school_code),
            registered_on=act.dated(cmd.registered_on),
            **act.stamp,
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def extend_zorgplicht_term(
    cmd: ExtendZorgplichtTerm, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.extend_zorgplicht_term(**act.stamp),
        rule=SCHOOL_OF_THE_CASE,
    )


async def enrol_pupil(
    cmd: EnrolPupil, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Enrol the pupil at a school of the SWV; at another school than now, that is a move."""
    act = Act.of(ctx, clock)
    swv = await load_swv(store, ctx.tenant_id)
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.enrol(
            school=configured_school(swv, cmd.school_code),
            enrolled_on=act.dated(cmd.enrolled_on),
            **act.stamp,
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def add_guardian(
    cmd: AddGuardian, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.add_guardian(
            guardian_id=cmd.guardian_id, has_authority=cmd.has_authority, **act.stamp
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def change_guardian_authority(
    cmd: ChangeGuardianAuthority, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.change_guardian_authority(
            guardian_id=cmd.guardian_id, has_authority=cmd.has_authority, **act.stamp
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def remove_guardian(
    cmd: RemoveGuardian, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.remove_guardian(guardian_id=cmd.guardian_id, **act.stamp),
        rule=SCHOOL_OF_THE_CASE,
    )


async def record_pupil_leaving(
    cmd: RecordPupilLeaving, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.leave(reason=cmd.reason, left_on=act.dated(cmd.left_on), **act.stamp),
        rule=SCHOOL_OF_THE_CASE,
    )


async def shred_pupil_data(
    cmd: ShredPupilData, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Record the shredding, then destroy the pupil's data keys (again, on a retry).

    Its own details and its dossiers go; the reasons of its decisions stay on legal hold,
    for retention to shred once their term has passed.
    """
    act = Act.of(ctx, clock)
    outcome = await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.shred_personal_data(**act.stamp),
        rule=PROCESSES_CASES,
    )
    for subject in await subjects_to_shred_with_pupil(store, ctx.tenant_id, cmd.pupil_id):
        await store.shred_subject(ctx.tenant_id, subject)
    return outcome
