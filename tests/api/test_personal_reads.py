"""Every read of personal data leaves exactly one entry in the access log, and so does an operator.

Which routes return personal data is found, not listed: every tenant route whose answer's schema
(in the OpenAPI document) names a pupil or a field the domain marks PERSONAL, DOSSIER or
DECISION, and every route that answers a document (HTML, PDF, an audit bundle).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import pytest

from api.auth import Role
from api.personal_reads import PERSONAL_READ
from domain.ids import TenantId
from domain.personal import personal_fields
from domain.registry import AGGREGATE_CLASSES
from infrastructure.access_log import PostgresAccessLog
from infrastructure.database import Pool
from infrastructure.event_codec import event_classes_of
from tests.api.conftest import MUNICIPALITY, SCHOOL, Api, open_tenant
from tests.api.seeds_world import seeds_world
from tests.api.world import build_world

pytestmark = pytest.mark.integration

PURPOSE = {"Purpose": "Toezicht op de toelating, art. 11 WOT"}
READER_ROLES = (Role.LOKET, Role.COMMITTEE, Role.AUDITOR, Role.PRIVACY_OFFICER)
READER = "lezer-1"
_DOCUMENTS = ("text/html", "application/pdf", "application/zip")
_NAMES_A_PUPIL = frozenset({"pupil_id", "pupil_ids"})


def _personal_names() -> frozenset[str]:
    """Field names the domain marks personal and never uses for anything else (not ``name``)."""
    events = [cls for cls, _ in event_classes_of(AGGREGATE_CLASSES)]
    personal = {name for cls in events for name in personal_fields(cls)}
    other = {
        f.name
        for cls in events
        for f in dataclasses.fields(cls)
        if f.name not in personal_fields(cls)
    }
    return frozenset(personal - other)


_PARAMETER = re.compile(r"\{([a-z_]+)(?::[a-z]+)?\}")
# Which object of the world each path parameter names (a decided request: it has a letter).
_WORLD = {"pupil_id": "pupil", "request_id": "granted", "tlv_id": "tlv"}
_WORLD |= {"objection_id": "objection", "arrangement_id": "arrangement"}
_WORLD |= {"absence_case_id": "absence", "service_request_id": "service_request"}
_WORLD |= {"handover_id": "handover", "incoming_handover_id": "incoming_handover"}
_WORLD |= {"outflow_id": "outflow"}
_FIXED = {"school_code": SCHOOL, "municipality_code": MUNICIPALITY}
# An audit bundle of one pupil (a bundle of the whole tenant names no one pupil).
_QUERY = {"/v1/tenants/{swv_code}/log/export": "?pupil_id={pupil_id}"}


def _schema_names(schema: Any, components: dict[str, Any], seen: set[str]) -> Iterator[str]:
    """Every property name a JSON Schema allows, through references."""
    if isinstance(schema, list):
        for item in schema:
            yield from _schema_names(item, components, seen)
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from _schema_names(components[name], components, seen)
        return
    yield from schema.get("properties", {})
    for value in schema.values():
        yield from _schema_names(value, components, seen)


def personal_routes(api: Api) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, path) of every tenant route whose answer holds personal data, with its operation."""
    document = api.client.app.openapi_schema.to_schema()
    components = document["components"]["schemas"]
    found = {}
    for path, item in document["paths"].items():
        if not path.startswith("/v1/tenants/{swv_code}"):
            continue
        for method, operation in item.items():
            answers = [
                (media, content.get("schema", {}))
                for status, response in operation.get("responses", {}).items()
                if status.startswith("2")
                for media, content in response.get("content", {}).items()
            ]
            names = {n for _, s in answers for n in _schema_names(s, components, set())}
            # HTML, but figures only: drawn from the published cells, no pupil in them
            figures = path.endswith("/figures/page")
            documents = not figures and any(m.startswith(_DOCUMENTS) for m, _ in answers)
            if names & (_NAMES_A_PUPIL | _personal_names()) or documents:
                found[(method.upper(), path)] = operation
    return found


def declared_routes(api: Api) -> set[tuple[str, str]]:
    """(method, path) of every route that declares itself a personal read."""
    return {
        (method, _PARAMETER.sub(r"{\1}", route.path))
        for route in api.client.app.routes
        for handler in getattr(route, "route_handlers", [])
        if PERSONAL_READ in handler.opt
        for method in handler.http_methods
    }


def _body(operation: dict[str, Any]) -> Any:
    for media in operation.get("requestBody", {}).get("content", {}).values():
        for example in media.get("examples", {}).values():
            return example["value"]
        for example in media.get("schema", {}).get("examples", []):
            return example
    return None


async def accesses(api: Api, tenant: TenantId, subject_id: str = "") -> list[dict[str, Any]]:
    auditor = api.as_(tenant, Role.AUDITOR)
    query = f"&subject_id={subject_id}" if subject_id else ""
    page = await api.ok("GET", f"/v1/tenants/{tenant}/log/accesses?limit=1000{query}", auditor)
    result: list[dict[str, Any]] = page["accesses"]
    return result


