"""The AsyncAPI 3 document of the partner transports, generated from the integration schemas.

One message per integration event type, its payload the CloudEvents envelope with the type's
data schema (the same msgspec Structs the published JSON Schemas come from); one channel per
transport: the pull feed, the Server-Sent Events stream and the partner's webhook URL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from application.integration_events import SEQUENCE_DIGITS, SPEC_VERSION, data_schema_components
from domain.subscription import BASIS_RULES


def _envelope(event_type: str, component: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["specversion", "id", "source", "type", "time", "sequence", "data"],
        "properties": {
            "specversion": {"const": SPEC_VERSION},
            "id": {"type": "string", "description": "The domain event's id (a UUID)."},
            "source": {"type": "string", "description": "urn:nld:passend:swv:<SWV code>"},
            "type": {"const": event_type},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"type": "string", "format": "uri"},
            "sequence": {
                "type": "string",
                "pattern": f"^[0-9]{{{SEQUENCE_DIGITS}}}$",
                "description": "The tenant position, zero-padded: the cursor of every transport.",
            },
            "data": {"$ref": f"#/components/schemas/{component}"},
        },
    }


def _bases(event_type: str) -> str:
    return ", ".join(sorted(b for b, rules in BASIS_RULES.items() if event_type in rules.types))


def asyncapi_document(*, public_url: str) -> dict[str, Any]:
    names, components = data_schema_components()
    parts = urlsplit(public_url)
    messages = {
        component: {
            "name": str(event_type),
            "title": str(event_type),
            "summary": f"Permitted under: {_bases(event_type)}.",
            "contentType": "application/cloudevents+json",
            "payload": _envelope(str(event_type), component),
        }
        for event_type, component in names.items()
    }
    refs = {name: {"$ref": f"#/components/messages/{name}"} for name in messages}
    tenant = {"description": "The SWV code, e.g. PO2604."}
    subscription = {"description": "The subscription's id."}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Passend partner feeds",
            "version": "1.0.0",
            "description": (
                "Integration events of one tenant for one subscription, minimised per legal "
                "basis, in tenant position order. Pull them as CloudEvents batches, hold a "
                "Server-Sent Events stream, or receive Standard Webhooks-signed batches."
            ),
        },
        "defaultContentType": "application/cloudevents-batch+json",
        "servers": {
            "passend": {
                "host": parts.netloc,
                "protocol": parts.scheme,
                "description": "Bearer token with the partner role in the tenant.",
            }
        },
        "channels": {
            "feed": {
                "address": "/v1/tenants/{swv_code}/feeds/{subscription}/events",
                "description": "GET ?after=<position>&limit=&wait=; a CloudEvents batch.",
                "parameters": {"swv_code": tenant, "subscription": subscription},
                "messages": refs,
            },
            "stream": {
                "address": "/v1/tenants/{swv_code}/feeds/{subscription}/stream",
                "description": "Server-Sent Events; id: is the position; resume by Last-Event-ID.",
                "parameters": {"swv_code": tenant, "subscription": subscription},
                "messages": refs,
            },
            "webhook": {
                "address": None,
                "description": (
                    "The subscription's webhook URL: POSTed CloudEvents batches, signed per "
                    "Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature)."
                ),
                "messages": refs,
            },
        },
        "operations": {
            "sendFeed": {"action": "send", "channel": {"$ref": "#/channels/feed"}},
            "sendStream": {"action": "send", "channel": {"$ref": "#/channels/stream"}},
            "sendWebhook": {"action": "send", "channel": {"$ref": "#/channels/webhook"}},
        },
        "components": {"messages": messages, "schemas": components},
    }
