"""What the partner tests share: subscribing, reading a whole feed, checking batches."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import jsonschema
from cloudevents.core.formats.json import JSONFormat

from api.auth import Role
from tests.api.conftest import Api


def admin(api: Api, tenant: str) -> dict[str, str]:
    return api.admin(tenant)


def partner(api: Api, tenant: str, subject: str) -> dict[str, str]:
    return api.as_(tenant, Role.PARTNER, subject=subject)


async def subscribe(api: Api, tenant: str, **body: Any) -> str:
    created = await api.ok("POST", f"/v1/tenants/{tenant}/subscriptions", admin(api, tenant), body)
    return str(created["id"])


def check_batch(batch: list[dict[str, Any]], schema: dict[str, Any]) -> None:
    """The batch validates against the published schema and each event parses with the SDK."""
    jsonschema.Draft202012Validator(schema).validate(batch)
    for element in batch:
        event = JSONFormat().read(None, json.dumps(element))
        assert event.get_type() == element["type"]
        assert event.get_extension("sequence") == element["sequence"]


async def read_feed(
    api: Api, tenant: str, subscription: str, subject: str, *, until_position: int, limit: int = 3
) -> list[dict[str, Any]]:
    """Every event of the feed up to ``until_position``, page by page, each page checked."""
    schema = (await api.client.get("/schema/integration-events/batch.json")).json()
    events: list[dict[str, Any]] = []
    after = 0
    for _ in range(40):
        response = await api.client.get(
            f"/v1/tenants/{tenant}/feeds/{subscription}/events",
            params={"after": after, "limit": limit, "wait": 1},
            headers=partner(api, tenant, subject),
        )
        if response.status_code == 404 and after == 0:
            await asyncio.sleep(0.05)  # the subscription is not in the read model yet
            continue
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/cloudevents-batch+json")
        batch = response.json()
        check_batch(batch, schema)
        events.extend(batch)
        after = int(response.headers["Passend-Next-After"])
        if after >= until_position:
            return events
        if not batch:
            await asyncio.sleep(0.05)
    status = await api.client.get(
        f"/v1/tenants/{tenant}/projections/status",
        headers=api.as_(tenant, Role.LOKET, subject="staff"),
    )
    raise AssertionError(f"the feed did not reach {until_position}, but {after}: {status.text}")
