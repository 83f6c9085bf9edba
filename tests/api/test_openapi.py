"""The OpenAPI 3.1 document at /schema describes every route: summary, examples, errors."""

from typing import Any

from domain.pupil import Pupil
from domain.support_request import SupportRequest
from domain.swv import Swv
from domain.tenancy import Tenancy
from domain.transition import Outflow
from infrastructure.event_codec import event_classes_of
from tests.api.conftest import Api

METHODS = ("get", "post", "put", "delete")


async def operations(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    response = await api.client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    return [
        (method, path, item[method])
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item and path != "/health"
    ]


async def test_every_route_has_a_summary_and_its_error_responses(api: Api) -> None:
    for method, path, operation in await operations(api):
        assert operation.get("summary"), f"{method} {path}"
        if path.startswith("/v1/tenants/{swv_code}") and path != "/v1/tenants/{swv_code}/me":
            assert {"401", "403", "404"} <= set(operation["responses"]), f"{method} {path}"
            problem = operation["responses"]["403"]["content"]
            assert "application/problem+json" in problem, f"{method} {path}"


async def test_every_request_body_has_an_example(api: Api) -> None:
    bodies = [
        (method, path, op["requestBody"])
        for method, path, op in await operations(api)
        if "requestBody" in op
    ]
    assert len(bodies) > 30
    for method, path, body in bodies:
        content = body["content"]["application/json"]
        assert content.get("examples") or content["schema"].get("examples"), f"{method} {path}"


async def test_commands_document_idempotency_key_and_if_match_only_where_it_applies(
    api: Api,
) -> None:
    for method, path, operation in await operations(api):
        # a search is a POST only to keep names out of URLs: it changes nothing
        is_search = path.endswith("-searches")
        if method != "get" and path.startswith("/v1/tenants/{swv_code}") and not is_search:
            parameters = {p["name"]: p for p in operation.get("parameters", [])}
            assert "Idempotency-Key" in parameters, f"{method} {path}"
            creates = "201" in operation["responses"]
            assert ("If-Match" in parameters) is not creates, f"{method} {path}"
            if not creates:
                assert parameters["If-Match"]["schema"]["pattern"], f"{method} {path}"


async def test_the_interactive_page_is_served_without_a_token(api: Api) -> None:
    response = await api.client.get("/schema")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


async def test_every_status_a_route_can_answer_is_declared_as_it_is_sent(api: Api) -> None:
    document = (await api.client.get("/schema/openapi.json")).json()
    health = document["paths"]["/health"]["get"]["responses"]
    assert {"200", "503"} <= set(health)
    me = document["paths"]["/v1/tenants/{swv_code}/me"]["get"]["responses"]
    assert {"401", "404"} <= set(me)
    for method, path, operation in await operations(api):
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                assert set(response["content"]) == {"application/problem+json"}, (
                    f"{method} {path} {status}"
                )


async def test_every_field_of_a_command_body_is_described_from_the_command(api: Api) -> None:
    document = (await api.client.get("/schema/openapi.json")).json()
    components = document["components"]["schemas"]

    def resolved(schema: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in schema:
            return resolved(components[schema["$ref"].rsplit("/", 1)[-1]])
        if len(schema.get("allOf", [])) == 1:
            return resolved(schema["allOf"][0])
        return schema

    undescribed = [
        f"{method} {path} {name}"
        for method, path, operation in await operations(api)
        if "requestBody" in operation and not path.endswith("-searches")
        for name, field in resolved(
            operation["requestBody"]["content"]["application/json"]["schema"]
        )["properties"].items()
        if not field.get("description")
    ]
    assert not undescribed
    decide = document["paths"]["/v1/tenants/{swv_code}/support-requests/{request_id}/decision"]
    body = resolved(decide["post"]["requestBody"]["content"]["application/json"]["schema"])
    assert body["properties"]["reasons"]["description"].startswith("The reasons (motivering)")


def _event_types(aggregate: type[Any]) -> set[str]:
    return {topic.rpartition(".v")[0] for _, topic in event_classes_of([aggregate])}


async def test_each_read_types_its_events_as_the_oneof_of_its_own_aggregates_events(
    api: Api,
) -> None:
    document = (await api.client.get("/schema/openapi.json")).json()
    components = document["components"]["schemas"]
    unions = {
        name: components[schema["properties"]["events"]["items"]["$ref"].rsplit("/", 1)[-1]]
        for name, schema in components.items()
        if "events" in schema.get("properties", {})
    }
    assert len(unions) >= 13
    for read, union in unions.items():
        mapping = union["discriminator"]["mapping"]
        assert union["discriminator"]["propertyName"] == "type", read
        assert {m["$ref"] for m in union["oneOf"]} == set(mapping.values()), read
        for event_type, target in mapping.items():
            schema = components[target.rsplit("/", 1)[-1]]
            assert schema["properties"]["type"]["const"] == event_type
            assert schema["properties"]["data"]["$ref"]
    own = {
        "SupportRequestRead": SupportRequest,
        "ConfigurationRead": Swv,
        "PlatformLogView": Tenancy,
        "PupilRead": Pupil,
        "OutflowRead": Outflow,
    }
    for read, aggregate in own.items():
        assert set(unions[read]["discriminator"]["mapping"]) == _event_types(aggregate), read
    assert "SupportRequestGranted" in unions["SupportRequestRead"]["discriminator"]["mapping"]


async def test_every_answer_declares_the_headers_sent_on_it_problems_included(api: Api) -> None:
    undeclared = []
    for method, path, operation in await operations(api):
        for status, response in operation["responses"].items():
            headers = set(response.get("headers", {}))
            sent = {"X-Correlation-ID"}  # echo_correlation_id sets it on every answer
            if status == "401":
                sent.add("WWW-Authenticate")
            if status == "503" and "application/problem+json" in response["content"]:
                sent.add("Retry-After")
            undeclared += [f"{method} {path} {status} {name}" for name in sorted(sent - headers)]
    assert not undeclared, f"{len(undeclared)} headers not declared:\n" + "\n".join(undeclared)
    document = (await api.client.get("/schema/openapi.json")).json()
    erasure = document["paths"]["/v1/platform/tenants/{code}/erasure"]["post"]["responses"]
    assert erasure["409"]["headers"]["Retry-After"]["schema"]["pattern"] == "^[0-9]+$"
