"""As of each position, the reads of thuiszitters, services, handovers and cases answer as then.

Absence cases, services, handovers, outflows, the case list, DUO's export and the pupil's
timeline; only the auditor and the privacy officer ask, and a bad moment is refused by name.
One object as of a moment is read from its own streams, a tenant-wide list from the log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest

from api.auth import Role
from domain.ids import TenantId
from domain.swv import swv_stream_id
from infrastructure.database import Pool
from infrastructure.event_codec import EventCodec
from projections.absence_cases import AbsenceCasesProjection
from projections.handovers import HandoversProjection
from projections.service_requests import ServiceRequestsProjection
from tests.api.conftest import MUNICIPALITY, SCHOOL, Api
from tests.api.seeds_world import (
    OFF_PLATFORM,
    SERVICE,
    handover_of,
    incoming_from_elsewhere,
    seeds_world,
)
from tests.api.test_as_of import WHY, auditor
from tests.api.world import projected_world
from tests.projections.conftest import eventually
from tests.projections.read_models import READ_MODELS, caught_up

pytestmark = pytest.mark.integration

MODELS = (
    *READ_MODELS,
    AbsenceCasesProjection(),
    ServiceRequestsProjection(),
    HandoversProjection(),
)


@pytest.fixture(scope="module")
async def world(api: Api, app_pool: Pool, codec: EventCodec) -> AsyncIterator[dict[str, str]]:
    async with projected_world(api, app_pool, codec) as world:
        yield world


Step = Callable[[dict[str, str]], tuple[str, str, dict[str, Any] | None]]
"""A command on the ids made so far: who (a key of the callers), where, and its body."""


async def test_each_read_as_of_each_position_equals_what_was_served_at_that_position(
    api: Api, world: dict[str, str], app_pool: Pool
) -> None:
    tenant = world["tenant"]
    base = f"/v1/tenants/{tenant}"
    callers = {
        "staff": api.as_(tenant, Role.LOKET, Role.COMMITTEE, subject="staff"),
        "school": api.as_(tenant, Role.SCHOOL, subject="ib"),
        "admin": api.admin(tenant),
    }
    catalogue = await api.ok("GET", f"{base}/services", callers["admin"])
    if not catalogue["services"]:
        await api.ok(
            "POST",
            f"{base}/services",
            callers["admin"],
            {"code": SERVICE, "name": "Observatie", "kind": "VOORZIENING", "for_pupils": True},
        )
    noor = {"name": "Noor", "date_of_birth": "2014-01-02", "municipality_code": MUNICIPALITY}
    pupil = await api.ok(
        "POST", f"{base}/pupils", callers["staff"], {**noor, "school_code": SCHOOL}
    )
    ids = {"pupil": pupil["id"], **await incoming_from_elsewhere(api, TenantId(tenant))}
    absent = {
        "pupil_id": pupil["id"],
        "absent_since": "2025-09-29",
        "completely_absent": True,
        "reporter": "SCHOOL",
        "reported_on": "2025-10-01",
    }
    asked = {"service_code": SERVICE, "school_code": SCHOOL, "pupil_id": pupil["id"]}
    grant = {"hours": 10, "provider": "De Brug", "start_on": "2025-10-01", "end_on": "2026-07-17"}
    holidays = {
        "school_year": 2025,
        "holidays": [{"first_day": "2025-10-18", "last_day": "2025-10-26"}],
    }
    left = {"pupil_id": pupil["id"], "destination": "ARBEID", "left_on": "2026-07-18"}
    steps: list[tuple[str, Step, str | None]] = [  # caller, command, the id it makes
        ("school", lambda _: ("POST", f"{base}/absence-cases", absent), "absence"),
        (
            "school",
            lambda i: (
                "POST",
                f"{base}/absence-cases/{i['absence']}/hours",
                {"week": "2025-09-29", "unauthorised_hours": 8},
            ),
            None,
        ),
        (
            "school",
            lambda _: ("POST", f"{base}/service-requests", {**asked, "question": "Wat past?"}),
            "service_request",
        ),
        (
            "staff",
            lambda i: ("POST", f"{base}/service-requests/{i['service_request']}/grant", grant),
            None,
        ),
        ("admin", lambda _: ("PUT", f"{base}/absence-settings/school-holidays", holidays), None),
        (
            "staff",
            lambda i: ("POST", f"{base}/handovers", handover_of(i["pupil"], OFF_PLATFORM)),
            "handover",
        ),
        ("staff", lambda i: ("POST", f"{base}/handovers/{i['handover']}/export", {}), None),
        (
            "staff",
            lambda i: (
                "POST",
                f"{base}/incoming-handovers/{i['incoming_handover']}/decline",
                {"reason": "Woont elders."},
            ),
            None,
        ),
        ("staff", lambda _: ("POST", f"{base}/outflows", left), "outflow"),
        (
            "school",
            lambda i: (
                "POST",
                f"{base}/absence-cases/{i['absence']}/closure",
                {"end": "RETURNED_TO_SCHOOL", "ended_on": "2025-11-03"},
            ),
            None,
        ),
    ]
    reads = [
        "absence-cases/{absence}",
        "absence-cases/monthly-overview?school_year=2025",
        "absence-settings",
        "services",
        "services/overview?school_year=2025",
        "service-requests/{service_request}",
        "handovers",
        "handovers/{handover}",
        "incoming-handovers/{incoming_handover}",
        "outflows/{outflow}",
        f"cases?school={SCHOOL}",
        "pupils/{pupil}/timeline",
        "duo/tlv-registrations?period_from=2025-08-01&period_until=2026-07-31",
    ]
    served: list[tuple[int, dict[str, dict[str, Any]]]] = []
    for caller, step, makes in steps:
        method, path, body = step(ids)
        done = await api.ok(method, path, callers[caller], body)
        if makes:
            ids[makes] = done["id"]
        await eventually(lambda: caught_up(app_pool, TenantId(tenant), MODELS), timeout_s=30)
        answers = {}
        for read in reads:
            try:
                path = f"{base}/{read.format(**ids)}"
            except KeyError:
                continue  # what it reads is not made yet
            answers[read] = await api.ok("GET", path, auditor(api, tenant))
        served.append((done["position"], answers))

    assert set(served[-1][1]) == set(reads)
    for position, answers in served:
        for read, then in answers.items():
            sep = "&" if "?" in read else "?"
            path = f"{base}/{read.format(**ids)}{sep}as_of_position={position}"
            replayed = await api.ok("GET", path, auditor(api, tenant))
            assert replayed["replayed_to"]["position"] == position, read
            assert {**replayed, "replayed_to": None} == then, (position, read)


async def test_as_of_a_moment_a_school_or_municipality_is_refused_whatever_it_reads_now(
    api: Api, world: dict[str, str]
) -> None:
    tenant = world["tenant"]
    base = f"/v1/tenants/{tenant}"
    school = {**api.as_(tenant, Role.SCHOOL, subject="ib"), **WHY}
    municipality = {**api.as_(tenant, Role.MUNICIPALITY), **WHY}
    loket = {**api.as_(tenant, Role.LOKET), **WHY}
    asked = {
        "services/overview?school_year=2025": school,
        "absence-settings": municipality,
        "services": municipality,
        "cases": loket,
        "handovers": loket,
        "absence-cases/monthly-overview?school_year=2025": loket,
        f"pupils/{world['pupil']}/timeline": loket,
    }
    for read, caller in asked.items():
        now = await api.call("GET", f"{base}/{read}", caller)
        sep = "&" if "?" in read else "?"
        then = await api.call("GET", f"{base}/{read}{sep}as_of_position=1", caller)

        assert now.status_code == 200, (read, now.text)
        assert then.status_code == 403, (read, then.text)
        assert then.headers["content-type"].startswith("application/problem+json"), read


async def test_a_bad_moment_is_refused_naming_its_parameter(
    api: Api, world: dict[str, str]
) -> None:
    tenant = world["tenant"]
    base = f"/v1/tenants/{tenant}"
    reads = [
        f"pupils/{world['pupil']}/timeline",
        "cases",
        "handovers",
        "services/overview?school_year=2025",
        "absence-cases/monthly-overview?school_year=2025",
    ]
    moments = {
        "as_of=yesterday": "as_of",
        "as_of=2025-13-45T00:00:00Z": "as_of",
        "as_of=2999-01-01T00:00:00Z": "as_of",
        "as_of_position=-1": "as_of_position",
        "as_of_position=999999999": "as_of_position",
        "as_of_position=1&as_of=2025-01-01T00:00:00Z": "as_of_position",
    }
    wrong = []
    for read in reads:
        sep = "&" if "?" in read else "?"
        for moment, field in moments.items():
            response = await api.call("GET", f"{base}/{read}{sep}{moment}", auditor(api, tenant))
            problem = response.json()
            named = {e.get("field") for e in problem.get("errors", [])} | {
                e.get("key") for e in problem.get("extra", [])
            }
            if response.status_code not in {400, 422} or field not in named:
                wrong.append(f"{read} {moment}: {response.status_code} {response.text}")

    assert not wrong, "\n".join(wrong)


class ReadsOfTheLog:
    """The app's event store, noting which streams and how many log scans its answers read."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.streams: list[UUID] = []
        self.log_scans = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def read_stream(self, tenant_id: TenantId, stream_id: UUID, **upto: Any) -> Any:
        self.streams.append(stream_id)
        return await self.store.read_stream(tenant_id, stream_id, **upto)

    def read_log_pages(self, tenant_id: TenantId, **paging: Any) -> Any:
        self.log_scans += 1
        return self.store.read_log_pages(tenant_id, **paging)

    async def read_log(self, tenant_id: TenantId, **paging: Any) -> Any:
        self.log_scans += 1
        return await self.store.read_log(tenant_id, **paging)


