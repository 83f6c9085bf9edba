"""A thuiszitter reaches the attendance office: its case's signals on their days, in its feed.

Passend records each signal on the day it falls (the nightly run, here with the clock on that
day); the attendance office reads them under the Leerplichtwet through the real pull feed and
a real webhook receiver, minimised; bases that must not get them cannot subscribe to them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

import jsonschema
import pytest

from api.absence_cli import record_due_signals
from api.auth import Role
from domain.ids import TenantId
from domain.registry import AGGREGATE_CLASSES
from infrastructure.commit_notifier import CommitNotifier
from infrastructure.database import Pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from infrastructure.key_provider import default_key_provider
from projections.absence_cases import AbsenceCasesProjection
from tests.api.conftest import SCHOOL, Api, open_tenant
from tests.partners.conftest import Receiver
from tests.partners.support import admin, read_feed, subscribe
from tests.partners.test_webhooks import delivered_events, secrets, until
from tests.projections.conftest import eventually
from tests.projections.read_models import caught_up
from tests.unit.application.conftest import FixedClock

T = "nl.passend.absence."
ABSENCE_TYPES = [
    f"{T}{name}.v1"
    for name in (
        "reported",
        "statutory_report_due",
        "four_weeks_absent",
        "thuiszitterspact_signal",
        "plan_recorded",
        "closed",
    )
]
OFFICE = "leerplicht"
UNREADABLE = TenantId("PO\x002604")
PLAN = "Twee ochtenden per week op de observatieplek."


@pytest.fixture
async def system_store(partner_api: Api, app_pool: Pool) -> AsyncIterator[PostgresEventStore]:
    """The store the nightly run writes with: the served app's database and data keys."""
    store = PostgresEventStore(
        app_pool,
        EventCodec(AGGREGATE_CLASSES),
        key_provider=default_key_provider(partner_api.settings.data_dir),
    )
    notifier = CommitNotifier(app_pool)
    store.on_commit(notifier.commit)  # the served app's read models wake up at once
    try:
        yield store
    finally:
        await notifier.aclose()
        await store.close()


async def night_of(
    day: str, *, store: PostgresEventStore, pool: Pool, tenant: TenantId, case: str, api: Api
) -> list[str]:
    """The case's signals recorded after the nightly run on ``day`` (on a caught-up model)."""
    await eventually(lambda: caught_up(pool, tenant, (AbsenceCasesProjection(),)), timeout_s=30)
    clock = FixedClock(datetime.fromisoformat(f"{day}T01:00:00").replace(tzinfo=UTC))
    # First a tenant whose cases cannot be read (PostgreSQL refuses its code): the night goes on
    assert list(await record_due_signals(store, [UNREADABLE, tenant], clock)) == [tenant]
    read = await api.ok(
        "GET", f"/v1/tenants/{tenant}/absence-cases/{case}", api.as_(tenant, Role.LOKET)
    )
    return [e["data"]["signal"] for e in read["events"] if e["type"] == "AbsenceSignalReached"]


