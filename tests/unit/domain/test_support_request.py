from datetime import date
from uuid import uuid4

import pytest

from domain.deadlines import Channel, PauseCount
from domain.errors import (
    AlreadyNotifiedError,
    ApplicationAlreadyCompleteError,
    ApplicationIncompleteError,
    ApplicationNotSuspendedError,
    ApplicationSuspendedError,
    FundingCategoryError,
    InvalidValueError,
    PeriodError,
    RequestAlreadyDecidedError,
    RequestNotDecidedError,
)
from domain.support_request import DecisionOutcome, ParentView, SupportRequest
from domain.tlv import FundingCategory, TlvType
from tests.unit.domain.conftest import (
    AMBULANT,
    AT,
    LOKET,
    POLICY,
    REGULAR,
    complete,
    submitted,
    with_both_advices,
)

DIRECTOR = "user:director"


def grant_tlv(
    request: SupportRequest,
    category: FundingCategory | None = FundingCategory.MEDIUM,
    decided_on: date = date(2025, 3, 20),
) -> None:
    request.grant(
        reasons="De ondersteuningsbehoefte vraagt om SO.",
        decided_on=decided_on,
        policy=POLICY,
        by=DIRECTOR,
        at=AT,
        tlv_id=uuid4(),
        funding_category=category,
        valid_from=date(2025, 4, 1),
        valid_until=date(2027, 7, 31),
    )


def test_submitting_records_school_question_parent_view_and_receipt() -> None:
    pupil_id = uuid4()
    request = SupportRequest.submit(
        request_id=uuid4(),
        pupil_id=pupil_id,
        school=REGULAR,
        requested=TlvType.SBO,
        question="Is SBO passend?",
        parent_view=ParentView.DISAGREE,
        received_on=date(2025, 3, 3),
        by="user:ib-1",
        at=AT,
    )
    [submitted_event] = request.collect_events()
    assert isinstance(submitted_event, SupportRequest.Submitted)
    assert submitted_event.pupil_id == pupil_id
    assert (submitted_event.school_code, submitted_event.tlv_type) == ("12AB00", TlvType.SBO)
    assert submitted_event.arrangement_type is None
    assert (submitted_event.parent_view, submitted_event.question) == (
        ParentView.DISAGREE,
        "Is SBO passend?",
    )
    assert (submitted_event.submitted_by, submitted_event.submitted_at) == ("user:ib-1", AT)


def test_a_request_for_an_arrangement_names_its_catalogue_type() -> None:
    request = submitted(AMBULANT)
    assert (request.arrangement_type, request.tlv_type) == ("ambulante-begeleiding", None)


class TestCompleteness:
    def test_an_incomplete_check_records_what_is_missing_and_the_term_still_runs(self) -> None:
        request = submitted()
        request.check_completeness(
            missing=("groeidocument",), checked_on=date(2025, 3, 4), by=LOKET, at=AT
        )
        [checked] = request.collect_events()
        assert isinstance(checked, SupportRequest.CompletenessChecked)
        assert (checked.complete, checked.missing) == (False, ("groeidocument",))
        assert request.decision_deadline == date(2025, 4, 28)

    def test_the_eight_week_term_runs_from_receipt_not_from_completeness(self) -> None:
        # Received Monday 3 March 2025: day 56 is Monday 28 April, whenever it was complete.
        request = complete(on=date(2025, 3, 5))
        assert request.decision_deadline == date(2025, 4, 28)

    def test_an_incomplete_application_cannot_be_decided(self) -> None:
        request = submitted(AMBULANT)
        with pytest.raises(ApplicationIncompleteError, match="check its completeness"):
            request.refuse(reasons="x", decided_on=date(2025, 3, 20), policy=POLICY, by="u", at=AT)

    def test_a_complete_application_is_not_checked_again(self) -> None:
        request = complete()
        with pytest.raises(ApplicationAlreadyCompleteError, match="Suspend it"):
            request.check_completeness(missing=(), checked_on=date(2025, 3, 5), by=LOKET, at=AT)


def suspend(request: SupportRequest, on: date, *, complete_by: date, reason: str = "x") -> None:
    """The loket invites the school to complete the application by ``complete_by``."""
    request.suspend(reason=reason, suspended_on=on, complete_by=complete_by, by=LOKET, at=AT)


