"""Webhooks reach a real receiver in order, each event once, signed, through failures."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from standardwebhooks.webhooks import Webhook

from api.auth import Role
from tests.api.conftest import SCHOOL, Api, open_tenant
from tests.partners.conftest import Received, Receiver
from tests.partners.support import partner, read_feed, subscribe

T = "nl.passend."
PARTNER = "leerplicht"


async def webhook_subscription(api: Api, tenant: str, url: str) -> str:
    return await subscribe(
        api,
        tenant,
        partner=PARTNER,
        legal_basis="LEERPLICHTWET",
        event_types=[f"{T}pupil.enrolled.v1", f"{T}pupil.left.v1"],
        transport="WEBHOOK",
        webhook_url=url,
    )


async def register_pupils(api: Api, tenant: str, count: int) -> int:
    """Register ``count`` pupils enrolled at SCHOOL; the last position."""
    staff = api.as_(tenant, Role.LOKET, subject="staff")
    last = 0
    for i in range(count):
        registered = await api.ok(
            "POST",
            f"/v1/tenants/{tenant}/pupils",
            staff,
            {
                "name": f"Leerling {i}",
                "date_of_birth": "2016-02-02",
                "municipality_code": "GM0632",
                "school_code": SCHOOL,
            },
        )
        last = int(registered["position"])
    return last


async def secrets(api: Api, tenant: str, subscription: str) -> list[str]:
    found = await api.ok(
        "GET",
        f"/v1/tenants/{tenant}/subscriptions/{subscription}/webhook-secrets",
        partner(api, tenant, PARTNER),
    )
    return list(found["secrets"])


def delivered_events(received: list[Received], secret: str) -> list[dict[str, Any]]:
    """The events in the order received, each batch once, every signature verified.

    A repeated webhook-id must repeat the same batch.
    """
    by_id: dict[str, bytes] = {}
    events: list[dict[str, Any]] = []
    for request in received:
        Webhook(secret).verify(request.body, request.headers)
        message_id = request.headers["webhook-id"]
        if message_id in by_id:
            assert by_id[message_id] == request.body
            continue
        by_id[message_id] = request.body
        events.extend(json.loads(request.body))
    return events


async def until(condition: Any, timeout_s: float = 30.0) -> None:
    for _ in range(int(timeout_s / 0.1)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def test_a_receiver_that_fails_times_out_and_goes_away_ends_with_every_event_once_in_order(
    partner_api: Api, receiver: Receiver
) -> None:
    receiver.script = [500, "hang", ("gone", 1.0)]
    tenant = await open_tenant(partner_api)
    subscription = await webhook_subscription(partner_api, tenant, receiver.url)
    last = await register_pupils(partner_api, tenant, 3)
    last = max(last, await register_pupils(partner_api, tenant, 3))
    expected = await read_feed(partner_api, tenant, subscription, PARTNER, until_position=last)
    assert len(expected) == 6
    secret = (await secrets(partner_api, tenant, subscription))[0]

    await until(lambda: len(delivered_events(receiver.received, secret)) >= len(expected))

    delivered = delivered_events(receiver.received, secret)
    assert [e["sequence"] for e in delivered] == [e["sequence"] for e in expected]
    assert delivered == expected
    response = await partner_api.call(
        "GET",
        f"/v1/tenants/{tenant}/subscriptions/{subscription}/attempts",
        partner(partner_api, tenant, PARTNER),
    )
    attempts: list[dict[str, Any]] = response.json()
    statuses = [a["status_code"] for a in reversed(attempts)]
    assert statuses[0] == 500
    assert None in statuses  # the timeout and the refused connections
    assert statuses[-1] == 200
    assert all(a["latency_ms"] >= 0 for a in attempts)


async def test_a_failing_subscription_shows_its_status_and_keeps_its_position(
    partner_api: Api, receiver: Receiver
) -> None:
    receiver.script = [503] * 1000
    tenant = await open_tenant(partner_api)
    subscription = await webhook_subscription(partner_api, tenant, receiver.url)
    await register_pupils(partner_api, tenant, 2)
    path = f"/v1/tenants/{tenant}/subscriptions/{subscription}"
    headers = partner(partner_api, tenant, PARTNER)

    async def attempts() -> int:
        read = await partner_api.ok("GET", path, headers)
        return int((read["delivery"] or {}).get("attempts", 0))

    for _ in range(100):
        if await attempts() >= 2:
            break
        await asyncio.sleep(0.1)
    read = await partner_api.ok("GET", path, headers)
    delivery = read["delivery"]
    assert delivery["status"] == "failing"
    assert delivery["last_error"] == "HTTP 503"
    assert delivery["lag_events"] >= 2
    assert delivery["lag_seconds"] > 0
    position = delivery["position"]

    receiver.script = []

    def delivered() -> list[int]:
        return [int(e["sequence"]) for r in receiver.received for e in json.loads(r.body)]

    # The failing batch may have held one event or both, as far as the feed had come.
    await until(lambda: len(delivered()) >= 2)
    await asyncio.sleep(0.3)
    after = (await partner_api.ok("GET", path, headers))["delivery"]
    assert after["status"] == "ok"
    assert after["position"] > position
    sequences = delivered()
    assert sequences == sorted(set(sequences))
    assert len(sequences) == 2
    assert sequences[0] > position


async def test_410_disables_delivery_until_it_is_resumed(
    partner_api: Api, receiver: Receiver
) -> None:
    receiver.script = [410]
    tenant = await open_tenant(partner_api)
    subscription = await webhook_subscription(partner_api, tenant, receiver.url)
    await register_pupils(partner_api, tenant, 1)
    path = f"/v1/tenants/{tenant}/subscriptions/{subscription}"
    headers = partner(partner_api, tenant, PARTNER)
    read: dict[str, Any] = {}
    for _ in range(100):
        read = await partner_api.ok("GET", path, headers)
        if (read["delivery"] or {}).get("status") == "disabled":
            break
        await asyncio.sleep(0.1)
    assert read["delivery"]["status"] == "disabled"
    await asyncio.sleep(0.5)
    assert receiver.received == []

    await partner_api.ok("POST", f"{path}/resume", headers)
    await until(lambda: len(receiver.received) == 1)


async def test_during_a_rotation_both_secrets_sign_every_request(
    partner_api: Api, receiver: Receiver
) -> None:
    tenant = await open_tenant(partner_api)
    subscription = await webhook_subscription(partner_api, tenant, receiver.url)
    old = (await secrets(partner_api, tenant, subscription))[0]
    rotated = await partner_api.ok(
        "POST",
        f"/v1/tenants/{tenant}/subscriptions/{subscription}/secret-rotations",
        partner(partner_api, tenant, PARTNER),
        {"overlap_seconds": 3600},
    )
    new = rotated["secrets"][0]
    assert rotated["secrets"] == [new, old]
    await register_pupils(partner_api, tenant, 1)
    await until(lambda: len(receiver.received) == 1)
    request = receiver.received[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(request.body, request.headers)
    Webhook(new).verify(request.body, request.headers)
