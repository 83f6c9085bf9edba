"""The state of each open or closed case, folded from events, for the caseload and deadline models.

Pure: no I/O and no clock, so a page of events folds to the same states however the log is cut
into pages. A case is a support request, a TLV, an objection, an arrangement, or a pupil's
pending written registration at a school (the zorgplicht term). Its id is its stream's id (the
pupil's, for a registration). A TLV, objection or arrangement belongs to the school of the
request it follows from, exactly as the API's access rules say; a TLV also to the school where
it was redeemed. The states hold pseudonymous ids, codes and dates only, no personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

import msgspec

from application.ports import RecordedEvent
from domain import deadlines
from domain.arrangement import Arrangement
from domain.deadlines import Pause, Timeliness
from domain.objection import Objection
from domain.pupil import Pupil
from domain.support_request import SupportRequest
from domain.tlv import Tlv
from projections.projection import EventFilter


class CaseKind(StrEnum):
    REQUEST = "REQUEST"
    TLV = "TLV"
    OBJECTION = "OBJECTION"
    ARRANGEMENT = "ARRANGEMENT"
    REGISTRATION = "REGISTRATION"
    ABSENCE = "ABSENCE"  # a thuiszitter's case (projections/absence_cases.py)


class CaseStatus(StrEnum):
    SUBMITTED = "SUBMITTED"  # requests: not yet found complete
    INCOMPLETE = "INCOMPLETE"
    COMPLETE = "COMPLETE"  # found complete
    SUSPENDED = "SUSPENDED"  # invited to complete (Awb 4:5): the decision term stands still
    GRANTED = "GRANTED"
    REFUSED = "REFUSED"
    WITHDRAWN = "WITHDRAWN"
    ISSUED = "ISSUED"  # TLVs, as TlvStatus
    REDEEMED = "REDEEMED"
    LAPSED = "LAPSED"
    REVOKED = "REVOKED"
    LODGED = "LODGED"  # objections
    INADMISSIBLE = "INADMISSIBLE"
    DECIDED = "DECIDED"
    RUNNING = "RUNNING"  # arrangements
    ENDED_EARLY = "ENDED_EARLY"
    PENDING = "PENDING"  # registrations: the school has yet to offer a place
    ENROLLED = "ENROLLED"
    LEFT = "LEFT"


_OPEN = frozenset(
    {
        CaseStatus.SUBMITTED,
        CaseStatus.INCOMPLETE,
        CaseStatus.COMPLETE,
        CaseStatus.SUSPENDED,
        CaseStatus.ISSUED,
        CaseStatus.REDEEMED,
        CaseStatus.LODGED,
        CaseStatus.RUNNING,
        CaseStatus.PENDING,
    }
)


class DeadlineKind(StrEnum):
    """What falls due: acts someone owes (``is_act``), and terms that simply end."""

    DECISION = "DECISION"  # Awb 4:13: decide the request
    LBT_REQUEST = "LBT_REQUEST"  # ask the LBT's advice on an objection
    TLV_REDEMPTION = "TLV_REDEMPTION"  # enrol the pupil on the TLV, or record that it lapsed
    ZORGPLICHT = "ZORGPLICHT"  # the school of registration offers a place
    # no decision by then: the pupil is enrolled at the school of registration (WPO, §1.2)
    TEMPORARY_ENROLMENT = "TEMPORARY_ENROLMENT"
    OBJECTION_DECISION = "OBJECTION_DECISION"  # Awb 7:10: decide the objection
    OBJECTION_TERM = "OBJECTION_TERM"  # the decision becomes final if nobody objects
    TLV_END = "TLV_END"
    ARRANGEMENT_END = "ARRANGEMENT_END"
    # an absence case's signals (domain.absence.AbsenceSignal), folded in absence_cases
    LEERPLICHT_REPORT = "LEERPLICHT_REPORT"
    LONG_TERM_ABSENCE = "LONG_TERM_ABSENCE"
    THUISZITTERSPACT = "THUISZITTERSPACT"

    @property
    def is_act(self) -> bool:
        """Whether passing the date without the act makes it overdue (a term just ends)."""
        return self in _ACTS


_ACTS = frozenset(
    {
        DeadlineKind.DECISION,
        DeadlineKind.LBT_REQUEST,
        DeadlineKind.TLV_REDEMPTION,
        DeadlineKind.ZORGPLICHT,
        DeadlineKind.TEMPORARY_ENROLMENT,
        DeadlineKind.OBJECTION_DECISION,
        DeadlineKind.LEERPLICHT_REPORT,
        DeadlineKind.LONG_TERM_ABSENCE,
        DeadlineKind.THUISZITTERSPACT,
    }
)
_UNDECIDED = frozenset(
    {CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE, CaseStatus.COMPLETE, CaseStatus.SUSPENDED}
)


class Deadline(msgspec.Struct, frozen=True):
    kind: DeadlineKind
    due_on: date


class Case(msgspec.Struct, kw_only=True):
    """One case's facts as far as the log has told them; ``subject`` is its type or code."""

    case_id: UUID
    kind: CaseKind
    pupil_id: UUID
    school_code: str
    status: CaseStatus
    opened_on: date
    subject: str | None = None
    request_id: UUID | None = None
    redeemed_at: str | None = None
    complete_on: date | None = None
    days_suspended: int = 0
    pauses: tuple[Pause, ...] = ()  # requests: Awb 4:5 invitations and their completions
    extended_to: date | None = None  # requests: the last day a 4:14 notice named
    notified_on: date | None = None
    ends_on: date | None = None
    redeem_by: date | None = None
    lbt_requested: bool = False
    extended: bool = False  # registrations: the zorgplicht term's one extension was taken
    # objections: the facts Awb 6:9, 6:11 and 7:10 count with
    term_ends_on: date | None = None
    lateness_pending: bool = False
    advisory_committee: bool = False
    postponed: bool = False
    agreed_until: date | None = None

    @property
    def is_open(self) -> bool:
        return self.status in _OPEN

    @property
    def school_codes(self) -> list[str]:
        """The schools whose caseload shows this case."""
        return [self.school_code] + ([self.redeemed_at] if self.redeemed_at else [])

    def deadlines(self) -> list[Deadline]:
        """What is due on this case, whatever today is; the query decides what is overdue."""
        due: list[Deadline] = []
        match self.kind:
            case CaseKind.REQUEST:
                due += self._request_deadlines()
            case CaseKind.OBJECTION if self.status is CaseStatus.LODGED:
                due += self._objection_deadlines()
            case CaseKind.TLV if self.is_open and self.ends_on is not None:
                if self.status is CaseStatus.ISSUED and self.redeem_by is not None:
                    due.append(Deadline(DeadlineKind.TLV_REDEMPTION, self.redeem_by))
                due.append(Deadline(DeadlineKind.TLV_END, self.ends_on))
            case CaseKind.ARRANGEMENT if self.is_open and self.ends_on is not None:
                due.append(Deadline(DeadlineKind.ARRANGEMENT_END, self.ends_on))
            case CaseKind.REGISTRATION if self.is_open:
                ends_on = deadlines.zorgplicht_deadline(self.opened_on, extended=self.extended)
                enrolled_on = deadlines.temporary_enrolment_on(self.opened_on)
                due.append(Deadline(DeadlineKind.ZORGPLICHT, ends_on))
                due.append(Deadline(DeadlineKind.TEMPORARY_ENROLMENT, enrolled_on))
            case _:
                pass
        return due

    def _request_deadlines(self) -> list[Deadline]:
        due: list[Deadline] = []
        if self.status in _UNDECIDED:
            decide_by = deadlines.decision_deadline(
                self.opened_on, pauses=self.pauses, extended_to=self.extended_to
            )
            if decide_by is not None:
                due.append(Deadline(DeadlineKind.DECISION, decide_by))
        if self.notified_on is not None:
            term = deadlines.objection_deadline(self.notified_on)
            due.append(Deadline(DeadlineKind.OBJECTION_TERM, term))
        return due

    def _objection_deadlines(self) -> list[Deadline]:
        due: list[Deadline] = []
        if not self.lbt_requested:
            ask_by = deadlines.lbt_request_deadline(self.opened_on)
            due.append(Deadline(DeadlineKind.LBT_REQUEST, ask_by))
        if not self.lateness_pending:  # a late objection waits for the 6:11 ruling
            decide_by = deadlines.objection_decision_deadline(
                self.term_ends_on or self.opened_on,
                with_committee=self.advisory_committee or self.lbt_requested,
                postponed=self.postponed,
                agreed_until=self.agreed_until,
            )
            due.append(Deadline(DeadlineKind.OBJECTION_DECISION, decide_by))
        return due

    def next_deadline(self, due: Sequence[Deadline] | None = None) -> Deadline | None:
        """The earliest thing due while the case is open (of ``due``: its deadlines, if known)."""
        if not self.is_open:
            return None
        return min(
            self.deadlines() if due is None else due,
            key=lambda d: (d.due_on, d.kind),
            default=None,
        )


