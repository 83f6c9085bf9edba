"""The interactive docs at ``/schema``: Swagger UI from files in the project, nothing fetched.

The assets live in ``api/static/swagger-ui`` (see its README for version and licence) and are
served at ``/schema/assets``; the page loads no script, style, font or image from another site,
and Swagger UI's online validator is off.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

SWAGGER_UI_VERSION = "5.35.0"
ASSETS_PATH = "/schema/assets"
_ASSETS_DIR = Path(__file__).resolve().parent / "static" / "swagger-ui"


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
