"""``GET /health``: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

_PROBE_TIMEOUT_S = 2.0


class Health(msgspec.Struct, frozen=True):
    status: str
    database: str
    detail: str | None = None


@get(
    "/health",
    summary="Is the service ready?",
    description="200 when the database answers within two seconds, 503 otherwise.",
    tags=["operations"],
    exclude_from_auth=True,
)
async def health(state: State) -> Response[Health]:
    pool = state.get("pool")
    if pool is None:
        return Response(
            Health("unavailable", "unreachable", state.get("database_error")),
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
        )
    try:
        async with asyncio.timeout(_PROBE_TIMEOUT_S), pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
    except (OSError, TimeoutError, Exception) as error:  # noqa: BLE001 - any failure means not ready
        return Response(
            Health("unavailable", "unreachable", type(error).__name__),
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
        )
    return Response(Health("ok", "ok"), status_code=HTTP_200_OK)
