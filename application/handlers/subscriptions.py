"""Handlers for partner subscriptions (the consent a consent-based one relies on: ``pupils``)."""

from datetime import timedelta

from application.access import PARTNER_OF_THE_SUBSCRIPTION, AccessRule, Role
from application.acts import Act
from application.aggregate_ids import SUBSCRIPTION_IDS, new_aggregate_id
from application.commands import (
    ChangeSubscription,
    CommandContext,
    CommandOutcome,
    CreateSubscription,
    ReplaySubscription,
    RotateWebhookSecret,
)
from application.handling import change, changes, create
from application.ports import Clock, EventStore
from domain.subscription import Subscription, SubscriptionStatus

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
    act = Act.of(ctx, clock)
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
            **act.stamp,
        ),
    )


@changes(Subscription, "subscription_id", rule=PARTNER_OF_THE_SUBSCRIPTION)
def pause_subscription(_cmd: ChangeSubscription, subscription: Subscription, act: Act) -> None:
    subscription.pause(**act.stamp)


async def resume_subscription(
    cmd: ChangeSubscription, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    return await change(
        store,
        ctx,
        Subscription,
        cmd.subscription_id,
        # An active one stays as it is; the route lets a delivery a 410 disabled try again.
        lambda s: None if s.status is SubscriptionStatus.ACTIVE else s.resume(**act.stamp),
        rule=PARTNER_OF_THE_SUBSCRIPTION,
    )


@changes(Subscription, "subscription_id", rule=PARTNER_OF_THE_SUBSCRIPTION)
def delete_subscription(_cmd: ChangeSubscription, subscription: Subscription, act: Act) -> None:
    subscription.delete(**act.stamp)


@changes(Subscription, "subscription_id", rule=PARTNER_OF_THE_SUBSCRIPTION)
def replay_subscription(cmd: ReplaySubscription, subscription: Subscription, act: Act) -> None:
    subscription.replay(after_position=cmd.after_position, **act.stamp)


@changes(Subscription, "subscription_id", rule=PARTNER_OF_THE_SUBSCRIPTION)
def rotate_webhook_secret(cmd: RotateWebhookSecret, subscription: Subscription, act: Act) -> None:
    subscription.rotate_webhook_secret(
        overlap_until=act.at + timedelta(seconds=cmd.overlap_seconds), **act.stamp
    )
