"""Partner subscriptions: who receives which integration events of a tenant, on what legal basis.

The legal basis bounds everything else: which integration event types may be delivered, which
of their fields, and whether the pupil appears under the tenant's own id or under a pseudonym
per subscription. The list is fixed here (and documented in docs/partners.md); a subscription
asking for a type its basis does not permit is refused when it is created.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import InvalidValueError, SubscriptionStateError
from domain.swv import check_municipality_code

_SCHOOL_CODE = re.compile(r"^[0-9A-Z]{4}[0-9]{2}$")


class IntegrationEventType(StrEnum):
    """Stable, versioned names of what partners receive; never a domain event's own name."""

    TLV_GRANTED = "nl.passend.tlv.granted.v1"
    TLV_EXTENDED = "nl.passend.tlv.extended.v1"
    TLV_ENDED = "nl.passend.tlv.ended.v1"
    ARRANGEMENT_GRANTED = "nl.passend.arrangement.granted.v1"
    ARRANGEMENT_EXTENDED = "nl.passend.arrangement.extended.v1"
    ARRANGEMENT_ENDED = "nl.passend.arrangement.ended.v1"
    SUPPORT_REQUEST_DECIDED = "nl.passend.support_request.decided.v1"
    PUPIL_ENROLLED = "nl.passend.pupil.enrolled.v1"
    PUPIL_LEFT = "nl.passend.pupil.left.v1"
    ABSENCE_REPORTED = "nl.passend.absence.reported.v1"
    ABSENCE_STATUTORY_REPORT_DUE = "nl.passend.absence.statutory_report_due.v1"
    """16 hours of unauthorised absence in 4 school weeks: report to DUO (Leerplichtwet 21a)."""
    ABSENCE_FOUR_WEEKS_ABSENT = "nl.passend.absence.four_weeks_absent.v1"
    """Completely absent for 4 school weeks: langdurig relatief verzuim (the definition)."""
    ABSENCE_THUISZITTERSPACT_SIGNAL = "nl.passend.absence.thuiszitterspact_signal.v1"
    """The tenant's Thuiszitterspact months without an offer have passed (policy, not law)."""
    ABSENCE_PLAN_RECORDED = "nl.passend.absence.plan_recorded.v1"
    ABSENCE_CLOSED = "nl.passend.absence.closed.v1"


T = IntegrationEventType


class LegalBasis(StrEnum):
    """The fixed list of grounds on which a partner may receive events about pupils."""

    OOGO_WPO_WVO = "OOGO_WPO_WVO"
    """Municipal OOGO on the support plan (Wpo art. 18a, WVO 2020 art. 4.23): figures only."""
    LEERPLICHTWET = "LEERPLICHTWET"
    """The attendance office's tasks under the Leerplichtwet 1969: enrolment, leaving, absence."""
    JEUGDWET = "JEUGDWET"
    """Youth care coordination under the Jeugdwet: education-care arrangements, no TLVs."""
    PARENTAL_CONSENT = "PARENTAL_CONSENT"
    """Explicit consent of the parents (AVG art. 6(1)(a)): only pupils with recorded consent."""


class BasisRules:
    """What one legal basis permits: types, fields withheld, and the pupil's real id or not."""

    def __init__(
        self,
        *,
        types: frozenset[IntegrationEventType],
        withheld_fields: frozenset[str] = frozenset(),
        real_pupil_id: bool = False,
        needs_consent: bool = False,
    ) -> None:
        self.types = types
        self.withheld_fields = withheld_fields
        self.real_pupil_id = real_pupil_id
        self.needs_consent = needs_consent


BASIS_RULES: dict[LegalBasis, BasisRules] = {
    LegalBasis.OOGO_WPO_WVO: BasisRules(
        types=frozenset(
            {
                T.TLV_GRANTED,
                T.TLV_EXTENDED,
                T.TLV_ENDED,
                T.ARRANGEMENT_GRANTED,
                T.ARRANGEMENT_ENDED,
                T.SUPPORT_REQUEST_DECIDED,
            }
        ),
        withheld_fields=frozenset({"school_code", "provider"}),
    ),
    LegalBasis.LEERPLICHTWET: BasisRules(
        types=frozenset(
            {
                T.PUPIL_ENROLLED,
                T.PUPIL_LEFT,
                T.ABSENCE_REPORTED,
                T.ABSENCE_STATUTORY_REPORT_DUE,
                T.ABSENCE_FOUR_WEEKS_ABSENT,
                T.ABSENCE_THUISZITTERSPACT_SIGNAL,
                T.ABSENCE_PLAN_RECORDED,
                T.ABSENCE_CLOSED,
            }
        ),
        real_pupil_id=True,
    ),
    LegalBasis.JEUGDWET: BasisRules(
        types=frozenset({T.ARRANGEMENT_GRANTED, T.ARRANGEMENT_EXTENDED, T.ARRANGEMENT_ENDED}),
        withheld_fields=frozenset({"amount", "unit"}),
    ),
    LegalBasis.PARENTAL_CONSENT: BasisRules(
        types=frozenset(IntegrationEventType), real_pupil_id=True, needs_consent=True
    ),
}