async def test_one_object_as_of_a_moment_is_read_from_its_own_streams_not_the_tenants_log(
    api: Api, world: dict[str, str]
) -> None:
    tenant = TenantId(world["tenant"])
    base = f"/v1/tenants/{tenant}"
    seeded = await seeds_world(api, tenant, world["pupil"])
    state = api.client.app.state
    store = ReadsOfTheLog(state.event_store)
    one_object = {
        f"absence-cases/{seeded['absence']}": seeded["absence"],
        f"service-requests/{seeded['service_request']}": seeded["service_request"],
        f"handovers/{seeded['handover']}": seeded["handover"],
        f"incoming-handovers/{seeded['incoming_handover']}": seeded["incoming_handover"],
        f"outflows/{seeded['outflow']}": seeded["outflow"],
    }
    sources = state.read_sources  # a replay reads the primary's log here (there is no replica)
    read: dict[str, tuple[int, set[UUID]]] = {}
    state.event_store = store
    state.read_sources = replace(sources, primary=replace(sources.primary, event_store=store))
    try:
        for path in [*one_object, "handovers"]:
            store.streams, store.log_scans = [], 0
            as_of = f"{base}/{path}?as_of_position={seeded['seeded']}"
            await api.ok("GET", as_of, auditor(api, tenant))
            read[path] = (store.log_scans, set(store.streams))
    finally:
        state.event_store, state.read_sources = store.store, sources

    for path, object_id in one_object.items():
        scans, streams = read[path]
        assert scans == 0, path
        assert streams <= {UUID(object_id), swv_stream_id(tenant)}, path
    assert read["handovers"][0] >= 1  # a list of the tenant's handovers replays its log