async def a_read_world(api: Api) -> dict[str, str]:
    """The world of the route tests, a disclosure of it, and read models that show it."""
    tenant = await open_tenant(api)
    world = await build_world(api, tenant)
    world |= await seeds_world(api, tenant, world["pupil"])
    base = f"/v1/tenants/{tenant}"
    staff = api.as_(tenant, Role.LOKET, Role.COMMITTEE, subject="staff")
    await api.ok(
        "POST",
        f"{base}/support-requests/{world['granted']}/disclosures",
        staff,
        {"municipality_code": MUNICIPALITY, "legal_basis": "LEERPLICHT", "fields": ["name"]},
    )
    for _ in range(200):  # the read models catch up
        caseload = await api.call("GET", f"{base}/schools/{SCHOOL}/caseload", staff)
        search = await api.call("POST", f"{base}/pupil-searches", staff, {"name": "Sam de Vries"})
        if caseload.json().get("pupils") and search.json().get("pupil_ids"):
            break
        await asyncio.sleep(0.1)
    return world


@pytest.fixture(scope="module")
async def world(api: Api) -> dict[str, str]:
    return await a_read_world(api)


async def test_every_route_that_returns_personal_data_is_declared_and_nothing_else(
    api: Api,
) -> None:
    found = set(personal_routes(api))
    recorded_by_itself = {("GET", "/v1/tenants/{swv_code}/log/export")}

    assert found - recorded_by_itself == declared_routes(api)
    assert {
        ("GET", "/v1/tenants/{swv_code}/pupils/{pupil_id}"),
        ("GET", "/v1/tenants/{swv_code}/cases"),
        ("POST", "/v1/tenants/{swv_code}/pupil-searches"),
        ("GET", "/v1/tenants/{swv_code}/support-requests/{request_id}/beschikking.pdf"),
        ("GET", "/v1/tenants/{swv_code}/pupils/{pupil_id}/subject-access/page"),
    } <= found
    assert ("GET", "/v1/tenants/{swv_code}/municipalities/{municipality_code}/figures") not in found


async def test_each_read_of_personal_data_leaves_exactly_one_access_log_entry(
    api: Api, world: dict[str, str], app_pool: Pool
) -> None:
    tenant = TenantId(world["tenant"])
    reader = {**api.as_(tenant, *READER_ROLES, subject=READER), **PURPOSE}
    values = {"swv_code": tenant, **_FIXED} | {k: world[v] for k, v in _WORLD.items()}
    wrong = []
    for (method, template), operation in sorted(personal_routes(api).items()):
        path = _PARAMETER.sub(lambda m: values[m[1]], template + _QUERY.get(template, ""))
        before = await accesses(api, tenant)
        response = await api.call(method, path, reader, _body(operation))
        new = (await accesses(api, tenant))[len(before) :]
        if response.status_code != 200 or len(new) != 1:
            wrong.append(f"{method} {template}: {response.status_code}, {len(new)} entries")
            continue
        [entry] = new
        shown = {entry["subject_id"], *entry["subjects"]}
        # an incoming handover is about the pupil another SWV handed over
        about = world["incoming_pupil"] if "{incoming_handover_id}" in template else world["pupil"]
        if (
            about not in shown
            or not entry["resource"].startswith(path)
            or entry["actor"] != f"auditor+committee+loket+privacy-officer:{READER}"
            or entry["purpose"] != PURPOSE["Purpose"]
        ):
            wrong.append(f"{method} {template}: {entry}")

    assert not wrong, "\n".join(wrong)
    assert (await PostgresAccessLog(app_pool).verify(tenant)).intact


async def test_a_read_shows_which_personal_fields_it_showed_and_an_auditor_sees_none(
    api: Api, world: dict[str, str]
) -> None:
    tenant = world["tenant"]
    pupil = f"/v1/tenants/{tenant}/pupils/{world['pupil']}"
    await api.ok("GET", pupil, api.as_(tenant, Role.LOKET, subject="loket-1"))
    await api.ok("GET", pupil, api.as_(tenant, Role.AUDITOR, subject="auditor-1"))

    *_, staff, auditor = await accesses(api, TenantId(tenant), subject_id=world["pupil"])

    assert (staff["actor"], staff["action"], staff["fields"]) == (
        "loket:loket-1",
        "read",
        ["date_of_birth", "name"],
    )
    assert staff["purpose"].startswith("the SWV's statutory tasks")
    assert (auditor["actor"], auditor["fields"]) == ("auditor:auditor-1", [])


