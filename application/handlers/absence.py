"""Handlers for thuiszitters: absence cases, and the tenant's school holidays and pact months.

A school reports its own pupils (relatief verzuim); the loket also records what the attendance
office reports, and pupils enrolled nowhere (absoluut verzuim). When a signal's day comes,
Passend itself records it on the case (``system:absence-signals``), so the partners hear it.
"""

from uuid import UUID, uuid5

from application.access import (
    CONFIGURES_TENANT,
    SCHOOL_OF_THE_CASE,
    Caller,
    acts_for_anybody,
    school_for_new_record,
)
from application.acts import Act
from application.aggregate_ids import ABSENCE_CASE_IDS, new_aggregate_id
from application.commands import (
    CloseAbsenceCase,
    CommandContext,
    CommandOutcome,
    RecordAbsencePlan,
    RecordAbsenceReportToDuo,
    ReportAbsence,
    ReportAbsenceHours,
    SetSchoolHolidays,
    SetThuiszitterspactMonths,
)
from application.handling import (
    change,
    changes,
    create_about,
    load,
    load_swv,
    save,
    the_tenants_swv,
)
from application.ports import Clock, EventStore
from application.references import configured_school
from domain.absence import AbsenceCase, Holiday, Reporter
from domain.errors import InvalidValueError
from domain.ids import TenantId
from domain.pupil import Pupil
from domain.swv import Swv, swv_stream_id


async def set_school_holidays(
    cmd: SetSchoolHolidays, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    holidays = tuple(Holiday(h.first_day, h.last_day) for h in cmd.holidays)
    return await change(
        store,
        ctx,
        Swv,
        swv_stream_id(ctx.tenant_id),
        lambda swv: swv.set_school_holidays(cmd.school_year, holidays, **act.stamp),
        rule=CONFIGURES_TENANT,
    )


@changes(Swv, the_tenants_swv, rule=CONFIGURES_TENANT)
def set_thuiszitterspact_months(cmd: SetThuiszitterspactMonths, swv: Swv, act: Act) -> None:
    swv.set_thuiszitterspact_months(cmd.months, **act.stamp)


async def report_absence(
    cmd: ReportAbsence, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Open an absence case for one of the tenant's pupils."""
    act = Act.of(ctx, clock)
    case_id = new_aggregate_id(ABSENCE_CASE_IDS, ctx)
    swv = await load_swv(store, ctx.tenant_id)
    pupil = (await load(store, ctx.tenant_id, cmd.pupil_id)).require(Pupil)
    school_code = school_for_new_record(ctx.caller, cmd.school_code)
    if cmd.reporter is not Reporter.SCHOOL and not acts_for_anybody(ctx.caller):
        raise InvalidValueError(
            "A school reports as the school; the loket records what the attendance office reports.",
            fields=("reporter",),
        )
    if cmd.reporter is Reporter.SCHOOL and school_code is None:
        raise InvalidValueError(
            "A school reports a pupil enrolled there: name the school.", fields=("school_code",)
        )
    school = configured_school(swv, school_code) if school_code else None

    def report() -> AbsenceCase:
        pupil.check_active()
        return AbsenceCase.report(
            case_id=case_id,
            pupil_id=pupil.id,
            school_code=school.code if school else None,
            absent_since=cmd.absent_since,
            completely_absent=cmd.completely_absent,
            reporter=cmd.reporter,
            reported_on=act.happened(cmd.reported_on, "reported_on"),
            **act.stamp,
        )

    return await create_about(store, ctx, case_id, report, pupil, rule=SCHOOL_OF_THE_CASE)


@changes(AbsenceCase, "absence_case_id", rule=SCHOOL_OF_THE_CASE, happened=("week",))
def report_absence_hours(cmd: ReportAbsenceHours, case: AbsenceCase, act: Act) -> None:
    case.report_hours(week=cmd.week, unauthorised_hours=cmd.unauthorised_hours, **act.stamp)


@changes(AbsenceCase, "absence_case_id", rule=SCHOOL_OF_THE_CASE)
def record_absence_report_to_duo(
    cmd: RecordAbsenceReportToDuo, case: AbsenceCase, act: Act
) -> None:
    case.record_report_to_duo(reported_on=act.happened(cmd.reported_on, "reported_on"), **act.stamp)


@changes(AbsenceCase, "absence_case_id", rule=SCHOOL_OF_THE_CASE)
def record_absence_plan(cmd: RecordAbsencePlan, case: AbsenceCase, act: Act) -> None:
    case.record_plan(
        plan=cmd.plan,
        agreed_on=cmd.agreed_on,
        review_on=cmd.review_on,
        offer_made=cmd.offer_made,
        **act.stamp,
    )


@changes(AbsenceCase, "absence_case_id", rule=SCHOOL_OF_THE_CASE)
def close_absence_case(cmd: CloseAbsenceCase, case: AbsenceCase, act: Act) -> None:
    case.close(
        ended_on=act.happened(cmd.ended_on, "ended_on"),
        end=cmd.end,
        **act.stamp,
    )


ABSENCE_SIGNALS = Caller.system_principal("absence-signals")
"""Passend recording the signals whose day came: ``system:absence-signals`` in the log."""


async def record_reached_absence_signals(
    tenant_id: TenantId, absence_case_id: UUID, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Record on the case each signal whose day is today or passed; once per signal.

    The command is the case and the day: a second run on the same day finds its own events.
    """
    act = Act.by_now(ABSENCE_SIGNALS.actor, clock)
    ctx = CommandContext(
        tenant_id=tenant_id,
        caller=ABSENCE_SIGNALS,
        command_id=uuid5(ABSENCE_CASE_IDS, f"{tenant_id}/{absence_case_id}/signals/{act.today}"),
    )
    swv = await load_swv(store, tenant_id)
    loaded = await load(store, tenant_id, absence_case_id)
    done = loaded.outcome_of(ctx)
    if done is not None:
        return done
    case = loaded.require(AbsenceCase)
    case.record_reached_signals(
        today=act.today,
        holidays=swv.holidays,
        pact_months=swv.thuiszitterspact_months,
        **act.stamp,
    )
    if not case.pending_events:
        return loaded.unchanged()
    return await save(store, ctx, case, expected_version=loaded.version)