class CaseInconsistencyError(ValueError):
    """An event refers to a case the log has not opened: the read model cannot place it."""


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Case)


def encode_case(case: Case) -> bytes:
    return _encoder.encode(case)


def decode_case(state: bytes) -> Case:
    return _decoder.decode(state)


def referenced_requests(events: Iterable[RecordedEvent]) -> set[UUID]:
    """Requests whose school a page's new TLVs, objections and arrangements take over."""
    found: set[UUID] = set()
    for recorded in events:
        event = recorded.event
        if _follows_a_request(event):
            found.add(event.support_request_id)  # type: ignore[attr-defined]
    return found


_follows_a_request = EventFilter(Tlv.Granted, Objection.Lodged, Arrangement.Granted)


_is_case_event = EventFilter(
    SupportRequest.Event,
    Tlv.Event,
    Objection.Event,
    Arrangement.Event,
    Pupil.SchoolRegistrationReceived,
    Pupil.ZorgplichtTermExtended,
    Pupil.Enrolled,
    Pupil.LeftSwv,
)


def touches_a_case(recorded: RecordedEvent) -> bool:
    return _is_case_event(recorded.event)


class CaseBook:
    """The cases a page of events touches: loaded ones, folded forward, and which changed."""

    def __init__(self, loaded: Mapping[UUID, Case]) -> None:
        self._cases = dict(loaded)
        self.changed: dict[UUID, Case] = {}

    def fold(self, events: Iterable[RecordedEvent]) -> dict[UUID, Case]:
        """Apply ``events`` in order; the cases they changed, by id."""
        for recorded in events:
            if touches_a_case(recorded):
                case = _evolve(self._cases.get(recorded.stream_id), recorded, self._request)
                if case is not None:
                    self._cases[case.case_id] = self.changed[case.case_id] = case
        return self.changed

    def _request(self, request_id: UUID) -> Case:
        request = self._cases.get(request_id)
        if request is None or request.kind is not CaseKind.REQUEST:
            raise CaseInconsistencyError(f"no support request {request_id} in this tenant's log")
        return request


