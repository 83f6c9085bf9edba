"""Every route, every role, own or other tenant: what each caller may do, and the refusals.

Allowed calls may still fail on the rules (409, 422), but never as 401, 403 or 404. A wrong role
is exactly 403; a valid token of another tenant is exactly 404; no token is exactly 401. The
platform operator has no role in any tenant: every tenant route answers it 404, and the
platform routes answer every tenant role 403.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from inspect import iscoroutinefunction
from typing import Any

import pytest

from api.auth import Role
from domain.ids import TenantId
from tests.api.conftest import MUNICIPALITY, SCHOOL, SO_SCHOOL, Api, open_tenant
from tests.api.seeds_world import seeds_world
from tests.api.world import FIRST_EXPERT, advice_body, build_world
from tests.partners.access import PARTNER_ROUTES, partner_world

S, L, C, E = Role.SCHOOL, Role.LOKET, Role.COMMITTEE, Role.EXPERT
M, A, P, ADMIN = Role.MUNICIPALITY, Role.AUDITOR, Role.PARTNER, Role.SWV_ADMIN
OPERATOR = "platform-operator"
PO = Role.PRIVACY_OFFICER
# The school goes first: what it is allowed may change the case for those after it.
W = Role.WITNESS
ROLES: tuple[Role | str, ...] = (S, L, C, E, M, A, P, ADMIN, OPERATOR, PO, W)
TENANT_ROLES = set(Role) - {W}  # a witness reads checkpoints and consistency proofs only
STAFF = {L, C}
ON_PUPILS = {S, L, C}
TENANT = "/v1/tenants/{tenant}"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    allowed: AbstractSet[Role | str]
    body: dict[str, Any] | None = field(default=None, hash=False)
    school: str = SCHOOL  # the school a school token is bound to

    @property
    def id(self) -> str:
        return f"{self.method} {self.path.removeprefix(TENANT)}"


DATES = {"date_of_birth": "2017-05-12"}
ROUTES = [
    Route("GET", f"{TENANT}/me", set(Role)),
    Route("POST", "/v1/platform/tenants", {OPERATOR}, {"code": "{tenant}", "name": "Dubbel"}),
    Route("GET", "/v1/platform/tenants/{tenant}", {OPERATOR}),
    Route("POST", "/v1/platform/tenants/{tenant}/suspension", {OPERATOR}, {"reason": " "}),
    Route("POST", "/v1/platform/tenants/{tenant}/reinstatement", {OPERATOR}, {"reason": "Terug"}),
    Route("POST", "/v1/platform/tenants/{tenant}/export", {OPERATOR}),
    Route(
        "POST",
        "/v1/platform/tenants/{tenant}/erasure",
        {OPERATOR},
        {"export_sha256": "0" * 64, "reason": "Vertrokken"},
    ),
    Route(
        "POST", "/v1/platform/tenants/{tenant}/key-rotations", {OPERATOR}, {"reason": "Jaarlijks"}
    ),
    Route("GET", "/v1/platform/tenants/{tenant}/key-rotations", {OPERATOR}),
    Route("GET", f"{TENANT}/platform-log", {A, ADMIN}),
    Route("GET", f"{TENANT}/configuration", TENANT_ROLES),
    Route(
        "POST",
        f"{TENANT}/configuration",
        {ADMIN},
        {
            "name": "Dubbel",
            "committee_name": "TLC",
            "policy_version": "OP-1",
            "policy_effective_from": "2024-08-01",
        },
    ),
    Route(
        "POST",
        f"{TENANT}/configuration/municipalities",
        {ADMIN},
        {"code": "GM0632", "name": "Woerden"},
    ),
    Route(
        "POST",
        f"{TENANT}/configuration/schools",
        {ADMIN},
        {
            "brin": "12AB",
            "vestiging": "00",
            "name": "De Regenboog",
            "board": "Stichting Primair",
            "school_type": "REGULAR",
            "municipality_code": "GM0632",
        },
    ),
    Route(
        "POST",
        f"{TENANT}/configuration/arrangement-types",
        {ADMIN},
        {"code": "plusklas", "name": "Plusklas", "unit": "HOURS", "default_duration_months": 12},
    ),
    Route("DELETE", f"{TENANT}/configuration/arrangement-types/unknown-type", {ADMIN}),
    Route("PUT", f"{TENANT}/configuration/committee", {ADMIN}, {"committee_name": "TLC"}),
    Route(
        "POST",
        f"{TENANT}/configuration/policies",
        {ADMIN},
        {"policy_version": "OP-2024.1", "effective_from": "2024-08-01"},
    ),
    Route(
        "POST",
        f"{TENANT}/pupils",
        ON_PUPILS,
        {"name": "Noor", "municipality_code": "GM0632", **DATES},
    ),
    Route("GET", f"{TENANT}/pupils/{{pupil}}", {S, L, C, A}),
    Route("GET", f"{TENANT}/pupils/{{pupil}}/subject-access", {PO}),
    Route("GET", f"{TENANT}/pupils/{{pupil}}/subject-access/page", {PO}),
    Route("POST", f"{TENANT}/pupils/{{pupil}}/corrections", ON_PUPILS, {"name": "Sam", **DATES}),
    Route(
        "POST",
        f"{TENANT}/pupils/{{pupil}}/residence-changes",
        ON_PUPILS,
        {"municipality_code": "GM1904"},
    ),
    Route(
        "POST",
        f"{TENANT}/pupils/{{pupil}}/school-registrations",
        ON_PUPILS,
        {"school_code": "34CD00"},
    ),
    Route("POST", f"{TENANT}/pupils/{{pupil}}/zorgplicht-extensions", ON_PUPILS),
    Route("POST", f"{TENANT}/pupils/{{pupil}}/enrolments", ON_PUPILS, {"school_code": SCHOOL}),
    Route(
        "POST",
        f"{TENANT}/pupils/{{pupil}}/guardians",
        ON_PUPILS,
        {"guardian_id": "{guardian}", "has_authority": True},
    ),
    Route(
        "PUT",
        f"{TENANT}/pupils/{{pupil}}/guardians/{{guardian}}",
        ON_PUPILS,
        {"has_authority": False},
    ),
    Route("DELETE", f"{TENANT}/pupils/{{pupil}}/guardians/{{guardian}}", ON_PUPILS),
    Route("POST", f"{TENANT}/pupils/{{pupil}}/leaving", ON_PUPILS, {"reason": "OTHER"}),
    Route("POST", f"{TENANT}/pupils/{{pupil}}/shredding", STAFF),
    Route(
        "POST",
        f"{TENANT}/support-requests",
        ON_PUPILS,
        {
            "pupil_id": "{pupil}",
            "school_code": SCHOOL,
            "tlv_type": "SBO",
            "question": "Past het SBO?",
            "parent_view": "NOT_GIVEN",
        },
    ),
    Route("GET", f"{TENANT}/support-requests/{{request}}", {S, L, C, E, A}),
    Route("POST", f"{TENANT}/support-requests/{{request}}/completeness-checks", STAFF, {}),
    Route(
        "POST",
        f"{TENANT}/support-requests/{{request}}/suspensions",
        STAFF,
        {"reason": "OPP ontbreekt.", "complete_by": "2030-01-01"},
    ),
    Route("POST", f"{TENANT}/support-requests/{{request}}/resumptions", STAFF, {}),
    Route(
        "POST",
        f"{TENANT}/support-requests/{{request}}/parent-views",
        ON_PUPILS,
        {"parent_view": "DISAGREE"},
    ),
    Route(
        "POST",
        f"{TENANT}/support-requests/{{request}}/expert-assignments",
        STAFF,
        {"role": "SECOND", "expert_subject": "expert-3"},
    ),
    Route(
        "POST",
        f"{TENANT}/support-requests/{{request}}/expert-advices",
        {L, C, E},
        advice_body("FIRST", "ORTHOPEDAGOOG"),
    ),
    Route(
        "POST",
        f"{TENANT}/support-requests/{{request}}/decision",
        {C},
        {"outcome": "REFUSED", "reasons": "Niet nodig."},
    ),
    Route("POST", f"{TENANT}/support-requests/{{granted}}/notification", STAFF, {}),
    Route(
        "POST",
        f"{TENANT}/support-requests/{{granted}}/withdrawal",
        ON_PUPILS,
        {"reason": "Verhuist."},
    ),
    Route("GET", f"{TENANT}/tlvs/{{tlv}}", {S, L, C, A}),
    Route("POST", f"{TENANT}/tlvs/{{tlv}}/extensions", {C}, {"valid_until": "2029-07-31"}),
    Route(
        "POST",
        f"{TENANT}/tlvs/bulk-extensions",
        {C},
        {"tlv_ids": ["{tlv}"], "valid_until": "2030-07-31", "regulation": "Regeling 2030"},
    ),
    Route(
        "POST",
        f"{TENANT}/tlvs/redemptions",
        ON_PUPILS,
        {"beschikkingsnummer": "{beschikkingsnummer}", "school_code": SO_SCHOOL},
        school=SO_SCHOOL,
    ),
    Route("POST", f"{TENANT}/tlvs/{{tlv}}/lapse", STAFF),
    Route(
        "POST",
        f"{TENANT}/objections",
        ON_PUPILS,
        {"support_request_id": "{granted}", "objector": "SCHOOL_BOARD", "grounds": "Onjuist."},
    ),
    Route("GET", f"{TENANT}/objections/{{objection}}", {S, L, C, A}),
    Route("POST", f"{TENANT}/objections/{{objection}}/lbt-advice-requests", STAFF, {}),
    Route(
        "POST",
        f"{TENANT}/objections/{{objection}}/lbt-advices",
        STAFF,
        {"recommended_outcome": "REJECTED", "advice": "Ongegrond."},
    ),
    Route(
        "POST",
        f"{TENANT}/objections/{{objection}}/decision",
        {C},
        {"outcome": "UPHELD", "reasons": "Terecht."},
    ),
    Route(
        "POST",
        f"{TENANT}/objections/{{objection}}/lateness-explanations",
        STAFF,
        {"explanation": "Verkeerd adres."},
    ),
    Route(
        "POST",
        f"{TENANT}/objections/{{objection}}/lateness-rulings",
        {C},
        {"excusable": True, "reasons": "Niet te verwijten."},
    ),
    Route(
        "POST",
        f"{TENANT}/objections/{{objection}}/decision-postponements",
        STAFF,
        {"reason": "Hoorzitting verplaatst."},
    ),
    Route(
        "POST",
        f"{TENANT}/objections/{{objection}}/longer-term-consents",
        STAFF,
        {"agreed_until": "2026-12-31"},
    ),
    Route(
        "POST",
        f"{TENANT}/support-requests/{{request}}/decision-term-extensions",
        STAFF,
        {"reason": "Onderzoek loopt.", "extended_to": "2025-07-01", "notified_on": "2025-03-20"},
    ),
    Route("GET", f"{TENANT}/support-requests/{{granted}}/beschikking", ON_PUPILS),
    Route("GET", f"{TENANT}/support-requests/{{granted}}/beschikking.pdf", ON_PUPILS),
    Route(
        "POST",
        f"{TENANT}/arrangements",
        {C},
        {
            "support_request_id": "{arrangement_request}",
            "provider": "De Brug",
            "amount": 10,
            "start_on": "2025-04-01",
        },
    ),
    Route("GET", f"{TENANT}/arrangements/{{arrangement}}", {S, L, C, A}),
    Route(
        "POST",
        f"{TENANT}/arrangements/{{arrangement}}/extensions",
        {C},
        {"end_on": "2026-12-31", "reason": "Langer nodig."},
    ),
    Route(
        "POST",
        f"{TENANT}/arrangements/{{arrangement}}/early-end",
        ON_PUPILS,
        {"ended_on": "2025-06-30", "reason": "Doelen bereikt."},
    ),
    Route(
        "POST",
        f"{TENANT}/arrangements/{{arrangement}}/evaluations",
        ON_PUPILS,
        {"party": "SCHOOL", "goal_attainment": "MET", "notes": "Gelukt."},
    ),
    Route("GET", f"{TENANT}/schools/{SCHOOL}/caseload", {S, L, C, A}),
    Route("GET", f"{TENANT}/deadlines", {L, C, A}),
    Route("GET", f"{TENANT}/municipalities/{MUNICIPALITY}/figures", {L, C, A, M}),
    Route("GET", f"{TENANT}/municipalities/{MUNICIPALITY}/disclosures", {L, C, M, PO}),
    Route("POST", f"{TENANT}/pupil-searches", STAFF, {"name": "Sam de Vries"}),
    Route("GET", f"{TENANT}/cases", {L, C, A}),
    Route(
        "POST",
        f"{TENANT}/support-requests/{{granted}}/disclosures",
        STAFF,
        {"municipality_code": MUNICIPALITY, "legal_basis": "LEERPLICHT", "fields": ["name"]},
    ),
    Route("GET", f"{TENANT}/projections/status", {L, C, A, ADMIN}),
    *(Route(*spec) for spec in PARTNER_ROUTES),
    Route("GET", f"{TENANT}/log/checkpoint?fresh=true", {A, W, P}),
    Route("GET", f"{TENANT}/log/keys", {A, W, P}),
    Route("GET", f"{TENANT}/log/export?pupil_id={{pupil}}&purpose=audit", {A}),
    Route("GET", f"{TENANT}/log/accesses", {A, PO}),
    Route("GET", f"{TENANT}/pupils/{{pupil}}/timeline?purpose=audit", {L, C, A}),
    Route("GET", f"{TENANT}/log/proofs/inclusion?position=1", {A}),
    Route("GET", f"{TENANT}/log/proofs/consistency?old_size=0&new_size=1", {A, W, P}),
    # thuiszitters, services and provisions
    Route("GET", f"{TENANT}/absence-settings", TENANT_ROLES),
    Route(
        "PUT",
        f"{TENANT}/absence-settings/school-holidays",
        {ADMIN},
        {"school_year": 2025, "holidays": [{"first_day": "2025-10-18", "last_day": "2025-10-26"}]},
    ),
    Route("PUT", f"{TENANT}/absence-settings/thuiszitterspact", {ADMIN}, {"months": 3}),
    Route(
        "POST",
        f"{TENANT}/absence-cases",
        ON_PUPILS,
        {
            "pupil_id": "{pupil}",
            "school_code": SCHOOL,
            "absent_since": "2025-09-01",
            "reporter": "SCHOOL",
        },
    ),
    Route("GET", f"{TENANT}/absence-cases/{{absence}}", {S, L, C, A}),
    Route("GET", f"{TENANT}/absence-cases/monthly-overview?school_year=2025", {L, C, A}),
    Route(
        "POST",
        f"{TENANT}/absence-cases/{{absence}}/hours",
        ON_PUPILS,
        {"week": "2025-09-08", "unauthorised_hours": 6},
    ),
    Route("POST", f"{TENANT}/absence-cases/{{absence}}/duo-reports", ON_PUPILS, {}),
    Route(
        "POST",
        f"{TENANT}/absence-cases/{{absence}}/plans",
        ON_PUPILS,
        {"plan": "Terug naar school.", "agreed_on": "2025-10-01", "review_on": "2025-11-01"},
    ),
    Route(
        "POST",
        f"{TENANT}/absence-cases/{{absence}}/closure",
        ON_PUPILS,
        {"end": "RETURNED_TO_SCHOOL"},
    ),
    Route("GET", f"{TENANT}/services", TENANT_ROLES),
    Route("GET", f"{TENANT}/services/overview?school_year=2025", {S, L, C, A}),
    Route(
        "POST",
        f"{TENANT}/services",
        {ADMIN},
        {"code": "training", "name": "Training", "kind": "DIENSTVERLENING", "for_pupils": False},
    ),
    Route("DELETE", f"{TENANT}/services/unknown-type", {ADMIN}),
    Route(
        "POST",
        f"{TENANT}/service-requests",
        ON_PUPILS,
        {"service_code": "observatie", "pupil_id": "{pupil}", "question": "Wat past?"},
    ),
    Route("GET", f"{TENANT}/service-requests/{{service_request}}", {S, L, C, A}),
    Route(
        "POST",
        f"{TENANT}/service-requests/{{service_request}}/grant",
        STAFF,
        {"hours": 10, "provider": "De Brug", "start_on": "2025-09-01", "end_on": "2026-07-17"},
    ),
    Route(
        "POST",
        f"{TENANT}/service-requests/{{service_request}}/refusal",
        STAFF,
        {"reasons": "Basisondersteuning."},
    ),
    Route("POST", f"{TENANT}/service-requests/{{service_request}}/withdrawal", ON_PUPILS, {}),
    Route(
        "POST",
        f"{TENANT}/service-requests/{{service_request}}/deliveries",
        STAFF,
        {"hours": 2},
    ),
    # transitions between SWVs
    Route("GET", f"{TENANT}/handovers", {L, C, A}),
    Route(
        "POST",
        f"{TENANT}/handovers",
        STAFF,
        {
            "pupil_id": "{pupil}",
            "receiving_swv": "VO2604",
            "consent_given_on": "2025-04-20",
            "consent_channel": "WRITTEN",
            "support_question": "Wat heeft Sam nodig?",
        },
    ),
    Route("GET", f"{TENANT}/handovers/{{handover}}", {L, C, A}),
    Route("GET", f"{TENANT}/handovers/{{handover}}/package", STAFF),
    Route("POST", f"{TENANT}/handovers/{{handover}}/export", STAFF),
    Route("GET", f"{TENANT}/incoming-handovers/{{incoming_handover}}", {L, C, A}),
    Route("POST", f"{TENANT}/incoming-handovers/{{incoming_handover}}/acceptance", STAFF, {}),
    Route(
        "POST",
        f"{TENANT}/incoming-handovers/{{incoming_handover}}/decline",
        STAFF,
        {"reason": "Woont elders."},
    ),
    Route(
        "POST",
        f"{TENANT}/outflows",
        ON_PUPILS,
        {"pupil_id": "{pupil}", "destination": "ARBEID", "left_on": "2025-07-18"},
    ),
    Route("GET", f"{TENANT}/outflows/{{outflow}}", {L, C, A}),
    # figures people can look at
    Route("GET", f"{TENANT}/municipalities/{MUNICIPALITY}/figures/page", {L, C, A, M}),
    Route("GET", f"{TENANT}/figures/page", {L, C, A}),
    # DUO and OSO
    Route(
        "GET",
        f"{TENANT}/duo/tlv-registrations?period_from=2025-01-01&period_until=2025-12-31",
        {L, C, A},
    ),
    Route(
        "POST",
        f"{TENANT}/oso/swv-dossier-requests",
        ON_PUPILS,
        {
            "school_code": SCHOOL,
            "pupil": {"name": "Sam", "date_of_birth": "2017-05-12", "municipality_code": "GM0632"},
            "request_kind": "TLV_SBO",
            "question": "Past het SBO?",
            "parent_view": "AGREE",
        },
    ),
    # As of a moment of the log: the auditor and the privacy officer only, whoever reads the
    # state as it is (a municipality comparing figures at two positions defeats suppression).
    *(
        Route("GET", f"{TENANT}/{read}{sep}as_of_position={{position}}&purpose=audit", {A, PO})
        for read, sep in (
            ("configuration", "?"),
            ("pupils/{pupil}", "?"),
            ("support-requests/{request}", "?"),
            ("tlvs/{tlv}", "?"),
            ("objections/{objection}", "?"),
            ("arrangements/{arrangement}", "?"),
            (f"schools/{SCHOOL}/caseload", "?"),
            ("deadlines?as_of=2025-03-25", "&"),
            (f"municipalities/{MUNICIPALITY}/figures", "?"),
            ("pupils/{pupil}/timeline", "?"),
            ("cases", "?"),
            ("duo/tlv-registrations?period_from=2025-01-01&period_until=2025-12-31", "&"),
        )
    ),
    *(
        Route("GET", f"{TENANT}/{read}{sep}as_of_position={{seeded}}&purpose=audit", {A, PO})
        for read, sep in (
            ("absence-cases/{absence}", "?"),
            ("absence-cases/monthly-overview?school_year=2025", "&"),
            ("absence-settings", "?"),
            ("services", "?"),
            ("services/overview?school_year=2025", "&"),
            ("service-requests/{service_request}", "?"),
            ("handovers", "?"),
            ("handovers/{handover}", "?"),
            ("incoming-handovers/{incoming_handover}", "?"),
            ("outflows/{outflow}", "?"),
        )
    ),
    # The personal data as held then, for a subject's request about the past.
    *(
        Route(
            "GET", f"{TENANT}/pupils/{{pupil}}/{read}?as_of_position={{position}}&purpose=a", {PO}
        )
        for read in ("subject-access", "subject-access/page")
    ),
]


def fill(value: Any, world: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**world)
    if isinstance(value, list):
        return [fill(v, world) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, world) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
async def tenants(api: Api) -> tuple[TenantId, TenantId]:
    return await open_tenant(api), await open_tenant(api)


def token_of(api: Api, tenant: str, role: Role | str, school: str = SCHOOL) -> dict[str, str]:
    if not isinstance(role, Role):
        return api.operator()
    return api.as_(tenant, role, subject=FIRST_EXPERT if role is E else "someone", school=school)


def test_the_matrix_covers_every_route_of_the_app(api: Api) -> None:
    documented = api.client.app.openapi_schema.paths or {}
    served = {
        f"{method.upper()} {path}"
        for path, item in documented.items()
        for method in ("get", "post", "put", "delete")
        if getattr(item, method, None) is not None
    }
    covered = {
        f"{r.method} "
        + r.path.replace("/platform/tenants/{tenant}", "/platform/tenants/{code}")
        .replace("{tenant}", "{swv_code}")
        .replace("{pupil}", "{pupil_id}")
        .replace("{guardian}", "{guardian_id}")
        .replace("{tlv}", "{tlv_id}")
        .replace("{objection}", "{objection_id}")
        .replace("{arrangement}", "{arrangement_id}")
        .replace("{request}", "{request_id}")
        .replace("{granted}", "{request_id}")
        .replace("unknown-type", "{code}")
        .replace(f"/schools/{SCHOOL}/", "/schools/{school_code}/")
        .replace(f"/municipalities/{MUNICIPALITY}/", "/municipalities/{municipality_code}/")
        .replace("{subscription}", "{subscription_id}")
        .replace("{absence}", "{absence_case_id}")
        .replace("{service_request}", "{service_request_id}")
        .replace("{handover}", "{handover_id}")
        .replace("{incoming_handover}", "{incoming_handover_id}")
        .replace("{outflow}", "{outflow_id}")
        .replace("/consents/someone", "/consents/{partner}")
        .split("?")[0]
        for r in ROUTES
    }
    assert served - {"GET /health", "GET /health/live", "GET /health/ready"} == covered


def test_every_guard_runs_on_the_event_loop(api: Api) -> None:
    """A plain function as a guard is run in Litestar's thread pool, at a cost per request."""
    guards = {
        f"{handler} {guard}": guard
        for route in api.client.app.routes
        for handler in route.route_handlers
        for layer in handler.ownership_layers
        for guard in layer.guards or ()
    }
    assert guards
    assert [name for name, guard in guards.items() if not iscoroutinefunction(guard)] == []


