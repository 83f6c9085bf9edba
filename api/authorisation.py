"""Who may do what: every rule of access, in one place.

Two steps per route. A *guard* (``guards=[...]`` on the route) checks the caller's roles in the
path tenant before the request body is even read: a wrong role is 403, a tenant the token does
not name is 404. A read then checks with an ``ensure_…`` function that the caller may see
*that* pupil or case; a command's handler applies its named access rule (application/access.py)
to the very version of the aggregate it changes. What a school or expert may not see is 404,
exactly as if it did not exist.

- Tenant configuration: changed by the tenant's ``swv-admin``; read by anybody with a role in
  the tenant.
- The platform operator opens, suspends and reinstates tenants on ``/v1/platform/…`` only;
  every tenant route answers its token 404. What it did to a tenant, that tenant's auditor and
  swv-admin read in the platform log.
- Pupils and their cases: the loket (``loket``) prepares and processes them, the committee
  (``committee``) also decides (requests, objections, TLV and arrangement extensions).
- A school sees and acts on its own pupils (enrolled there, or registered there in writing) and
  on the requests it submitted, with the TLVs, objections and arrangements that follow from them.
- An expert sees the TLV applications assigned to them and records the advice of the role they
  were assigned; nothing else.
- An auditor reads everything and changes nothing; personal fields are blanked for them.
- A municipality and a partner see no individual pupils here (403): municipalities get figures,
  partners integration events, elsewhere.
- Personal fields (name, date of birth, free texts about a child) are shown to the loket, the
  committee, the pupil's own school and the experts assigned to the case; blanked for others.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from api.auth import Claims, Principal, Role, principal_for
from application.errors import AggregateNotFoundError
from domain.pupil import Pupil
from domain.support_request import SupportRequest

SWV_STAFF = (Role.LOKET, Role.COMMITTEE)
ALL_ROLES = tuple(Role)


def _principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    swv_code = connection.path_params.get("swv_code")
    if swv_code is None:
        raise NotFoundException("This route names no tenant.")
    claims: Claims = connection.user
    return principal_for(claims, swv_code)


def requires(*roles: Role) -> Guard:
    """A guard: the caller has one of ``roles`` in the path tenant."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        _principal(connection).require(*roles)

    return guard


def platform_operator(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A guard for the platform routes: only an operator's token, and no tenant's, opens them."""
    claims: Claims = connection.user
    if not claims.platform_operator:
        raise PermissionDeniedException("This needs a platform operator's token.")


# Guards, named after what they allow.
configures_tenant = requires(Role.SWV_ADMIN)
reads_platform_log = requires(Role.AUDITOR, Role.SWV_ADMIN)
reads_configuration = requires(*ALL_ROLES)
reads_pupils = requires(*SWV_STAFF, Role.AUDITOR, Role.SCHOOL)
reads_support_requests = requires(*SWV_STAFF, Role.AUDITOR, Role.SCHOOL, Role.EXPERT)
reads_decisions = requires(*SWV_STAFF, Role.AUDITOR, Role.SCHOOL)
records_for_pupils = requires(*SWV_STAFF, Role.SCHOOL)
processes_cases = requires(*SWV_STAFF)
decides = requires(Role.COMMITTEE)
records_advice = requires(*SWV_STAFF, Role.EXPERT)


def _is_own_school(principal: Principal, school_codes: Iterable[str | None]) -> bool:
    return (
        principal.has(Role.SCHOOL)
        and principal.school is not None
        and principal.school in set(school_codes)
    )


def _is_assigned_expert(principal: Principal, request: SupportRequest) -> bool:
    return principal.has(Role.EXPERT) and any(
        assignment.subject == principal.subject for assignment in request.assigned_experts.values()
    )


def _pupil_schools(pupil: Pupil) -> tuple[str | None, ...]:
    return (pupil.school_code, pupil.registered_at_school)


def ensure_can_read_pupil(principal: Principal, pupil: Pupil) -> None:
    if principal.has(*SWV_STAFF, Role.AUDITOR) or _is_own_school(principal, _pupil_schools(pupil)):
        return
    raise AggregateNotFoundError("Pupil", pupil.id)


def may_see_pupil_details(principal: Principal, pupil: Pupil) -> bool:
    return principal.has(*SWV_STAFF) or _is_own_school(principal, _pupil_schools(pupil))


def ensure_can_read_request(principal: Principal, request: SupportRequest) -> None:
    if (
        principal.has(*SWV_STAFF, Role.AUDITOR)
        or _is_own_school(principal, [request.school_code])
        or _is_assigned_expert(principal, request)
    ):
        return
    raise AggregateNotFoundError("SupportRequest", request.id)


def may_see_case_details(principal: Principal, request: SupportRequest) -> bool:
    return (
        principal.has(*SWV_STAFF)
        or _is_own_school(principal, [request.school_code])
        or _is_assigned_expert(principal, request)
    )


def ensure_can_read_decision(
    principal: Principal, kind: str, aggregate_id: UUID, school_codes: Iterable[str | None]
) -> None:
    """TLVs, objections and arrangements: staff, auditors, and the schools they concern."""
    if principal.has(*SWV_STAFF, Role.AUDITOR) or _is_own_school(principal, school_codes):
        return
    raise AggregateNotFoundError(kind, aggregate_id)


def may_see_decision_details(principal: Principal, school_codes: Iterable[str | None]) -> bool:
    return principal.has(*SWV_STAFF) or _is_own_school(principal, school_codes)


# Read models

reads_caseload = requires(*SWV_STAFF, Role.AUDITOR, Role.SCHOOL)
reads_deadlines = requires(*SWV_STAFF, Role.AUDITOR)
reads_figures = requires(*SWV_STAFF, Role.AUDITOR, Role.MUNICIPALITY)
reads_projection_status = requires(*SWV_STAFF, Role.AUDITOR, Role.SWV_ADMIN)


def ensure_can_read_caseload(principal: Principal, school_code: str) -> None:
    """Staff and auditors read any school's caseload; a school only its own."""
    if principal.has(*SWV_STAFF, Role.AUDITOR):
        return
    if principal.has(Role.SCHOOL) and principal.school == school_code:
        return
    raise NotFoundException(f"No caseload of school {school_code!r} here.")


def ensure_can_read_figures(principal: Principal, municipality_code: str) -> None:
    """Staff and auditors read any municipality's figures; a municipality only its own."""
    if principal.has(*SWV_STAFF, Role.AUDITOR):
        return
    if principal.has(Role.MUNICIPALITY) and principal.municipality == municipality_code:
        return
    raise NotFoundException(f"No figures of municipality {municipality_code!r} here.")
