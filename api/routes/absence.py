"""``/v1/tenants/{swv_code}/absence-cases``: thuiszitters, and the settings their signals use.

A school reports its own pupils out of school and their unauthorised hours per school week;
the loket also records what the attendance office reports and pupils enrolled nowhere. Each
case shows the signals it gives (the Leerplichtwet report, 4 school weeks completely absent,
the tenant's Thuiszitterspact months), counted in school weeks: the swv-admin configures the
region's school holidays under ``…/absence-settings``.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from api import authorisation
from api.auth import Principal
from api.command_routes import CommandRoute, command_router
from api.dependencies import Store
from api.personal_reads import CASE_HANDLING, personal
from api.routes.as_of import AS_OF_READ_ERRORS, REPLAY, ReplayDependency
from api.routes.read_models import ERRORS, WHOLE_LOG, PoolDependency, provide_pool, served
from api.schemas.absence import AbsenceCaseRead, AbsenceCaseState, AbsenceSettings
from api.schemas.common import aggregate_read
from api.schemas.headers import ETAG
from application import commands as c
from application.handlers import absence as h
from application.queries import aggregate_history, swv_configuration
from domain.absence import AbsenceCase
from projections.absence_cases import MonthlyAbsenceOverview, fetch_monthly_overview
from projections.as_of import absence_overview_as_of

PATH = "/v1/tenants/{swv_code:str}/absence-cases"
SETTINGS_PATH = "/v1/tenants/{swv_code:str}/absence-settings"
CaseId = FromPath[UUID]

COMMANDS = [
    CommandRoute(
        method="POST",
        path="/",
        command=c.ReportAbsence,
        handler=h.report_absence,
        guard=authorisation.records_for_pupils,
        operation_id="reportAbsence",
        summary="Report a pupil out of school (relatief or absoluut verzuim)",
        description=(
            "A school reports its own pupils, as the school; the loket also records what the "
            "attendance office reports, and pupils enrolled nowhere (no ``school_code``)."
        ),
        examples={
            "Completely absent since September": {
                "pupil_id": "f5db4dbf-44f7-581f-bf90-a69c25a6167f",
                "school_code": "17XF00",
                "absent_since": "2025-09-01",
                "completely_absent": True,
                "reporter": "SCHOOL",
            }
        },
        creates="absence-cases/{id}",
    ),
    CommandRoute(
        method="POST",
        path="/{absence_case_id:uuid}/hours",
        command=c.ReportAbsenceHours,
        handler=h.report_absence_hours,
        guard=authorisation.records_for_pupils,
        operation_id="reportAbsenceHours",
        summary="Report one school week's unauthorised hours of absence (the latest counts)",
        examples={"Six hours": {"week": "2025-09-08", "unauthorised_hours": 6}},
    ),
    CommandRoute(
        method="POST",
        path="/{absence_case_id:uuid}/duo-reports",
        command=c.RecordAbsenceReportToDuo,
        handler=h.record_absence_report_to_duo,
        guard=authorisation.records_for_pupils,
        operation_id="recordAbsenceReportToDuo",
        summary="Record that the absence was reported to DUO's verzuimregister",
        examples={"Reported": {"reported_on": "2025-09-29"}},
    ),
    CommandRoute(
        method="POST",
        path="/{absence_case_id:uuid}/plans",
        command=c.RecordAbsencePlan,
        handler=h.record_absence_plan,
        guard=authorisation.records_for_pupils,
        operation_id="recordAbsencePlan",
        summary="Record the plan to get the pupil back to school",
        examples={
            "A place offered": {
                "plan": "Start met twee ochtenden per week op de observatieplek.",
                "agreed_on": "2025-10-01",
                "review_on": "2025-11-01",
                "offer_made": True,
            }
        },
    ),
    CommandRoute(
        method="POST",
        path="/{absence_case_id:uuid}/closure",
        command=c.CloseAbsenceCase,
        handler=h.close_absence_case,
        guard=authorisation.records_for_pupils,
        operation_id="closeAbsenceCase",
        summary="Close the case: the pupil is back, enrolled elsewhere, exempted or moved",
        examples={"Back at school": {"end": "RETURNED_TO_SCHOOL", "ended_on": "2025-11-03"}},
    ),
]

SETTINGS_COMMANDS = [
    CommandRoute(
        method="PUT",
        path="/school-holidays",
        command=c.SetSchoolHolidays,
        handler=h.set_school_holidays,
        guard=authorisation.configures_tenant,
        operation_id="setSchoolHolidays",
        summary="Set the region's school holidays of one school year; school weeks leave them out",
        examples={
            "Regio midden 2025/26": {
                "school_year": 2025,
                "holidays": [
                    {"first_day": "2025-10-18", "last_day": "2025-10-26"},
                    {"first_day": "2025-12-20", "last_day": "2026-01-04"},
                ],
            }
        },
    ),
    CommandRoute(
        method="PUT",
        path="/thuiszitterspact",
        command=c.SetThuiszitterspactMonths,
        handler=h.set_thuiszitterspact_months,
        guard=authorisation.configures_tenant,
        operation_id="setThuiszitterspactMonths",
        summary="Set after how many months without an offer a case signals (policy, not law)",
        examples={"The pact's three months": {"months": 3}},
    ),
]


class AbsenceCaseController(Controller):
    path = PATH
    tags = ("absence cases",)
    dependencies = {"pool": Provide(provide_pool, sync_to_thread=False)}  # noqa: RUF012

    @get(
        "/{absence_case_id:uuid}",
        response_headers=[ETAG],
        summary="An absence case: state, the signals it gives, version and events",
        description=(
            "The plan's text only for the loket, the committee and the own school. As of a"
            " moment: the case's own stream and the tenant's settings, read up to there."
        ),
        guards=[authorisation.or_as_of(authorisation.reads_decisions)],
        responses=AS_OF_READ_ERRORS,
        dependencies=REPLAY,
        operation_id="getAbsenceCase",
        opt=personal("read", CASE_HANDLING),
    )
    async def read(
        self,
        absence_case_id: CaseId,
        principal: NamedDependency[Principal],
        event_store: Store,
        replay: ReplayDependency,
    ) -> Response[AbsenceCaseRead]:
        tenant = principal.tenant_id
        history = await aggregate_history(
            event_store, tenant, AbsenceCase, absence_case_id, to_position=replay.position
        )
        case = history.aggregate
        schools = (case.school_code,)
        authorisation.ensure_can_read_decision(
            principal, "AbsenceCase", case.id, schools, as_of=replay.as_of
        )
        personal = authorisation.may_see_decision_details(principal, schools)
        swv = await swv_configuration(event_store, tenant, to_position=replay.position)
        return aggregate_read(
            AbsenceCaseRead,
            history,
            AbsenceCaseState.of(case, swv),
            personal=personal,
            replayed_to=replay.moment,
        )

    @get(
        "/monthly-overview",
        summary="Per month of a school year: thuiszitters as the SWV reports them (counts only)",
        description=(
            "Cases open at the end of each month by kind (relatief, absoluut), those absent 4 "
            "school weeks or more (langdurig relatief verzuim), those past the Thuiszitterspact "
            f"months without an offer, and cases opened and closed in the month. {WHOLE_LOG}"
        ),
        guards=[authorisation.or_as_of(authorisation.lists_cases)],
        responses=ERRORS,
        dependencies=REPLAY,
        operation_id="getMonthlyAbsenceOverview",
    )
    async def monthly_overview(
        self,
        principal: NamedDependency[Principal],
        pool: PoolDependency,
        replay: ReplayDependency,
        school_year: Annotated[
            int, QueryParameter(ge=2000, le=2100, description="The year the school year starts in.")
        ],
    ) -> MonthlyAbsenceOverview:
        tenant = principal.tenant_id
        return await served(
            replay,
            pool,
            from_log=lambda log, position: absence_overview_as_of(
                log, tenant, school_year, position=position
            ),
            from_table=lambda conn: fetch_monthly_overview(conn, tenant, school_year),
        )


class AbsenceSettingsController(Controller):
    path = "/"
    tags = ("absence cases",)

    @get(
        "/",
        summary="The school holidays and Thuiszitterspact months the absence signals use",
        guards=[authorisation.or_as_of(authorisation.reads_configuration)],
        responses=AS_OF_READ_ERRORS,
        dependencies=REPLAY,
        operation_id="getAbsenceSettings",
    )
    async def read(
        self, principal: NamedDependency[Principal], event_store: Store, replay: ReplayDependency
    ) -> AbsenceSettings:
        swv = await swv_configuration(event_store, principal.tenant_id, to_position=replay.position)
        return AbsenceSettings.of(swv, replayed_to=replay.moment)


AbsenceCaseCommands = command_router(PATH, "absence cases", COMMANDS)
AbsenceSettingsCommands = command_router(
    SETTINGS_PATH, "absence cases", SETTINGS_COMMANDS, AbsenceSettingsController
)
