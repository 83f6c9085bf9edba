"""Reads of personal data: declared once on their route, recorded in one place.

A route that shows personal data says so with ``opt=personal(...)``. For every answer such a
route gives with a 2xx status, the middleware here appends one entry to the tenant's access log
*before* the answer leaves (a read that cannot be recorded is not answered): who (the actor,
naming the caller's roles and subject), which pupil (the path's ``pupil_id``; else every
``pupil_id`` the JSON answer names; else the route's own finder), the route with its query,
the personal fields the answer shows, when, and why (the caller's ``Purpose`` header or
``purpose`` parameter, else the purpose the route declares).

What counts, and why: every answer that shows a pupil's name, date of birth or a free text
about the child (the fields the domain marks PERSONAL, DOSSIER or DECISION), and every answer
that names pupils by their pseudonymous id (lists, caseloads, searches), since a pseudonymous
id is still personal data. Figures, configuration, proofs and the access log itself are not.
Partner feeds are not read by a person of the tenant: what a partner received about a pupil
is recorded per pupil as a delivery (partners/recipients.py) and reported in subject access.

A read as of a moment of the log (``as_of_position``, ``as_of``: a replay by the auditor or the
privacy officer) is recorded here too, as one ``as-of`` entry, on every route that replays,
personal or not (figures and configuration as of a moment are audit reads as well): the replay
(api/routes/as_of.py) leaves the moment it resolved in the request's scope, and a successful
answer to a request that carries it is recorded like any personal read, with the moment in
its resource.

A platform operator's token on a tenant route is refused (404, api/auth.py); the attempt is
recorded in that tenant's access log too, for its auditor to see.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.exceptions import ServiceUnavailableException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import Claims
from api.authorisation import asks_replay
from application.access import Caller
from application.handlers.platform import platform_log
from application.handling import load, rebuild
from application.ports import AccessLog, AccessRecord, Clock, EventStore
from domain.ids import TenantId
from domain.personal import personal_fields
from domain.registry import AGGREGATE_CLASSES
from domain.support_request import SupportRequest
from domain.tenancy import Tenancy
from infrastructure.event_codec import event_classes_of
from infrastructure.system import SystemClock

PERSONAL_READ = "personal_read"
"""The key under which a route's ``opt`` holds its ``PersonalRead``."""
PURPOSE_HEADER = "purpose"
OPERATOR_REFUSED = "refused"
AS_OF_READ = "as_of_read"
"""The key of the request scope's state under which a replay leaves the moment it resolved."""
_JSON = b"json"

log = logging.getLogger("passend.access")

PupilFinder = Callable[[EventStore, TenantId, Mapping[str, Any]], Awaitable[UUID]]
"""Finds the pupil a read is about from its path parameters, where neither names it."""

# Why routes show personal data, unless the caller names another purpose.
CASE_HANDLING = (
    "the SWV's statutory tasks: support requests, admission (TLV) and arrangements "
    "(WPO art. 18a, WVO art. 17a)"
)
SUBJECT_ACCESS = "answering the pupil's subject access request (AVG art. 15)"
DISCLOSED = "the case as disclosed to the municipality, under the legal basis it names"
AUDIT = "audit of the SWV's decisions"

PERSONAL_FIELDS: frozenset[str] = frozenset(
    name for cls, _ in event_classes_of(AGGREGATE_CLASSES) for name in personal_fields(cls)
)
"""Every field name the domain marks PERSONAL, DOSSIER or DECISION."""


@dataclass(frozen=True, slots=True)
class PersonalRead:
    """A route that shows personal data, as its access-log entries describe it."""

    action: str
    """What kind of read: ``read``, ``list``, ``search``, ``letter``, ``subject-access``, …"""
    purpose: str
    """Why the route shows personal data, unless the caller names a purpose."""
    fields: tuple[str, ...] = ()
    """What an answer that is not JSON (a page, a letter) shows."""
    pupil_of: PupilFinder | None = None


def personal(
    action: str,
    purpose: str,
    *,
    fields: tuple[str, ...] = (),
    pupil_of: PupilFinder | None = None,
) -> dict[str, Any]:
    """A route's ``opt``: every 2xx answer of the route is one access-log entry."""
    return {PERSONAL_READ: PersonalRead(action, purpose, fields, pupil_of)}


