"""Bad input on every command route: a 4xx problem naming the field, nothing written, no 5xx.

The routes come from the command tables, the fields to spoil from each command's own type.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import msgspec
import pytest

from api.auth import Role
from api.command_routes import CommandRoute, body_fields
from api.routes import COMMAND_TABLES
from domain.ids import TenantId
from tests.api.conftest import Api, open_tenant
from tests.api.test_problems import head_position

ROUTES = [(resource, route) for resource, table in COMMAND_TABLES for route in table]


def route_id(value: object) -> str:
    return value.operation_id if isinstance(value, CommandRoute) else ""


def concrete(kind: msgspec.inspect.Type) -> msgspec.inspect.Type:
    """The type of a field without its ``None``."""
    if isinstance(kind, msgspec.inspect.UnionType):
        return next(t for t in kind.types if not isinstance(t, msgspec.inspect.NoneType))
    return kind


def fields_of(route: CommandRoute, resource: str) -> dict[str, msgspec.inspect.Type]:
    if not route.takes_body(resource):
        return {}
    named = {f.name for f in body_fields(resource + route.path, route.command)}
    info = msgspec.inspect.type_info(route.command)
    assert isinstance(info, msgspec.inspect.StructType)
    return {f.name: concrete(f.type) for f in info.fields if f.name in named}


def spoilt_bodies(resource: str, route: CommandRoute) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(what is wrong, body, the field it is about) for each way this command's body can be."""
    valid = dict(next(iter(route.examples.values())))
    yield "an unknown field", {**valid, "bsn": "123456782"}, "bsn"
    for name, kind in fields_of(route, resource).items():
        if isinstance(kind, msgspec.inspect.IntType):
            yield "a string for a number", {**valid, name: "40"}, name
        if isinstance(kind, msgspec.inspect.BoolType):
            yield "a string for a boolean", {**valid, name: "true"}, name
        if isinstance(kind, msgspec.inspect.DateType):
            yield "a number for a date", {**valid, name: 20250301}, name
            yield "a date out of range", {**valid, name: "0001-01-01"}, name
        if isinstance(kind, msgspec.inspect.EnumType):
            yield "a value not in the enum", {**valid, name: "NOT_A_VALUE"}, name
        if isinstance(kind, msgspec.inspect.UUIDType):
            yield "a malformed id", {**valid, name: "not-a-uuid"}, name


def concrete_path(resource: str, route: CommandRoute, tenant: str) -> str:
    path = re.sub(
        r"{(\w+)(:\w+)?}",
        lambda m: tenant if m[1] == "swv_code" else str(uuid4()),
        resource + route.path,
    )
    return path.rstrip("/") if route.path == "/" else path


@pytest.fixture(scope="module")
async def tenant(api: Api) -> TenantId:
    return await open_tenant(api)


def everybody(api: Api, tenant: str) -> dict[str, str]:
    return api.as_(tenant, *Role, school="12AB00", municipality="GM0632")


@pytest.mark.parametrize(("resource", "route"), ROUTES, ids=[route_id(r) for _, r in ROUTES])
async def test_a_spoilt_body_is_refused_naming_the_field_and_writes_nothing(
    api: Api, database_dsns: tuple[str, str], tenant: TenantId, resource: str, route: CommandRoute
) -> None:
    if not fields_of(route, resource):
        pytest.skip("this command takes no body")
    path, caller = concrete_path(resource, route, tenant), everybody(api, tenant)
    before = await head_position(database_dsns[0], tenant)
    for wrong, body, field in spoilt_bodies(resource, route):
        response = await api.call(route.method, path, caller, body)
        assert response.status_code == 422, (wrong, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        errors = response.json()["errors"]
        assert [(e["field"], e["pointer"]) for e in errors] == [(field, f"/{field}")], wrong
    json = {**caller, "Content-Type": "application/json"}
    not_utf8 = await api.client.request(
        route.method, path, headers=json, content=b'{"a": "\xff\xfe"}'
    )
    not_json = await api.client.request(route.method, path, headers=json, content=b'{"a": ')
    example = msgspec.json.encode(next(iter(route.examples.values())))
    as_text = await api.client.request(
        route.method, path, headers={**caller, "Content-Type": "text/plain"}, content=example
    )
    untyped = await api.client.request(route.method, path, headers=caller, content=example)
    assert (not_utf8.status_code, not_json.status_code) == (400, 400)
    assert (as_text.status_code, untyped.status_code) == (415, 415)
    for response in (not_utf8, not_json, as_text, untyped):
        assert response.headers["content-type"].startswith("application/problem+json")
    assert await head_position(database_dsns[0], tenant) == before


def test_every_command_with_a_body_has_an_example_to_spoil() -> None:
    for resource, route in ROUTES:
        if fields_of(route, resource):
            assert route.examples, route.operation_id
