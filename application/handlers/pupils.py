"""Handlers for pupils: registration, school career, guardians, consent, leaving, shredding."""

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from application.access import (
    PROCESSES_CASES,
    SCHOOL_OF_THE_CASE,
    AccessRule,
    school_for_new_record,
)
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
from application.handling import change, create, load_swv
from application.local_dates import local_date
from application.ports import Clock, EventStore
from application.references import check_residence, configured_school
from application.retention import subjects_to_shred_with_pupil
from domain.pupil import Pupil


async def change_pupil(  # noqa: PLR0913 - the pupil, the command's action and its access rule
    store: EventStore,
    clock: Clock,
    ctx: CommandContext,
    pupil_id: UUID,
    act: Callable[[Pupil, datetime], None],
    *,
    rule: AccessRule = SCHOOL_OF_THE_CASE,
) -> CommandOutcome:
    """Run ``act`` on the pupil at the clock's present moment, if ``rule`` lets the caller."""
    now = clock.now()
    return await change(store, ctx, Pupil, pupil_id, lambda pupil: act(pupil, now), rule=rule)


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
    return await change_pupil(
        store,
        clock,
        ctx,
        cmd.pupil_id,
        lambda pupil, now: pupil.correct_details(
            name=cmd.name, date_of_birth=cmd.date_of_birth, by=ctx.actor, at=now
        ),
    )


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
        lambda pupil, now: pupil.change_residence(
            municipality_code=cmd.municipality_code,
            moved_on=cmd.moved_on or local_date(now),
            by=ctx.actor,
            at=now,
        ),
    )


async def record_school_registration(
    cmd: RecordSchoolRegistration, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Parents registered the pupil at a school in writing; its zorgplicht term starts."""
    swv = await load_swv(store, ctx.tenant_id)
    return await change_pupil(
        store,
        clock,
        ctx,
        cmd.pupil_id,
        lambda pupil, now: pupil.register_at_school(
            school=configured_school(swv, cmd.school_code),
            registered_on=cmd.registered_on or local_date(now),
            by=ctx.actor,
            at=now,
        ),
    )


async def extend_zorgplicht_term(
    cmd: ExtendZorgplichtTerm, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    return await change_pupil(
        store,
        clock,
        ctx,
        cmd.pupil_id,
        lambda pupil, now: pupil.extend_zorgplicht_term(by=ctx.actor, at=now),
    )


async def enrol_pupil(
    cmd: EnrolPupil, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Enrol the pupil at a school of the SWV; at another school than now, that is a move."""
    swv = await load_swv(store, ctx.tenant_id)
    return await change_pupil(
        store,
        clock,
        ctx,
        cmd.pupil_id,
        lambda pupil, now: pupil.enrol(
            school=configured_school(swv, cmd.school_code),
            enrolled_on=cmd.enrolled_on or local_date(now),
            by=ctx.actor,
            at=now,
        ),
    )


async def add_guardian(
    cmd: AddGuardian, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    return await change_pupil(
        store,
        clock,
        ctx,
        cmd.pupil_id,
        lambda pupil, now: pupil.add_guardian(
            guardian_id=cmd.guardian_id, has_authority=cmd.has_authority, by=ctx.actor, at=now
        ),
    )


async def change_guardian_authority(
    cmd: ChangeGuardianAuthority, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    return await change_pupil(
        store,
        clock,
        ctx,
        cmd.pupil_id,
        lambda pupil, now: pupil.change_guardian_authority(
            guardian_id=cmd.guardian_id, has_authority=cmd.has_authority, by=ctx.actor, at=now
        ),
    )


async def remove_guardian(
    cmd: RemoveGuardian, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    return await change_pupil(
        store,
        clock,
        ctx,
        cmd.pupil_id,
        lambda pupil, now: pupil.remove_guardian(guardian_id=cmd.guardian_id, by=ctx.actor, at=now),
    )


async def record_pupil_leaving(
    cmd: RecordPupilLeaving, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    return await change_pupil(
        store,
        clock,
        ctx,
        cmd.pupil_id,
        lambda pupil, now: pupil.leave(
            reason=cmd.reason, left_on=cmd.left_on or local_date(now), by=ctx.actor, at=now
        ),
    )


async def record_parental_consent(
    cmd: RecordParentalConsent, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """The parents consent to the pupil's events going to a partner (a consent subscription)."""
    return await change_pupil(
        store,
        clock,
        ctx,
        cmd.pupil_id,
        lambda pupil, now: pupil.record_parental_consent(
            partner=cmd.partner, given_on=cmd.given_on or local_date(now), by=ctx.actor, at=now
        ),
    )


async def withdraw_parental_consent(
    cmd: WithdrawParentalConsent, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    return await change_pupil(
        store,
        clock,
        ctx,
        cmd.pupil_id,
        lambda pupil, now: pupil.withdraw_parental_consent(
            partner=cmd.partner,
            withdrawn_on=cmd.withdrawn_on or local_date(now),
            by=ctx.actor,
            at=now,
        ),
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
        lambda pupil, now: pupil.shred_personal_data(by=ctx.actor, at=now),
        rule=PROCESSES_CASES,
    )
    for subject in await subjects_to_shred_with_pupil(store, ctx.tenant_id, cmd.pupil_id):
        await store.shred_subject(ctx.tenant_id, subject)
    return outcome
