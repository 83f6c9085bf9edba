"""The beschikking: the decision letter of a support request, as HTML or PDF.

For SWV staff and the school of the case. The steps the law adds to a case's terms (a 4:14
notice, the 6:11 ruling, the 7:10 postponement and consent) are rows of the support request's
and the objection's command tables.
"""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from api import authorisation
from api.auth import Principal
from api.dependencies import Store
from api.personal_reads import CASE_HANDLING, personal, pupil_of_support_request
from api.schemas.common import problems
from application.beschikking import Beschikking, beschikking_of, render_html, render_pdf
from application.errors import AggregateNotFoundError
from application.queries import aggregate_history, swv_configuration
from domain.pupil import Pupil
from domain.support_request import SupportRequest

RequestId = FromPath[UUID]
_PDF = "application/pdf"
_LETTER_ERRORS = problems(400, 401, 403, 404, 422)  # 422: not decided yet
# The letter names the pupil and gives the decision's reasons.
_LETTER = personal(
    "letter",
    CASE_HANDLING,
    fields=("name", "reasons"),
    pupil_of=pupil_of_support_request("request_id"),
)


class DecisionLetterController(Controller):
    path = "/v1/tenants/{swv_code:str}/support-requests"
    tags = ("support-requests",)

    @get(
        "/{request_id:uuid}/beschikking",
        summary="The decision letter (HTML), with its reasons and the notice of objection rights",
        guards=[authorisation.records_for_pupils],
        responses=_LETTER_ERRORS,
        media_type=MediaType.HTML,
        operation_id="getBeschikking",
        opt=_LETTER,
    )
    async def letter(
        self, request_id: RequestId, principal: NamedDependency[Principal], event_store: Store
    ) -> Response[str]:
        beschikking = await _beschikking(event_store, principal, request_id)
        return Response(render_html(beschikking), media_type=MediaType.HTML)

    @get(
        "/{request_id:uuid}/beschikking.pdf",
        summary="The decision letter as PDF",
        guards=[authorisation.records_for_pupils],
        responses=_LETTER_ERRORS,
        media_type=_PDF,
        operation_id="getBeschikkingPdf",
        opt=_LETTER,
    )
    async def letter_pdf(
        self, request_id: RequestId, principal: NamedDependency[Principal], event_store: Store
    ) -> Response[bytes]:
        beschikking = await _beschikking(event_store, principal, request_id)
        return Response(render_pdf(beschikking), media_type=_PDF)


async def _beschikking(store: Store, principal: Principal, request_id: UUID) -> Beschikking:
    """The letter for SWV staff and the school of the case; as unknown (404) to anyone else."""
    tenant_id = principal.tenant_id
    request = (await aggregate_history(store, tenant_id, SupportRequest, request_id)).aggregate
    if not authorisation.may_see_case_details(principal, request):
        raise AggregateNotFoundError("SupportRequest", request.id)
    pupil = (await aggregate_history(store, tenant_id, Pupil, request.pupil_id)).aggregate
    swv = await swv_configuration(store, tenant_id)
    return beschikking_of(request, swv, pupil_name=pupil.name)