class TestWhenSuspended:
    """A suspension is an invitation to complete (Awb 4:5); received Monday 3 March 2025."""

    @pytest.fixture
    def request_(self) -> SupportRequest:
        request = complete()
        suspend(
            request,
            date(2025, 3, 7),
            complete_by=date(2025, 3, 21),
            reason="Wacht op verslag van de jeugdarts.",
        )
        request.collect_events()
        return request

    def test_suspending_records_reason_day_and_completion_term(self) -> None:
        request = complete()
        suspend(
            request, date(2025, 3, 7), complete_by=date(2025, 3, 21), reason="Wacht op verslag."
        )
        [suspended] = request.collect_events()
        assert isinstance(suspended, SupportRequest.Suspended)
        assert (suspended.suspended_on, suspended.complete_by, suspended.pupil_id) == (
            date(2025, 3, 7),
            date(2025, 3, 21),
            request.pupil_id,
        )

    def test_while_suspended_the_deadline_is_the_one_if_nothing_more_comes_in(
        self, request_: SupportRequest
    ) -> None:
        # Paused from 8 March through the completion term's end on 21 March: 14 days.
        assert request_.decision_deadline == date(2025, 5, 12)

    def test_completion_ends_the_pause_and_the_completion_day_runs(
        self, request_: SupportRequest
    ) -> None:
        # Paused on Saturday 8 and Sunday 9 March; the term runs again on Monday the 10th.
        request_.resume(resumed_on=date(2025, 3, 10), by=LOKET, at=AT)
        [resumed] = request_.collect_events()
        assert isinstance(resumed, SupportRequest.Resumed)
        assert (resumed.days_suspended, resumed.pause_count) == (
            2,
            PauseCount.COMPLETION_DAY_RUNS,
        )
        assert request_.decision_deadline == date(2025, 4, 30)

    def test_a_tenant_may_count_the_completion_day_as_paused(
        self, request_: SupportRequest
    ) -> None:
        request_.resume(
            resumed_on=date(2025, 3, 10),
            by=LOKET,
            at=AT,
            count=PauseCount.COMPLETION_DAY_PAUSED,
        )
        assert request_.days_suspended == 3
        assert request_.decision_deadline == date(2025, 5, 1)

    def test_suspensions_add_up(self, request_: SupportRequest) -> None:
        request_.resume(resumed_on=date(2025, 3, 10), by=LOKET, at=AT)
        suspend(request_, date(2025, 3, 12), complete_by=date(2025, 3, 26), reason="Opnieuw.")
        request_.resume(resumed_on=date(2025, 3, 19), by=LOKET, at=AT)
        assert request_.days_suspended == 8
        assert request_.decision_deadline == date(2025, 5, 6)

    def test_the_completion_term_ends_after_the_invitation(self) -> None:
        with pytest.raises(InvalidValueError, match="complete_by"):
            suspend(complete(), date(2025, 3, 7), complete_by=date(2025, 3, 7))

    def test_a_suspended_application_cannot_be_decided(self, request_: SupportRequest) -> None:
        with pytest.raises(ApplicationSuspendedError, match="resume it before deciding"):
            request_.refuse(reasons="x", decided_on=date(2025, 3, 20), policy=POLICY, by="u", at=AT)

    def test_it_cannot_be_suspended_twice(self, request_: SupportRequest) -> None:
        with pytest.raises(ApplicationSuspendedError):
            suspend(request_, date(2025, 3, 8), complete_by=date(2025, 3, 20))

    def test_it_cannot_resume_before_it_was_suspended(self, request_: SupportRequest) -> None:
        with pytest.raises(InvalidValueError, match="before that"):
            request_.resume(resumed_on=date(2025, 3, 6), by=LOKET, at=AT)


def test_an_application_that_is_not_suspended_cannot_resume() -> None:
    with pytest.raises(ApplicationNotSuspendedError):
        complete().resume(resumed_on=date(2025, 3, 10), by=LOKET, at=AT)


def test_an_incomplete_application_can_be_invited_to_complete() -> None:
    request = submitted()
    suspend(
        request, date(2025, 3, 4), complete_by=date(2025, 3, 18), reason="Groeidocument ontbreekt."
    )
    assert request.suspended_since == date(2025, 3, 4)


class TestANoticeUnderAwb414:
    def test_names_a_new_last_day_within_the_term(self) -> None:
        request = complete()
        request.extend_decision_term(
            reason="Het onderzoek van de jeugdarts duurt langer.",
            extended_to=date(2025, 6, 10),
            notified_on=date(2025, 4, 20),
            by=LOKET,
            at=AT,
        )
        assert request.decision_deadline == date(2025, 6, 10)

    def test_after_the_term_ended_is_too_late(self) -> None:
        with pytest.raises(InvalidValueError, match="notified_on"):
            complete().extend_decision_term(
                reason="x",
                extended_to=date(2025, 6, 10),
                notified_on=date(2025, 4, 29),
                by=LOKET,
                at=AT,
            )


