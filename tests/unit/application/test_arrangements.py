from datetime import date
from uuid import UUID

import pytest

from application.commands import (
    DecideSupportRequest,
    EndArrangementEarly,
    EvaluateArrangement,
    GrantArrangement,
)
from application.handlers import arrangements, support_requests
from application.queries import aggregate_history
from domain.arrangement import Arrangement, EvaluationParty, GoalAttainment
from domain.errors import PeriodError, RequestNotDecidedError
from domain.support_request import DecisionOutcome
from domain.swv import AmountUnit
from tests.unit.application.conftest import DIRECTOR, Desk, complete_request, register_pupil


async def granted_request(desk: Desk, outcome: DecisionOutcome = DecisionOutcome.GRANTED) -> UUID:
    request_id = await complete_request(
        desk, await register_pupil(desk), tlv_type=None, arrangement_type="ambulante-begeleiding"
    )
    await desk.run(
        support_requests.decide_support_request,
        DecideSupportRequest(request_id=request_id, outcome=outcome, reasons="Besloten."),
        actor=DIRECTOR,
    )
    return request_id


def arranging(request_id: UUID, amount: int, end_on: date | None = None) -> GrantArrangement:
    """The ambulante dienst's arrangement on the request, from 1 April 2025."""
    return GrantArrangement(
        support_request_id=request_id,
        provider="Ambulante dienst",
        amount=amount,
        start_on=date(2025, 4, 1),
        end_on=end_on,
    )


async def test_an_arrangement_is_granted_from_a_granted_request(desk: Desk) -> None:
    request_id = await granted_request(desk)
    outcome = await desk.run(
        arrangements.grant_arrangement,
        arranging(request_id, 40),
        actor=DIRECTOR,
    )
    history = await aggregate_history(desk.store, desk.tenant_id, Arrangement, outcome.aggregate_id)
    granted = history.events[0].event
    assert isinstance(granted, Arrangement.Granted)
    assert (granted.unit, granted.amount, granted.policy_version) == (
        AmountUnit.HOURS,
        40,
        "OP-2024.1",
    )
    assert history.aggregate.end_on == date(2025, 9, 30)


async def test_no_arrangement_follows_a_refused_request(desk: Desk) -> None:
    request_id = await granted_request(desk, DecisionOutcome.REFUSED)
    with pytest.raises(RequestNotDecidedError):
        await desk.run(
            arrangements.grant_arrangement,
            arranging(request_id, 1),
        )


async def test_an_arrangement_cannot_end_before_it_starts(desk: Desk) -> None:
    request_id = await granted_request(desk)
    outcome = await desk.run(
        arrangements.grant_arrangement,
        arranging(request_id, 10, end_on=date(2025, 12, 31)),
    )
    with pytest.raises(PeriodError, match="before it starts"):
        await desk.run(
            arrangements.end_arrangement_early,
            EndArrangementEarly(
                arrangement_id=outcome.aggregate_id, ended_on=date(2025, 3, 1), reason="x"
            ),
        )
    desk.clock.move_to(date(2025, 6, 1))
    await desk.run(
        arrangements.evaluate_arrangement,
        EvaluateArrangement(
            arrangement_id=outcome.aggregate_id,
            party=EvaluationParty.PARENTS,
            goal_attainment=GoalAttainment.MET,
            notes="Het gaat goed.",
            evaluated_on=date(2025, 6, 1),
        ),
        actor="loket:parent-portal",
    )
    history = await aggregate_history(desk.store, desk.tenant_id, Arrangement, outcome.aggregate_id)
    assert [e.event_type for e in history.events] == ["ArrangementGranted", "ArrangementEvaluated"]