@dataclass(frozen=True, slots=True)
class FoldedPage:
    """The cases a page of events changed, each with its stored state and its deadlines."""

    cases: list[Case]
    states: list[bytes]
    """``encode_case`` of each case, in the same order."""
    deadlines: list[list[Deadline]]
    """``Case.deadlines()`` of each case, in the same order."""


def cases_to_load(tenant_id: str, events: Sequence[RecordedEvent]) -> list[UUID]:
    """The cases a page of events touches, and the requests its new cases follow.

    ``events`` as a read model is handed them (position order, no gaps, of ``tenant_id``).
    """
    key = _page_key(tenant_id, events)
    found = _RECENT_IDS.get(key)
    if found is None:
        touched = {r.stream_id for r in events if touches_a_case(r)}
        found = list(touched | referenced_requests(events)) if touched else []
        _remember(_RECENT_IDS, key, found)
    return found


def fold_page(
    tenant_id: str, events: Sequence[RecordedEvent], states: Iterable[bytes]
) -> FoldedPage:
    """The cases ``events`` change, folded (``CaseBook``) from the stored ``states`` they need.

    school_caseload and deadlines_due fold the same cases from the same events, each from the
    states in its own table: caught up together they stand at the same position and load the
    same states, and the second is given what the first folded (the fold is pure, so the same
    page of the same tenant from the same states folds to the same cases). A read model that
    stands elsewhere, or whose states differ, folds its own.
    """
    loaded = list(states)
    key = (*_page_key(tenant_id, events), frozenset(loaded))
    page = _RECENT_FOLDS.get(key)
    if page is None:
        changed = CaseBook({c.case_id: c for c in map(decode_case, loaded)}).fold(events)
        cases = list(changed.values())
        page = FoldedPage(cases, [encode_case(c) for c in cases], [c.deadlines() for c in cases])
        _remember(_RECENT_FOLDS, key, page)
    return page


