"""Webhook targets: every resolved address is checked, and the request goes to exactly that one.

The resolver here is one we control, handed to the composition root as a deployment would hand
it its own: it answers each name from a script, in turn, and counts the questions. A name that
resolves to an allowed address for the check and to a loopback one a moment later (DNS
rebinding) must never reach the loopback service.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import os
import re
import ssl
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from infrastructure.webhooks import (
    UnsafeTargetError,
    WebhookTargets,
    post_webhook,
    webhook_client,
)
from tests.api.conftest import Api, open_tenant
from tests.partners.conftest import Receiver, free_port, partner_settings, served
from tests.partners.support import partner, read_feed
from tests.partners.test_webhooks import (
    PARTNER,
    delivered_events,
    register_pupils,
    secrets,
    until,
    webhook_subscription,
)

PUBLIC = "93.184.215.14"


@dataclass
class ScriptedResolver:
    """Answers each name with the next of its answers, round and round; counts the questions."""

    answers: dict[str, list[list[str]]]
    asked: list[str] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        script = self.answers.get(host)
        if not script:
            raise OSError(f"{host} is not a known name")
        self.asked.append(host)
        return script[(len(self.asked) - 1) % len(script)]


def resolving(name: str, *answers: list[str]) -> WebhookTargets:
    return WebhookTargets(resolver=ScriptedResolver({name: list(answers)}))


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.7", "private"),
        ("fd00::5", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address to refuse, not to bind
        ("100.64.0.1", "non-public"),
        ("::ffff:8.8.8.8", "IPv4-mapped"),
        ("::ffff:10.0.0.1", "IPv4-mapped"),
        ("2002:a00:1::1", "private (embedded 10.0.0.1)"),
        ("64:ff9b::7f00:1", "loopback (embedded 127.0.0.1)"),
    ],
)
async def test_a_name_resolving_to_a_refused_address_is_refused_naming_its_kind(
    address: str, kind: str
) -> None:
    shown = ipaddress.ip_address(address)  # as Python writes it: ::ffff:808:808
    with pytest.raises(UnsafeTargetError, match=re.escape(f"resolves to {shown} ({kind})")):
        await resolving("hooks.partner.example", [address]).pin("https://hooks.partner.example/")
    literal = f"[{address}]" if ":" in address else address
    with pytest.raises(UnsafeTargetError, match=re.escape(f"({kind})")):
        await WebhookTargets().pin(f"http://{literal}/hook")


async def test_every_address_a_name_resolves_to_is_checked_not_only_the_first() -> None:
    with pytest.raises(UnsafeTargetError, match=re.escape("10.0.0.5 (private)")):
        await resolving("hooks.partner.example", [PUBLIC, "10.0.0.5"]).pin(
            "https://hooks.partner.example/"
        )


async def test_a_public_address_is_pinned_and_the_name_kept_for_host_and_tls() -> None:
    pinned = await resolving("hooks.partner.example", [PUBLIC, "2606:4700::1"]).pin(
        "https://hooks.partner.example:8443/passend?tenant=PO2604"
    )
    assert str(pinned.url) == f"https://{PUBLIC}:8443/passend?tenant=PO2604"
    assert pinned.host_header == "hooks.partner.example:8443"
    assert pinned.server_name == "hooks.partner.example"


async def test_a_setting_admits_chosen_networks_and_nothing_else() -> None:
    targets = WebhookTargets(
        resolver=ScriptedResolver({"link.partner.example": [["10.20.0.4"], ["10.30.0.4"]]}),
        allowed_networks=(ipaddress.ip_network("10.20.0.0/16"),),
    )
    assert str((await targets.pin("http://link.partner.example/")).address) == "10.20.0.4"
    with pytest.raises(UnsafeTargetError, match="private"):
        await targets.pin("http://link.partner.example/")


@pytest.fixture(scope="module")
async def rebinding_api(
    database_dsns: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Api, ScriptedResolver]]:
    """The API with the address check on; 127.0.0.2 stands for a partner's public address.

    ``localhost`` answers 127.0.0.2 and 127.0.0.1 in turn: an allowed address, then the
    loopback service behind it, as a rebinding name server would.
    """
    admin_dsn, app_dsn = database_dsns
    settings = partner_settings(
        admin_dsn,
        app_dsn,
        Path(tmp_path_factory.mktemp("rebinding")),
        webhook_allow_private_targets=False,
        webhook_allowed_networks="127.0.0.2/32",
    )
    resolver = ScriptedResolver({"localhost": [["127.0.0.2"], ["127.0.0.1"]]})
    async with served(settings, resolver) as api:
        yield api, resolver


async def test_a_name_that_rebinds_to_loopback_between_check_and_connect_never_reaches_it(
    rebinding_api: tuple[Api, ScriptedResolver],
) -> None:
    api, resolver = rebinding_api
    internal = Receiver(host="127.0.0.1")
    partner_side = Receiver(host="127.0.0.2", port=internal.port)
    await internal.start()
    await partner_side.start()
    try:
        tenant = await open_tenant(api)
        asked_before = len(resolver.asked)
        url = f"http://localhost:{internal.port}/hook"
        subscription = await webhook_subscription(api, tenant, url)
        last = await register_pupils(api, tenant, 2)
        last = max(last, await register_pupils(api, tenant, 2))
        expected = await read_feed(api, tenant, subscription, PARTNER, until_position=last)
        secret = (await secrets(api, tenant, subscription))[0]

        await until(lambda: len(delivered_events(partner_side.received, secret)) == len(expected))

        assert delivered_events(partner_side.received, secret) == expected
        assert internal.started == 0
        assert {r.headers["host"] for r in partner_side.received} == {f"localhost:{internal.port}"}
        last_sequence = int(expected[-1]["sequence"])
        attempts: list[dict[str, Any]] = []
        for _ in range(100):  # the worker records an attempt after its answer came back
            attempts = (
                await api.call(
                    "GET",
                    f"/v1/tenants/{tenant}/subscriptions/{subscription}/attempts",
                    partner(api, tenant, PARTNER),
                )
            ).json()
            if any(
                a["status_code"] == 200 and a["last_position"] == last_sequence for a in attempts
            ):
                break
            await asyncio.sleep(0.1)
        refused = [a for a in attempts if (a["error"] or "").startswith("refused target")]
        assert refused
        assert all("127.0.0.1 (loopback)" in a["error"] for a in refused)
        # One question at creation, then exactly one per attempt: nothing resolved it again.
        assert len(resolver.asked) - asked_before == 1 + len(attempts)
    finally:
        await internal.stop()
        await partner_side.stop()


def _certificate(name: str) -> tuple[bytes, bytes]:
    """A self-signed certificate for ``name`` and its key, both PEM."""
    key = Ed25519PrivateKey.generate()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, None)  # Ed25519 takes no separate hash
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


async def test_over_tls_the_pinned_request_names_the_host_for_sni_and_the_certificate(
    tmp_path: Path,
) -> None:
    certificate, key = _certificate("hooks.partner.test")
    (tmp_path / "cert.pem").write_bytes(certificate)
    (tmp_path / "key.pem").write_bytes(key)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server_names: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _ctx: server_names.append(name)
    hosts: list[str] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        hosts.extend(
            line.split(":", 1)[1].strip()
            for line in head.split("\r\n")
            if line.lower().startswith("host:")
        )
        writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    port = free_port()
    server = await asyncio.start_server(answer, "127.0.0.1", port, ssl=server_context)
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    targets = WebhookTargets(
        resolver=ScriptedResolver({"hooks.partner.test": [["127.0.0.1"]]}), allow_private=True
    )
    client = webhook_client(5.0, verify=ssl.create_default_context(cadata=certificate.decode()))
    try:
        attempt = await post_webhook(
            client,
            f"https://hooks.partner.test:{port}/hook",
            targets=targets,
            webhook_id="msg_1",
            secrets=[secret],
            body="[]",
            at=dt.datetime.now(dt.UTC),
        )
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
    assert attempt.delivered, attempt.error
    assert server_names == ["hooks.partner.test"]
    assert hosts == [f"hooks.partner.test:{port}"]
