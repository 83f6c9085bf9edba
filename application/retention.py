"""Retention that runs itself: find every subject whose term passed, shred it, record why.

A run reads the tenant's log once, folds it into the subjects that hold personal data (one per
data key: a pupil's details, a case's dossier, a case's decisions) with the dates their terms
count from, asks the tenant's ``Retention`` which are due today, destroys their keys and records
one ``RetentionSubjectShredded`` per subject. Keys go first: a run that stops in between leaves
a destroyed key not yet recorded, which the next run records; never a recorded shred whose data
is still readable. A dry run only reports.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID, uuid5

from application.access import Caller
from application.acts import Act
from application.commands import CommandContext, CommandOutcome
from application.handling import load, save
from application.local_dates import local_date
from application.ports import Clock, EventMetadata, EventStore, NewEvent, RecordedEvent
from domain.arrangement import Arrangement
from domain.ids import TenantId
from domain.objection import Objection
from domain.personal import PersonalKind, key_subject, personal_kind
from domain.pupil import Pupil
from domain.retention import Due, Retention, Subject, retention_stream_id
from domain.support_request import SupportRequest

RETENTION_ACTOR = Caller.system_principal("retention").actor  # "system:retention"
_BATCH = 500

# When a case closes, by the event that closes it: its dossier's and decisions' terms count
# from then. The last closing event of a stream wins (an arrangement ended early).
_CLOSES_CASE: Mapping[type, Callable[[object, date], date]] = {
    SupportRequest.Granted: lambda e, _: e.decided_on,  # type: ignore[attr-defined]
    SupportRequest.Refused: lambda e, _: e.decided_on,  # type: ignore[attr-defined]
    Objection.Decided: lambda e, _: e.decided_on,  # type: ignore[attr-defined]
    Objection.DeclaredInadmissible: lambda _, on: on,
    Arrangement.Granted: lambda e, _: e.end_on,  # type: ignore[attr-defined]
    Arrangement.Extended: lambda e, _: e.end_on,  # type: ignore[attr-defined]
    Arrangement.EndedEarly: lambda e, _: e.ended_on,  # type: ignore[attr-defined]
}
# Later dates an event names that keep a pupil active until then (a TLV's or arrangement's end).
_ACTIVE_UNTIL = ("valid_until", "end_on")


_KINDS: dict[type, PersonalKind | None] = {}


def _kind_of(event_class: type) -> PersonalKind | None:
    if event_class not in _KINDS:
        _KINDS[event_class] = personal_kind(event_class)
    return _KINDS[event_class]


@dataclass
class _Draft:
    kind: PersonalKind
    pupil_id: UUID
    stream_id: UUID


@dataclass
class SubjectLedger:
    """The subjects a tenant's log holds personal data of, folded event by event."""

    retention: Retention | None = None
    _drafts: dict[UUID, _Draft] = field(default_factory=dict)
    _closed_on: dict[UUID, date] = field(default_factory=dict)
    _stream_activity: dict[UUID, date] = field(default_factory=dict)
    _pupil_activity: dict[UUID, date] = field(default_factory=dict)
    _shredded_by_hand: set[UUID] = field(default_factory=set)

    def feed(self, recorded: RecordedEvent) -> None:
        event, stream = recorded.event, recorded.stream_id
        if isinstance(event, Retention.Event):
            self.retention = event.mutate(self.retention)
            return
        on = local_date(event.timestamp)
        pupil = getattr(event, "pupil_id", None)
        if isinstance(event, Pupil.Event):
            pupil = stream
        if not isinstance(pupil, UUID):
            return
        active = max(
            [on, *(d for n in _ACTIVE_UNTIL if isinstance(d := getattr(event, n, None), date))]
        )
        self._pupil_activity[pupil] = max(active, self._pupil_activity.get(pupil, active))
        self._stream_activity[stream] = max(on, self._stream_activity.get(stream, on))
        closes = _CLOSES_CASE.get(type(event))
        if closes is not None:
            self._closed_on[stream] = closes(event, on)
        if isinstance(event, Pupil.DataShredded):
            self._shredded_by_hand.update(
                s
                for s, d in self._drafts.items()
                if d.pupil_id == pupil and d.kind is not PersonalKind.DECISION
            )
        kind = _kind_of(type(event))
        if kind is not None:
            subject = key_subject(kind, stream, None if isinstance(event, Pupil.Event) else pupil)
            self._drafts.setdefault(subject, _Draft(kind, pupil, stream))

    def subjects(self) -> list[Subject]:
        """Every subject with personal data not shredded by hand, with its dates."""
        return [s for s in self._every_subject() if s.subject_id not in self._shredded_by_hand]

    def of_pupil(self, pupil_id: UUID) -> list[Subject]:
        """Every subject of the pupil, shredded or not."""
        return [s for s in self._every_subject() if s.pupil_id == pupil_id]

    def _every_subject(self) -> list[Subject]:
        return [
            Subject(
                subject_id=subject,
                kind=draft.kind,
                pupil_id=draft.pupil_id,
                stream_id=draft.stream_id,
                closed_on=None
                if draft.kind is PersonalKind.SUBJECT
                else self._closed_on.get(draft.stream_id),
                last_activity=self._pupil_activity[draft.pupil_id]
                if draft.kind is PersonalKind.SUBJECT
                else self._stream_activity[draft.stream_id],
            )
            for subject, draft in self._drafts.items()
        ]