_PageKey = tuple[str, int, int, int]


def _page_key(tenant_id: str, events: Sequence[RecordedEvent]) -> _PageKey:
    # positions are dense and never change: a tenant's first and last position name the page
    return (
        (tenant_id, events[0].position, events[-1].position, len(events))
        if events
        else (tenant_id, 0, 0, 0)
    )


_RECENT = 8
"""Pages remembered: the runner catches several tenants up at once, interleaved."""
_RECENT_IDS: dict[_PageKey, list[UUID]] = {}
_RECENT_FOLDS: dict[tuple[object, ...], FoldedPage] = {}


def _remember(recent: dict[Any, Any], key: object, value: object) -> None:
    if len(recent) >= _RECENT:
        del recent[next(iter(recent))]  # the oldest: dicts keep insertion order
    recent[key] = value


def _evolve(
    case: Case | None, recorded: RecordedEvent, request_of: Callable[[UUID], Case]
) -> Case | None:
    """The case after ``recorded``, dispatched on the event's type (its steps found once).

    A chain of class patterns cost an ``isinstance`` each, about 0.3 µs against these event
    classes, and every case event of the log ran through it twice (two read models fold it).
    """
    kind = type(recorded.event)
    try:
        opens, changes = _STEPS[kind]
    except KeyError:
        opens, changes = _STEPS[kind] = _steps_for(kind)
    if opens is not None:
        return opens(case, recorded, request_of)
    if case is None:
        raise CaseInconsistencyError(
            f"{kind.__qualname__} at position {recorded.position} changes case"
            f" {recorded.stream_id}, which the log never opened"
        )
    return None if changes is None else changes(case, recorded.event)


_Opens = Callable[[Case | None, RecordedEvent, Callable[[UUID], Case]], Case | None]
_Changes = Callable[[Case, Any], Case | None]
_replace = msgspec.structs.replace


def _request_submitted(_: Case | None, recorded: RecordedEvent, __: Callable[[UUID], Case]) -> Case:
    event: SupportRequest.Submitted = recorded.event  # type: ignore[assignment]
    return Case(
        case_id=recorded.stream_id,
        kind=CaseKind.REQUEST,
        pupil_id=event.pupil_id,
        school_code=event.school_code,
        status=CaseStatus.SUBMITTED,
        opened_on=event.received_on,
        subject=event.tlv_type or event.arrangement_type,
    )


