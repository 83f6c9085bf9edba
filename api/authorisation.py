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
  partners integration events, elsewhere. A municipality sees one case only once the loket or
  committee recorded a disclosure to it naming the legal basis, and then only the fields named.
- The privacy officer (``privacy-officer``) answers a pupil's subject access request: all its
  data, decrypted, as it is or as it stood at a moment of the log; nothing else of pupils as
  they are now.
- As of a moment of the log (``as_of_position``, ``as_of``): only the auditor and the privacy
  officer, on every route that replays, with the auditor's view (decisions, dates, reasons and
  actors; no names or birth dates). Everybody else is refused (403), whatever they may read as
  it is now: a municipality comparing figures at two positions would defeat their suppression.
- Personal fields (name, date of birth, free texts about a child) are shown to the loket, the
  committee, the pupil's own school and the experts assigned to the case; blanked for others.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from api.auth import Claims, Principal, Role, principal_for
from application.errors import AggregateNotFoundError
from domain.pupil import Pupil
from domain.support_request import SupportRequest

SWV_STAFF = (Role.LOKET, Role.COMMITTEE)
REPLAYS_THE_LOG = (Role.AUDITOR, Role.PRIVACY_OFFICER)
AS_OF_POSITION = "as_of_position"
AS_OF = "as_of"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A witness reads checkpoints and consistency proofs only (api/routes/audit.py).
ALL_ROLES = tuple(role for role in Role if role is not Role.WITNESS)

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]
"""A route's guard. Coroutines all: Litestar runs a plain function in its thread pool, and
that hand-off cost more CPU than every check the guards make (#16)."""


def _principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    swv_code = connection.path_params.get("swv_code")
    if swv_code is None:
        raise NotFoundException("This route names no tenant.")
    claims: Claims = connection.user
    return principal_for(claims, swv_code)


def requires(*roles: Role) -> Guard:
    """A guard: the caller has one of ``roles`` in the path tenant."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        _principal(connection).require(*roles)

    return guard


def asks_replay(query: Mapping[str, str]) -> bool:
    """Whether a query asks for the log replayed to a moment (a bare day in ``as_of`` does not)."""
    as_of = query.get(AS_OF)
    return AS_OF_POSITION in query or (as_of is not None and not _DAY.match(as_of))


def or_as_of(guard: Guard) -> Guard:
    """``guard`` on the state as it is; as of a moment of the log, auditor and privacy officer."""

    async def guarded(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        if asks_replay(connection.query_params):
            _principal(connection).require(*REPLAYS_THE_LOG)
        else:
            await guard(connection, handler)

    return guarded


def _audits(principal: Principal, *, as_of: bool) -> bool:
    """The auditor reads everything; the privacy officer too, but only as of a moment."""
    return principal.has(Role.AUDITOR) or (as_of and principal.has(Role.PRIVACY_OFFICER))


async def platform_operator(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
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


def ensure_can_read_pupil(principal: Principal, pupil: Pupil, *, as_of: bool = False) -> None:
    if (
        principal.has(*SWV_STAFF)
        or _audits(principal, as_of=as_of)
        or _is_own_school(principal, _pupil_schools(pupil))
    ):
        return
    raise AggregateNotFoundError("Pupil", pupil.id)


def may_see_pupil_details(principal: Principal, pupil: Pupil) -> bool:
    return principal.has(*SWV_STAFF) or _is_own_school(principal, _pupil_schools(pupil))


def ensure_can_read_request(
    principal: Principal, request: SupportRequest, *, as_of: bool = False
) -> None:
    if (
        principal.has(*SWV_STAFF)
        or _audits(principal, as_of=as_of)
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
    principal: Principal,
    kind: str,
    aggregate_id: UUID,
    school_codes: Iterable[str | None],
    *,
    as_of: bool = False,
) -> None:
    """TLVs, objections and arrangements: staff, auditors, and the schools they concern."""
    if (
        principal.has(*SWV_STAFF)
        or _audits(principal, as_of=as_of)
        or _is_own_school(principal, school_codes)
    ):
        return
    raise AggregateNotFoundError(kind, aggregate_id)


def may_see_decision_details(principal: Principal, school_codes: Iterable[str | None]) -> bool:
    return principal.has(*SWV_STAFF) or _is_own_school(principal, school_codes)


# Read models

reads_caseload = requires(*SWV_STAFF, Role.AUDITOR, Role.SCHOOL)
reads_deadlines = requires(*SWV_STAFF, Role.AUDITOR)
reads_figures = requires(*SWV_STAFF, Role.AUDITOR, Role.MUNICIPALITY)
answers_subject_access = requires(Role.PRIVACY_OFFICER)
finds_pupils = requires(*SWV_STAFF)
lists_cases = requires(*SWV_STAFF, Role.AUDITOR)
reads_disclosures = requires(*SWV_STAFF, Role.PRIVACY_OFFICER, Role.MUNICIPALITY)
reads_projection_status = requires(*SWV_STAFF, Role.AUDITOR, Role.SWV_ADMIN)


def ensure_can_read_caseload(
    principal: Principal, school_code: str, *, as_of: bool = False
) -> None:
    """Staff and auditors read any school's caseload; a school only its own."""
    if principal.has(*SWV_STAFF) or _audits(principal, as_of=as_of):
        return
    if principal.has(Role.SCHOOL) and principal.school == school_code:
        return
    raise NotFoundException(f"No caseload of school {school_code!r} here.")


def ensure_can_read_disclosures(principal: Principal, municipality_code: str) -> None:
    """Staff and the privacy officer see every disclosure; a municipality only its own."""
    if principal.has(*SWV_STAFF, Role.PRIVACY_OFFICER):
        return
    if principal.has(Role.MUNICIPALITY) and principal.municipality == municipality_code:
        return
    raise NotFoundException(f"No disclosures to municipality {municipality_code!r} here.")


def ensure_can_read_figures(
    principal: Principal, municipality_code: str, *, as_of: bool = False
) -> None:
    """Staff and auditors read any municipality's figures; a municipality only its own."""
    if principal.has(*SWV_STAFF) or _audits(principal, as_of=as_of):
        return
    if principal.has(Role.MUNICIPALITY) and principal.municipality == municipality_code:
        return
    raise NotFoundException(f"No figures of municipality {municipality_code!r} here.")
