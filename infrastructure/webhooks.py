"""Sending one signed webhook request: SSRF checks on the target, Standard Webhooks signatures.

Signatures come from the ``standardwebhooks`` library; during a secret rotation's overlap a
request carries one signature per secret, space-separated, as the specification allows.
A target must resolve only to public addresses: loopback, private, link-local, reserved and
multicast ranges are refused unless the setting that the tests use allows them. The address
is checked again right before each request (a name may change what it resolves to).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import httpx
from standardwebhooks.webhooks import Webhook

BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"


class UnsafeTargetError(ValueError):
    """The webhook URL points at an address partners may not make Passend call."""


async def check_target(url: str, *, allow_private: bool) -> None:
    """Raise UnsafeTargetError unless every address ``url``'s host resolves to is public."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in {"http", "https"} or not host:
        raise UnsafeTargetError(f"{url!r} is not an absolute http(s) URL")
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise UnsafeTargetError(f"{host!r} does not resolve: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise UnsafeTargetError(
                f"{host!r} resolves to {address}, a private, loopback or reserved address"
            )


def signature_header(secrets: list[str], webhook_id: str, at: datetime, body: str) -> str:
    """``webhook-signature``: one ``v1,<base64>`` per secret, space-separated."""
    return " ".join(Webhook(secret).sign(webhook_id, at, body) for secret in secrets)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One request's outcome: the status (None if none came back), latency and error."""

    status_code: int | None
    latency_ms: float
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300  # noqa: PLR2004

    @property
    def gone(self) -> bool:
        return self.status_code == 410  # noqa: PLR2004


async def post_webhook(  # noqa: PLR0913 - the request's parts
    client: httpx.AsyncClient,
    url: str,
    *,
    webhook_id: str,
    secrets: list[str],
    body: str,
    at: datetime,
    allow_private: bool,
) -> Attempt:
    started = time.perf_counter()
    try:
        await check_target(url, allow_private=allow_private)
        response = await client.post(
            url,
            content=body.encode(),
            headers={
                "content-type": BATCH_CONTENT_TYPE,
                "webhook-id": webhook_id,
                "webhook-timestamp": str(int(at.timestamp())),
                "webhook-signature": signature_header(secrets, webhook_id, at, body),
            },
        )
    except UnsafeTargetError as error:
        return Attempt(None, (time.perf_counter() - started) * 1000, f"refused target: {error}")
    except httpx.HTTPError as error:
        latency = (time.perf_counter() - started) * 1000
        return Attempt(None, latency, f"{type(error).__name__}: {error}"[:500])
    latency = (time.perf_counter() - started) * 1000
    failure = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"  # noqa: PLR2004
    return Attempt(response.status_code, latency, failure)
