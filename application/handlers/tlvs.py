"""Handlers for granted TLVs: extension (one, or many at once), redemption and lapse."""

from dataclasses import dataclass, replace
from uuid import UUID

from application.access import (
    DECIDES,
    PROCESSES_CASES,
    SCHOOL_OF_THE_CASE,
    acts_for_anybody,
    school_for_new_record,
)
from application.acts import Act
from application.commands import (
    CommandContext,
    CommandOutcome,
    ExtendTlv,
    ExtendTlvs,
    LapseTlv,
    RedeemTlv,
)
from application.errors import ApplicationError, TlvNotRedeemableHereError
from application.handling import change, changes, changes_configured, load, load_swv, rebuild, save
from application.ports import Clock, EventStore
from application.references import configured_school
from domain.beschikkingsnummer import tlv_id_of
from domain.errors import DomainError, InvalidValueError
from domain.swv import Swv
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


@changes_configured(Tlv, "tlv_id", rule=DECIDES)
def extend_tlv(cmd: ExtendTlv, tlv: Tlv, act: Act, swv: Swv) -> None:
    """Extend one TLV after an individual re-assessment."""
    tlv.extend(
        valid_until=cmd.valid_until,
        decided_on=act.happened(cmd.decided_on, "decided_on"),
        policy_version=swv.policy_on(act.happened(cmd.decided_on, "decided_on")).version,
        **act.stamp,
        support_request_id=cmd.support_request_id,
    )


async def extend_tlvs(
    cmd: ExtendTlvs, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> ExtendTlvsOutcome:
    """Extend many TLVs under one regulation; each TLV succeeds or fails on its own.

    The command id is the batch id. A retry extends the TLVs that failed for a passing reason
    (a concurrent change) and reports the others' original outcome.
    """
    act = Act.of(ctx, clock)
    swv = await load_swv(store, ctx.tenant_id)
    DECIDES.check_role(ctx.caller)
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
                    policy_version=act.policy(swv).version,
                    **act.stamp,
                ),
                rule=DECIDES,
            )
        except (DomainError, ApplicationError) as error:
            results.append(TlvExtensionResult(tlv_id, None, str(error)))
        else:
            results.append(TlvExtensionResult(tlv_id, outcome))
    return ExtendTlvsOutcome(tuple(results))


async def redeem_tlv(
    cmd: RedeemTlv, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """The pupil was enrolled on the TLV at an S(B)O school of the SWV.

    A school names the TLV by its beschikkingsnummer and redeems it at itself; a number that
    names no TLV of this SWV, or a TLV of another type than the school, is not found (404,
    without saying which), so a school learns nothing about TLVs that are not for it.
    """
    act = Act.of(ctx, clock)
    SCHOOL_OF_THE_CASE.check_role(ctx.caller)
    school_code = school_for_new_record(ctx.caller, cmd.school_code)
    if school_code is None:
        raise InvalidValueError(
            "Name the school where the pupil enrolled (school_code).", fields=("school_code",)
        )
    tlv_id = tlv_id_of(cmd.beschikkingsnummer, ctx.tenant_id)
    if tlv_id is None:
        raise TlvNotRedeemableHereError
    swv = await load_swv(store, ctx.tenant_id)
    school = configured_school(swv, school_code)
    loaded = await load(store, ctx.tenant_id, tlv_id)
    tlv = rebuild(loaded.events)
    if not isinstance(tlv, Tlv) or (
        not acts_for_anybody(ctx.caller) and school.school_type is not tlv.tlv_type.school_type
    ):
        raise TlvNotRedeemableHereError
    done = loaded.outcome_of(ctx)
    if done is not None:
        return done
    loaded.check_expected_version(ctx)
    tlv.redeem(school=school, enrolled_on=act.dated(cmd.enrolled_on), **act.stamp)
    return await save(store, ctx, tlv, expected_version=loaded.version)


@changes(Tlv, "tlv_id", rule=PROCESSES_CASES)
def lapse_tlv(_cmd: LapseTlv, tlv: Tlv, act: Act) -> None:
    """Record that an unredeemed TLV lapsed; refused before its redemption deadline passed."""
    tlv.lapse(today=act.today, **act.stamp)
