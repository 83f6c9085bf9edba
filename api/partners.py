"""Wiring of the partner feeds and webhook workers into a process (the API or their own)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from api.settings import Settings
from infrastructure.database import Pool
from infrastructure.partner_keys import KEY_NAME, PartnerKeys
from infrastructure.webhooks import Resolver, WebhookTargets, parse_networks, system_resolver
from partners.delivery import DeliverySettings, DeliveryWorker
from partners.feeds import FeedRenderer
from partners.signal import FeedSignal
from projections.runner import ProjectionRunner

if TYPE_CHECKING:
    from litestar.datastructures import State


@dataclass(slots=True)
class PartnerServices:
    renderer: FeedRenderer
    signal: FeedSignal
    worker: DeliveryWorker | None
    targets: WebhookTargets
    """Checks webhook URLs, at creation and before every request."""

    async def stop(self) -> None:
        if self.worker is not None:
            await self.worker.stop()
        await self.signal.stop()


def partner_keys(settings: Settings) -> PartnerKeys:
    return PartnerKeys.from_file(settings.partner_key_file or settings.data_dir / "keys" / KEY_NAME)


def delivery_settings(settings: Settings) -> DeliverySettings:
    return DeliverySettings(
        batch_size=settings.webhook_batch_size,
        request_timeout_s=settings.webhook_timeout_s,
        backoff_base_s=settings.webhook_backoff_base_s,
        backoff_cap_s=settings.webhook_backoff_cap_s,
        poll_interval_s=settings.partner_poll_interval_s,
    )


def webhook_targets(settings: Settings, resolver: Resolver | None = None) -> WebhookTargets:
    return WebhookTargets(
        resolver=resolver or system_resolver,
        allow_private=settings.webhook_allow_private_targets,
        allowed_networks=parse_networks(settings.webhook_allowed_networks),
    )


async def start_partner_services(
    pool: Pool,
    settings: Settings,
    runner: ProjectionRunner | None,
    *,
    deliver: bool,
    resolver: Resolver | None = None,
) -> PartnerServices:
    """Feeds always; the delivery worker when ``deliver``. The runner, if any, wakes them.

    ``resolver`` resolves webhook hosts; the system's unless the composition root gives one.
    """
    targets = webhook_targets(settings, resolver)
    renderer = FeedRenderer(partner_keys(settings), public_url=settings.public_url)
    signal = FeedSignal(pool, poll_interval_s=settings.partner_poll_interval_s)
    if runner is not None:
        runner.on_applied(signal.on_applied)
    signal.start()
    services = PartnerServices(renderer, signal, None, targets)
    if deliver:
        await start_deliveries(services, pool, settings)
    return services


async def start_deliveries(services: PartnerServices, pool: Pool, settings: Settings) -> None:
    """Deliver webhooks in this process from now on (at start, or once it is elected)."""
    if services.worker is None:
        services.worker = DeliveryWorker(
            pool, services.renderer, services.signal, delivery_settings(settings), services.targets
        )
        await services.worker.start()


async def stop_deliveries(services: PartnerServices) -> None:
    worker, services.worker = services.worker, None
    if worker is not None:
        await worker.stop()


async def stop_partner_services(state: State) -> None:
    services: PartnerServices | None = state.get("partner_services")
    if services is not None:
        state.partner_services = None
        await services.stop()