def pupil_of_support_request(parameter: str) -> PupilFinder:
    """The pupil of the support request a path parameter names."""

    async def find(store: EventStore, tenant_id: TenantId, params: Mapping[str, Any]) -> UUID:
        request = (await load(store, tenant_id, params[parameter])).require(SupportRequest)
        return request.pupil_id

    return find


AS_OF = PersonalRead("as-of", AUDIT)
"""How a read as of a moment is recorded (its purpose is required, so ``AUDIT`` stays unused)."""


def declared_read(scope: Scope) -> PersonalRead | None:
    found = scope["route_handler"].opt.get(PERSONAL_READ)
    return found if isinstance(found, PersonalRead) else None


def _query(scope: Scope) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}


def replayed(scope: Scope) -> bool:
    """Whether this request was answered from the log replayed to a moment."""
    return AS_OF_READ in scope.get("state", {})


# A JSON string followed by a colon is a key; the pattern starts with its literal quote, which
# the regex engine finds fast. A key named by an escaped quote inside another key ('x\\"name')
# would match too: a real key's quote follows ``{``, ``,`` or white space (``_is_key``).
_PUPIL = re.compile(rb'"pupil_ids?"\s*:\s*(?:"([^"\\]*)"|\[([^\]]*)\])')
_FIELD_SHOWN = re.compile(
    rb'"(%s)"\s*:\s*(?!null|"")'
    % b"|".join(re.escape(name.encode()) for name in sorted(PERSONAL_FIELDS))
)
_STRING = re.compile(rb'"([^"\\]*)"')
_BEFORE_A_KEY = frozenset(b"{, \t\n\r")
_NUMBER = attrgetter("int")


def _is_key(body: bytes, match: re.Match[bytes]) -> bool:
    return match.start() > 0 and body[match.start() - 1] in _BEFORE_A_KEY


def _keys(pattern: re.Pattern[bytes], body: bytes) -> Iterator[re.Match[bytes]]:
    r"""Every match of ``pattern`` at a real key, overlapping ones included.

    Each search starts one byte after the last match's start, not at its end: a match at an
    escaped quote (the key x\"pupil_id) may span a real key inside its value.
    """
    match = pattern.search(body)
    while match is not None:
        if _is_key(body, match):
            yield match
        match = pattern.search(body, match.start() + 1)


@dataclass(frozen=True, slots=True)
class Shown:
    """What one answer showed: the pupils it names and the personal fields with a value."""

    pupils: tuple[UUID, ...]
    fields: tuple[str, ...]


def shown_in(body: bytes) -> Shown:
    """The pupils and personal fields a JSON answer shows.

    A pupil is shown by a ``pupil_id`` or ``pupil_ids`` key naming a UUID or a flat list of
    them, anywhere in the answer; a personal field by its key with a value other than null
    or "". Found by scanning the bytes for those keys rather than decoding the answer and
    walking it in Python: a list of 500 deadlines took 8 ms so, a quarter of its read.
    """
    named: set[bytes] = set()
    for match in _keys(_PUPIL, body):
        one, many = match.groups()
        named.update([one] if one is not None else _STRING.findall(many))
    pupils = set()
    for value in named:
        try:
            pupils.add(UUID(value.decode("latin-1")))
        except ValueError:
            continue
    fields = {m.group(1).decode() for m in _keys(_FIELD_SHOWN, body)}
    # UUIDs order by their number, which is the order of their canonical text; sorting by the
    # number itself compares ints in C, not UUIDs through ``__lt__`` (a sixth of a long list)
    return Shown(tuple(sorted(pupils, key=_NUMBER)), tuple(sorted(fields)))


