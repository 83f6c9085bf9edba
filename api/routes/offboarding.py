"""``/v1/platform/tenants/{code}/export`` and ``…/erasure``: a tenant leaves the platform.

AVG art. 28(3)(g): the processor hands all personal data back, then deletes it. The operator
suspends the tenant (nothing changes any more), exports its whole log (NDJSON, personal fields
decrypted, after its hash chain verified; the format of ``passend tenant offboard``), and then
erases it by the SHA-256 of that export (``sha256sum`` of the file): every row of the tenant in
every table goes in one transaction, checked empty, and then its KEKs in the key provider. Both
acts are events in the platform log.
"""

from __future__ import annotations

import base64
import functools
import tempfile
from pathlib import Path
from typing import Annotated

from litestar import Controller, Response, post
from litestar.datastructures import ResponseHeader, State
from litestar.di import Provide
from litestar.exceptions import HTTPException, ServiceUnavailableException
from litestar.params import FromPath
from litestar.status_codes import HTTP_409_CONFLICT

from api import authorisation
from api.command_routes import CommandBody
from api.errors import NotConfiguredError
from api.routes.platform import OperatorCommands, provide_operator_commands
from api.schemas.common import COMMAND_ERRORS, CommandAccepted, accepted, example
from api.schemas.headers import RETRY_AFTER, problem_headers
from api.settings import Settings
from application.commands import EraseTenant, ExportTenant
from application.handlers import offboarding
from application.handlers.offboarding import EraseRows
from domain.ids import TenantId
from infrastructure.event_store import PostgresEventStore
from infrastructure.offboarding import TenantStillBusyError, export_writer, row_eraser

NDJSON = "application/x-ndjson"


def _eraser(admin_dsn: str) -> EraseRows:
    erase_rows = row_eraser(admin_dsn)

    async def erase(tenant: TenantId) -> int:
        try:
            return await erase_rows(tenant)
        except TenantStillBusyError as error:
            raise HTTPException(
                str(error), status_code=HTTP_409_CONFLICT, headers={"Retry-After": "5"}
            ) from None

    return erase


def _store(state: State) -> PostgresEventStore:
    store = state.get("event_store")
    if not isinstance(store, PostgresEventStore):
        raise ServiceUnavailableException("The database is not ready yet; try again shortly.")
    return store


def _admin_dsn(state: State) -> str:
    settings: Settings = state.settings
    if not settings.database_url:
        raise NotConfiguredError(
            "No admin database is configured for this process (DATABASE_URL): it erases no"
            " tenant until it is."
        )
    return settings.database_url


class OffboardingController(Controller):
    path = "/v1/platform/tenants/{code:str}"
    tags = ("platform",)
    guards = [authorisation.platform_operator]  # noqa: RUF012 - Litestar's controller attribute
    dependencies = {"operator": Provide(provide_operator_commands)}  # noqa: RUF012

    @post(
        "/export",
        summary="Hand a suspended tenant's whole log back (NDJSON), before it leaves",
        description=(
            "Platform operators only; the tenant must be suspended. The first line names the "
            "last position and the chain hash; then one line per event, personal fields "
            "decrypted. Recorded in the platform log with the file's SHA-256, which the "
            "erasure asks for."
        ),
        media_type=NDJSON,
        status_code=200,
        responses=COMMAND_ERRORS,
        response_headers=[
            ResponseHeader(
                name="Content-Digest",
                description="sha-256 of the body (RFC 9530); the erasure takes it as hex.",
                documentation_only=True,
            )
        ],
        operation_id="exportTenant",
    )
    async def export(
        self, code: FromPath[str], operator: OperatorCommands, state: State
    ) -> Response[bytes]:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / f"{code}.ndjson"
            handler = functools.partial(
                offboarding.export_tenant, write_export=export_writer(_store(state), path)
            )
            _, written = await operator(handler, ExportTenant(code=code))
            digest = base64.b64encode(bytes.fromhex(written.sha256)).decode()
            return Response(
                path.read_bytes(),
                media_type=NDJSON,
                headers={
                    "Content-Digest": f"sha-256=:{digest}:",
                    "Content-Disposition": f'attachment; filename="{code}-{written.last_position}'
                    '.ndjson"',
                },
            )

    @post(
        "/erasure",
        summary="Delete every row of a tenant whose whole log was handed back",
        description=(
            "Platform operators only; the tenant must be suspended and its log unchanged since "
            "the export whose SHA-256 is given; 409 with Retry-After while its read models "
            "or tree still catch up with its log, or while a key rotation of it runs. Events, "
            "data keys, read models, tracking, subscriptions and the head go in one "
            "transaction, checked empty; then every KEK of the tenant is destroyed in the key "
            "provider, so no backup of its data keys can be unwrapped any more. The platform "
            "log keeps the record (TenancyErased: rows_deleted, keks_destroyed). Other tenants "
            "are untouched."
        ),
        responses=COMMAND_ERRORS,
        operation_class=problem_headers(HTTP_409_CONFLICT, RETRY_AFTER),  # see _eraser
        status_code=200,
        operation_id="eraseTenant",
        dto=CommandBody.for_route("/v1/platform/tenants/{code:str}/erasure", EraseTenant),
        return_dto=None,
    )
    async def erase(
        self,
        data: Annotated[
            EraseTenant,
            example(
                {
                    "export_sha256": "9f86d081884c7d659a2feaa0c55ad015"
                    "a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "reason": "Overeenkomst beëindigd; export overgedragen.",
                }
            ),
        ],
        operator: OperatorCommands,
        state: State,
    ) -> Response[CommandAccepted]:
        handler = functools.partial(
            offboarding.erase_tenant,
            erase_rows=_eraser(_admin_dsn(state)),
            keks=_store(state).data_keys.provider,
        )
        return accepted(await operator(handler, data))
