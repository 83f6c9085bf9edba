"""A subscription is bounded by its legal basis and moves through pause, resume and delete."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import InvalidValueError, SubscriptionStateError
from domain.subscription import (
    BASIS_RULES,
    IntegrationEventType,
    LegalBasis,
    Subscription,
    SubscriptionStatus,
    Transport,
)

AT = datetime(2025, 3, 3, 9, tzinfo=UTC)
T = IntegrationEventType


def subscription(**changes: object) -> Subscription:
    values: dict[str, object] = {
        "subscription_id": uuid4(),
        "partner": "wijkteam",
        "legal_basis": LegalBasis.JEUGDWET,
        "event_types": (T.ARRANGEMENT_GRANTED,),
        "transport": Transport.WEBHOOK,
        "webhook_url": "https://wijkteam.example.nl/hook",
        "by": "swv-admin:a",
        "at": AT,
        **changes,
    }
    return Subscription.create(**values)  # type: ignore[arg-type]


def test_youth_care_may_not_subscribe_to_tlvs() -> None:
    with pytest.raises(InvalidValueError, match=r"JEUGDWET does not permit nl\.passend\.tlv"):
        subscription(event_types=(T.ARRANGEMENT_GRANTED, T.TLV_GRANTED))


def test_no_basis_but_consent_permits_every_type() -> None:
    assert BASIS_RULES[LegalBasis.PARENTAL_CONSENT].types == frozenset(IntegrationEventType)
    for basis in set(LegalBasis) - {LegalBasis.PARENTAL_CONSENT}:
        assert BASIS_RULES[basis].types < frozenset(IntegrationEventType)


def test_a_webhook_needs_an_http_url_without_credentials() -> None:
    with pytest.raises(InvalidValueError, match="webhook_url"):
        subscription(webhook_url=None)
    with pytest.raises(InvalidValueError, match="credentials"):
        subscription(webhook_url="https://user:pw@example.nl/hook")
    with pytest.raises(InvalidValueError, match="Only a WEBHOOK"):
        subscription(transport=Transport.PULL)


def test_pause_resume_and_delete() -> None:
    sub = subscription()
    sub.pause(by="partner:w", at=AT)
    with pytest.raises(SubscriptionStateError):
        sub.pause(by="partner:w", at=AT)
    sub.resume(by="partner:w", at=AT)
    assert sub.status is SubscriptionStatus.ACTIVE
    sub.replay(after_position=7, by="partner:w", at=AT)
    assert (sub.replays, sub.replay_after) == (1, 7)
    sub.delete(by="partner:w", at=AT)
    with pytest.raises(SubscriptionStateError):
        sub.resume(by="partner:w", at=AT)


def test_a_rotation_keeps_the_old_secret_for_the_overlap() -> None:
    sub = subscription()
    sub.rotate_webhook_secret(overlap_until=AT + timedelta(hours=1), by="partner:w", at=AT)
    assert sub.secret_generation == 2
    assert sub.previous_secret_valid_until == AT + timedelta(hours=1)
