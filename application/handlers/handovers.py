"""Handlers for transitions between SWVs: the consented handover, its relay, answer and export.

The sending tenant's staff prepare a handover of what the parents consented to: the pupil's
identity, the TLVs and running arrangements named, and the support question. When the
receiving SWV is on the platform, the relay writes it into that tenant's log as an
``IncomingHandover``, which carries exactly the prepared content; nobody of either tenant reads
the other's data. The receiving staff accept (the pupil is registered there) or decline, and the
relay writes the answer back to the sender's ``Handover``. Every append derives its event ids
from the command, so a retry after a failure between the tenants completes what is missing
without repeating what was done. A receiving SWV off the platform gets a signed package.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import date
from uuid import UUID, uuid5

import msgspec

from application.access import PROCESSES_CASES, SCHOOL_OF_THE_CASE, Caller
from application.acts import Act
from application.aggregate_ids import HANDOVER_IDS, OUTFLOW_IDS, PUPIL_IDS, new_aggregate_id
from application.commands import (
    AcceptHandover,
    CommandContext,
    CommandOutcome,
    DeclineHandover,
    ExportHandover,
    PrepareHandover,
    RecordOutflow,
)
from application.errors import UnconfiguredReferenceError
from application.handling import changes, check_access, create_about, load, load_swv, save
from application.ports import Clock, EventStore
from domain.arrangement import Arrangement
from domain.errors import InvalidValueError, UnknownMunicipalityError
from domain.ids import TenantId
from domain.pupil import Pupil
from domain.swv import swv_stream_id
from domain.tlv import Tlv, TlvStatus
from domain.transition import (
    HandedArrangement,
    HandedTlv,
    Handover,
    HandoverContent,
    HandoverError,
    HandoverState,
    IncomingHandover,
    Outflow,
)

PACKAGE_FORMAT = "passend-handover/1"
HANDOVER_RELAY = "handover-relay"
"""The relay's system name: it acts in the other tenant as ``system:handover-relay:<from>``."""


async def on_platform(store: EventStore, code: str) -> bool:
    """Whether the SWV ``code`` is a configured tenant here (no more of it is read)."""
    tenant = TenantId(code)
    return bool(await store.read_stream(tenant, swv_stream_id(tenant)))


def _relay_context(ctx: CommandContext, tenant: str) -> CommandContext:
    """The relay writing into ``tenant`` for the command ``ctx`` of the other tenant."""
    return CommandContext(
        tenant_id=TenantId(tenant),
        caller=Caller.system_principal(f"{HANDOVER_RELAY}:{ctx.tenant_id}"),
        command_id=ctx.command_id,
        correlation_id=ctx.correlation_id,
    )


async def _handed_tlv(
    store: EventStore, ctx: CommandContext, pupil: Pupil, tlv_id: UUID
) -> HandedTlv:
    found = await load(store, ctx.tenant_id, tlv_id)
    tlv = found.require(Tlv) if found.events else None
    if (
        tlv is None
        or tlv.pupil_id != pupil.id
        or tlv.status
        not in {
            TlvStatus.ISSUED,
            TlvStatus.REDEEMED,
        }
    ):
        raise UnconfiguredReferenceError(
            "tlv_ids", f"TLV {tlv_id} is no valid TLV of pupil {pupil.id} in this SWV."
        )
    return HandedTlv(tlv.tlv_type, tlv.funding_category, tlv.valid_until)


async def _handed_arrangement(
    store: EventStore, ctx: CommandContext, pupil: Pupil, arrangement_id: UUID
) -> HandedArrangement:
    found = await load(store, ctx.tenant_id, arrangement_id)
    arrangement = found.require(Arrangement) if found.events else None
    if arrangement is None or arrangement.pupil_id != pupil.id or arrangement.ended_early:
        raise UnconfiguredReferenceError(
            "arrangement_ids",
            f"Arrangement {arrangement_id} is no running arrangement of pupil {pupil.id}.",
        )
    return HandedArrangement(arrangement.arrangement_type, arrangement.end_on)


