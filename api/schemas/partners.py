"""Answers of the partner routes: subscriptions, their delivery status, secrets, attempts."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from domain.subscription import IntegrationEventType, LegalBasis, Transport


class DeliveryStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Where a subscription's consumer stands: webhook deliveries, or the last pull."""

    position: int
    """Delivered (webhook) or acknowledged (the last ``after`` a pull asked for)."""
    status: str
    """``ok``, ``failing`` (retrying, position kept) or ``disabled`` (410; resume to retry)."""
    attempts: int
    """Failed attempts at the current batch."""
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    lag_events: int
    """Tenant positions not yet delivered or acknowledged."""
    lag_seconds: float
    """Age of the oldest event this subscription has not yet received (0 if none)."""


class SubscriptionRead(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    version: int
    partner: str
    legal_basis: LegalBasis
    event_types: list[IntegrationEventType]
    municipalities: list[str]
    schools: list[str]
    transport: Transport
    webhook_url: str | None
    status: str
    delivery: DeliveryStatus | None = None


class WebhookSecrets(msgspec.Struct, frozen=True, kw_only=True):
    """The secrets a receiver should accept: the current one, and the previous while valid."""

    secrets: list[str]
    generation: int
    previous_valid_until: datetime | None


class AttemptRead(msgspec.Struct, frozen=True, kw_only=True):
    webhook_id: str
    first_position: int
    last_position: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: float
    error: str | None