def _tlv_granted(
    _: Case | None, recorded: RecordedEvent, request_of: Callable[[UUID], Case]
) -> Case:
    event: Tlv.Granted = recorded.event  # type: ignore[assignment]
    request = request_of(event.support_request_id)
    return _replace(
        _following(request, recorded.stream_id, CaseKind.TLV, CaseStatus.ISSUED, event.valid_from),
        subject=event.tlv_type,
        ends_on=event.valid_until,
        redeem_by=event.redeem_by,
    )


def _objection_lodged(
    _: Case | None, recorded: RecordedEvent, request_of: Callable[[UUID], Case]
) -> Case:
    event: Objection.Lodged = recorded.event  # type: ignore[assignment]
    request = request_of(event.support_request_id)
    objection = _following(
        request, recorded.stream_id, CaseKind.OBJECTION, CaseStatus.LODGED, event.received_on
    )
    return _replace(
        objection,
        subject=event.objector,
        term_ends_on=event.term_ends_on,
        # before 6:11 was a step of its own, an excuse given with it let it go on
        lateness_pending=event.timeliness is Timeliness.LATE and event.lateness_excuse is None,
        advisory_committee=event.advisory_committee,
    )


def _arrangement_granted(
    _: Case | None, recorded: RecordedEvent, request_of: Callable[[UUID], Case]
) -> Case:
    event: Arrangement.Granted = recorded.event  # type: ignore[assignment]
    request = request_of(event.support_request_id)
    arrangement = _following(
        request, recorded.stream_id, CaseKind.ARRANGEMENT, CaseStatus.RUNNING, event.start_on
    )
    return _replace(arrangement, subject=event.arrangement_type, ends_on=event.end_on)


def _registration_received(
    _: Case | None, recorded: RecordedEvent, __: Callable[[UUID], Case]
) -> Case:
    event: Pupil.SchoolRegistrationReceived = recorded.event  # type: ignore[assignment]
    return Case(
        case_id=recorded.stream_id,
        kind=CaseKind.REGISTRATION,
        pupil_id=recorded.stream_id,
        school_code=event.school_code,
        status=CaseStatus.PENDING,
        opened_on=event.registered_on,
        ends_on=event.zorgplicht_ends_on,
    )


def _closes_registration(status: CaseStatus) -> _Opens:
    def closes(case: Case | None, _: RecordedEvent, __: Callable[[UUID], Case]) -> Case | None:
        if case is None or not case.is_open:
            return None  # enrolments without a pending registration are no case
        return _replace(case, status=status)

    return closes


def _completeness_checked(case: Case, event: SupportRequest.CompletenessChecked) -> Case:
    if event.complete:
        return _replace(case, status=CaseStatus.COMPLETE, complete_on=event.checked_on)
    return _replace(case, status=CaseStatus.INCOMPLETE)


def _suspended(case: Case, event: SupportRequest.Suspended) -> Case:
    pause = Pause(event.suspended_on, event.complete_by)
    return _replace(case, status=CaseStatus.SUSPENDED, pauses=(*case.pauses, pause))


def _resumed(case: Case, event: SupportRequest.Resumed) -> Case:
    days = case.days_suspended + event.days_suspended
    *closed, open_pause = case.pauses
    pause = Pause(
        open_pause.invited_on, open_pause.complete_by, event.resumed_on, event.pause_count
    )
    return _replace(
        case,
        status=CaseStatus.COMPLETE if case.complete_on else CaseStatus.SUBMITTED,
        days_suspended=days,
        pauses=(*closed, pause),
    )


def _status(status: CaseStatus) -> _Changes:
    def to(case: Case, _: object) -> Case:
        return _replace(case, status=status)

    return to


def _zorgplicht_extended(case: Case, event: Pupil.ZorgplichtTermExtended) -> Case | None:
    if not case.is_open:
        return None
    return _replace(case, ends_on=event.zorgplicht_ends_on, extended=True)


