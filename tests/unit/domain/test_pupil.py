from datetime import date
from uuid import uuid4

import pytest

from domain.errors import (
    EnrolmentError,
    GuardianError,
    InvalidValueError,
    PupilHasLeftError,
    ZorgplichtError,
)
from domain.pupil import LeavingReason, Pupil
from tests.unit.domain.conftest import AT, LOKET, REGULAR, SBO

BORN = date(2017, 5, 12)


def registered() -> Pupil:
    pupil = Pupil.register(
        pupil_id=uuid4(),
        name="Sam de Vries",
        date_of_birth=BORN,
        municipality_code="GM0632",
        by=LOKET,
        at=AT,
    )
    pupil.collect_events()
    return pupil


def test_registering_records_personal_details_and_residence() -> None:
    pupil_id = uuid4()
    pupil = Pupil.register(
        pupil_id=pupil_id,
        name="Sam de Vries",
        date_of_birth=BORN,
        municipality_code="GM0632",
        by=LOKET,
        at=AT,
    )
    [event] = pupil.collect_events()
    assert isinstance(event, Pupil.Registered)
    assert event.originator_id == pupil_id
    assert (event.name, event.date_of_birth, event.municipality_code) == (
        "Sam de Vries",
        BORN,
        "GM0632",
    )
    assert (event.registered_by, event.registered_at) == (LOKET, AT)


def test_a_date_of_birth_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="future"):
        Pupil.register(
            pupil_id=uuid4(),
            name="X",
            date_of_birth=date(2030, 1, 1),
            municipality_code="GM0632",
            by=LOKET,
            at=AT,
        )


def test_residence_needs_a_cbs_code() -> None:
    with pytest.raises(InvalidValueError, match="CBS"):
        registered().change_residence(
            municipality_code="Woerden", moved_on=date(2025, 4, 1), by=LOKET, at=AT
        )


class TestSchoolCareer:
    def test_a_first_enrolment_has_no_previous_school(self) -> None:
        pupil = registered()
        pupil.enrol(school=REGULAR, enrolled_on=date(2025, 4, 1), by=LOKET, at=AT)
        [enrolled] = pupil.collect_events()
        assert isinstance(enrolled, Pupil.Enrolled)
        assert (enrolled.school_code, enrolled.previous_school_code) == ("12AB00", None)

    def test_moving_to_another_school_records_where_the_pupil_came_from(self) -> None:
        pupil = registered()
        pupil.enrol(school=REGULAR, enrolled_on=date(2025, 4, 1), by=LOKET, at=AT)
        pupil.enrol(school=SBO, enrolled_on=date(2025, 8, 25), by=LOKET, at=AT)
        _, moved = pupil.collect_events()
        assert isinstance(moved, Pupil.Enrolled)
        assert (moved.school_code, moved.previous_school_code) == ("34CD00", "12AB00")

    def test_a_pupil_is_not_enrolled_twice_at_one_school(self) -> None:
        pupil = registered()
        pupil.enrol(school=REGULAR, enrolled_on=date(2025, 4, 1), by=LOKET, at=AT)
        with pytest.raises(EnrolmentError):
            pupil.enrol(school=REGULAR, enrolled_on=date(2025, 5, 1), by=LOKET, at=AT)


class TestZorgplicht:
    def test_a_written_registration_starts_the_six_week_term(self) -> None:
        pupil = registered()
        pupil.register_at_school(school=REGULAR, registered_on=date(2025, 3, 3), by=LOKET, at=AT)
        [received] = pupil.collect_events()
        assert isinstance(received, Pupil.SchoolRegistrationReceived)
        assert pupil.zorgplicht_deadline == date(2025, 4, 14)

    def test_the_term_is_extended_once_by_four_weeks(self) -> None:
        pupil = registered()
        pupil.register_at_school(school=REGULAR, registered_on=date(2025, 3, 3), by=LOKET, at=AT)
        pupil.extend_zorgplicht_term(by=LOKET, at=AT)
        assert pupil.zorgplicht_deadline == date(2025, 5, 12)
        with pytest.raises(ZorgplichtError, match="only once"):
            pupil.extend_zorgplicht_term(by=LOKET, at=AT)

    def test_enrolment_ends_the_zorgplicht_term(self) -> None:
        pupil = registered()
        pupil.register_at_school(school=REGULAR, registered_on=date(2025, 3, 3), by=LOKET, at=AT)
        pupil.enrol(school=REGULAR, enrolled_on=date(2025, 4, 1), by=LOKET, at=AT)
        assert pupil.zorgplicht_deadline is None

    def test_there_is_nothing_to_extend_without_a_registration(self) -> None:
        with pytest.raises(ZorgplichtError, match="No school registration"):
            registered().extend_zorgplicht_term(by=LOKET, at=AT)


class TestGuardians:
    def test_a_guardian_is_a_reference_with_authority(self) -> None:
        pupil = registered()
        guardian_id = uuid4()
        pupil.add_guardian(guardian_id=guardian_id, has_authority=True, by=LOKET, at=AT)
        [added] = pupil.collect_events()
        assert isinstance(added, Pupil.GuardianAdded)
        assert (added.guardian_id, added.has_authority) == (guardian_id, True)

    def test_a_guardian_is_added_once(self) -> None:
        pupil = registered()
        guardian_id = uuid4()
        pupil.add_guardian(guardian_id=guardian_id, has_authority=True, by=LOKET, at=AT)
        with pytest.raises(GuardianError):
            pupil.add_guardian(guardian_id=guardian_id, has_authority=False, by=LOKET, at=AT)

    def test_authority_changes_are_recorded(self) -> None:
        pupil = registered()
        guardian_id = uuid4()
        pupil.add_guardian(guardian_id=guardian_id, has_authority=True, by=LOKET, at=AT)
        pupil.change_guardian_authority(
            guardian_id=guardian_id, has_authority=False, by=LOKET, at=AT
        )
        assert pupil.guardians == {guardian_id: False}

    def test_an_unknown_guardian_cannot_be_removed(self) -> None:
        with pytest.raises(GuardianError):
            registered().remove_guardian(guardian_id=uuid4(), by=LOKET, at=AT)


class TestWhenLeft:
    def test_leaving_for_vo_is_recorded(self) -> None:
        pupil = registered()
        pupil.leave(reason=LeavingReason.TRANSFER_TO_VO, left_on=date(2025, 7, 31), by=LOKET, at=AT)
        [left] = pupil.collect_events()
        assert isinstance(left, Pupil.LeftSwv)
        assert pupil.has_left

    def test_nothing_more_is_recorded_after_leaving(self) -> None:
        pupil = registered()
        pupil.leave(reason=LeavingReason.TRANSFER_TO_VO, left_on=date(2025, 7, 31), by=LOKET, at=AT)
        with pytest.raises(PupilHasLeftError, match="register them again"):
            pupil.enrol(school=REGULAR, enrolled_on=date(2025, 8, 25), by=LOKET, at=AT)


def test_shredding_forgets_name_and_date_of_birth() -> None:
    pupil = registered()
    pupil.shred_personal_data(by="user:privacy-officer", at=AT)
    [shredded] = pupil.collect_events()
    assert isinstance(shredded, Pupil.DataShredded)
    assert (pupil.name, pupil.date_of_birth, pupil.data_shredded) == (None, None, True)