async def test_a_thuiszitter_case_escalates_on_the_right_days_and_shows_in_deadlines_due_and_in_the_attendance_offices_feed(  # noqa: E501 - the whole story of one case
    partner_api: Api, app_pool: Pool, system_store: PostgresEventStore, receiver: Receiver
) -> None:
    api = partner_api
    tenant = await open_tenant(api)
    base = f"/v1/tenants/{tenant}"
    pull = await subscribe(
        api,
        tenant,
        partner=OFFICE,
        legal_basis="LEERPLICHTWET",
        event_types=ABSENCE_TYPES,
        transport="PULL",
    )
    hook = await subscribe(
        api,
        tenant,
        partner=OFFICE,
        legal_basis="LEERPLICHTWET",
        event_types=ABSENCE_TYPES,
        transport="WEBHOOK",
        webhook_url=receiver.url,
    )
    staff, school = api.as_(tenant, Role.LOKET), api.as_(tenant, Role.SCHOOL, subject="ib")
    registered = await api.ok(
        "POST",
        f"{base}/pupils",
        staff,
        {
            "name": "Noor Jansen",
            "date_of_birth": "2013-02-01",
            "municipality_code": "GM0632",
            "school_code": SCHOOL,
        },
    )
    pupil = registered["id"]
    report = {
        "pupil_id": pupil,
        "absent_since": "2025-09-29",
        "completely_absent": True,
        "reporter": "SCHOOL",
        "reported_on": "2025-10-01",
    }
    case = (await api.ok("POST", f"{base}/absence-cases", school, report))["id"]
    path = f"{base}/absence-cases/{case}"
    for week, hours in (("2025-09-29", 6), ("2025-10-06", 6), ("2025-10-13", 4)):
        await api.ok("POST", f"{path}/hours", school, {"week": week, "unauthorised_hours": hours})

    nightly = partial(
        night_of, store=system_store, pool=app_pool, tenant=tenant, case=case, api=api
    )
    night = [await nightly(day) for day in ("2025-10-19", "2025-10-20", "2025-10-26", "2025-10-27")]
    # 16 hours in the week of 13 October: the report is due the Monday after, not before;
    # four school weeks completely absent from 29 September: 27 October
    assert night == [
        [],
        ["LEERPLICHT_REPORT"],
        ["LEERPLICHT_REPORT"],
        ["LEERPLICHT_REPORT", "LONG_TERM_ABSENCE"],
    ]
    due = await api.ok("GET", f"{base}/deadlines?as_of=2025-10-27", staff)
    mine = {i["kind"]: i for i in due["items"] if i["case_id"] == case}
    assert {k: i["due_on"] for k, i in mine.items()} == {
        "LEERPLICHT_REPORT": "2025-10-20",
        "LONG_TERM_ABSENCE": "2025-10-27",
        "THUISZITTERSPACT": "2025-12-29",
    }
    assert mine["LEERPLICHT_REPORT"]["overdue"] is True

    plan = {"plan": PLAN, "agreed_on": "2025-11-03", "review_on": "2025-12-01", "offer_made": False}
    await api.ok("POST", f"{path}/plans", school, plan)
    assert await nightly("2025-12-28") == night[-1]
    pact = await nightly("2025-12-29")
    assert pact == [*night[-1], "THUISZITTERSPACT"]
    again = await nightly("2025-12-29")
    assert again == pact  # a second run on the same day records nothing twice
    back = {"end": "RETURNED_TO_SCHOOL", "ended_on": "2026-01-05"}
    closed = await api.ok("POST", f"{path}/closure", school, back)

    feed = await read_feed(api, tenant, pull, OFFICE, until_position=int(closed["position"]))
    assert [e["type"] for e in feed] == [
        f"{T}reported.v1",
        f"{T}statutory_report_due.v1",
        f"{T}four_weeks_absent.v1",
        f"{T}plan_recorded.v1",
        f"{T}thuiszitterspact_signal.v1",
        f"{T}closed.v1",
    ]
    data = [e["data"] for e in feed]
    assert all(d["pupil"] == pupil and d["absence_case_id"] == case for d in data)
    assert all(d["municipality_code"] == "GM0632" for d in data)
    assert (data[0]["kind"], data[0]["school_code"], data[0]["absent_since"]) == (
        "RELATIEF",
        SCHOOL,
        "2025-09-29",
    )
    assert [(d["due_on"], d["policy"]) for d in (data[1], data[2], data[4])] == [
        ("2025-10-20", False),
        ("2025-10-27", False),
        ("2025-12-29", True),
    ]
    assert data[3] == {
        "pupil": pupil,
        "absence_case_id": case,
        "agreed_on": "2025-11-03",
        "review_on": "2025-12-01",
        "offer_made": False,
        "municipality_code": "GM0632",
        "school_code": SCHOOL,
    }
    assert (data[5]["end"], data[5]["ended_on"]) == ("RETURNED_TO_SCHOOL", "2026-01-05")
    for personal in ("Noor", "Jansen", "2013-02-01", PLAN):
        assert personal not in str(feed)
    asyncapi = (await api.client.get("/schema/asyncapi.json")).json()
    published = {m["name"] for m in asyncapi["components"]["messages"].values() if "name" in m}
    assert set(ABSENCE_TYPES) <= published
    for event in feed:  # each event's data validates against its own published schema
        schema = (await api.client.get(f"/schema/integration-events/{event['type']}.json")).json()
        jsonschema.Draft202012Validator(schema).validate(event["data"])

    secret = (await secrets(api, tenant, hook))[0]
    await until(lambda: len(delivered_events(receiver.received, secret)) >= len(feed))
    assert delivered_events(receiver.received, secret) == feed


@pytest.mark.parametrize("basis", ["OOGO_WPO_WVO", "JEUGDWET"])
async def test_bases_other_than_the_leerplichtwet_cannot_subscribe_to_absence(
    partner_api: Api, basis: str
) -> None:
    tenant = await open_tenant(partner_api)
    for event_type in ABSENCE_TYPES:
        body: dict[str, Any] = {
            "partner": "gemeente",
            "legal_basis": basis,
            "event_types": [event_type],
            "transport": "PULL",
        }
        response = await partner_api.call(
            "POST", f"/v1/tenants/{tenant}/subscriptions", admin(partner_api, tenant), body
        )
        assert response.status_code == 422, (basis, event_type)
        assert f"does not permit {event_type}" in response.json()["detail"]
        assert [e["field"] for e in response.json()["errors"]] == ["event_types"]
