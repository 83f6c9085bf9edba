from datetime import date, timedelta
from uuid import uuid4

import pytest

from application.commands import (
    DecideObjection,
    ExtendTlvs,
    LapseTlv,
    LodgeObjection,
    RedeemTlv,
)
from application.handlers import objections, tlvs
from application.queries import aggregate_history
from domain.beschikkingsnummer import beschikkingsnummer
from domain.errors import InvalidValueError, TlvLapseNotDueError
from domain.objection import ObjectionOutcome, Objector, TlvConsequence
from domain.tlv import Tlv, TlvStatus
from tests.unit.application.conftest import DIRECTOR, Desk, granted_tlv

NEW_END = date(2028, 7, 31)


class TestBulkExtension:
    async def test_extends_every_tlv_with_the_command_as_batch(self, desk: Desk) -> None:
        tlv_ids = [(await granted_tlv(desk))[1] for _ in range(3)]
        ctx = desk.ctx()
        outcome = await tlvs.extend_tlvs(
            ExtendTlvs(tlv_ids=tuple(tlv_ids), valid_until=NEW_END, regulation="Verlenging 2027"),
            ctx,
            store=desk.store,
            clock=desk.clock,
        )
        assert outcome.extended == tuple(tlv_ids)
        for tlv_id in tlv_ids:
            history = await aggregate_history(desk.store, desk.tenant_id, Tlv, tlv_id)
            extended = history.events[-1].event
            assert isinstance(extended, Tlv.ExtendedAdministratively)
            assert (extended.valid_until, extended.batch_id) == (NEW_END, ctx.command_id)
            assert extended.regulation == "Verlenging 2027"

    async def test_reports_the_tlvs_it_could_not_extend_and_extends_the_rest(
        self, desk: Desk
    ) -> None:
        _, good = await granted_tlv(desk)
        _, revoked = await granted_tlv(desk)
        objection = await desk.run(
            objections.lodge_objection,
            LodgeObjection(
                support_request_id=(
                    await aggregate_history(desk.store, desk.tenant_id, Tlv, revoked)
                ).aggregate.support_request_id,
                objector=Objector.PARENTS,
                grounds="Wij willen geen SO.",
            ),
        )
        await desk.run(
            objections.decide_objection,
            DecideObjection(
                objection_id=objection.aggregate_id,
                outcome=ObjectionOutcome.UPHELD,
                reasons="Toegekend bezwaar.",
                tlv_consequence=TlvConsequence.REVOKED,
            ),
            actor=DIRECTOR,
        )
        unknown = uuid4()
        outcome = await desk.run(
            tlvs.extend_tlvs,
            ExtendTlvs(tlv_ids=(good, revoked, unknown), valid_until=NEW_END, regulation="R"),
        )
        assert outcome.extended == (good,)
        assert [r.tlv_id for r in outcome.failed] == [revoked, unknown]
        assert all(r.error for r in outcome.failed)

    async def test_a_retried_batch_extends_each_tlv_once(self, desk: Desk) -> None:
        tlv_ids = tuple([(await granted_tlv(desk))[1] for _ in range(2)])
        command = ExtendTlvs(tlv_ids=tlv_ids, valid_until=NEW_END, regulation="R")
        ctx = desk.ctx()
        first = await tlvs.extend_tlvs(command, ctx, store=desk.store, clock=desk.clock)
        again = await tlvs.extend_tlvs(command, ctx, store=desk.store, clock=desk.clock)
        assert again == first
        history = await aggregate_history(desk.store, desk.tenant_id, Tlv, tlv_ids[0])
        assert history.version == 2


class TestRedemptionAndLapse:
    async def test_enrolling_at_the_so_school_redeems_the_tlv(self, desk: Desk) -> None:
        _, tlv_id = await granted_tlv(desk)
        await desk.run(
            tlvs.redeem_tlv,
            RedeemTlv(
                beschikkingsnummer=beschikkingsnummer(desk.tenant_id, tlv_id),
                school_code="56EF00",
                enrolled_on=date(2025, 4, 1),
            ),
        )
        history = await aggregate_history(desk.store, desk.tenant_id, Tlv, tlv_id)
        assert history.aggregate.status is TlvStatus.REDEEMED

    async def test_an_so_tlv_is_not_redeemed_at_an_sbo_school(self, desk: Desk) -> None:
        _, tlv_id = await granted_tlv(desk)
        with pytest.raises(InvalidValueError):
            await desk.run(
                tlvs.redeem_tlv,
                RedeemTlv(
                    beschikkingsnummer=beschikkingsnummer(desk.tenant_id, tlv_id),
                    school_code="34CD00",
                    enrolled_on=date(2025, 4, 1),
                ),
            )

    async def test_an_unredeemed_tlv_lapses_the_day_after_a_year(self, desk: Desk) -> None:
        _, tlv_id = await granted_tlv(desk)
        desk.clock.advance(days=365)
        with pytest.raises(TlvLapseNotDueError):
            await desk.run(tlvs.lapse_tlv, LapseTlv(tlv_id=tlv_id))
        desk.clock.moment += timedelta(days=1)
        await desk.run(tlvs.lapse_tlv, LapseTlv(tlv_id=tlv_id), actor="loket:deadlines")
        history = await aggregate_history(desk.store, desk.tenant_id, Tlv, tlv_id)
        assert history.aggregate.status is TlvStatus.LAPSED
        assert history.events[-1].actor == "loket:deadlines"