async def prepare_handover(
    cmd: PrepareHandover, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Record the consented handover and, if the receiver is on the platform, relay it."""
    act = Act.of(ctx, clock)
    handover_id = new_aggregate_id(HANDOVER_IDS, ctx)
    pupil = (await load(store, ctx.tenant_id, cmd.pupil_id)).require(Pupil)
    await check_access(store, ctx, PROCESSES_CASES, pupil)
    tlvs = tuple([await _handed_tlv(store, ctx, pupil, i) for i in dict.fromkeys(cmd.tlv_ids)])
    arrangements = tuple(
        [
            await _handed_arrangement(store, ctx, pupil, i)
            for i in dict.fromkeys(cmd.arrangement_ids)
        ]
    )

    def prepare() -> Handover:
        pupil.check_active()
        if pupil.name is None or pupil.date_of_birth is None:
            raise InvalidValueError(
                "This pupil's personal data was shredded: there is nobody to hand over.",
                fields=("pupil_id",),
            )
        content = HandoverContent(
            name=pupil.name,
            date_of_birth=pupil.date_of_birth,
            municipality_code=pupil.municipality_code,
            support_question=cmd.support_question,
            tlvs=tlvs,
            arrangements=arrangements,
        )
        return Handover.prepare(
            handover_id=handover_id,
            pupil_id=pupil.id,
            sending_swv=ctx.tenant_id,
            receiving_swv=cmd.receiving_swv,
            consent_given_on=act.happened(cmd.consent_given_on, "consent_given_on"),
            consent_channel=cmd.consent_channel,
            content=content,
            **act.stamp,
        )

    loaded = await load(store, ctx.tenant_id, handover_id)
    done = loaded.outcome_of(ctx)
    if done is not None:
        return done
    handover = prepare()
    if await on_platform(store, cmd.receiving_swv):
        await deliver(store, ctx, handover, act)
    return await save(store, ctx, handover, expected_version=loaded.version)


def incoming_id_for(receiving_swv: str, handover_id: UUID) -> UUID:
    """The receiving tenant's ``IncomingHandover`` of a handover: one per handover."""
    return uuid5(HANDOVER_IDS, f"{receiving_swv}/incoming/{handover_id}")


async def deliver(store: EventStore, ctx: CommandContext, handover: Handover, act: Act) -> None:
    """Write a prepared handover into the receiving tenant, then mark it delivered.

    The sender's events (prepared and delivered) are appended after this, in one batch: a
    retry after a failure in between finds the incoming handover and writes it once.
    """
    receiving = _relay_context(ctx, handover.receiving_swv)
    incoming_id = incoming_id_for(handover.receiving_swv, handover.id)
    arrived = await load(store, receiving.tenant_id, incoming_id)
    if not arrived.events:
        incoming = IncomingHandover.receive(
            incoming_id=incoming_id,
            pupil_id=uuid5(PUPIL_IDS, f"{handover.receiving_swv}/handover/{handover.id}"),
            sending_swv=handover.sending_swv,
            handover_id=handover.id,
            consent_given_on=handover.consent_given_on,
            content=handover.content,
            by=f"{handover.sending_swv}/{act.by}",
            at=act.at,
        )
        await save(store, receiving, incoming, expected_version=0)
    handover.mark_delivered(**act.stamp)


def package_of(handover: Handover) -> bytes:
    """The handover as the package a receiving SWV off the platform gets (canonical JSON)."""
    content = handover.content
    if not all((content.name, content.date_of_birth)):  # shredded: read back without its fields
        raise HandoverError("The pupil's personal data was erased: there is nothing to hand over.")
    return msgspec.json.encode(
        {
            "format": PACKAGE_FORMAT,
            "handover_id": str(handover.id),
            "sending_swv": handover.sending_swv,
            "receiving_swv": handover.receiving_swv,
            "consent_given_on": handover.consent_given_on.isoformat(),
            "pupil": {
                "name": content.name,
                "date_of_birth": content.date_of_birth.isoformat(),
                "municipality_code": content.municipality_code,
            },
            "support_question": content.support_question,
            "tlvs": [msgspec.to_builtins(t) for t in content.tlvs],
            "arrangements": [msgspec.to_builtins(a) for a in content.arrangements],
        },
        order="sorted",
    )


def package_digest(package: bytes) -> str:
    return "sha256:" + hashlib.sha256(package).hexdigest()


@changes(Handover, "handover_id", rule=PROCESSES_CASES)
def export_handover(_cmd: ExportHandover, handover: Handover, act: Act) -> None:
    """Record that the handover leaves as a package, with the package's digest."""
    handover.mark_exported(package_digest=package_digest(package_of(handover)), **act.stamp)


async def _answer_sender(  # noqa: PLR0913 - the answer's facts
    store: EventStore,
    ctx: CommandContext,
    incoming: IncomingHandover,
    *,
    accepted: bool,
    answered_on: date,
    reason: str,
    act: Act,
) -> None:
    """Write the answer back to the sender's Handover (once; a retry finds it there)."""
    sending = _relay_context(ctx, incoming.sending_swv)
    loaded = await load(store, sending.tenant_id, incoming.handover_id)
    if not loaded.events:
        return  # the sender left the platform meanwhile: nothing to answer
    handover = loaded.require(Handover)
    if handover.state is not HandoverState.DELIVERED:
        return
    handover.record_answer(
        accepted=accepted,
        answered_on=answered_on,
        reason=reason,
        by=f"{ctx.tenant_id}/{act.by}",
        at=act.at,
    )
    await save(store, sending, handover, expected_version=loaded.version)


async def _answer(
    ctx: CommandContext,
    store: EventStore,
    incoming_id: UUID,
    act: Callable[[IncomingHandover], None],
) -> tuple[IncomingHandover, CommandOutcome]:
    loaded = await load(store, ctx.tenant_id, incoming_id)
    incoming = loaded.require(IncomingHandover)
    await check_access(store, ctx, PROCESSES_CASES, incoming)
    done = loaded.outcome_of(ctx)
    if done is not None:
        return incoming, done
    loaded.check_expected_version(ctx)
    act(incoming)
    return incoming, await save(store, ctx, incoming, expected_version=loaded.version)


async def accept_handover(
    cmd: AcceptHandover, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Accept: the pupil is registered here as the handover names them; the sender hears."""
    act = Act.of(ctx, clock)
    accepted_on = act.happened(cmd.accepted_on, "accepted_on")
    swv = await load_swv(store, ctx.tenant_id)

    def accept(incoming: IncomingHandover) -> None:
        residence = incoming.content.municipality_code
        if residence not in swv.municipalities:
            raise UnknownMunicipalityError(
                f"The pupil lives in {residence}, which is not one of {ctx.tenant_id}'s"
                " municipalities: the handover belongs to the SWV of the pupil's residence.",
                fields=("municipality_code",),
            )
        incoming.accept(accepted_on=accepted_on, **act.stamp)

    incoming, outcome = await _answer(ctx, store, cmd.incoming_handover_id, accept)
    registered = await load(store, ctx.tenant_id, incoming.pupil_id)
    if not registered.events:
        content = incoming.content
        pupil = Pupil.register(
            pupil_id=incoming.pupil_id,
            name=content.name,
            date_of_birth=content.date_of_birth,
            municipality_code=content.municipality_code,
            **act.stamp,
        )
        await save(store, ctx, pupil, expected_version=0)
    await _answer_sender(
        store, ctx, incoming, accepted=True, answered_on=accepted_on, reason="", act=act
    )
    return dataclasses.replace(outcome, also_changed=(incoming.pupil_id,))


async def decline_handover(
    cmd: DeclineHandover, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    declined_on = act.happened(cmd.declined_on, "declined_on")
    incoming, outcome = await _answer(
        ctx,
        store,
        cmd.incoming_handover_id,
        lambda i: i.decline(declined_on=declined_on, reason=cmd.reason, **act.stamp),
    )
    await _answer_sender(
        store, ctx, incoming, accepted=False, answered_on=declined_on, reason=cmd.reason, act=act
    )
    return outcome


async def record_outflow(
    cmd: RecordOutflow, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    outflow_id = new_aggregate_id(OUTFLOW_IDS, ctx)
    pupil = (await load(store, ctx.tenant_id, cmd.pupil_id)).require(Pupil)
    return await create_about(
        store,
        ctx,
        outflow_id,
        lambda: Outflow.record(
            outflow_id=outflow_id,
            pupil_id=pupil.id,
            destination=cmd.destination,
            left_on=act.happened(cmd.left_on, "left_on"),
            **act.stamp,
        ),
        pupil,
        rule=SCHOOL_OF_THE_CASE,
    )
