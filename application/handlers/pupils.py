"""Handlers for pupils: registration, school career, guardians, leaving and shredding."""

from application.access import PROCESSES_CASES, SCHOOL_OF_THE_CASE, school_for_new_record
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
from application.handling import PUPIL_IDS, change, create, load_swv, local_date, new_aggregate_id
from application.ports import Clock, EventStore
from application.references import check_residence, configured_school
from domain.pupil import Pupil


async def register_pupil(
    cmd: RegisterPupil, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Register a pupil under a new tenant-local pseudonymous id, and where they are enrolled."""
    now = clock.now()
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
            by=ctx.actor,
            at=now,
        )
        if school is not None:
            pupil.enrol(
                school=school, enrolled_on=cmd.enrolled_on or local_date(now), by=ctx.actor, at=now
            )
        return pupil

    return await create(store, ctx, pupil_id, register)


async def correct_pupil_details(
    cmd: CorrectPupilDetails, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.correct_details(
            name=cmd.name, date_of_birth=cmd.date_of_birth, by=ctx.actor, at=now
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def change_pupil_residence(
    cmd: ChangePupilResidence, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    swv = await load_swv(store, ctx.tenant_id)
    check_residence(swv, cmd.municipality_code, lives_outside_region=cmd.lives_outside_region)
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.change_residence(
            municipality_code=cmd.municipality_code,
            moved_on=cmd.moved_on or local_date(now),
            by=ctx.actor,
            at=now,
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def record_school_registration(
    cmd: RecordSchoolRegistration, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Parents registered the pupil at a school in writing; its zorgplicht term starts."""
    now = clock.now()
    swv = await load_swv(store, ctx.tenant_id)
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.register_at_school(
            school=configured_school(swv, cmd.school_code),
            registered_on=cmd.registered_on or local_date(now),
            by=ctx.actor,
            at=now,
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def extend_zorgplicht_term(
    cmd: ExtendZorgplichtTerm, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.extend_zorgplicht_term(by=ctx.actor, at=now),
        rule=SCHOOL_OF_THE_CASE,
    )


async def enrol_pupil(
    cmd: EnrolPupil, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Enrol the pupil at a school of the SWV; at another school than now, that is a move."""
    now = clock.now()
    swv = await load_swv(store, ctx.tenant_id)
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.enrol(
            school=configured_school(swv, cmd.school_code),
            enrolled_on=cmd.enrolled_on or local_date(now),
            by=ctx.actor,
            at=now,
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def add_guardian(
    cmd: AddGuardian, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.add_guardian(
            guardian_id=cmd.guardian_id, has_authority=cmd.has_authority, by=ctx.actor, at=now
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def change_guardian_authority(
    cmd: ChangeGuardianAuthority, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.change_guardian_authority(
            guardian_id=cmd.guardian_id, has_authority=cmd.has_authority, by=ctx.actor, at=now
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def remove_guardian(
    cmd: RemoveGuardian, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.remove_guardian(guardian_id=cmd.guardian_id, by=ctx.actor, at=now),
        rule=SCHOOL_OF_THE_CASE,
    )


async def record_pupil_leaving(
    cmd: RecordPupilLeaving, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.leave(
            reason=cmd.reason, left_on=cmd.left_on or local_date(now), by=ctx.actor, at=now
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def shred_pupil_data(
    cmd: ShredPupilData, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Record the shredding, then destroy the pupil's data key (again, on a retry)."""
    now = clock.now()
    outcome = await change(
        store,
        ctx,
        Pupil,
        cmd.pupil_id,
        lambda pupil: pupil.shred_personal_data(by=ctx.actor, at=now),
        rule=PROCESSES_CASES,
    )
    await store.shred_subject(ctx.tenant_id, cmd.pupil_id)
    return outcome