_OPENS: tuple[tuple[tuple[type, ...], _Opens], ...] = (
    ((SupportRequest.Submitted,), _request_submitted),
    ((Tlv.Granted,), _tlv_granted),
    ((Objection.Lodged,), _objection_lodged),
    ((Arrangement.Granted,), _arrangement_granted),
    ((Pupil.SchoolRegistrationReceived,), _registration_received),
    ((Pupil.Enrolled,), _closes_registration(CaseStatus.ENROLLED)),
    ((Pupil.LeftSwv,), _closes_registration(CaseStatus.LEFT)),
)
"""The events that open a case (or close a registration), in the order they were once matched."""

_CHANGES: tuple[tuple[tuple[type, ...], _Changes], ...] = (
    ((SupportRequest.CompletenessChecked,), _completeness_checked),
    ((SupportRequest.Suspended,), _suspended),
    ((SupportRequest.Resumed,), _resumed),
    (
        (SupportRequest.DecisionTermExtended,),
        lambda case, event: _replace(case, extended_to=event.extended_to),
    ),
    ((SupportRequest.Granted,), _status(CaseStatus.GRANTED)),
    ((SupportRequest.Refused,), _status(CaseStatus.REFUSED)),
    ((SupportRequest.Withdrawn,), _status(CaseStatus.WITHDRAWN)),
    (
        (SupportRequest.DecisionNotified,),
        lambda case, event: _replace(case, notified_on=event.notified_on),
    ),
    (
        (Tlv.Extended, Tlv.ExtendedAdministratively),
        lambda case, event: _replace(case, ends_on=event.valid_until),
    ),
    (
        (Tlv.Revised,),
        lambda case, event: _replace(case, opened_on=event.valid_from, ends_on=event.valid_until),
    ),
    (
        (Tlv.Redeemed,),
        lambda case, event: _replace(
            case, status=CaseStatus.REDEEMED, redeemed_at=event.school_code
        ),
    ),
    ((Tlv.Lapsed,), _status(CaseStatus.LAPSED)),
    ((Tlv.Revoked,), _status(CaseStatus.REVOKED)),
    ((Objection.DeclaredInadmissible,), _status(CaseStatus.INADMISSIBLE)),
    ((Objection.LbtAdviceRequested,), lambda case, _: _replace(case, lbt_requested=True)),
    ((Objection.LatenessRuled,), lambda case, _: _replace(case, lateness_pending=False)),
    ((Objection.DecisionPostponed,), lambda case, _: _replace(case, postponed=True)),
    (
        (Objection.LongerTermAgreed,),
        lambda case, event: _replace(case, agreed_until=event.agreed_until),
    ),
    ((Objection.Decided,), _status(CaseStatus.DECIDED)),
    ((Arrangement.Extended,), lambda case, event: _replace(case, ends_on=event.end_on)),
    (
        (Arrangement.EndedEarly,),
        lambda case, event: _replace(case, status=CaseStatus.ENDED_EARLY, ends_on=event.ended_on),
    ),
    ((Pupil.ZorgplichtTermExtended,), _zorgplicht_extended),
)
"""How an opened case changes; any other case event (advice, views, evaluations and the like)
changes nothing these models show."""

_STEPS: dict[type, tuple[_Opens | None, _Changes | None]] = {}


def _steps_for(kind: type) -> tuple[_Opens | None, _Changes | None]:
    opens = next((step for classes, step in _OPENS if issubclass(kind, classes)), None)
    changes = next((step for classes, step in _CHANGES if issubclass(kind, classes)), None)
    return opens, changes


def _following(
    request: Case, case_id: UUID, kind: CaseKind, status: CaseStatus, opened_on: date
) -> Case:
    """A TLV, objection or arrangement: of the pupil and the school of the request it follows."""
    return Case(
        case_id=case_id,
        kind=kind,
        pupil_id=request.pupil_id,
        school_code=request.school_code,
        status=status,
        opened_on=opened_on,
        request_id=request.case_id,
    )