def pupil_shredded_by(recorded: RecordedEvent) -> UUID | None:
    """The pupil whose own data this event shredded, by hand or by its term; None if none."""
    event = recorded.event
    if isinstance(event, Pupil.DataShredded):
        return recorded.stream_id
    if isinstance(event, Retention.SubjectShredded) and event.kind is PersonalKind.SUBJECT:
        return event.pupil_id
    return None


async def read_ledger(store: EventStore, tenant_id: TenantId) -> SubjectLedger:
    ledger = SubjectLedger()
    async with contextlib.aclosing(store.read_log_pages(tenant_id)) as pages:
        async for page in pages:
            for recorded in page:
                ledger.feed(recorded)
    return ledger


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What a run shredded (or, dry, would shred), per rule."""

    tenant_id: TenantId
    today: date
    dry_run: bool
    due: list[Due]
    kept: int

    @property
    def per_rule(self) -> dict[str, int]:
        return dict(Counter(d.rule for d in self.due))

    def lines(self) -> list[str]:
        verb = "would shred" if self.dry_run else "shredded"
        head = (
            f"{self.tenant_id} on {self.today}: {verb} {len(self.due)} subjects, kept {self.kept}"
        )
        return [head, *(f"  {count} x {rule}" for rule, count in sorted(self.per_rule.items()))]


async def run_retention(
    store: EventStore,
    tenant_id: TenantId,
    clock: Clock,
    *,
    dry_run: bool = False,
    actor: str = RETENTION_ACTOR,
) -> RetentionReport:
    """Shred every subject of the tenant whose term has passed (or list them, dry)."""
    act = Act.by_now(actor, clock)
    today = act.today
    ledger = await read_ledger(store, tenant_id)
    subjects = ledger.subjects()
    loaded = await load(store, tenant_id, retention_stream_id(tenant_id))
    retention = ledger.retention if loaded.events else None
    version = loaded.version
    if retention is None:
        retention = Retention.open(tenant_id=tenant_id, **act.stamp)
    due = retention.due(subjects, today)
    kept = sum(1 for s in subjects if s.subject_id not in retention.shredded) - len(due)
    report = RetentionReport(tenant_id, today, dry_run, due, kept)
    if dry_run:
        return report
    stream = retention_stream_id(tenant_id)
    for start in range(0, len(due), _BATCH):
        chunk = due[start : start + _BATCH]
        for item in chunk:
            await store.shred_subject(tenant_id, item.subject.subject_id)
        for item in chunk:
            retention.record_shredded(item, today=today, **act.stamp)
        pending = retention.collect_events()
        result = await store.append(
            tenant_id,
            [NewEvent(_shred_event_id(stream, e), e) for e in pending],
            expected_version=version,
            metadata=EventMetadata(actor=actor),
        )
        version = result.stream_version
    return report


def _shred_event_id(stream: UUID, event: object) -> UUID:
    subject = getattr(event, "subject_id", None)
    return uuid5(stream, f"shredded/{subject}" if subject else "opened")


async def change_retention(
    store: EventStore, ctx: CommandContext, clock: Clock, action: Callable[[Retention], None]
) -> CommandOutcome:
    """Run a command on the tenant's retention, opening it on first use."""
    stream = retention_stream_id(ctx.tenant_id)
    loaded = await load(store, ctx.tenant_id, stream)
    done = loaded.outcome_of(ctx)
    if done is not None:
        return done
    loaded.check_expected_version(ctx)
    retention = (
        loaded.require(Retention)
        if loaded.events
        else Retention.open(tenant_id=ctx.tenant_id, **Act.of(ctx, clock).stamp)
    )
    action(retention)
    return await save(store, ctx, retention, expected_version=loaded.version)


async def subjects_to_shred_with_pupil(
    store: EventStore, tenant_id: TenantId, pupil_id: UUID
) -> list[UUID]:
    """The pupil's own key and its dossiers' keys; its decisions stay (legal hold)."""
    ledger = await read_ledger(store, tenant_id)
    dossiers = [s.subject_id for s in ledger.of_pupil(pupil_id) if s.kind is PersonalKind.DOSSIER]
    return [pupil_id, *dossiers]
