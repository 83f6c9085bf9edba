"""Schemathesis over the whole OpenAPI document: no 5xx, and no response that breaks its schema.

Every operation gets requests generated from its own declaration: valid ones, invalid ones and
the examples the document gives. Most are sent with a token that holds every role in a tenant
with a small world of cases and is a platform admin, so they do not stop at the door for want of
a role; the rest with one role each, an assigned expert's, another tenant's, a forged or no
token. Path ids and id fields of bodies name that world's real ids as often as random ones, so
the handlers behind a 404 are reached too. Each response must be no server error, have a
declared status code, content type and headers, and match the schema declared for it.

The inputs are derandomised and bounded per operation: a run takes the same path every time.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.auth import Role
from api.settings import Settings
from tests.api.conftest import (
    ARRANGEMENT_TYPE,
    MUNICIPALITY,
    OTHER_SCHOOL,
    SCHOOL,
    Api,
    open_tenant,
)
from tests.api.seeds_world import seeds_world
from tests.api.world import FIRST_EXPERT, build_world
from tests.partners.access import PARTNER, partner_world

# Build the random-instance strategy once here, at import: its module is imported on first use
# and runs ast.parse, which CPython 3.11 can fail with "AST constructor recursion depth
# mismatch" when that first use happens deep in a generating test's stack.
st.randoms(use_true_random=True).validate()

OPENAPI_PATH = "/schema/openapi.json"
OTHER_MUNICIPALITY = "GM1904"  # the second municipality open_tenant configures
EXAMPLES_PER_MODE = 12  # per kind of request: valid, invalid, with real ids or random
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
_METHODS = ("get", "put", "post", "delete", "patch")
AnyCase = Case[Any]
Operation = APIOperation[Any, Any, Any, Any]


def _document_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation, read from the document of an app without a database."""
    with tempfile.TemporaryDirectory() as keys:
        document = create_app(Settings(data_dir=Path(keys))).openapi_schema.to_schema()
    paths: dict[str, dict[str, Any]] = document["paths"]
    return [(method, path) for path, item in paths.items() for method in _METHODS if method in item]


OPERATIONS = _document_operations()


@pytest.fixture(scope="module")
async def world(api: Api) -> dict[str, str]:
    tenant = await open_tenant(api)
    built = await build_world(api, tenant)
    # a partner's subscription, for the subscription, feed and consent routes
    partner = await partner_world(api, tenant, "{subscription}")
    # thuiszitters, services, handovers and outflow
    seeds = await seeds_world(api, tenant, built["pupil"])
    return {**built, **partner, **seeds}


@pytest.fixture(scope="module")
def app(api: Api) -> Iterator[Litestar]:
    """A second app on the same database and keys, for Schemathesis to run in its own loop."""
    app = create_app(api.settings)
    try:
        yield app
    finally:
        asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def schema(app: Litestar) -> BaseSchema:
    return schemathesis.openapi.from_asgi(OPENAPI_PATH, app)


@pytest.fixture
def ready(app: Litestar, schema: BaseSchema) -> None:
    """The app's lifespan runs and its database answers.

    Schemathesis ends an ASGI app's lifespan after every test and starts it again on the next
    request; the database connects in the background, so wait for it.
    """
    with asgi.get_client(cast("asgi.ASGIApp", app)) as client:
        for _ in range(200):
            if client.get("/health").status_code == 200:
                return
            time.sleep(0.05)
    pytest.fail("the app under test did not reach its database")


@pytest.fixture(scope="module")
def callers(api: Api, world: dict[str, str]) -> list[dict[str, str]]:
    """Authorization headers; the one allowed everything is drawn as often as all others.

    The others take the other ways through the access rules: one role each, an expert
    assigned to the open TLV application, another tenant's token, a forged one and none.
    """
    tenant = world["tenant"]

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    everything = api.token(
        tenant,
        *Role,
        subject="fuzzer",
        school=SCHOOL,
        municipality=MUNICIPALITY,
    )
    one_role = [api.token(tenant, role) for role in Role if role is not Role.EXPERT]
    return [
        *[bearer(everything)] * len(one_role),
        *[bearer(token) for token in one_role],
        bearer(api.token(tenant, Role.EXPERT, subject=FIRST_EXPERT)),
        bearer(api.token("PO0000", *Role, school=SCHOOL)),
        bearer(everything[:-4] + "AAAA"),
        {},
    ]


def real_ids(world: Mapping[str, str]) -> dict[str, list[Any]]:
    """Ids of the world by the path parameter or body field they fill."""
    requests = [world["request"], world["granted"], world["arrangement_request"]]
    return {
        "swv_code": [world["tenant"]],
        "pupil_id": [world["pupil"]],
        "guardian_id": [world["guardian"]],
        "request_id": requests,
        "support_request_id": requests,
        "tlv_id": [world["tlv"]],
        "tlv_ids": [[world["tlv"]]],
        "objection_id": [world["objection"]],
        "arrangement_id": [world["arrangement"]],
        "code": [ARRANGEMENT_TYPE],
        "school_code": [SCHOOL, OTHER_SCHOOL],
        "municipality_code": [MUNICIPALITY, OTHER_MUNICIPALITY],
        "subscription_id": [world["subscription"]],
        "partner": [PARTNER],
        "absence_case_id": [world["absence"]],
        "service_request_id": [world["service_request"]],
        "handover_id": [world["handover"]],
        "incoming_handover_id": [world["incoming_handover"]],
        "outflow_id": [world["outflow"]],
    }


def _with_body_ids(case: AnyCase, ids: Mapping[str, Any]) -> AnyCase:
    if isinstance(case.body, dict):
        case.body.update({name: value for name, value in ids.items() if name in case.body})
    return case


def cases(operation: Operation, world: Mapping[str, str]) -> st.SearchStrategy[AnyCase]:
    """Valid and invalid requests, half naming the world's ids, and the documented examples."""
    known = real_ids(world)
    names = [p.name for p in operation.path_parameters]
    unknown = [name for name in names if name not in known]
    assert not unknown, f"no real ids for path parameters {unknown} of {operation.label}"
    in_path = st.fixed_dictionaries({name: st.sampled_from(known[name]) for name in names})
    in_body = st.fixed_dictionaries(
        {name: st.sampled_from(values) for name, values in known.items()}
    )

    def naming_real_ids(mode: GenerationMode) -> st.SearchStrategy[AnyCase]:
        generated = in_path.flatmap(lambda ids: operation.as_strategy(mode, path_parameters=ids))
        return st.tuples(generated, in_body).map(lambda drawn: _with_body_ids(*drawn))

    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
        naming_real_ids(GenerationMode.POSITIVE),
        naming_real_ids(GenerationMode.NEGATIVE),
        *operation.get_strategies_from_examples(),
    )


@pytest.mark.parametrize(
    ("method", "path"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS]
)
@pytest.mark.usefixtures("ready")
def test_every_operation_answers_within_its_declaration(
    schema: BaseSchema,
    world: dict[str, str],
    callers: list[dict[str, str]],
    method: str,
    path: str,
) -> None:
    operation = schema[path][method]

    @settings(
        max_examples=4 * EXAMPLES_PER_MODE,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases(operation, world), caller=st.sampled_from(callers))
    def answers_within_its_declaration(case: AnyCase, caller: dict[str, str]) -> None:
        case.call_and_validate(headers=caller, checks=CHECKS)

    answers_within_its_declaration()