def _resource(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return scope["path"] + (f"?{query}" if query else "")


def _purpose(scope: Scope, declared: str) -> str:
    given = dict(scope.get("headers", [])).get(PURPOSE_HEADER.encode(), b"").decode("latin-1")
    if not given.strip():
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = next(iter(query.get("purpose", [])), "")
    return given.strip()[:500] or declared


def _state(scope: Scope) -> State:
    state: State = scope["app"].state
    return state


def _clock(scope: Scope) -> Clock:
    clock: Clock = _state(scope).get("clock") or SystemClock()
    return clock


def _path_params(scope: Scope) -> dict[str, Any]:
    """The route's parameters, converted (a ``:uuid`` parameter is a UUID)."""
    params: dict[str, Any] = scope.get("path_params", {})
    return params


async def _pupils(scope: Scope, declared: PersonalRead, tenant: TenantId, shown: Shown) -> Shown:
    params = _path_params(scope)
    if isinstance(params.get("pupil_id"), UUID):
        return Shown((params["pupil_id"],), shown.fields)
    if shown.pupils or declared.pupil_of is None:
        return shown
    store: EventStore = _state(scope)["event_store"]
    return Shown((await declared.pupil_of(store, tenant, params),), shown.fields)


async def record_read(scope: Scope, declared: PersonalRead, body: bytes, json: bool) -> None:
    """One access-log entry for one answer of a personal or as-of read; 503 if not written."""
    claims: Claims = scope["user"]
    tenant = TenantId(_path_params(scope)["swv_code"])
    access_log: AccessLog | None = _state(scope).get("access_log")
    if access_log is None:
        raise ServiceUnavailableException(
            "Reads of personal data are recorded, and the access log is not ready; try again.",
        )
    grant = claims.tenants[tenant]
    actor = Caller(claims.sub, frozenset(grant.roles)).actor
    as_of = replayed(scope)
    # a route that declares no personal read (configuration, figures: replayed, so recorded)
    # shows nobody's data; the ``name``s in it are schools' and municipalities'
    shown = shown_in(body) if json and declared is not AS_OF else Shown((), declared.fields)
    shown = await _pupils(scope, declared, tenant, shown)
    if not shown.pupils and not as_of:
        return  # the answer shows nobody (an empty list): nothing personal was read
    one = shown.pupils[0] if len(shown.pupils) == 1 else None
    await access_log.record(
        tenant,
        AccessRecord(
            actor=actor,
            action=AS_OF.action if as_of else declared.action,
            resource=_resource(scope),
            purpose=_purpose(scope, declared.purpose),
            subject_id=one,
            fields=shown.fields,
            subjects=() if one is not None else shown.pupils,
        ),
        at=_clock(scope).now(),
    )


async def record_operator_attempt(scope: Scope, claims: Claims, tenant: str) -> None:
    """The platform operator tried a tenant route: recorded in that tenant, if it exists."""
    state = _state(scope)
    access_log: AccessLog | None = state.get("access_log")
    store: EventStore | None = state.get("event_store")
    if access_log is None or store is None:
        return
    tenant_id = TenantId(tenant)
    if not isinstance(rebuild(await platform_log(store, tenant_id)), Tenancy):
        return  # no such tenant: nobody's log to write in
    pupil = _path_params(scope).get("pupil_id")
    await access_log.record(
        tenant_id,
        AccessRecord(
            actor=Caller.operator(claims.sub).actor,
            action=OPERATOR_REFUSED,
            resource=f"{scope.get('method', '')} {_resource(scope)}",
            purpose="none: the platform operator processes no tenant's data (refused, 404)",
            subject_id=pupil if isinstance(pupil, UUID) else None,
        ),
        at=_clock(scope).now(),
    )


async def _answer_recorded(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, declared: PersonalRead | None
) -> None:
    """Answer, holding the answer until a successful personal or as-of read is recorded."""
    held: list[Message] = []

    async def hold(message: Message) -> None:
        held.append(message)

    await app(scope, receive, hold)
    start = next((m for m in held if m["type"] == "http.response.start"), None)
    if start is not None and 200 <= start["status"] < 300:  # noqa: PLR2004 - success
        content_type = dict(start.get("headers", [])).get(b"content-type", b"")
        body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        if replayed(scope):
            await record_read(scope, declared or AS_OF, body, json=_JSON in content_type)
        elif declared is not None:  # a bare day in ``as_of`` replays nothing
            await record_read(scope, declared, body, json=_JSON in content_type)
    for message in held:
        await send(message)


def personal_reads_middleware(app: ASGIApp) -> ASGIApp:
    """Records personal reads, as-of reads and operator attempts; runs after authentication."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        claims = scope.get("user")
        tenant = _path_params(scope).get("swv_code")
        if isinstance(claims, Claims) and claims.platform_operator and tenant is not None:
            await app(scope, receive, send)
            try:
                await record_operator_attempt(scope, claims, tenant)
            except Exception:
                log.exception("recording an operator's attempt on %s failed", tenant)
            return
        declared = declared_read(scope)
        recorded = declared is not None or asks_replay(_query(scope))
        if recorded and isinstance(claims, Claims) and tenant is not None:
            await _answer_recorded(app, scope, receive, send, declared)
        else:
            await app(scope, receive, send)

    return middleware
