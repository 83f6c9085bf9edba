"""What the partner tests share: subscribing, reading feeds, checking batches, worker processes."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import jsonschema
from cloudevents.core.formats.json import JSONFormat
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from api.auth import Role
from tests.api.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
PROCESS_START_S = 120.0
"""A new process imports the whole API first: on a busy machine that alone takes half a minute."""
_SHARED_WITH_THE_API = (
    "database_app_url",
    "data_dir",
    "public_url",
    "webhook_allow_private_targets",
    "webhook_backoff_base_s",
    "webhook_backoff_cap_s",
    "partner_poll_interval_s",
)


def _env_value(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def start_worker(
    api: Api, command: str, output: IO[bytes] | int = subprocess.DEVNULL, **settings: object
) -> subprocess.Popen[bytes]:
    """``passend <command> run`` as deployed: a process of its own beside ``api``.

    It has the served API's database, data directory and partner settings, a webhook timeout
    of a process rather than of a test of timeouts, and ``settings`` (Settings fields) on top.
    """
    served = api.settings
    values = {
        **{name: getattr(served, name) for name in _SHARED_WITH_THE_API},
        "webhook_timeout_s": 5,
        **settings,
    }
    env = {
        **os.environ,
        "DATABASE_URL": served.database_url or "",
        **{f"PASSEND_{name.upper()}": _env_value(value) for name, value in values.items()},
    }
    return subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-c", "from api.cli import main; main()", command, "run"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )


def admin(api: Api, tenant: str) -> dict[str, str]:
    return api.admin(tenant)


def partner(api: Api, tenant: str, subject: str) -> dict[str, str]:
    return api.as_(tenant, Role.PARTNER, subject=subject)


async def subscribe(api: Api, tenant: str, **body: Any) -> str:
    created = await api.ok("POST", f"/v1/tenants/{tenant}/subscriptions", admin(api, tenant), body)
    return str(created["id"])


async def pull_subscription(
    api: Api, tenant: str, partner: str, legal_basis: str, *types: str, **more: Any
) -> str:
    """A feed ``partner`` pulls of the event ``types``, named without ``nl.passend.``."""
    return await subscribe(
        api,
        tenant,
        partner=partner,
        legal_basis=legal_basis,
        event_types=[f"nl.passend.{name}" for name in types],
        transport="PULL",
        **more,
    )


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


@dataclass(frozen=True)
class VerifiedCheckpoint:
    origin: str
    size: int
    root: bytes


def verify_checkpoint(note: str, vkey: str) -> VerifiedCheckpoint:
    """Check a C2SP signed note with a published verifier key, as a partner would.

    With the ``cryptography`` library alone: the key is ``<name>+<key id>+<base64(0x01 ||
    Ed25519 key)>``, a signature line ``— <name> <base64(key id || signature)>`` signs the
    note's body (every line before the blank one). Raises if no line verifies.
    """
    name, key_id, encoded = vkey.split("+", 2)
    raw = base64.b64decode(encoded)
    assert raw[0] == 0x01  # an Ed25519 log key
    public = Ed25519PublicKey.from_public_bytes(raw[1:])
    body, blank, signatures = note.partition("\n\n")
    assert blank
    for line in signatures.splitlines():
        signer, _, signed = line.removeprefix("\u2014 ").rpartition(" ")
        signature = base64.b64decode(signed)
        if signer == name and signature[:4].hex() == key_id:
            public.verify(signature[4:], f"{body}\n".encode())  # raises InvalidSignature
            origin, size, root = body.split("\n")[:3]
            return VerifiedCheckpoint(origin, int(size), base64.b64decode(root))
    raise AssertionError(f"no signature by {name} on {note!r}")


def checkpoint_in_header(headers: Any) -> str:
    """The signed note a pull answer or a webhook request carries (base64 in a header)."""
    return base64.b64decode(headers["passend-checkpoint"]).decode()


async def published_log_key(api: Api, tenant: str, subject: str) -> dict[str, Any]:
    """The tenant's log key and origin, as the partner reads them."""
    keys: dict[str, Any] = await api.ok(
        "GET", f"/v1/tenants/{tenant}/log/keys", partner(api, tenant, subject)
    )
    return keys


async def until_checkpointed(api: Api, tenant: str, subject: str) -> None:
    """Wait until the tenant's log has a signed checkpoint (the integrator signs after commit)."""
    for _ in range(200):
        response = await api.call(
            "GET", f"/v1/tenants/{tenant}/log/checkpoint", partner(api, tenant, subject)
        )
        if response.status_code == 200:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{tenant} has no checkpoint")
