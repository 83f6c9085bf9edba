from dataclasses import replace
from datetime import date

import pytest

from domain.absence import Holiday
from domain.errors import (
    DuplicateConfigurationError,
    InvalidValueError,
    UnknownArrangementTypeError,
    UnknownMunicipalityError,
    UnknownSchoolError,
)
from domain.ids import TenantId
from domain.swv import (
    AmountUnit,
    ArrangementType,
    School,
    SchoolType,
    Sector,
    Swv,
    check_municipality_code,
    is_municipality_code,
    swv_stream_id,
)
from tests.unit.domain.conftest import AMBULANT, AT, LOKET, POLICY, REGULAR, new_swv


def test_configuring_records_code_sector_committee_and_policy() -> None:
    swv = new_swv()
    [configured] = swv.collect_events()
    assert isinstance(configured, Swv.Configured)
    assert configured.originator_id == swv_stream_id(TenantId("PO2604"))
    assert (configured.code, configured.sector, configured.committee_name) == (
        "PO2604",
        Sector.PO,
        "TLC",
    )
    assert (configured.policy_version, configured.lapse_unredeemed_tlvs) == ("OP-2024.1", True)
    assert (configured.changed_by, configured.changed_at, configured.timestamp) == (LOKET, AT, AT)


@pytest.mark.parametrize("code", ["PO26", "XX2604", "po2604", "PO 26-04"])
def test_a_malformed_swv_code_is_refused(code: str) -> None:
    with pytest.raises(InvalidValueError, match="PO or VO plus four digits"):
        new_swv(code)


def test_each_tenant_has_its_own_configuration_stream() -> None:
    assert swv_stream_id(TenantId("PO2604")) != swv_stream_id(TenantId("VO2604"))


class TestMunicipalitiesAndSchools:
    def test_a_municipality_needs_a_cbs_code(self, swv: Swv) -> None:
        with pytest.raises(InvalidValueError, match="CBS municipality code"):
            swv.add_municipality("0589", "Oudewater", by=LOKET, at=AT)

    def test_a_municipality_is_added_once(self, swv: Swv) -> None:
        with pytest.raises(DuplicateConfigurationError):
            swv.add_municipality("GM0632", "Woerden", by=LOKET, at=AT)

    def test_a_school_lies_in_a_known_municipality(self, swv: Swv) -> None:
        school = replace(REGULAR, brin="99ZZ", municipality_code="GM0589")
        with pytest.raises(UnknownMunicipalityError, match="add the municipality first"):
            swv.add_school(school, by=LOKET, at=AT)

    def test_a_school_needs_a_brin_and_vestigingsnummer(self, swv: Swv) -> None:
        with pytest.raises(InvalidValueError, match="BRIN"):
            swv.add_school(replace(REGULAR, brin="12ABC"), by=LOKET, at=AT)

    def test_a_vso_school_does_not_belong_to_a_po_partnership(self, swv: Swv) -> None:
        school = School("77GH", "00", "Het Baken", "Stichting V", SchoolType.VSO, "GM0632")
        with pytest.raises(InvalidValueError, match="does not belong to a PO partnership"):
            swv.add_school(school, by=LOKET, at=AT)

    def test_an_added_school_can_be_looked_up_by_its_code(self, swv: Swv) -> None:
        assert swv.school("12AB00") == REGULAR

    def test_looking_up_an_unknown_school_says_to_register_it(self, swv: Swv) -> None:
        with pytest.raises(UnknownSchoolError, match="register it"):
            swv.school("00XX00")

    def test_a_removed_school_is_unknown(self, swv: Swv) -> None:
        swv.remove_school("12AB00", by=LOKET, at=AT)
        with pytest.raises(UnknownSchoolError):
            swv.school("12AB00")


