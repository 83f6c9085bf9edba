from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest

from domain.errors import (
    FundingCategoryError,
    InvalidValueError,
    PeriodError,
    TlvLapseNotDueError,
    TlvNotValidError,
)
from domain.swv import School, SwvPolicy
from domain.tlv import FundingCategory, Tlv, TlvStatus, TlvType
from tests.unit.domain.conftest import AT, DIRECTOR, LOKET, POLICY, REGULAR, SBO, SO

ISSUED_ON = date(2025, 3, 20)


def issue(
    tlv_type: TlvType = TlvType.SO,
    category: FundingCategory | None = FundingCategory.HIGH,
    policy: SwvPolicy = POLICY,
) -> Tlv:
    tlv = Tlv.grant(
        tlv_id=uuid4(),
        pupil_id=uuid4(),
        support_request_id=uuid4(),
        tlv_type=tlv_type,
        funding_category=category,
        valid_from=date(2025, 4, 1),
        valid_until=date(2027, 7, 31),
        issued_on=ISSUED_ON,
        policy=policy,
        by=DIRECTOR,
        at=AT,
    )
    tlv.collect_events()
    return tlv


def test_granting_records_type_category_period_and_redemption_deadline() -> None:
    tlv = Tlv.grant(
        tlv_id=uuid4(),
        pupil_id=uuid4(),
        support_request_id=uuid4(),
        tlv_type=TlvType.SO,
        funding_category=FundingCategory.MEDIUM,
        valid_from=date(2025, 4, 1),
        valid_until=date(2027, 7, 31),
        issued_on=ISSUED_ON,
        policy=POLICY,
        by=DIRECTOR,
        at=AT,
    )
    [granted] = tlv.collect_events()
    assert isinstance(granted, Tlv.Granted)
    assert (granted.tlv_type, granted.funding_category) == (TlvType.SO, FundingCategory.MEDIUM)
    assert granted.redeem_by == date(2026, 3, 20)
    assert (granted.policy_version, granted.granted_by) == ("OP-2024.1", DIRECTOR)
    assert tlv.redemption_deadline == date(2026, 3, 20)


def test_under_a_policy_without_lapse_there_is_no_redemption_deadline() -> None:
    tlv = issue(policy=replace(POLICY, lapse_unredeemed_tlvs=False))
    assert tlv.redemption_deadline is None


@pytest.mark.parametrize("tlv_type", [TlvType.SO, TlvType.VSO])
def test_a_special_school_tlv_without_category_is_refused(tlv_type: TlvType) -> None:
    with pytest.raises(FundingCategoryError):
        issue(tlv_type, category=None)


@pytest.mark.parametrize("category", list(FundingCategory))
def test_an_sbo_tlv_with_any_category_is_refused(category: FundingCategory) -> None:
    with pytest.raises(FundingCategoryError):
        issue(TlvType.SBO, category=category)


class TestExtension:
    def test_an_individual_extension_moves_the_end_date(self) -> None:
        tlv = issue()
        tlv.extend(
            valid_until=date(2028, 7, 31),
            decided_on=date(2027, 6, 1),
            policy_version="OP-2026.1",
            by=DIRECTOR,
            at=AT,
        )
        [extended] = tlv.collect_events()
        assert isinstance(extended, Tlv.Extended)
        assert (extended.previous_valid_until, extended.valid_until) == (
            date(2027, 7, 31),
            date(2028, 7, 31),
        )
        assert tlv.valid_until == date(2028, 7, 31)

    def test_an_administrative_extension_is_its_own_event_with_its_regulation(self) -> None:
        tlv = issue()
        batch_id = uuid4()
        tlv.extend_administratively(
            valid_until=date(2028, 7, 31),
            regulation="Eenmalige verlenging 2027",
            batch_id=batch_id,
            policy_version="OP-2024.1",
            by=LOKET,
            at=AT,
        )
        [extended] = tlv.collect_events()
        assert isinstance(extended, Tlv.ExtendedAdministratively)
        assert (extended.regulation, extended.batch_id) == ("Eenmalige verlenging 2027", batch_id)

    def test_an_extension_must_end_later_than_the_tlv_does(self) -> None:
        with pytest.raises(PeriodError, match="must end later"):
            issue().extend(
                valid_until=date(2027, 7, 31),
                decided_on=date(2027, 6, 1),
                policy_version="OP-2024.1",
                by=DIRECTOR,
                at=AT,
            )

    def test_a_revoked_tlv_cannot_be_extended(self) -> None:
        tlv = issue()
        tlv.revoke(objection_id=uuid4(), policy_version="OP-2024.1", by=DIRECTOR, at=AT)
        with pytest.raises(TlvNotValidError, match="apply for a new TLV"):
            tlv.extend_administratively(
                valid_until=date(2028, 7, 31),
                regulation="R",
                batch_id=uuid4(),
                policy_version="OP-2024.1",
                by=LOKET,
                at=AT,
            )


