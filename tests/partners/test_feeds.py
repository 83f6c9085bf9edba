"""Partners pull only what their legal basis permits, minimised, as valid CloudEvents batches."""

from __future__ import annotations

import json
from typing import Any

from api.auth import Role
from tests.api.conftest import Api, open_tenant
from tests.api.world import build_world
from tests.partners.support import admin, partner, pull_subscription, read_feed

T = "nl.passend."
PERSONAL = ("Sam de Vries", "2017-05-12", "Wat past?", "Toelaatbaar", "Liever het SBO", "Nodig.")


async def world_with_subscriptions(api: Api) -> tuple[str, dict[str, str], dict[str, str], int]:
    tenant = await open_tenant(api)
    subscriptions = {
        "youth": await pull_subscription(
            api, tenant, "wijkteam", "JEUGDWET", "arrangement.granted.v1", "arrangement.ended.v1"
        ),
        "oogo": await pull_subscription(
            api,
            tenant,
            "gemeente",
            "OOGO_WPO_WVO",
            "tlv.granted.v1",
            "support_request.decided.v1",
            municipalities=["GM0632"],
        ),
        "attendance": await pull_subscription(
            api, tenant, "leerplicht", "LEERPLICHTWET", "pupil.enrolled.v1", "pupil.left.v1"
        ),
        "consent": await pull_subscription(
            api, tenant, "zorgaanbieder", "PARENTAL_CONSENT", "tlv.granted.v1", "pupil.left.v1"
        ),
    }
    world = await build_world(api, tenant)
    staff = api.as_(tenant, Role.LOKET, Role.COMMITTEE, subject="staff")
    other = await api.ok(
        "POST",
        f"/v1/tenants/{tenant}/pupils",
        staff,
        {"name": "Noor Bakker", "date_of_birth": "2016-02-02", "municipality_code": "GM1904"},
    )
    consent = await api.ok(
        "POST",
        f"/v1/tenants/{tenant}/pupils/{world['pupil']}/consents",
        staff,
        {"partner": "zorgaanbieder", "given_on": "2025-03-01"},
    )
    world["other_pupil"] = other["id"]
    last = int(consent["position"])
    for pupil in (world["pupil"], other["id"]):
        left = await api.ok(
            "POST",
            f"/v1/tenants/{tenant}/pupils/{pupil}/leaving",
            staff,
            {"reason": "MOVED_OUT_OF_REGION", "left_on": "2025-06-01"},
        )
        last = int(left["position"])
    return tenant, subscriptions, world, last


async def test_a_type_the_legal_basis_does_not_permit_is_refused_at_creation(
    partner_api: Api,
) -> None:
    tenant = await open_tenant(partner_api)
    response = await partner_api.call(
        "POST",
        f"/v1/tenants/{tenant}/subscriptions",
        admin(partner_api, tenant),
        {
            "partner": "wijkteam",
            "legal_basis": "JEUGDWET",
            "event_types": [f"{T}tlv.granted.v1"],
            "transport": "PULL",
        },
    )
    assert response.status_code == 422
    assert "does not permit nl.passend.tlv.granted.v1" in response.json()["detail"]


async def test_each_partner_reads_only_what_its_basis_permits_minimised(partner_api: Api) -> None:
    tenant, subs, world, last = await world_with_subscriptions(partner_api)

    async def feed(name: str, subject: str) -> list[dict[str, Any]]:
        return await read_feed(partner_api, tenant, subs[name], subject, until_position=last)

    youth = await feed("youth", "wijkteam")
    oogo = await feed("oogo", "gemeente")
    attendance = await feed("attendance", "leerplicht")
    consent = await feed("consent", "zorgaanbieder")

    assert {e["type"] for e in youth} == {f"{T}arrangement.granted.v1"}
    assert all("amount" not in e["data"] and "unit" not in e["data"] for e in youth)
    assert {e["type"] for e in oogo} == {f"{T}tlv.granted.v1", f"{T}support_request.decided.v1"}
    assert all("school_code" not in e["data"] for e in oogo)
    assert [e["data"]["pupil"] for e in attendance] == [
        world["pupil"],
        world["pupil"],
        world["other_pupil"],
    ]
    # Consent counts from when it is recorded: the TLV granted before it is not delivered.
    assert [(e["type"], e["data"]["pupil"]) for e in consent] == [
        (f"{T}pupil.left.v1", world["pupil"])
    ]

    for events in (youth, oogo, attendance, consent):
        positions = [int(e["sequence"]) for e in events]
        assert positions == sorted(set(positions))
    # Pseudonyms differ per subscription, so partners cannot link their data.
    assert {e["data"]["pupil"] for e in youth}.isdisjoint({e["data"]["pupil"] for e in oogo})
    scan = json.dumps([youth, oogo, attendance, consent])
    for text in PERSONAL:
        assert text not in scan
    assert world["pupil"] not in json.dumps([youth, oogo])


async def test_another_partner_cannot_read_a_feed(partner_api: Api) -> None:
    tenant = await open_tenant(partner_api)
    subscription = await pull_subscription(
        partner_api, tenant, "leerplicht", "LEERPLICHTWET", "pupil.enrolled.v1"
    )
    path = f"/v1/tenants/{tenant}/feeds/{subscription}/events"
    other = await partner_api.call("GET", path, partner(partner_api, tenant, "wijkteam"))
    assert other.status_code == 404
    staff = await partner_api.call("GET", path, partner_api.as_(tenant, Role.LOKET))
    assert staff.status_code == 403


async def test_every_published_schema_is_served(partner_api: Api) -> None:
    document = (await partner_api.client.get("/schema/asyncapi.json")).json()
    assert document["asyncapi"] == "3.0.0"
    messages = document["components"]["messages"]
    assert messages.pop("checkpoint")["contentType"] == "text/plain"
    for message in messages.values():
        name = message["name"]
        assert "Passend-Checkpoint" in message["headers"]["properties"]
        schema = await partner_api.client.get(f"/schema/integration-events/{name}.json")
        assert schema.status_code == 200
        assert "pupil" in schema.json()["required"]
