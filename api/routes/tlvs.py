"""``/v1/tenants/{swv_code}/tlvs``: granted TLVs, their extension (one or many), redemption, lapse.

TLVs are issued by deciding a TLV application (support-requests/{id}/decision).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from api import authorisation
from api.auth import Principal
from api.dependencies import Commands, Store
from api.routes.support_requests import load_request
from api.schemas.common import (
    COMMAND_ERRORS,
    READ_ERRORS,
    CommandAccepted,
    accepted,
    etag,
    event_views,
    example,
    problems,
)
from api.schemas.decisions import (
    BulkTlvExtensionBody,
    BulkTlvExtensionResult,
    RedemptionBody,
    TlvExtended,
    TlvExtensionBody,
    TlvNotExtended,
    TlvRead,
    TlvState,
)
from application.commands import ExtendTlv, ExtendTlvs, LapseTlv, RedeemTlv
from application.handlers import tlvs
from application.queries import aggregate_history
from domain.tlv import Tlv

TlvId = FromPath[UUID]


class TlvController(Controller):
    path = "/v1/tenants/{swv_code:str}/tlvs"
    tags = ("TLVs",)

    @get(
        "/{tlv_id:uuid}",
        summary="A TLV: current state, version and events",
        guards=[authorisation.reads_decisions],
        responses=READ_ERRORS,
    )
    async def read(
        self, tlv_id: TlvId, principal: NamedDependency[Principal], event_store: Store
    ) -> Response[TlvRead]:
        history = await aggregate_history(event_store, principal.tenant_id, Tlv, tlv_id)
        tlv = history.aggregate
        request = await load_request(event_store, principal.tenant_id, tlv.support_request_id)
        schools = (request.school_code, tlv.redeemed_at_school)
        authorisation.ensure_can_read_decision(principal, "Tlv", tlv.id, schools)
        personal = authorisation.may_see_decision_details(principal, schools)
        return Response(
            TlvRead(
                id=tlv.id,
                version=history.version,
                state=TlvState.of(tlv, principal.tenant_id),
                events=event_views(history.events, personal=personal),
            ),
            headers=etag(history.version),
        )

    @post(
        "/{tlv_id:uuid}/extensions",
        summary="Extend a TLV after an individual re-assessment",
        guards=[authorisation.decides],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def extend(
        self,
        tlv_id: TlvId,
        data: Annotated[TlvExtensionBody, example({"valid_until": "2029-07-31"})],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = ExtendTlv(
            tlv_id=tlv_id,
            valid_until=data.valid_until,
            support_request_id=data.support_request_id,
            decided_on=data.decided_on,
        )
        return accepted(await commands(tlvs.extend_tlv, command))

    @post(
        "/bulk-extensions",
        summary="Extend many TLVs at once under one regulation",
        description=(
            "Each TLV is extended or not on its own; the Idempotency-Key is the batch id, and a "
            "retry with it extends what failed for a passing reason. If-Match does not apply."
        ),
        guards=[authorisation.decides],
        responses=problems(400, 401, 403, 404, 413, 422),
        status_code=200,
    )
    async def extend_many(
        self,
        data: Annotated[
            BulkTlvExtensionBody,
            example(
                {
                    "tlv_ids": ["0f4b6e1c-2b0a-5d5e-8f44-3a1d2c9b7e60"],
                    "valid_until": "2026-07-31",
                    "regulation": "Regeling verlenging TLV's 2025",
                }
            ),
        ],
        commands: Commands,
    ) -> BulkTlvExtensionResult:
        command = ExtendTlvs(
            tlv_ids=tuple(data.tlv_ids), valid_until=data.valid_until, regulation=data.regulation
        )
        outcome = await commands(tlvs.extend_tlvs, command)
        return BulkTlvExtensionResult(
            batch_id=commands.ctx.command_id,
            extended=[
                TlvExtended(r.tlv_id, r.outcome.stream_version, r.outcome.last_position)
                for r in outcome.results
                if r.outcome is not None
            ],
            not_extended=[TlvNotExtended(r.tlv_id, r.error or "") for r in outcome.failed],
        )

    @post(
        "/redemptions",
        summary="Record that the pupil was enrolled on the TLV at an S(B)O school",
        description=(
            "The enrolling school names the TLV by the beschikkingsnummer on the beschikking "
            "and redeems it at itself; a number of no TLV of this SWV that a school of its "
            "type could redeem is 404, without saying which. The loket names the school."
        ),
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def redeem(
        self,
        data: Annotated[
            RedemptionBody,
            example(
                {
                    "beschikkingsnummer": "PO2604-36F7NR37C-S8VPV0DGJ-K69MXCTX1",
                    "enrolled_on": "2025-04-01",
                }
            ),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = RedeemTlv(
            beschikkingsnummer=data.beschikkingsnummer,
            school_code=data.school_code,
            enrolled_on=data.enrolled_on,
        )
        return accepted(await commands(tlvs.redeem_tlv, command))

    @post(
        "/{tlv_id:uuid}/lapse",
        summary="Record that an unredeemed TLV lapsed",
        guards=[authorisation.processes_cases],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def lapse(self, tlv_id: TlvId, commands: Commands) -> Response[CommandAccepted]:
        return accepted(await commands(tlvs.lapse_tlv, LapseTlv(tlv_id=tlv_id)))
