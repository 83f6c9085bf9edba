"""Server-Sent Events: ``id:`` is the position, and a dropped stream resumes without a gap."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from tests.api.conftest import Api, open_tenant
from tests.partners.support import partner, pull_subscription, read_feed
from tests.partners.test_webhooks import PARTNER, register_pupils


async def sse_events(
    lines: AsyncIterator[str], count: int, checkpoints: list[str] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """The next ``count`` events of a stream, as (id, CloudEvent).

    The checkpoints the stream sends between them go to ``checkpoints``.
    """
    found: list[tuple[str, dict[str, Any]]] = []
    event_id, kind, data = "", "", []
    async for line in lines:
        if line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif not line:
            if kind == "checkpoint" and checkpoints is not None:
                checkpoints.append("\n".join(data))
            elif kind != "checkpoint" and any(data):  # not a keep-alive
                found.append((event_id, json.loads("\n".join(data))))
            event_id, kind, data = "", "", []
            if len(found) == count:
                return found
    return found


async def test_a_dropped_stream_resumes_from_last_event_id_without_a_gap(
    partner_api: Api,
) -> None:
    tenant = await open_tenant(partner_api)
    subscription = await pull_subscription(
        partner_api, tenant, PARTNER, "LEERPLICHTWET", "pupil.enrolled.v1"
    )
    first_last = await register_pupils(partner_api, tenant, 3)
    await read_feed(partner_api, tenant, subscription, PARTNER, until_position=first_last)
    path = f"/v1/tenants/{tenant}/feeds/{subscription}/stream"
    headers = partner(partner_api, tenant, PARTNER)

    async with partner_api.client.stream("GET", path, headers=headers) as response:
        assert response.headers["content-type"].startswith("text/event-stream"), (
            await response.aread()
        )
        first = await sse_events(response.aiter_lines(), 2)
    last = await register_pupils(partner_api, tenant, 3)

    resumed_headers = {**headers, "Last-Event-ID": first[-1][0]}
    async with partner_api.client.stream("GET", path, headers=resumed_headers) as response:
        rest = await sse_events(response.aiter_lines(), 4)

    expected = await read_feed(partner_api, tenant, subscription, PARTNER, until_position=last)
    streamed = first + rest
    assert [event_id for event_id, _ in streamed] == [str(int(e["sequence"])) for e in expected]
    assert [event for _, event in streamed] == expected
