"""Sending one signed webhook request to a checked, pinned address; Standard Webhooks signatures.

Signatures come from the ``standardwebhooks`` library; during a secret rotation's overlap a
request carries one signature per secret, space-separated, as the specification allows.

A target's host is resolved once per request and every address it resolves to is checked:
loopback, private, link-local, multicast, reserved, unspecified and IPv4-mapped addresses (and
IPv6 addresses that embed a refused IPv4 one) are refused unless a setting allows them. The
request then goes to exactly the first checked address, with the name kept in the ``Host``
header and as the TLS server name (SNI, and the name the certificate must carry), so a name
that resolves differently a moment later (DNS rebinding) cannot steer it to another address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx
from standardwebhooks.webhooks import Webhook

BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""The addresses a host name resolves to, as text, in the resolver's order."""

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_REFUSED_KINDS: tuple[tuple[str, Callable[[IPAddress], bool]], ...] = (
    ("unspecified", lambda a: a.is_unspecified),
    ("loopback", lambda a: a.is_loopback),
    ("link-local", lambda a: a.is_link_local),
    ("multicast", lambda a: a.is_multicast),
    ("reserved", lambda a: a.is_reserved),
    ("private", lambda a: a.is_private),
    ("non-public", lambda a: not a.is_global),
)


class UnsafeTargetError(ValueError):
    """The webhook URL points at an address partners may not make Passend call."""


async def system_resolver(host: str, port: int) -> list[str]:
    """The deployment's own resolver (``getaddrinfo``)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a 6to4, Teredo or NAT64 address leads to, if it is one."""
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress) -> str | None:
    """Why Passend may not call ``address`` (a kind of address), or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "IPv4-mapped"
        embedded = _embedded_ipv4(address)
        if embedded is not None and (inner := refusal(embedded)) is not None:
            return f"{inner} (embedded {embedded})"
    for kind, applies in _REFUSED_KINDS:
        if applies(address):
            return kind
    return None


@dataclass(frozen=True, slots=True)
class PinnedTarget:
    """Where one request goes: the URL with the checked address in place of its host."""

    url: httpx.URL
    address: IPAddress
    host_header: str
    server_name: str


@dataclass(frozen=True, slots=True)
class WebhookTargets:
    """Which webhook targets may be called, and how their names resolve.

    ``allow_private`` lifts the address check (tests and local trials); ``allowed_networks``
    admits chosen non-public networks (a partner on a private link). Either way the request
    goes to the address that was resolved for it.
    """

    resolver: Resolver = system_resolver
    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    def refusal(self, address: IPAddress) -> str | None:
        if self.allow_private or any(address in network for network in self.allowed_networks):
            return None
        return refusal(address)

    async def pin(self, url: str) -> PinnedTarget:
        """Resolve ``url``'s host once, check every address, pin the first; or refuse."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as error:
            raise UnsafeTargetError(f"{url!r} is not a URL: {error}") from None
        if parsed.scheme not in {"http", "https"} or not parsed.host:
            raise UnsafeTargetError(f"{url!r} is not an absolute http(s) URL")
        name = parsed.raw_host.decode("ascii")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            literal: IPAddress | None = ipaddress.ip_address(parsed.host)
        except ValueError:
            literal = None
        addresses = [literal] if literal is not None else await self._resolve(name, port)
        for address in addresses:
            reason = self.refusal(address)
            if reason is not None:
                raise UnsafeTargetError(
                    f"{parsed.host!r} resolves to {address} ({reason}), which may not be called"
                )
        chosen = addresses[0]
        return PinnedTarget(
            url=parsed.copy_with(host=str(chosen)),
            address=chosen,
            host_header=parsed.netloc.decode("ascii"),
            server_name=name,
        )

    async def _resolve(self, name: str, port: int) -> list[IPAddress]:
        try:
            found = list(await self.resolver(name, port))
        except OSError as error:
            raise UnsafeTargetError(f"{name!r} does not resolve: {error}") from None
        if not found:
            raise UnsafeTargetError(f"{name!r} resolves to no address")
        try:
            return [ipaddress.ip_address(text) for text in found]
        except ValueError as error:
            raise UnsafeTargetError(f"{name!r} resolves to {error}") from None


def parse_networks(configured: str) -> tuple[IPNetwork, ...]:
    """``10.1.0.0/16,fd00::/8``: the networks a setting admits."""
    return tuple(
        ipaddress.ip_network(part.strip()) for part in configured.split(",") if part.strip()
    )


def signature_header(secrets: list[str], webhook_id: str, at: datetime, body: str) -> str:
    """``webhook-signature``: one ``v1,<base64>`` per secret, space-separated."""
    return " ".join(Webhook(secret).sign(webhook_id, at, body) for secret in secrets)


def webhook_client(timeout_s: float, *, verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
    """A client for one subscription's target: no redirects, no proxies from the environment.

    One per subscription, so a kept-alive connection opened for one name is never reused for
    another name that resolved to the same address. ``verify`` may name other trusted roots.
    """
    return httpx.AsyncClient(
        timeout=timeout_s, follow_redirects=False, trust_env=False, verify=verify
    )


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
    targets: WebhookTargets,
    webhook_id: str,
    secrets: list[str],
    body: str,
    at: datetime,
    headers: Mapping[str, str] | None = None,
) -> Attempt:
    """POST ``body`` to the address ``url`` resolves to now, if that address may be called."""
    started = time.perf_counter()
    try:
        target = await targets.pin(url)
    except UnsafeTargetError as error:
        return Attempt(None, (time.perf_counter() - started) * 1000, f"refused target: {error}")
    try:
        response = await client.post(
            target.url,
            content=body.encode(),
            headers={
                **(headers or {}),
                "host": target.host_header,
                "content-type": BATCH_CONTENT_TYPE,
                "webhook-id": webhook_id,
                "webhook-timestamp": str(int(at.timestamp())),
                "webhook-signature": signature_header(secrets, webhook_id, at, body),
            },
            extensions={"sni_hostname": target.server_name},
        )
    except httpx.HTTPError as error:
        latency = (time.perf_counter() - started) * 1000
        failure = f"{type(error).__name__} at {target.address}: {error}"
        return Attempt(None, latency, failure[:500])
    latency = (time.perf_counter() - started) * 1000
    refused = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"  # noqa: PLR2004
    return Attempt(response.status_code, latency, refused)
