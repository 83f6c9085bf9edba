"""Handlers for partner subscriptions (the consent a consent-based one relies on: ``pupils``)."""

from datetime import timedelta

from application.access import AccessRule, Role
from application.aggregate_ids import SUBSCRIPTION_IDS, new_aggregate_id
from application.commands import (
    ChangeSubscription,
    CommandContext,
    CommandOutcome,
    CreateSubscription,
    ReplaySubscription,
    RotateWebhookSecret,
)
from application.handling import change, create
from application.ports import Clock, EventStore
from domain.subscription import Subscription

MANAGES_SUBSCRIPTIONS = AccessRule(
    "manages-subscriptions",
    "The swv-admin manages every subscription; a partner its own (the route finds which).",
    frozenset({Role.SWV_ADMIN, Role.PARTNER}),
    frozenset({Role.SWV_ADMIN, Role.PARTNER}),
)


CREATES_SUBSCRIPTIONS = AccessRule(
    "creates-subscriptions",
    "The tenant's swv-admin creates subscriptions, each on a legal basis from the fixed list.",
    frozenset({Role.SWV_ADMIN}),
    frozenset({Role.SWV_ADMIN}),
)


async def create_subscription(
    cmd: CreateSubscription, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    CREATES_SUBSCRIPTIONS.check_role(ctx.caller)
    now = clock.now()
    subscription_id = new_aggregate_id(SUBSCRIPTION_IDS, ctx)
    return await create(
        store,
        ctx,
        subscription_id,
        lambda: Subscription.create(
            subscription_id=subscription_id,
            partner=cmd.partner,
            legal_basis=cmd.legal_basis,
            event_types=cmd.event_types,
            municipalities=cmd.municipalities,
            schools=cmd.schools,
            transport=cmd.transport,
            webhook_url=cmd.webhook_url,
            by=ctx.actor,
            at=now,
        ),
    )


async def pause_subscription(
    cmd: ChangeSubscription, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Subscription,
        cmd.subscription_id,
        lambda s: s.pause(by=ctx.actor, at=now),
        rule=MANAGES_SUBSCRIPTIONS,
    )


async def resume_subscription(
    cmd: ChangeSubscription, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Subscription,
        cmd.subscription_id,
        lambda s: s.resume(by=ctx.actor, at=now),
        rule=MANAGES_SUBSCRIPTIONS,
    )


async def delete_subscription(
    cmd: ChangeSubscription, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Subscription,
        cmd.subscription_id,
        lambda s: s.delete(by=ctx.actor, at=now),
        rule=MANAGES_SUBSCRIPTIONS,
    )


async def replay_subscription(
    cmd: ReplaySubscription, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Subscription,
        cmd.subscription_id,
        lambda s: s.replay(after_position=cmd.after_position, by=ctx.actor, at=now),
        rule=MANAGES_SUBSCRIPTIONS,
    )


async def rotate_webhook_secret(
    cmd: RotateWebhookSecret, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Subscription,
        cmd.subscription_id,
        lambda s: s.rotate_webhook_secret(
            overlap_until=now + timedelta(seconds=cmd.overlap_seconds), by=ctx.actor, at=now
        ),
        rule=MANAGES_SUBSCRIPTIONS,
    )