class TestRedemption:
    def test_enrolling_at_a_school_of_the_matching_type_redeems_it(self) -> None:
        tlv = issue()
        tlv.redeem(school=SO, enrolled_on=date(2025, 4, 1), by=LOKET, at=AT)
        [redeemed] = tlv.collect_events()
        assert isinstance(redeemed, Tlv.Redeemed)
        assert (redeemed.school_code, redeemed.enrolled_on) == ("56EF01", date(2025, 4, 1))
        assert tlv.status is TlvStatus.REDEEMED
        assert tlv.redemption_deadline is None

    @pytest.mark.parametrize("school", [REGULAR, SBO])
    def test_an_so_tlv_is_not_redeemed_elsewhere(self, school: School) -> None:
        with pytest.raises(InvalidValueError, match="redeemed at an SO school"):
            issue().redeem(school=school, enrolled_on=date(2025, 4, 1), by=LOKET, at=AT)

    def test_it_is_redeemed_only_once(self) -> None:
        tlv = issue()
        tlv.redeem(school=SO, enrolled_on=date(2025, 4, 1), by=LOKET, at=AT)
        with pytest.raises(TlvNotValidError, match="only once"):
            tlv.redeem(school=SO, enrolled_on=date(2025, 5, 1), by=LOKET, at=AT)

    def test_it_is_not_redeemed_after_its_redemption_deadline(self) -> None:
        tlv = issue()
        with pytest.raises(TlvNotValidError, match="record that it lapsed"):
            tlv.redeem(school=SO, enrolled_on=date(2026, 3, 23), by=LOKET, at=AT)

    def test_it_is_not_redeemed_before_it_is_valid(self) -> None:
        with pytest.raises(TlvNotValidError, match="enrol within its validity"):
            issue().redeem(school=SO, enrolled_on=date(2025, 3, 31), by=LOKET, at=AT)


class TestLapse:
    def test_an_unredeemed_tlv_lapses_after_its_deadline(self) -> None:
        tlv = issue()
        tlv.lapse(today=date(2026, 3, 21), by="system:deadlines", at=AT)
        [lapsed] = tlv.collect_events()
        assert isinstance(lapsed, Tlv.Lapsed)
        assert tlv.status is TlvStatus.LAPSED
        assert not tlv.is_valid_on(date(2026, 4, 1))

    def test_it_does_not_lapse_on_its_last_day(self) -> None:
        with pytest.raises(TlvLapseNotDueError, match="wait until after it"):
            issue().lapse(today=date(2026, 3, 20), by="system:deadlines", at=AT)

    def test_a_redeemed_tlv_does_not_lapse(self) -> None:
        tlv = issue()
        tlv.redeem(school=SO, enrolled_on=date(2025, 4, 1), by=LOKET, at=AT)
        with pytest.raises(TlvLapseNotDueError):
            tlv.lapse(today=date(2026, 3, 21), by="system:deadlines", at=AT)

    def test_it_does_not_lapse_where_tenant_policy_keeps_it(self) -> None:
        tlv = issue(policy=replace(POLICY, lapse_unredeemed_tlvs=False))
        with pytest.raises(TlvLapseNotDueError, match="does not lapse"):
            tlv.lapse(today=date(2026, 3, 21), by="system:deadlines", at=AT)


class TestRevision:
    def test_a_revision_changes_the_category(self) -> None:
        tlv = issue(category=FundingCategory.LOW)
        tlv.revise(
            objection_id=uuid4(),
            funding_category=FundingCategory.HIGH,
            valid_from=date(2025, 4, 1),
            valid_until=date(2027, 7, 31),
            policy_version="OP-2024.1",
            by=DIRECTOR,
            at=AT,
        )
        [revised] = tlv.collect_events()
        assert isinstance(revised, Tlv.Revised)
        assert tlv.funding_category is FundingCategory.HIGH

    def test_a_revision_keeps_to_the_category_rules(self) -> None:
        with pytest.raises(FundingCategoryError):
            issue().revise(
                objection_id=uuid4(),
                funding_category=None,
                valid_from=date(2025, 4, 1),
                valid_until=date(2027, 7, 31),
                policy_version="OP-2024.1",
                by=DIRECTOR,
                at=AT,
            )
