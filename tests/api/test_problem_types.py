"""Every problem type is a kebab-case slug, documented in the OpenAPI description, and sent so."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from api.auth import Role
from api.errors import PROBLEM_TYPE_BASE, PROBLEM_TYPES, rule_kind, rule_problem_types
from domain.errors import DomainError
from domain.registry import AGGREGATE_CLASSES
from tests.api.conftest import Api, open_tenant

KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
API = Path(__file__).resolve().parents[2] / "api"


def every_rule() -> list[type[DomainError]]:
    assert AGGREGATE_CLASSES  # every domain module, and so every rule, is loaded
    found: dict[type[DomainError], None] = {}
    pending = [DomainError]
    while pending:
        rule = pending.pop()
        found[rule] = None
        pending.extend(rule.__subclasses__())
    return list(found)


def kinds_named_in_the_api_code() -> set[str]:
    """Every literal ``kind="..."`` the api package gives a problem."""
    kinds = set()
    for module in API.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if not isinstance(node, ast.keyword) or node.arg != "kind":
                continue
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                kinds.add(node.value.value)
    return kinds


def test_every_problem_type_is_a_kebab_case_slug_and_no_two_rules_share_one() -> None:
    slugs = [*PROBLEM_TYPES, *(rule_kind(rule) for rule in every_rule())]
    assert [s for s in slugs if not KEBAB.match(s)] == []
    assert len(slugs) == len(set(slugs))
    assert rule_kind(every_rule()[0]) == "domain"


def test_every_problem_kind_the_api_gives_is_documented() -> None:
    kinds = kinds_named_in_the_api_code()
    assert kinds - PROBLEM_TYPES.keys() == set()
    assert {"busy", "not-found", "tenant-suspended"} <= kinds


async def test_the_openapi_description_lists_every_problem_type(api: Api) -> None:
    document = (await api.client.get("/schema/openapi.json")).json()
    description = document["info"]["description"]
    for slug in [*PROBLEM_TYPES, *rule_problem_types()]:
        assert f"- `{slug}`:" in description, slug
    examples = [
        example["value"]["type"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for status, response in operation.get("responses", {}).items()
        if status.startswith(("4", "5"))
        for media in response.get("content", {}).values()
        for example in (media.get("examples") or {}).values()
    ]
    assert examples
    documented = PROBLEM_TYPES.keys() | rule_problem_types().keys()
    assert {e.removeprefix(PROBLEM_TYPE_BASE) for e in examples} <= documented


async def test_problems_the_api_sends_carry_documented_kebab_case_types(api: Api) -> None:
    tenant = await open_tenant(api)
    base = f"/v1/tenants/{tenant}"
    loket, committee = api.as_(tenant, Role.LOKET), api.as_(tenant, Role.COMMITTEE)
    pupil = {"name": "Noor", "date_of_birth": "2018-01-02", "municipality_code": "GM0632"}
    sent = {
        "unauthorized": await api.call("GET", f"{base}/me", {}),
        "forbidden": await api.call("PUT", f"{base}/configuration/committee", loket, {}),
        "not-found": await api.call("GET", "/v1/tenants/PO0000/me", loket),
        "method-not-allowed": await api.call("PATCH", f"{base}/pupils", loket, pupil),
        "validation": await api.call("POST", f"{base}/pupils", loket, {"name": "N"}),
        "invalid-value": await api.call("POST", f"{base}/pupils", loket, {**pupil, "name": " "}),
        "unsupported-media-type": await api.client.post(
            f"{base}/pupils", headers={**loket, "Content-Type": "text/plain"}, content=b"{}"
        ),
        "bad-request": await api.client.post(
            f"{base}/pupils", headers={**loket, "Content-Type": "application/json"}, content=b"{"
        ),
        "unconfigured-reference": await api.call(
            "POST", f"{base}/pupils", committee, {**pupil, "municipality_code": "GM9999"}
        ),
    }
    for slug, response in sent.items():
        assert response.headers["content-type"].startswith("application/problem+json"), slug
        assert response.json()["type"] == PROBLEM_TYPE_BASE + slug, response.text