class Transport(StrEnum):
    PULL = "PULL"
    """The partner pulls the feed (long poll) or holds a Server-Sent Events stream."""
    WEBHOOK = "WEBHOOK"
    """Passend posts each batch, signed, to the partner's URL, in order."""


class SubscriptionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    DELETED = "DELETED"


def check_webhook_url(url: str) -> str:
    """An absolute http(s) URL without credentials; where it points is checked on delivery."""
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise InvalidValueError(
            f"{url!r} is not an absolute http(s) URL for the webhook.", fields=("webhook_url",)
        )
    if parts.username or parts.password:
        raise InvalidValueError("A webhook URL may not carry credentials.", fields=("webhook_url",))
    return url


def _check_narrowing(municipalities: tuple[str, ...], schools: tuple[str, ...]) -> None:
    for code in municipalities:
        check_municipality_code(code, field="municipalities")
    for code in schools:
        if not _SCHOOL_CODE.match(code):
            raise InvalidValueError(
                f"{code!r} is not a school code (BRIN + vestiging).", fields=("schools",)
            )


def _check_transport(transport: Transport, webhook_url: str | None) -> None:
    if transport is Transport.WEBHOOK:
        if webhook_url is None:
            raise InvalidValueError(
                "A webhook subscription needs a webhook_url.", fields=("webhook_url",)
            )
        check_webhook_url(webhook_url)
    elif webhook_url is not None:
        raise InvalidValueError(
            "Only a WEBHOOK subscription takes a webhook_url.", fields=("webhook_url",)
        )