class TestDeciding:
    def test_granting_a_tlv_records_terms_decider_date_and_policy_version(self) -> None:
        request = with_both_advices()
        grant_tlv(request)
        [granted] = request.collect_events()
        assert isinstance(granted, SupportRequest.Granted)
        assert (granted.funding_category, granted.valid_from, granted.valid_until) == (
            FundingCategory.MEDIUM,
            date(2025, 4, 1),
            date(2027, 7, 31),
        )
        assert (granted.decided_by, granted.decided_on, granted.decided_at) == (
            DIRECTOR,
            date(2025, 3, 20),
            AT,
        )
        assert granted.policy_version == "OP-2024.1"
        assert granted.decided_within_term is True
        assert request.outcome is DecisionOutcome.GRANTED

    def test_a_decision_after_the_term_is_recorded_as_late(self) -> None:
        request = with_both_advices()
        grant_tlv(request, decided_on=date(2025, 5, 1))
        [granted] = request.collect_events()
        assert isinstance(granted, SupportRequest.Granted)
        assert granted.decided_within_term is False

    def test_a_decision_cannot_be_taken_twice(self) -> None:
        request = with_both_advices()
        grant_tlv(request)
        with pytest.raises(RequestAlreadyDecidedError, match="Lodge an objection"):
            request.refuse(reasons="x", decided_on=date(2025, 3, 21), policy=POLICY, by="u", at=AT)

    def test_a_refusal_records_its_reasons(self) -> None:
        request = complete(AMBULANT)
        request.refuse(
            reasons="Past binnen de basisondersteuning.",
            decided_on=date(2025, 3, 20),
            policy=POLICY,
            by=DIRECTOR,
            at=AT,
        )
        [refused] = request.collect_events()
        assert isinstance(refused, SupportRequest.Refused)
        assert (refused.reasons, refused.policy_version) == (
            "Past binnen de basisondersteuning.",
            "OP-2024.1",
        )

    def test_a_decision_needs_reasons(self) -> None:
        with pytest.raises(InvalidValueError, match="reasons"):
            complete(AMBULANT).refuse(
                reasons=" ", decided_on=date(2025, 3, 20), policy=POLICY, by="u", at=AT
            )

    def test_a_so_tlv_needs_a_funding_category(self) -> None:
        with pytest.raises(FundingCategoryError, match="needs a funding category"):
            grant_tlv(with_both_advices(TlvType.SO), category=None)

    def test_a_vso_tlv_needs_a_funding_category(self) -> None:
        with pytest.raises(FundingCategoryError, match="needs a funding category"):
            grant_tlv(with_both_advices(TlvType.VSO), category=None)

    def test_an_sbo_tlv_has_no_funding_category(self) -> None:
        with pytest.raises(FundingCategoryError, match="carries no funding category"):
            grant_tlv(with_both_advices(TlvType.SBO), category=FundingCategory.LOW)

    def test_an_sbo_tlv_without_category_is_granted(self) -> None:
        request = with_both_advices(TlvType.SBO)
        grant_tlv(request, category=None)
        assert request.funding_category is None

    def test_a_tlv_cannot_end_before_it_starts(self) -> None:
        request = with_both_advices()
        with pytest.raises(PeriodError):
            request.grant(
                reasons="x",
                decided_on=date(2025, 3, 20),
                policy=POLICY,
                by="u",
                at=AT,
                tlv_id=uuid4(),
                funding_category=FundingCategory.LOW,
                valid_from=date(2025, 4, 1),
                valid_until=date(2025, 3, 31),
            )

    def test_an_arrangement_request_is_granted_without_tlv_terms(self) -> None:
        request = complete(AMBULANT)
        with pytest.raises(InvalidValueError, match="no TLV"):
            request.grant(
                reasons="x",
                decided_on=date(2025, 3, 20),
                policy=POLICY,
                by="u",
                at=AT,
                tlv_id=uuid4(),
            )


class TestNotification:
    def test_notifying_starts_the_objection_term(self) -> None:
        request = with_both_advices()
        grant_tlv(request)
        request.collect_events()
        request.notify_decision(
            notified_on=date(2025, 3, 21), channel=Channel.EMAIL, by=LOKET, at=AT
        )
        [notified] = request.collect_events()
        assert isinstance(notified, SupportRequest.DecisionNotified)
        assert notified.channel is Channel.EMAIL
        assert request.objection_deadline == date(2025, 5, 2)

    def test_there_is_nothing_to_notify_before_a_decision(self) -> None:
        with pytest.raises(RequestNotDecidedError):
            complete().notify_decision(notified_on=date(2025, 3, 21), by=LOKET, at=AT)

    def test_a_decision_is_notified_once(self) -> None:
        request = with_both_advices()
        grant_tlv(request)
        request.notify_decision(notified_on=date(2025, 3, 21), by=LOKET, at=AT)
        with pytest.raises(AlreadyNotifiedError):
            request.notify_decision(notified_on=date(2025, 3, 22), by=LOKET, at=AT)


def test_parents_view_can_be_recorded_later() -> None:
    request = submitted()
    request.record_parent_view(ParentView.AGREE, by=LOKET, at=AT)
    [recorded] = request.collect_events()
    assert isinstance(recorded, SupportRequest.ParentViewRecorded)
    assert request.parent_view is ParentView.AGREE
