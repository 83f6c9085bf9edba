"""``/v1/tenants/{swv_code}/tlvs``: granted TLVs, their extension (one or many), redemption, lapse.

TLVs are issued by deciding a TLV application (support-requests/{id}/decision).
"""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from api import authorisation
from api.auth import Principal
from api.command_routes import CommandRoute, Done, command_router
from api.dependencies import Store
from api.personal_reads import CASE_HANDLING, personal
from api.routes.as_of import AS_OF_READ_ERRORS, REPLAY, ReplayDependency
from api.routes.support_requests import load_request
from api.schemas.common import aggregate_read
from api.schemas.decisions import (
    BulkTlvExtensionResult,
    TlvExtended,
    TlvNotExtended,
    TlvRead,
    TlvState,
)
from api.schemas.headers import ETAG
from application import commands as c
from application.handlers import tlvs as h
from application.queries import aggregate_history
from domain.tlv import Tlv

PATH = "/v1/tenants/{swv_code:str}/tlvs"
TlvId = FromPath[UUID]


async def bulk_extension_result(done: Done) -> BulkTlvExtensionResult:
    outcome: h.ExtendTlvsOutcome = done.outcome
    return BulkTlvExtensionResult(
        batch_id=done.commands.ctx.command_id,
        extended=[
            TlvExtended(r.tlv_id, r.outcome.stream_version, r.outcome.last_position)
            for r in outcome.results
            if r.outcome is not None
        ],
        not_extended=[TlvNotExtended(r.tlv_id, r.error or "") for r in outcome.failed],
    )


COMMANDS = [
    CommandRoute(
        method="POST",
        path="/{tlv_id:uuid}/extensions",
        command=c.ExtendTlv,
        handler=h.extend_tlv,
        guard=authorisation.decides,
        operation_id="extendTlv",
        summary="Extend a TLV after an individual re-assessment",
        examples={"Two more school years": {"valid_until": "2029-07-31"}},
    ),
    CommandRoute(
        method="POST",
        path="/bulk-extensions",
        command=c.ExtendTlvs,
        handler=h.extend_tlvs,
        guard=authorisation.decides,
        operation_id="extendTlvs",
        summary="Extend many TLVs at once under one regulation",
        description=(
            "Each TLV is extended or not on its own; the Idempotency-Key is the batch id, and a "
            "retry with it extends what failed for a passing reason. If-Match does not apply."
        ),
        examples={
            "A regulation": {
                "tlv_ids": ["0f4b6e1c-2b0a-5d5e-8f44-3a1d2c9b7e60"],
                "valid_until": "2026-07-31",
                "regulation": "Regeling verlenging TLV's 2025",
            }
        },
        answer=bulk_extension_result,
        errors=(400, 401, 403, 404, 413, 415, 422),
    ),
    CommandRoute(
        method="POST",
        path="/redemptions",
        command=c.RedeemTlv,
        handler=h.redeem_tlv,
        guard=authorisation.records_for_pupils,
        operation_id="redeemTlv",
        summary="Record that the pupil was enrolled on the TLV at an S(B)O school",
        description=(
            "The enrolling school names the TLV by the beschikkingsnummer on the beschikking "
            "and redeems it at itself; a number of no TLV of this SWV that a school of its "
            "type could redeem is 404, without saying which. The loket names the school."
        ),
        examples={
            "At the enrolling school": {
                "beschikkingsnummer": "PO2604-36F7NR37C-S8VPV0DGJ-K69MXCTX1",
                "enrolled_on": "2025-04-01",
            }
        },
    ),
    CommandRoute(
        method="POST",
        path="/{tlv_id:uuid}/lapse",
        command=c.LapseTlv,
        handler=h.lapse_tlv,
        guard=authorisation.processes_cases,
        operation_id="lapseTlv",
        summary="Record that an unredeemed TLV lapsed",
    ),
]


class TlvController(Controller):
    path = PATH
    tags = ("tlvs",)

    @get(
        "/{tlv_id:uuid}",
        response_headers=[ETAG],
        summary="A TLV: current state, version and events",
        guards=[authorisation.or_as_of(authorisation.reads_decisions)],
        responses=AS_OF_READ_ERRORS,
        dependencies=REPLAY,
        operation_id="getTlv",
        opt=personal("read", CASE_HANDLING),
    )
    async def read(
        self,
        tlv_id: TlvId,
        principal: NamedDependency[Principal],
        event_store: Store,
        replay: ReplayDependency,
    ) -> Response[TlvRead]:
        history = await aggregate_history(
            event_store, principal.tenant_id, Tlv, tlv_id, to_position=replay.position
        )
        tlv = history.aggregate
        request = await load_request(event_store, principal.tenant_id, tlv.support_request_id)
        schools = (request.school_code, tlv.redeemed_at_school)
        authorisation.ensure_can_read_decision(
            principal, "Tlv", tlv.id, schools, as_of=replay.as_of
        )
        personal = authorisation.may_see_decision_details(principal, schools)
        return aggregate_read(
            TlvRead,
            history,
            TlvState.of(tlv, principal.tenant_id),
            personal=personal,
            replayed_to=replay.moment,
        )


TlvCommands = command_router(PATH, "tlvs", COMMANDS)