async def test_a_list_names_every_pupil_it_showed_and_is_found_by_each(
    api: Api, world: dict[str, str]
) -> None:
    tenant = TenantId(world["tenant"])
    base = f"/v1/tenants/{tenant}"
    staff = api.as_(tenant, Role.LOKET, subject="loket-2")
    other = await api.ok(
        "POST",
        f"{base}/pupils",
        staff,
        {"name": "Noor Bakker", "date_of_birth": "2016-02-02", "municipality_code": "GM0632"},
    )
    await api.ok(
        "POST",
        f"{base}/support-requests",
        staff,
        {
            "pupil_id": other["id"],
            "school_code": SCHOOL,
            "question": "Wat past?",
            "parent_view": "AGREE",
            "received_on": "2025-03-03",
            "tlv_type": "SBO",
        },
    )
    listed = f"{base}/cases?status=SUBMITTED"
    for _ in range(200):  # the case list catches up
        cases = await api.call("GET", listed, api.as_(tenant, Role.COMMITTEE, subject="warm-up"))
        if len(cases.json()["cases"]) == 1:
            break
        await asyncio.sleep(0.1)
    everyone = await api.ok("GET", f"{base}/cases", staff)

    entry = (await accesses(api, tenant))[-1]
    about_each = [await accesses(api, tenant, subject_id=p) for p in (world["pupil"], other["id"])]

    pupils = sorted({c["pupil_id"] for c in everyone["cases"]})
    assert pupils == sorted([world["pupil"], other["id"]])
    assert (entry["actor"], entry["action"], entry["subject_id"]) == ("loket:loket-2", "list", None)
    assert sorted(entry["subjects"]) == pupils
    assert entry["resource"] == f"{base}/cases"
    assert [found[-1]["sequence"] for found in about_each] == [entry["sequence"]] * 2


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.PRIVACY_OFFICER])
async def test_a_read_as_of_a_moment_is_one_entry_too(
    api: Api, world: dict[str, str], role: Role
) -> None:
    tenant = TenantId(world["tenant"])
    reader = {**api.as_(tenant, role, subject="reader-2"), **PURPOSE}
    pupil = f"/v1/tenants/{tenant}/pupils/{world['pupil']}"
    auditor = {**api.as_(tenant, Role.AUDITOR), **PURPOSE}
    registered = (await api.ok("GET", pupil, auditor))["events"][0]["position"]
    before = await accesses(api, tenant)

    await api.ok("GET", f"{pupil}?as_of_position={registered}", reader)

    [entry] = (await accesses(api, tenant))[len(before) :]
    assert (entry["actor"], entry["action"], entry["subject_id"]) == (
        f"{role}:reader-2",
        "as-of",
        world["pupil"],
    )
    assert entry["purpose"] == PURPOSE["Purpose"]


async def test_a_caseload_judged_on_a_named_day_is_a_personal_read_not_a_replay(
    api: Api, world: dict[str, str]
) -> None:
    tenant = TenantId(world["tenant"])
    school = api.as_(tenant, Role.SCHOOL, school=SCHOOL, subject="school-2")
    before = await accesses(api, tenant)

    caseload = await api.ok(
        "GET", f"/v1/tenants/{tenant}/schools/{SCHOOL}/caseload?as_of=2025-03-25", school
    )

    [entry] = (await accesses(api, tenant))[len(before) :]
    assert caseload["replayed_to"] is None
    assert (entry["actor"], entry["action"]) == ("school:school-2", "list")
    assert world["pupil"] in {entry["subject_id"], *entry["subjects"]}


async def test_a_refused_read_and_an_empty_list_record_nothing(
    api: Api, world: dict[str, str]
) -> None:
    tenant = TenantId(world["tenant"])
    before = await accesses(api, tenant)
    other_school = api.as_(tenant, Role.SCHOOL, school="34CD00")

    refused = await api.call("GET", f"/v1/tenants/{tenant}/pupils/{world['pupil']}", other_school)
    empty = await api.ok("GET", f"/v1/tenants/{tenant}/schools/34CD00/caseload", other_school)

    assert refused.status_code == 404
    assert empty["pupils"] == []
    assert await accesses(api, tenant) == before


async def test_the_operators_attempts_on_a_tenant_are_in_its_access_log(
    api: Api, world: dict[str, str], app_pool: Pool
) -> None:
    tenant = TenantId(world["tenant"])
    pupil = f"/v1/tenants/{tenant}/pupils/{world['pupil']}"

    read = await api.call("GET", pupil, api.operator())
    change = await api.call("POST", f"{pupil}/shredding", api.operator(), {})
    nowhere = await api.call("GET", "/v1/tenants/XX9999/cases", api.operator())
    officer = api.as_(tenant, Role.PRIVACY_OFFICER)
    seen_by_officer = await api.ok("GET", f"/v1/tenants/{tenant}/log/accesses", officer)

    assert (read.status_code, change.status_code, nowhere.status_code) == (404, 404, 404)
    attempts = [a for a in await accesses(api, tenant) if a["action"] == "refused"]
    assert [(a["actor"], a["resource"], a["subject_id"]) for a in attempts[-2:]] == [
        ("platform-operator:platform-operator", f"GET {pupil}", world["pupil"]),
        ("platform-operator:platform-operator", f"POST {pupil}/shredding", world["pupil"]),
    ]
    assert seen_by_officer["accesses"][-1]["sequence"] == attempts[-1]["sequence"]
    assert (await PostgresAccessLog(app_pool).verify(tenant)).intact
