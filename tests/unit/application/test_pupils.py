from datetime import date

import pytest

from application.commands import CorrectPupilDetails, EnrolPupil, RegisterPupil, ShredPupilData
from application.errors import (
    AccessDeniedError,
    AggregateNotFoundError,
    UnconfiguredReferenceError,
)
from application.handlers import pupils
from application.queries import aggregate_history
from domain.pupil import Pupil
from tests.unit.application.conftest import SCHOOL, Desk, configured_desk, register_pupil


async def test_a_registered_pupil_can_be_read_back_with_their_history(desk: Desk) -> None:
    pupil_id = await register_pupil(desk)
    history = await aggregate_history(desk.store, desk.tenant_id, Pupil, pupil_id)
    assert (history.aggregate.name, history.aggregate.date_of_birth) == (
        "Sam de Vries",
        date(2017, 5, 12),
    )
    assert history.version == 1
    assert [e.event_type for e in history.events] == ["PupilRegistered"]
    assert history.events[0].actor == "committee+loket:loket-1"


async def test_registering_twice_with_one_command_id_registers_one_pupil(desk: Desk) -> None:
    command = RegisterPupil(name="Sam", date_of_birth=date(2017, 5, 12), municipality_code="GM0632")
    ctx = desk.ctx()
    first = await pupils.register_pupil(command, ctx, store=desk.store, clock=desk.clock)
    desk.clock.advance(days=1)
    again = await pupils.register_pupil(command, ctx, store=desk.store, clock=desk.clock)
    assert again == first
    history = await aggregate_history(desk.store, desk.tenant_id, Pupil, first.aggregate_id)
    assert history.version == 1


async def test_a_pupil_in_two_tenants_stays_two_pupils(desk: Desk) -> None:
    vo_desk = await configured_desk(desk.store)
    command = RegisterPupil(name="Sam", date_of_birth=date(2012, 5, 12), municipality_code="GM0632")
    ctx = desk.ctx()
    in_po = await pupils.register_pupil(command, ctx, store=desk.store, clock=desk.clock)
    # The same command id in another tenant still makes another pupil.
    in_vo = await pupils.register_pupil(
        command, vo_desk.ctx(command_id=ctx.command_id), store=desk.store, clock=desk.clock
    )
    assert in_po.aggregate_id != in_vo.aggregate_id
    with pytest.raises(AggregateNotFoundError):
        await aggregate_history(desk.store, vo_desk.tenant_id, Pupil, in_po.aggregate_id)
    with pytest.raises(AggregateNotFoundError):
        await desk.run(
            pupils.enrol_pupil, EnrolPupil(pupil_id=in_vo.aggregate_id, school_code="12AB00")
        )


async def test_a_pupil_is_enrolled_only_at_a_school_of_the_swv(desk: Desk) -> None:
    pupil_id = await register_pupil(desk)
    with pytest.raises(UnconfiguredReferenceError, match="99ZZ00"):
        await desk.run(pupils.enrol_pupil, EnrolPupil(pupil_id=pupil_id, school_code="99ZZ00"))


async def test_enrolment_date_defaults_to_today_in_the_netherlands(desk: Desk) -> None:
    pupil_id = await register_pupil(desk)
    await desk.run(pupils.enrol_pupil, EnrolPupil(pupil_id=pupil_id, school_code="12AB00"))
    history = await aggregate_history(desk.store, desk.tenant_id, Pupil, pupil_id)
    enrolled = history.events[-1].event
    assert isinstance(enrolled, Pupil.Enrolled)
    assert enrolled.enrolled_on == date(2025, 3, 3)
    assert history.aggregate.school_code == "12AB00"


async def test_shredding_records_it_and_makes_name_and_birth_date_unreadable(
    desk: Desk,
) -> None:
    pupil_id = await register_pupil(desk)
    await desk.run(pupils.shred_pupil_data, ShredPupilData(pupil_id=pupil_id))
    history = await aggregate_history(desk.store, desk.tenant_id, Pupil, pupil_id)
    assert [e.event_type for e in history.events] == ["PupilRegistered", "PupilDataShredded"]
    assert (history.aggregate.name, history.aggregate.date_of_birth) == (None, None)
    assert history.aggregate.data_shredded


async def test_a_school_acts_on_a_pupil_only_while_the_pupil_is_its_own(desk: Desk) -> None:
    pupil_id = await register_pupil(desk, school_code="12AB00")
    correction = CorrectPupilDetails(pupil_id=pupil_id, name="Sam", date_of_birth=date(2017, 5, 2))
    await desk.run(pupils.correct_pupil_details, correction, actor=SCHOOL)
    await desk.run(pupils.enrol_pupil, EnrolPupil(pupil_id=pupil_id, school_code="34CD00"))
    before = await aggregate_history(desk.store, desk.tenant_id, Pupil, pupil_id)
    with pytest.raises(AggregateNotFoundError):
        await desk.run(pupils.correct_pupil_details, correction, actor=SCHOOL)
    after = await aggregate_history(desk.store, desk.tenant_id, Pupil, pupil_id)
    assert after.version == before.version


async def test_a_school_registers_pupils_for_itself_only(desk: Desk) -> None:
    elsewhere = RegisterPupil(
        name="Sam",
        date_of_birth=date(2017, 5, 12),
        municipality_code="GM0632",
        school_code="34CD00",
    )
    with pytest.raises(AccessDeniedError):
        await desk.run(pupils.register_pupil, elsewhere, actor=SCHOOL)
