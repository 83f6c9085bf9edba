"""Handlers for granted TLVs: extension (one, or many at once), redemption and lapse."""

from dataclasses import dataclass, replace
from uuid import UUID

from application.commands import (
    CommandContext,
    CommandOutcome,
    ExtendTlv,
    ExtendTlvs,
    LapseTlv,
    RedeemTlv,
)
from application.errors import ApplicationError
from application.handling import change, happened_on, load_swv, local_date
from application.ports import Clock, EventStore
from domain.errors import DomainError
from domain.tlv import Tlv


@dataclass(frozen=True, slots=True)
class TlvExtensionResult:
    """One TLV of a bulk extension: its outcome, or why it was left as it was."""

    tlv_id: UUID
    outcome: CommandOutcome | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ExtendTlvsOutcome:
    results: tuple[TlvExtensionResult, ...]

    @property
    def extended(self) -> tuple[UUID, ...]:
        return tuple(r.tlv_id for r in self.results if r.outcome is not None)

    @property
    def failed(self) -> tuple[TlvExtensionResult, ...]:
        return tuple(r for r in self.results if r.outcome is None)


async def extend_tlv(
    cmd: ExtendTlv, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Extend one TLV after an individual re-assessment."""
    now = clock.now()
    swv = await load_swv(store, ctx.tenant_id)
    return await change(
        store,
        ctx,
        Tlv,
        cmd.tlv_id,
        lambda tlv: tlv.extend(
            valid_until=cmd.valid_until,
            decided_on=happened_on(cmd.decided_on, now, "decided_on"),
            policy_version=swv.policy.version,
            by=ctx.actor,
            at=now,
            support_request_id=cmd.support_request_id,
        ),
    )


async def extend_tlvs(
    cmd: ExtendTlvs, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> ExtendTlvsOutcome:
    """Extend many TLVs under one regulation; each TLV succeeds or fails on its own.

    The command id is the batch id. A retry extends the TLVs that failed for a passing reason
    (a concurrent change) and reports the others' original outcome.
    """
    now = clock.now()
    swv = await load_swv(store, ctx.tenant_id)
    ctx = replace(ctx, expected_version=None)  # one version cannot describe many streams
    results: list[TlvExtensionResult] = []
    for tlv_id in dict.fromkeys(cmd.tlv_ids):
        try:
            outcome = await change(
                store,
                ctx,
                Tlv,
                tlv_id,
                lambda tlv: tlv.extend_administratively(
                    valid_until=cmd.valid_until,
                    regulation=cmd.regulation,
                    batch_id=ctx.command_id,
                    policy_version=swv.policy.version,
                    by=ctx.actor,
                    at=now,
                ),
            )
        except (DomainError, ApplicationError) as error:
            results.append(TlvExtensionResult(tlv_id, None, str(error)))
        else:
            results.append(TlvExtensionResult(tlv_id, outcome))
    return ExtendTlvsOutcome(tuple(results))


async def redeem_tlv(
    cmd: RedeemTlv, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """The pupil was enrolled on the TLV at an S(B)O school of the SWV."""
    now = clock.now()
    swv = await load_swv(store, ctx.tenant_id)
    return await change(
        store,
        ctx,
        Tlv,
        cmd.tlv_id,
        lambda tlv: tlv.redeem(
            school=swv.school(cmd.school_code),
            enrolled_on=cmd.enrolled_on or local_date(now),
            by=ctx.actor,
            at=now,
        ),
    )


async def lapse_tlv(
    cmd: LapseTlv, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Record that an unredeemed TLV lapsed; refused before its redemption deadline passed."""
    now = clock.now()
    return await change(
        store,
        ctx,
        Tlv,
        cmd.tlv_id,
        lambda tlv: tlv.lapse(today=local_date(now), by=ctx.actor, at=now),
    )
