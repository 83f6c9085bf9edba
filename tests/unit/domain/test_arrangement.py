from datetime import date
from uuid import uuid4

import pytest

from domain.arrangement import Arrangement, EvaluationParty, GoalAttainment
from domain.errors import (
    ArrangementClosedError,
    InvalidValueError,
    PeriodError,
    RequestNotDecidedError,
)
from domain.support_request import SupportRequest
from domain.swv import AmountUnit, ArrangementType
from tests.unit.domain.conftest import (
    AMBULANT,
    AT,
    DIRECTOR,
    LOKET,
    POLICY,
    complete,
    refused_request,
)

SCHOOL = "user:ib-1"


def granted_request() -> SupportRequest:
    request = complete(AMBULANT)
    request.grant(
        reasons="Ambulante begeleiding helpt.",
        decided_on=date(2025, 3, 20),
        policy=POLICY,
        by=DIRECTOR,
        at=AT,
    )
    request.collect_events()
    return request


def grant(
    request: SupportRequest | None = None,
    *,
    entry: ArrangementType = AMBULANT,
    start_on: date = date(2025, 4, 1),
    end_on: date | None = date(2025, 12, 31),
    amount: int = 40,
) -> Arrangement:
    return Arrangement.grant(
        arrangement_id=uuid4(),
        request=request or granted_request(),
        arrangement_type=entry,
        provider="Ambulante dienst De Kompas",
        amount=amount,
        start_on=start_on,
        decided_on=date(2025, 3, 20),
        policy=POLICY,
        by=DIRECTOR,
        at=AT,
        end_on=end_on,
    )


def active() -> Arrangement:
    arrangement = grant()
    arrangement.collect_events()
    return arrangement


class TestGranting:
    def test_records_type_provider_period_amount_and_policy(self) -> None:
        request = granted_request()
        arrangement = grant(request)
        [granted] = arrangement.collect_events()
        assert isinstance(granted, Arrangement.Granted)
        assert (granted.arrangement_type, granted.provider) == (
            "ambulante-begeleiding",
            "Ambulante dienst De Kompas",
        )
        assert (granted.unit, granted.amount) == (AmountUnit.HOURS, 40)
        assert (granted.start_on, granted.end_on) == (date(2025, 4, 1), date(2025, 12, 31))
        assert (granted.support_request_id, granted.pupil_id) == (request.id, request.pupil_id)
        assert granted.policy_version == "OP-2024.1"

    def test_without_an_end_date_it_runs_the_catalogue_default(self) -> None:
        arrangement = grant(end_on=None)
        assert arrangement.end_on == date(2025, 9, 30)

    def test_it_cannot_end_before_it_starts(self) -> None:
        with pytest.raises(PeriodError, match="before it starts"):
            grant(start_on=date(2025, 4, 1), end_on=date(2025, 3, 31))

    def test_it_may_last_a_single_day(self) -> None:
        assert grant(start_on=date(2025, 4, 1), end_on=date(2025, 4, 1)).is_active_on(
            date(2025, 4, 1)
        )

    @pytest.mark.parametrize("amount", [0, -5])
    def test_it_needs_a_positive_amount(self, amount: int) -> None:
        with pytest.raises(InvalidValueError, match="positive number"):
            grant(amount=amount)

    def test_it_follows_a_granted_request_only(self) -> None:
        with pytest.raises(RequestNotDecidedError, match="has not been granted"):
            grant(refused_request(AMBULANT))

    def test_it_is_of_the_type_that_was_asked_for(self) -> None:
        other = ArrangementType("plusklas", "Plusklas", AmountUnit.EUROS, 12)
        with pytest.raises(InvalidValueError, match="grant what was asked"):
            grant(entry=other)


class TestWhenActive:
    def test_extending_moves_the_end_and_adds_hours(self) -> None:
        arrangement = active()
        arrangement.extend(
            end_on=date(2026, 7, 31),
            reason="Doelen nog niet bereikt.",
            decided_on=date(2025, 12, 1),
            policy=POLICY,
            by=DIRECTOR,
            at=AT,
            amount_added=20,
        )
        [extended] = arrangement.collect_events()
        assert isinstance(extended, Arrangement.Extended)
        assert (extended.previous_end_on, extended.end_on) == (
            date(2025, 12, 31),
            date(2026, 7, 31),
        )
        assert arrangement.amount == 60

    def test_an_extension_must_end_later(self) -> None:
        with pytest.raises(PeriodError, match="must end later"):
            active().extend(
                end_on=date(2025, 12, 31),
                reason="x",
                decided_on=date(2025, 12, 1),
                policy=POLICY,
                by=DIRECTOR,
                at=AT,
            )

    def test_ending_early_records_day_and_reason(self) -> None:
        arrangement = active()
        arrangement.end_early(
            ended_on=date(2025, 9, 30), reason="Leerling is verhuisd.", by=SCHOOL, at=AT
        )
        [ended] = arrangement.collect_events()
        assert isinstance(ended, Arrangement.EndedEarly)
        assert (ended.ended_on, ended.reason) == (date(2025, 9, 30), "Leerling is verhuisd.")
        assert not arrangement.is_active_on(date(2025, 10, 1))

    def test_it_cannot_end_early_before_it_starts(self) -> None:
        with pytest.raises(PeriodError, match="before it starts"):
            active().end_early(ended_on=date(2025, 3, 31), reason="x", by=SCHOOL, at=AT)

    def test_ending_on_or_after_its_end_is_not_early(self) -> None:
        with pytest.raises(PeriodError, match="not early"):
            active().end_early(ended_on=date(2025, 12, 31), reason="x", by=SCHOOL, at=AT)

    def test_an_ended_arrangement_is_not_extended(self) -> None:
        arrangement = active()
        arrangement.end_early(ended_on=date(2025, 9, 30), reason="x", by=SCHOOL, at=AT)
        with pytest.raises(ArrangementClosedError):
            arrangement.extend(
                end_on=date(2026, 7, 31),
                reason="x",
                decided_on=date(2025, 12, 1),
                policy=POLICY,
                by=DIRECTOR,
                at=AT,
            )

    @pytest.mark.parametrize("party", list(EvaluationParty))
    def test_school_and_parents_each_evaluate(self, party: EvaluationParty) -> None:
        arrangement = active()
        arrangement.evaluate(
            party=party,
            goal_attainment=GoalAttainment.PARTLY_MET,
            notes="Gaat vooruit.",
            evaluated_on=date(2025, 7, 1),
            by=LOKET,
            at=AT,
        )
        [evaluated] = arrangement.collect_events()
        assert isinstance(evaluated, Arrangement.Evaluated)
        assert (evaluated.party, evaluated.goal_attainment) == (party, GoalAttainment.PARTLY_MET)
        assert arrangement.evaluations == {party: GoalAttainment.PARTLY_MET}

    def test_it_is_not_evaluated_before_it_starts(self) -> None:
        with pytest.raises(PeriodError):
            active().evaluate(
                party=EvaluationParty.PARENTS,
                goal_attainment=GoalAttainment.MET,
                notes="x",
                evaluated_on=date(2025, 3, 1),
                by=LOKET,
                at=AT,
            )
