"""The AsyncAPI 3 document of the partner transports, generated from the integration schemas.

One message per integration event type, its payload the CloudEvents envelope with the type's
data schema (the same msgspec Structs the published JSON Schemas come from); one channel per
transport: the pull feed, the Server-Sent Events stream and the partner's webhook URL. The
tenant's latest signed checkpoint travels in a header of each pull answer and webhook request,
and as a ``checkpoint`` message of the stream.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from application.integration_events import SEQUENCE_DIGITS, SPEC_VERSION, data_schema_components
from domain.subscription import BASIS_RULES
from partners.feeds import CHECKPOINT_HEADER

CHECKPOINT_MESSAGE = "checkpoint"
_CHECKPOINT = {
    "type": "string",
    "description": (
        "The tenant's latest signed checkpoint: a C2SP signed note (origin "
        "`<platform>/<SWV code>`, tree size = a tenant position, base64 root hash, then Ed25519 "
        "signature lines). Verify it with the `log` key of "
        "`GET /v1/tenants/{swv_code}/log/keys`; `GET …/log/proofs/consistency` shows that a "
        "later checkpoint extends an earlier one. It may lag the batch: events past its size "
        "are covered by a later one."
    ),
}
_BATCH_HEADERS = {
    "type": "object",
    "properties": {
        CHECKPOINT_HEADER: {
            "type": "string",
            "contentEncoding": "base64",
            "description": (
                "On every pull answer and webhook request once the tenant has a checkpoint: "
                "the signed note (see the SignedCheckpoint schema) in base64."
            ),
        }
    },
}


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
            "headers": _BATCH_HEADERS,
            "payload": _envelope(str(event_type), component),
        }
        for event_type, component in names.items()
    }
    refs = {name: {"$ref": f"#/components/messages/{name}"} for name in messages}
    messages[CHECKPOINT_MESSAGE] = {
        "name": CHECKPOINT_MESSAGE,
        "title": "The tenant's latest signed checkpoint",
        "summary": "Sent on the stream when a newer checkpoint exists, before the events.",
        "contentType": "text/plain",
        "payload": {"$ref": "#/components/schemas/SignedCheckpoint"},
    }
    stream_refs = {
        **refs,
        CHECKPOINT_MESSAGE: {"$ref": f"#/components/messages/{CHECKPOINT_MESSAGE}"},
    }
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
                "Server-Sent Events stream, or receive Standard Webhooks-signed batches. Each "
                "batch carries the tenant's latest signed checkpoint of its transparency log."
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
                "description": (
                    "GET ?after=<position>&limit=&wait=; a CloudEvents batch, its checkpoint "
                    f"in the {CHECKPOINT_HEADER} header."
                ),
                "parameters": {"swv_code": tenant, "subscription": subscription},
                "messages": refs,
            },
            "stream": {
                "address": "/v1/tenants/{swv_code}/feeds/{subscription}/stream",
                "description": (
                    "Server-Sent Events; id: is the position; resume by Last-Event-ID. A "
                    "`checkpoint` event carries each newer signed checkpoint."
                ),
                "parameters": {"swv_code": tenant, "subscription": subscription},
                "messages": stream_refs,
            },
            "webhook": {
                "address": None,
                "description": (
                    "The subscription's webhook URL: POSTed CloudEvents batches, signed per "
                    "Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature), "
                    f"the checkpoint in the {CHECKPOINT_HEADER} header."
                ),
                "messages": refs,
            },
        },
        "operations": {
            "sendFeed": {"action": "send", "channel": {"$ref": "#/channels/feed"}},
            "sendStream": {"action": "send", "channel": {"$ref": "#/channels/stream"}},
            "sendWebhook": {"action": "send", "channel": {"$ref": "#/channels/webhook"}},
        },
        "components": {
            "messages": messages,
            "schemas": {**components, "SignedCheckpoint": _CHECKPOINT},
        },
    }
