"""``GET /metrics``: Prometheus text format, for the operator's scraper only.

Labels name SWV codes and route templates, which say who uses the platform and how much: not
for the public. With ``PASSEND_METRICS_TOKEN`` set, a scraper sends it as a bearer token;
without it, only clients on this machine (loopback) get an answer. Everyone else gets 404.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException

from api.settings import Settings
from infrastructure import metrics

_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def may_read_metrics(request: Request[Any, Any, Any], settings: Settings) -> bool:
    if settings.metrics_token:
        given = request.headers.get("authorization", "")
        expected = f"Bearer {settings.metrics_token}"
        return hmac.compare_digest(given.encode(), expected.encode())
    return request.client is not None and request.client.host in _LOOPBACK


@get("/metrics", include_in_schema=False, exclude_from_auth=True, sync_to_thread=False)
def metrics_endpoint(request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    settings: Settings = state.settings
    if not may_read_metrics(request, settings):
        raise NotFoundException
    pool = state.get("pool")
    if pool is not None:
        metrics.record_pool(
            size=pool.get_size(), idle=pool.get_idle_size(), max_size=pool.get_max_size()
        )
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
