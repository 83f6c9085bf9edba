"""A shredded pupil is gone from every feed at once; who received data about a pupil stays known.

After a pupil's data is shredded, no pull from any position, no Server-Sent Events replay and
no read-model row serves anything about it again. A subject access report lists each partner
subscription that was delivered events about the pupil, with its legal basis, the event types
and when; that record of recipients outlives the shred (AVG art. 19).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
import pytest

from api.auth import Role
from tests.api.conftest import Api, open_tenant
from tests.partners.conftest import Receiver
from tests.partners.support import admin, partner, read_feed, subscribe
from tests.partners.test_webhooks import delivered_events, until

pytestmark = pytest.mark.integration

LEFT = "nl.passend.pupil.left.v1"
PARTNER = "leerplicht-west"


async def two_pupils_that_left(
    api: Api, transport: str = "PULL", webhook_url: str | None = None
) -> tuple[str, str, dict[str, str], int]:
    """A tenant whose attendance officer subscribes to leavings, and two pupils that left."""
    tenant = await open_tenant(api)
    subscription = await subscribe(
        api,
        tenant,
        partner=PARTNER,
        legal_basis="LEERPLICHTWET",
        event_types=[LEFT],
        transport=transport,
        **({"webhook_url": webhook_url} if webhook_url else {}),
    )
    staff = api.as_(tenant, Role.LOKET, Role.COMMITTEE, subject="staff")
    pupils, last = {}, 0
    for name, left_on in (("Sam de Vries", "2025-06-01"), ("Noor Bakker", "2025-06-02")):
        pupil = await api.ok(
            "POST",
            f"/v1/tenants/{tenant}/pupils",
            staff,
            {"name": name, "date_of_birth": "2016-02-02", "municipality_code": "GM0632"},
        )
        left = await api.ok(
            "POST",
            f"/v1/tenants/{tenant}/pupils/{pupil['id']}/leaving",
            staff,
            {"reason": "MOVED_OUT_OF_REGION", "left_on": left_on},
        )
        pupils[left_on] = pupil["id"]
        last = int(left["position"])
    return tenant, subscription, pupils, last


def feed_pupil(events: list[dict[str, Any]], left_on: str) -> str:
    [found] = [e["data"]["pupil"] for e in events if e["data"]["left_on"] == left_on]
    return str(found)


async def streamed(api: Api, tenant: str, subscription: str) -> list[dict[str, Any]]:
    """Every integration event a Server-Sent Events replay from the start sends, until idle."""
    path = f"/v1/tenants/{tenant}/feeds/{subscription}/stream?after=0&idle_timeout=1"
    headers = partner(api, tenant, PARTNER)
    async with api.client.stream("GET", path, headers=headers) as response:
        text = "".join([chunk async for chunk in response.aiter_text()])
    events = []
    for message in text.replace("\r\n", "\n").split("\n\n"):
        fields = [line.partition(":") for line in message.splitlines()]
        if any(name == "event" and value.strip() == LEFT for name, _, value in fields):
            data = "\n".join(value.strip() for name, _, value in fields if name == "data")
            events.append(json.loads(data))
    return events


async def rows_about(admin_dsn: str, tenant: str, pupil: str) -> int:
    connection = await asyncpg.connect(admin_dsn)
    try:
        counts = [
            await connection.fetchval(
                f"SELECT count(*) FROM read_models.{table}"  # noqa: S608 - fixed names
                " WHERE tenant_id = $1 AND pupil_id = $2::uuid",
                tenant,
                pupil,
            )
            for table in ("partner_events", "partner_pupils", "partner_streams")
        ]
    finally:
        await connection.close()
    return sum(counts)


async def test_after_a_shred_no_pull_replay_or_row_holds_anything_about_the_pupil(
    partner_api: Api, database_dsns: tuple[str, str]
) -> None:
    api = partner_api
    tenant, subscription, pupils, last = await two_pupils_that_left(api)
    before = await read_feed(api, tenant, subscription, PARTNER, until_position=last)
    shredded_pupil, kept_pupil = feed_pupil(before, "2025-06-01"), feed_pupil(before, "2025-06-02")
    staff = api.as_(tenant, Role.LOKET, subject="staff")

    await api.ok("POST", f"/v1/tenants/{tenant}/pupils/{pupils['2025-06-01']}/shredding", staff, {})
    pulled = await read_feed(api, tenant, subscription, PARTNER, until_position=last)
    replayed = await streamed(api, tenant, subscription)
    for _ in range(100):  # the read model purges its rows when it reaches the shred
        if not await rows_about(database_dsns[0], tenant, pupils["2025-06-01"]):
            break
        await asyncio.sleep(0.1)

    assert {e["data"]["pupil"] for e in before} == {shredded_pupil, kept_pupil}
    assert [e["data"]["pupil"] for e in pulled] == [kept_pupil]
    assert [e["data"]["pupil"] for e in replayed] == [kept_pupil]
    assert await rows_about(database_dsns[0], tenant, pupils["2025-06-01"]) == 0
    assert await rows_about(database_dsns[0], tenant, pupils["2025-06-02"]) > 0


async def test_a_webhook_replay_after_a_shred_sends_nothing_about_the_pupil(
    partner_api: Api, receiver: Receiver
) -> None:
    api = partner_api
    tenant, subscription, pupils, _ = await two_pupils_that_left(api, "WEBHOOK", receiver.url)
    path = f"/v1/tenants/{tenant}/subscriptions/{subscription}"
    secret = (await api.ok("GET", f"{path}/webhook-secrets", admin(api, tenant)))["secrets"][0]
    await until(lambda: len(delivered_events(receiver.received, secret)) == 2)
    delivered = delivered_events(receiver.received, secret)
    staff = api.as_(tenant, Role.LOKET, subject="staff")

    await api.ok("POST", f"/v1/tenants/{tenant}/pupils/{pupils['2025-06-01']}/shredding", staff, {})
    receiver.received.clear()
    await api.ok("POST", f"{path}/replays", admin(api, tenant), {"after_position": 0})
    await until(lambda: len(receiver.received) >= 1)
    replayed = delivered_events(receiver.received[:1], secret)

    assert [e["data"]["pupil"] for e in replayed] == [feed_pupil(delivered, "2025-06-02")]


async def test_subject_access_lists_each_partner_that_received_data_about_the_pupil(
    partner_api: Api,
) -> None:
    api = partner_api
    tenant, subscription, pupils, last = await two_pupils_that_left(api)
    await read_feed(api, tenant, subscription, PARTNER, until_position=last)
    await streamed(api, tenant, subscription)
    staff = api.as_(tenant, Role.LOKET, subject="staff")
    await api.ok("POST", f"/v1/tenants/{tenant}/pupils/{pupils['2025-06-01']}/shredding", staff, {})
    officer = api.as_(tenant, Role.PRIVACY_OFFICER)
    never = await api.ok(
        "POST",
        f"/v1/tenants/{tenant}/pupils",
        staff,
        {"name": "Ties Jansen", "date_of_birth": "2015-01-01", "municipality_code": "GM0632"},
    )

    reports = {
        left_on: await api.ok("GET", f"/v1/tenants/{tenant}/pupils/{pupil}/subject-access", officer)
        for left_on, pupil in pupils.items()
    }
    page = await api.call(
        "GET", f"/v1/tenants/{tenant}/pupils/{pupils['2025-06-02']}/subject-access/page", officer
    )
    untouched = await api.ok(
        "GET", f"/v1/tenants/{tenant}/pupils/{never['id']}/subject-access", officer
    )

    for report in reports.values():
        [recipient] = report["recipients"]
        assert recipient["recipient"] == f"partner {PARTNER}"
        assert recipient["legal_basis"] == "LEERPLICHTWET"
        assert recipient["fields"] == [LEFT]
        assert recipient["subscription_id"] == subscription
        assert recipient["events_delivered"] == 2  # pulled once, streamed once
        assert recipient["first_delivered_at"] <= recipient["last_delivered_at"]
    assert page.status_code == 200
    assert f"partner {PARTNER}" in page.text
    assert LEFT in page.text
    assert untouched["recipients"] == []