class TestCatalogue:
    def test_adding_an_arrangement_type_records_unit_and_default_duration(self, swv: Swv) -> None:
        entry = ArrangementType("onderwijsassistent", "Onderwijsassistent", AmountUnit.EUROS, 12)
        swv.add_arrangement_type(entry, by=LOKET, at=AT)
        [added] = swv.collect_events()
        assert isinstance(added, Swv.ArrangementTypeAdded)
        assert (added.type_code, added.unit, added.default_duration_months) == (
            "onderwijsassistent",
            AmountUnit.EUROS,
            12,
        )
        assert swv.arrangement_type("onderwijsassistent") == entry

    @pytest.mark.parametrize("code", ["A", "Ambulant", "ambulante begeleiding", "1-plus"])
    def test_a_catalogue_code_is_a_short_lowercase_slug(self, swv: Swv, code: str) -> None:
        with pytest.raises(InvalidValueError, match="catalogue code"):
            swv.add_arrangement_type(replace(AMBULANT, code=code), by=LOKET, at=AT)

    @pytest.mark.parametrize("months", [0, -1, 61])
    def test_a_default_duration_is_between_one_month_and_five_years(
        self, swv: Swv, months: int
    ) -> None:
        entry = replace(AMBULANT, code="plusklas", default_duration_months=months)
        with pytest.raises(InvalidValueError, match="default duration"):
            swv.add_arrangement_type(entry, by=LOKET, at=AT)

    def test_a_type_needs_a_name(self, swv: Swv) -> None:
        with pytest.raises(InvalidValueError, match="empty"):
            swv.add_arrangement_type(replace(AMBULANT, code="plusklas", name=" "), by=LOKET, at=AT)

    def test_a_code_is_in_the_catalogue_once(self, swv: Swv) -> None:
        with pytest.raises(DuplicateConfigurationError):
            swv.add_arrangement_type(AMBULANT, by=LOKET, at=AT)

    def test_a_withdrawn_type_can_no_longer_be_chosen(self, swv: Swv) -> None:
        swv.withdraw_arrangement_type(AMBULANT.code, by=LOKET, at=AT)
        with pytest.raises(UnknownArrangementTypeError, match="not in the catalogue"):
            swv.arrangement_type(AMBULANT.code)


class TestPolicy:
    def test_adopting_a_new_policy_puts_its_version_in_force(self, swv: Swv) -> None:
        new = replace(POLICY, version="OP-2025.1", effective_from=date(2025, 8, 1))
        swv.adopt_policy(new, by=LOKET, at=AT)
        [adopted] = swv.collect_events()
        assert isinstance(adopted, Swv.PolicyAdopted)
        assert adopted.policy_version == "OP-2025.1"
        assert swv.policy == new

    def test_a_new_policy_needs_a_new_version(self, swv: Swv) -> None:
        with pytest.raises(DuplicateConfigurationError, match="already in force"):
            swv.adopt_policy(replace(POLICY, lbt_affiliated=False), by=LOKET, at=AT)

    def test_an_implausible_redemption_term_is_refused(self, swv: Swv) -> None:
        policy = replace(POLICY, version="OP-2025.1", tlv_redemption_months=0)
        with pytest.raises(InvalidValueError, match="redemption term"):
            swv.adopt_policy(policy, by=LOKET, at=AT)


class TestSchoolHolidaysAndPactMonths:
    """The settings the absence signals are counted with: tenant configuration, not law."""

    AUTUMN = Holiday(date(2025, 10, 18), date(2025, 10, 26))
    CHRISTMAS = Holiday(date(2025, 12, 20), date(2026, 1, 4))

    def test_holidays_are_set_per_school_year_in_date_order(self, swv: Swv) -> None:
        swv.set_school_holidays(2025, (self.CHRISTMAS, self.AUTUMN), by=LOKET, at=AT)
        summer = Holiday(date(2026, 7, 18), date(2026, 8, 30))
        swv.set_school_holidays(2025, (self.AUTUMN, self.CHRISTMAS, summer), by=LOKET, at=AT)
        assert swv.holidays == (self.AUTUMN, self.CHRISTMAS, summer)

    def test_a_holiday_starts_in_its_school_year_and_overlaps_no_other(self, swv: Swv) -> None:
        with pytest.raises(InvalidValueError, match="does not start in school year") as outside:
            swv.set_school_holidays(2024, (self.AUTUMN,), by=LOKET, at=AT)
        late_autumn = Holiday(date(2025, 10, 25), date(2025, 11, 2))
        with pytest.raises(InvalidValueError, match="overlap"):
            swv.set_school_holidays(2025, (self.AUTUMN, late_autumn), by=LOKET, at=AT)
        assert outside.value.fields == ("holidays",)

    def test_the_pact_signal_defaults_to_three_months_and_is_the_tenants_choice(
        self, swv: Swv
    ) -> None:
        assert swv.thuiszitterspact_months == 3
        swv.set_thuiszitterspact_months(2, by=LOKET, at=AT)
        assert swv.thuiszitterspact_months == 2
        with pytest.raises(InvalidValueError, match="not plausible"):
            swv.set_thuiszitterspact_months(0, by=LOKET, at=AT)


@pytest.mark.parametrize("code", ["GM0632", "GM1904"])
def test_one_check_says_what_a_municipality_code_is(code: str) -> None:
    assert check_municipality_code(code, field="code") == code
    assert is_municipality_code(code)
    assert not is_municipality_code(code.lower())
    with pytest.raises(InvalidValueError) as refused:
        check_municipality_code(code[2:], field="municipality_code")
    assert refused.value.fields == ("municipality_code",)
