"""Every header a read answers with is declared in the served OpenAPI document, with a schema.

The headers are found, not listed: every GET route of the access matrix (which covers every
route of the app) is called in one world by a role it allows, and each header of each
successful answer must be declared on that operation's answer, except the ones HTTP itself
defines for every body or for one connection.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.auth import Role
from tests.api.conftest import Api, open_tenant
from tests.api.seeds_world import seeds_world
from tests.api.test_access_matrix import ROUTES, fill, token_of
from tests.api.world import build_world
from tests.partners.access import partner_world

pytestmark = pytest.mark.integration

_OF_EVERY_BODY = frozenset({"content-type", "content-length", "transfer-encoding", "vary"})
_HOP_BY_HOP = frozenset({"connection"})  # about one connection, dropped by every proxy
_PARAMETER = re.compile(r"(\{[^}]+\})")


def _matches(template: str, path: str) -> bool:
    parts = _PARAMETER.split(template)
    pattern = "".join("[^/]+" if _PARAMETER.fullmatch(p) else re.escape(p) for p in parts)
    return re.fullmatch(pattern, path) is not None


def _operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The operation the served path is an instance of (the one with the fewest parameters)."""
    found: list[tuple[int, dict[str, Any]]] = [
        (template.count("{"), item[method.lower()])
        for template, item in document["paths"].items()
        if method.lower() in item and _matches(template, path)
    ]
    assert found, f"{method} {path} is not in the document"
    return min(found, key=lambda f: f[0])[1]


async def test_every_header_a_read_answers_with_is_declared(api: Api) -> None:
    tenant = await open_tenant(api)
    world = await build_world(api, tenant)
    world |= await partner_world(api, tenant, "{subscription}")
    world |= await seeds_world(api, tenant, world["pupil"])
    auditor = api.as_(tenant, Role.AUDITOR)
    await api.call("GET", f"/v1/tenants/{tenant}/log/checkpoint?fresh=true", auditor)
    document = (await api.client.get("/schema/openapi.json")).json()
    reads = [r for r in ROUTES if r.method == "GET"]
    seen: set[str] = set()
    wrong = []
    for route in reads:
        path = fill(route.path, world)
        role = min(route.allowed, key=str)
        response = await api.call("GET", path, token_of(api, tenant, role, route.school))
        if not 200 <= response.status_code < 300:
            wrong.append(f"{route.id}: {response.status_code} {response.text[:200]}")
            continue
        answer = _operation(document, "GET", path.split("?")[0])["responses"]
        declared = {
            name.lower(): header
            for status, described in answer.items()
            if status.startswith("2")
            for name, header in described.get("headers", {}).items()
        }
        for name in set(response.headers) - _OF_EVERY_BODY - _HOP_BY_HOP:
            seen.add(name)
            header = declared.get(name)
            if header is None or not header.get("description") or "schema" not in header:
                wrong.append(f"{route.id}: {name} is not declared with a description and schema")
                continue
            pattern = header["schema"].get("pattern")
            if pattern and not re.fullmatch(pattern, response.headers[name]):
                wrong.append(f"{route.id}: {name} {response.headers[name]!r} !~ {pattern}")

    assert not wrong, "\n".join(wrong)
    assert {"etag", "x-correlation-id", "passend-next-after", "passend-checkpoint"} <= seen