@pytest.mark.parametrize("route", ROUTES, ids=[r.id for r in ROUTES])
async def test_each_role_may_do_exactly_what_the_rules_allow(
    api: Api, tenants: tuple[TenantId, TenantId], route: Route
) -> None:
    own, other = tenants
    world = await build_world(api, own)
    world |= await partner_world(api, own, route.path)
    world |= await seeds_world(api, own, world["pupil"])
    path, body = fill(route.path, world), fill(route.body, world)
    wrong: list[str] = []
    for role in ROLES:
        response = await api.call(route.method, path, token_of(api, own, role, route.school), body)
        allowed = role in route.allowed
        if allowed and response.status_code in {401, 403, 404}:
            wrong.append(f"{role} was refused: {response.status_code} {response.text}")
        in_tenant = path.startswith(f"/v1/tenants/{own}")
        refusal = 404 if in_tenant and role == OPERATOR else 403
        if not allowed and response.status_code != refusal:
            wrong.append(f"{role} was not refused with {refusal}: {response.status_code}")
        if in_tenant and role != OPERATOR:
            elsewhere = await api.call(
                route.method, path, token_of(api, other, role, route.school), body
            )
            if elsewhere.status_code != 404:
                wrong.append(f"{role} of another tenant got {elsewhere.status_code}, not 404")
    anonymous = await api.call(route.method, path, {}, body)
    if anonymous.status_code != 401:
        wrong.append(f"no token got {anonymous.status_code}, not 401")
    assert not wrong, "\n".join(wrong)
