"""Every read of an aggregate or a read model in a tenant can be asked as of a moment of the log.

Walks the OpenAPI document: each tenant ``GET`` declares ``as_of_position`` and ``as_of`` and
answers with ``replayed_to``, unless it is one of the few exempt below, each for its reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.settings import Settings

TENANT = "/v1/tenants/{swv_code}"
EXEMPT = {
    "/me": "the caller's own grants, not a state of the log",
    "/platform-log": "the operator's acts are in the platform's own log, not this tenant's",
    "/projections/status": "where the read models' runner stands, not a state of the log",
    "/municipalities/{municipality_code}/disclosures": (
        "personal fields as disclosed to a municipality, with no auditor's view; what was"
        " disclosed by a moment is in subject access as of it"
    ),
    "/subscriptions": "partner administration joined with delivery state kept beside the log",
    "/subscriptions/{subscription_id}": "as /subscriptions",
    "/subscriptions/{subscription_id}/attempts": "delivery attempts, kept beside the log",
    "/subscriptions/{subscription_id}/webhook-secrets": "secrets, kept beside the log",
    "/feeds/{subscription_id}/events": "a feed: read after a position (after)",
    "/feeds/{subscription_id}/stream": "a feed: read after a position (after, Last-Event-ID)",
    "/log/accesses": "the access log itself, read after a position of its own",
    "/log/checkpoint": "sized by its own size parameter",
    "/log/proofs/consistency": "sized by old_size and new_size",
    "/log/proofs/inclusion": "sized by tree_size",
    "/log/export": "cut off by its own until parameter",
    "/log/keys": "the log's public keys, not a state of the log",
    "/support-requests/{request_id}/beschikking": (
        "the letter naming the pupil, for staff and the school only; the decision as of a"
        " moment is the support request's as-of read"
    ),
    "/support-requests/{request_id}/beschikking.pdf": "as the beschikking",
    "/handovers/{handover_id}/package": (
        "the signed package handed to an SWV off the platform; the handover as of a moment is"
        " GET …/handovers/{handover_id}"
    ),
    "/municipalities/{municipality_code}/figures/page": (
        "an HTML page over the figures and the monthly overview, which are read as of a moment"
        " on their own routes"
    ),
    "/figures/page": "an HTML page over the overviews, read as of a moment on their own routes",
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("openapi")))
    schema: dict[str, Any] = create_app(settings).openapi_schema.to_schema()
    return schema


def tenant_reads(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        path.removeprefix(TENANT): item["get"]
        for path, item in document["paths"].items()
        if path.startswith(TENANT) and "get" in item
    }


def answer_schema(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    """The JSON answer's schema; a page (HTML) shows the moment in its text instead."""
    content = operation["responses"]["200"]["content"]
    if "application/json" not in content:
        return {"properties": {"replayed_to": "shown on the page"}}
    schema: dict[str, Any] = content["application/json"]["schema"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = document["components"]["schemas"][name]
    return schema


def test_every_tenant_read_takes_a_position_or_a_time_and_says_where_it_replayed_to(
    document: dict[str, Any],
) -> None:
    reads = tenant_reads(document)
    missing = []
    for path, operation in sorted(reads.items()):
        if path in EXEMPT:
            continue
        parameters = {p["name"] for p in operation.get("parameters", [])}
        if not {"as_of_position", "as_of"} <= parameters:
            missing.append(f"{path}: takes {sorted(parameters)}")
        elif "replayed_to" not in answer_schema(document, operation).get("properties", {}):
            missing.append(f"{path}: its answer does not say where it was replayed to")

    assert len(reads) - len(EXEMPT) >= 20
    assert not missing, "\n".join(missing)


def test_every_exemption_names_a_read_that_exists_and_gives_its_reason(
    document: dict[str, Any],
) -> None:
    reads = tenant_reads(document)

    assert set(EXEMPT) <= set(reads)
    assert all(reason for reason in EXEMPT.values())
    assert not [p for p in EXEMPT if "as_of_position" in str(reads[p].get("parameters"))]
