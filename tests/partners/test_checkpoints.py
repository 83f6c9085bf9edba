"""Every batch a partner receives carries the tenant's latest signed checkpoint.

The partner verifies it with the log key it reads from Passend: webhooks, pull and Server-Sent
Events alike.
"""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidSignature

from tests.api.conftest import Api, open_tenant
from tests.partners.conftest import Receiver
from tests.partners.support import (
    checkpoint_in_header,
    partner,
    published_log_key,
    pull_subscription,
    read_feed,
    until_checkpointed,
    verify_checkpoint,
)
from tests.partners.test_server_sent_events import sse_events
from tests.partners.test_webhooks import (
    PARTNER,
    delivered_events,
    register_pupils,
    secrets,
    until,
    webhook_subscription,
)


async def test_a_webhook_receiver_verifies_the_checkpoint_of_every_batch_with_the_published_key(
    partner_api: Api, receiver: Receiver
) -> None:
    tenant = await open_tenant(partner_api)
    subscription = await webhook_subscription(partner_api, tenant, receiver.url)
    await until_checkpointed(partner_api, tenant, PARTNER)
    last = await register_pupils(partner_api, tenant, 2)
    last = max(last, await register_pupils(partner_api, tenant, 2))
    expected = await read_feed(partner_api, tenant, subscription, PARTNER, until_position=last)
    secret = (await secrets(partner_api, tenant, subscription))[0]
    await until(lambda: len(delivered_events(receiver.received, secret)) == len(expected))
    keys = await published_log_key(partner_api, tenant, PARTNER)

    sizes = []
    for request in receiver.received:
        verified = verify_checkpoint(checkpoint_in_header(request.headers), keys["log"])
        assert verified.origin == keys["origin"] == f"passend.localhost/{tenant}"
        assert verified.size <= last
        sizes.append(verified.size)
    assert sizes == sorted(sizes)


async def test_a_tampered_checkpoint_does_not_verify(partner_api: Api, receiver: Receiver) -> None:
    tenant = await open_tenant(partner_api)
    await webhook_subscription(partner_api, tenant, receiver.url)
    await until_checkpointed(partner_api, tenant, PARTNER)
    await register_pupils(partner_api, tenant, 1)
    await until(lambda: len(receiver.received) >= 1)
    note = checkpoint_in_header(receiver.received[0].headers)
    origin, size, rest = note.split("\n", 2)
    keys = await published_log_key(partner_api, tenant, PARTNER)

    with pytest.raises(InvalidSignature):
        verify_checkpoint(f"{origin}\n{int(size) + 1}\n{rest}", keys["log"])
    other = await published_log_key(partner_api, await open_tenant(partner_api), PARTNER)
    with pytest.raises(AssertionError, match="no signature"):
        verify_checkpoint(note, other["log"])


async def test_every_pull_answer_and_the_stream_carry_a_verifiable_checkpoint(
    partner_api: Api,
) -> None:
    tenant = await open_tenant(partner_api)
    subscription = await pull_subscription(
        partner_api, tenant, PARTNER, "LEERPLICHTWET", "pupil.enrolled.v1"
    )
    last = await register_pupils(partner_api, tenant, 2)
    await read_feed(partner_api, tenant, subscription, PARTNER, until_position=last)
    await until_checkpointed(partner_api, tenant, PARTNER)
    keys = await published_log_key(partner_api, tenant, PARTNER)
    headers = partner(partner_api, tenant, PARTNER)
    feed = f"/v1/tenants/{tenant}/feeds/{subscription}"

    for after in (0, last):  # a page with events, and an empty one
        pulled = await partner_api.call("GET", f"{feed}/events?after={after}", headers)
        assert pulled.status_code == 200, pulled.text
        verified = verify_checkpoint(checkpoint_in_header(pulled.headers), keys["log"])
        assert verified.origin == keys["origin"]

    checkpoints: list[str] = []
    async with partner_api.client.stream("GET", f"{feed}/stream", headers=headers) as response:
        streamed = await sse_events(response.aiter_lines(), 2, checkpoints)
    assert len(streamed) == 2
    assert checkpoints
    assert verify_checkpoint(checkpoints[0], keys["log"]).origin == keys["origin"]
