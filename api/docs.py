"""The OpenAPI document and the interactive docs at ``/schema``, nothing fetched.

The assets live in ``api/static/swagger-ui`` (see its README for version and licence) and are
served at ``/schema/assets``; the page loads no script, style, font or image from another site,
and Swagger UI's online validator is off. The document (served, or
``app.openapi_schema.to_schema()``) declares the headers Litestar leaves off error answers.
"""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.openapi.spec import OpenAPI
from litestar.static_files import create_static_files_router

from api.errors import PROBLEM_TYPE_BASE, PROBLEM_TYPES, rule_problem_types
from api.overload import declare_busy
from api.schemas.headers import declare_on_problems

SWAGGER_UI_VERSION = "5.35.0"
ASSETS_PATH = "/schema/assets"
_ASSETS_DIR = Path(__file__).resolve().parent / "static" / "swagger-ui"


class _Document(OpenAPI):
    """The document as Litestar builds it, with the busy 503 and error answers' headers declared."""

    def to_schema(self) -> dict[str, Any]:
        document = super().to_schema()
        declare_busy(document)  # before the headers: its 503 carries Retry-After
        declare_on_problems(document)
        return document


class DocumentConfig(OpenAPIConfig):
    """Litestar's OpenAPI configuration, building a ``_Document``."""

    def to_openapi_schema(self) -> OpenAPI:
        built = super().to_openapi_schema()
        return _Document(**{f.name: getattr(built, f.name) for f in dataclasses.fields(built)})


class OfflineSwaggerUI(OpenAPIRenderPlugin):
    """Swagger UI, rendered with the project's own copy of its assets."""

    def __init__(self) -> None:
        super().__init__(
            path=["/", "/swagger"],
            favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
        )

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(openapi_schema["info"]["title"]))
        head = (
            "<!DOCTYPE html><html><head>"
            f"<title>{title}</title>{self.favicon}"
            '<meta charset="utf-8"/>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link href="{ASSETS_PATH}/swagger-ui.css" rel="stylesheet">'
            f'<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>'
            f'<script src="{ASSETS_PATH}/swagger-ui-standalone-preset.js"></script>'
            "</head><body><div id='swagger-container'></div><script>"
            "window.ui = SwaggerUIBundle({spec: "
        ).encode()
        tail = (
            b", dom_id: '#swagger-container', deepLinking: true, validatorUrl: null,"
            b" presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],"
            b" layout: 'BaseLayout'});</script></body></html>"
        )
        return head + self.render_json(request, openapi_schema) + tail


def docs_assets() -> Router:
    """The Swagger UI files."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[_ASSETS_DIR],
        include_in_schema=False,
        cache_control=None,
        name="docs-assets",
    )


_PROBLEMS_INTRO = f"""
## Problems

Every error is an RFC 9457 problem document (`application/problem+json`) whose `type` is
`{PROBLEM_TYPE_BASE}<slug>`, the slug in kebab-case, one of those below.

A 4xx problem about the request names each field it is about in `errors`, a list of
`{{field, message, source, pointer}}`: `source` is `body`, `path` or `header`; for the body,
`pointer` is a JSON pointer (RFC 6901) into it. Decision rules (422) name their fields the same
way. A refusal because of what already happened to the object (409: decided, withdrawn,
notified, closed, already registered) is about the object's state, not about any field of the
request, so its `errors` is empty.
"""


def api_description() -> str:
    """The OpenAPI document's description: what a problem says, and every problem type."""
    rows = [f"- `{slug}`: {meaning}" for slug, meaning in PROBLEM_TYPES.items()]
    rules = [f"- `{slug}`: {meaning}" for slug, meaning in rule_problem_types().items()]
    return "\n".join(
        [
            "Decisions of samenwerkingsverbanden passend onderwijs, as events.",
            _PROBLEMS_INTRO,
            *rows,
            "",
            "Refusals by a decision rule (422, or 409 for a state conflict):",
            "",
            *rules,
        ]
    )