class Subscription(Aggregate):
    TOPIC = "Subscription"

    class Event(Aggregate.Event):
        pass

    class Created(Event, Aggregate.Created):
        TOPIC = "SubscriptionCreated.v1"
        partner: str
        legal_basis: LegalBasis
        event_types: tuple[IntegrationEventType, ...]
        municipalities: tuple[str, ...]
        schools: tuple[str, ...]
        transport: Transport
        webhook_url: str | None
        created_by: str
        created_at: datetime

    class Paused(Event):
        TOPIC = "SubscriptionPaused.v1"
        paused_by: str
        paused_at: datetime

        def apply(self, aggregate: Subscription) -> None:
            aggregate.status = SubscriptionStatus.PAUSED

    class Resumed(Event):
        TOPIC = "SubscriptionResumed.v1"
        resumed_by: str
        resumed_at: datetime

        def apply(self, aggregate: Subscription) -> None:
            aggregate.status = SubscriptionStatus.ACTIVE

    class Deleted(Event):
        TOPIC = "SubscriptionDeleted.v1"
        deleted_by: str
        deleted_at: datetime

        def apply(self, aggregate: Subscription) -> None:
            aggregate.status = SubscriptionStatus.DELETED

    class ReplayRequested(Event):
        TOPIC = "SubscriptionReplayRequested.v1"
        after_position: int
        requested_by: str
        requested_at: datetime

        def apply(self, aggregate: Subscription) -> None:
            aggregate.replays += 1
            aggregate.replay_after = self.after_position

    class WebhookSecretRotated(Event):
        TOPIC = "WebhookSecretRotated.v1"
        generation: int
        previous_valid_until: datetime
        rotated_by: str
        rotated_at: datetime

        def apply(self, aggregate: Subscription) -> None:
            aggregate.secret_generation = self.generation
            aggregate.previous_secret_valid_until = self.previous_valid_until

    def __init__(  # noqa: PLR0913 - what a subscription is
        self,
        *,
        partner: str,
        legal_basis: LegalBasis,
        event_types: tuple[IntegrationEventType, ...],
        municipalities: tuple[str, ...],
        schools: tuple[str, ...],
        transport: Transport,
        webhook_url: str | None,
    ) -> None:
        self.partner = partner
        self.legal_basis = legal_basis
        self.event_types = event_types
        self.municipalities = municipalities
        self.schools = schools
        self.transport = transport
        self.webhook_url = webhook_url
        self.status = SubscriptionStatus.ACTIVE
        self.replays = 0
        self.replay_after = 0
        self.secret_generation = 1
        self.previous_secret_valid_until: datetime | None = None

    @classmethod
    def create(  # noqa: PLR0913 - what a subscription is, who creates it and when
        cls,
        *,
        subscription_id: UUID,
        partner: str,
        legal_basis: LegalBasis,
        event_types: tuple[IntegrationEventType, ...],
        municipalities: tuple[str, ...] = (),
        schools: tuple[str, ...] = (),
        transport: Transport,
        webhook_url: str | None = None,
        by: str,
        at: datetime,
    ) -> Subscription:
        if not partner.strip():
            raise InvalidValueError(
                "A subscription needs a partner: the subject of its token.", fields=("partner",)
            )
        if not event_types:
            raise InvalidValueError(
                "A subscription needs at least one integration event type.", fields=("event_types",)
            )
        refused = sorted(set(event_types) - BASIS_RULES[legal_basis].types)
        if refused:
            raise InvalidValueError(
                f"The legal basis {legal_basis} does not permit {', '.join(refused)}; "
                f"it permits {', '.join(sorted(BASIS_RULES[legal_basis].types))}.",
                fields=("event_types",),
            )
        _check_narrowing(municipalities, schools)
        _check_transport(transport, webhook_url)
        return cls._create(
            cls.Created,
            id=subscription_id,
            partner=partner.strip(),
            legal_basis=legal_basis,
            event_types=tuple(sorted(set(event_types))),
            municipalities=tuple(sorted(set(municipalities))),
            schools=tuple(sorted(set(schools))),
            transport=transport,
            webhook_url=webhook_url,
            created_by=by,
            created_at=at,
            timestamp=at,
        )

    @property
    def rules(self) -> BasisRules:
        return BASIS_RULES[self.legal_basis]

    def _check_not_deleted(self) -> None:
        if self.status is SubscriptionStatus.DELETED:
            raise SubscriptionStateError(f"Subscription {self.id} was deleted.")

    def pause(self, *, by: str, at: datetime) -> None:
        self._check_not_deleted()
        if self.status is SubscriptionStatus.PAUSED:
            raise SubscriptionStateError(f"Subscription {self.id} is already paused.")
        self.trigger_event(self.Paused, paused_by=by, paused_at=at, timestamp=at)

    def resume(self, *, by: str, at: datetime) -> None:
        self._check_not_deleted()
        if self.status is SubscriptionStatus.ACTIVE:
            raise SubscriptionStateError(f"Subscription {self.id} is not paused.")
        self.trigger_event(self.Resumed, resumed_by=by, resumed_at=at, timestamp=at)

    def delete(self, *, by: str, at: datetime) -> None:
        self._check_not_deleted()
        self.trigger_event(self.Deleted, deleted_by=by, deleted_at=at, timestamp=at)

    def replay(self, *, after_position: int, by: str, at: datetime) -> None:
        """Deliver again everything after ``after_position`` (0: from the start of the log)."""
        self._check_not_deleted()
        if after_position < 0:
            raise InvalidValueError(
                "A replay starts after a position of 0 or more.", fields=("after_position",)
            )
        self.trigger_event(
            self.ReplayRequested,
            after_position=after_position,
            requested_by=by,
            requested_at=at,
            timestamp=at,
        )

    def rotate_webhook_secret(self, *, overlap_until: datetime, by: str, at: datetime) -> None:
        """A new signing secret; the previous one also signs until ``overlap_until``."""
        self._check_not_deleted()
        if self.transport is not Transport.WEBHOOK:
            raise SubscriptionStateError("Only a webhook subscription has a signing secret.")
        if overlap_until < at:
            raise InvalidValueError(
                "The overlap of the old secret cannot end in the past.", fields=("overlap_seconds",)
            )
        self.trigger_event(
            self.WebhookSecretRotated,
            generation=self.secret_generation + 1,
            previous_valid_until=overlap_until,
            rotated_by=by,
            rotated_at=at,
            timestamp=at,
        )
