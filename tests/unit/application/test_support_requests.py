from datetime import date
from uuid import UUID, uuid4

import msgspec
import pytest

from application.aggregate_ids import TLV_IDS, new_aggregate_id
from application.commands import (
    AdoptPolicy,
    CheckCompleteness,
    DecideSupportRequest,
    NotifyDecision,
    ResumeApplication,
    SubmitSupportRequest,
)
from application.errors import (
    AggregateNotFoundError,
    ConcurrencyConflictError,
    SwvNotConfiguredError,
    UnconfiguredReferenceError,
)
from application.handlers import support_requests, swv
from application.queries import aggregate_history
from domain.deadlines import PauseCount
from domain.errors import (
    ExpertAdviceMissingError,
    InvalidValueError,
    RequestAlreadyDecidedError,
)
from domain.ids import TenantId
from domain.support_request import DecisionOutcome, ParentView, SupportRequest
from domain.tlv import FundingCategory, Tlv, TlvType
from tests.unit.application.conftest import (
    ADMIN,
    DIRECTOR,
    SCHOOL,
    Desk,
    complete_request,
    configured_desk,
    granted_tlv,
    granting,
    invited_to_complete,
    record_both_advices,
    register_pupil,
    take_stream,
)


def submit(
    pupil_id: UUID, *, tlv_type: TlvType | None = None, arrangement_type: str | None = None
) -> SubmitSupportRequest:
    return SubmitSupportRequest(
        pupil_id=pupil_id,
        school_code="12AB00",
        tlv_type=tlv_type,
        arrangement_type=arrangement_type,
        question="Welke plek past?",
        parent_view=ParentView.NOT_GIVEN,
    )


class TestSubmitting:
    async def test_a_tlv_application_is_stored_for_the_tenants_pupil(self, desk: Desk) -> None:
        pupil_id = await register_pupil(desk, school_code="12AB00")
        outcome = await desk.run(
            support_requests.submit_support_request,
            submit(pupil_id, tlv_type=TlvType.SBO),
            actor=SCHOOL,
        )
        history = await aggregate_history(
            desk.store, desk.tenant_id, SupportRequest, outcome.aggregate_id
        )
        [submitted] = history.events
        assert (submitted.event_type, submitted.schema_version, submitted.actor) == (
            "SupportRequestSubmitted",
            1,
            SCHOOL.actor,
        )
        assert isinstance(submitted.event, SupportRequest.Submitted)
        assert submitted.event.question == "Welke plek past?"
        assert (history.aggregate.tlv_type, history.aggregate.received_on) == (
            TlvType.SBO,
            date(2025, 3, 3),
        )

    async def test_an_arrangement_type_must_be_in_the_catalogue(self, desk: Desk) -> None:
        pupil_id = await register_pupil(desk)
        with pytest.raises(UnconfiguredReferenceError, match="paardrijden"):
            await desk.run(
                support_requests.submit_support_request,
                submit(pupil_id, arrangement_type="paardrijden"),
            )

    async def test_a_request_asks_for_one_thing(self, desk: Desk) -> None:
        pupil_id = await register_pupil(desk)
        with pytest.raises(InvalidValueError, match="exactly one"):
            await desk.run(
                support_requests.submit_support_request,
                submit(pupil_id, arrangement_type="ambulante-begeleiding", tlv_type=TlvType.SO),
            )

    async def test_a_pupil_of_another_tenant_is_unknown_here(self, desk: Desk) -> None:
        other = await configured_desk(desk.store)
        pupil_id = await register_pupil(other)
        with pytest.raises(AggregateNotFoundError):
            await desk.run(
                support_requests.submit_support_request, submit(pupil_id, tlv_type=TlvType.SO)
            )

    async def test_an_unconfigured_tenant_is_told_to_configure_first(self, desk: Desk) -> None:
        bare = Desk(desk.store, TenantId(desk.tenant_id.replace("PO", "VO")))
        await desk.store.register_tenant(bare.tenant_id)
        with pytest.raises(SwvNotConfiguredError, match="ConfigureSwv"):
            await bare.run(
                support_requests.submit_support_request, submit(uuid4(), tlv_type=TlvType.SO)
            )


class TestDeciding:
    async def test_a_decision_records_the_policy_in_force_on_its_business_date(
        self, desk: Desk
    ) -> None:
        await desk.run(
            swv.adopt_policy,
            AdoptPolicy(policy_version="OP-2025.2", effective_from=date(2025, 8, 1)),
            actor=ADMIN,
        )
        request_id = await complete_request(desk, await register_pupil(desk))
        await record_both_advices(desk, request_id)

        outcome = await desk.run(
            support_requests.decide_support_request,
            granting(request_id, FundingCategory.HIGH, decided_on=date(2025, 3, 3)),
            actor=DIRECTOR,
        )

        request = await aggregate_history(desk.store, desk.tenant_id, SupportRequest, request_id)
        decided = request.events[-1].event
        assert isinstance(decided, SupportRequest.Granted)
        assert decided.policy_version == "OP-2024.1"  # adopted later, effective only from August
        [tlv_id] = outcome.also_changed
        tlv = await aggregate_history(desk.store, desk.tenant_id, Tlv, tlv_id)
        assert tlv.events[0].event.policy_version == "OP-2024.1"  # type: ignore[attr-defined]

    async def test_granting_a_tlv_issues_it_under_the_policy_in_force(self, desk: Desk) -> None:
        await desk.run(
            swv.adopt_policy,
            AdoptPolicy(policy_version="OP-2025.1", effective_from=date(2025, 1, 1)),
            actor=ADMIN,
        )
        request_id = await complete_request(desk, await register_pupil(desk))
        await record_both_advices(desk, request_id)
        outcome = await desk.run(
            support_requests.decide_support_request,
            granting(request_id, FundingCategory.HIGH),
            actor=DIRECTOR,
        )
        request = await aggregate_history(desk.store, desk.tenant_id, SupportRequest, request_id)
        decided = request.events[-1].event
        assert isinstance(decided, SupportRequest.Granted)
        assert (decided.policy_version, decided.decided_by, decided.decided_on) == (
            "OP-2025.1",
            DIRECTOR.actor,
            date(2025, 3, 3),
        )
        [tlv_id] = outcome.also_changed
        tlv = await aggregate_history(desk.store, desk.tenant_id, Tlv, tlv_id)
        assert (tlv.aggregate.tlv_type, tlv.aggregate.funding_category) == (
            TlvType.SO,
            FundingCategory.HIGH,
        )
        assert tlv.aggregate.redemption_deadline == date(2026, 3, 3)
        assert tlv.aggregate.pupil_id == request.aggregate.pupil_id

    async def test_without_the_expert_advices_nothing_is_decided(self, desk: Desk) -> None:
        request_id = await complete_request(desk, await register_pupil(desk))
        with pytest.raises(ExpertAdviceMissingError):
            await desk.run(
                support_requests.decide_support_request,
                DecideSupportRequest(
                    request_id=request_id,
                    outcome=DecisionOutcome.REFUSED,
                    reasons="Niet toelaatbaar.",
                ),
            )
        history = await aggregate_history(desk.store, desk.tenant_id, SupportRequest, request_id)
        assert not history.aggregate.is_decided

    async def test_a_decision_cannot_be_taken_twice(self, desk: Desk) -> None:
        request_id, _ = await granted_tlv(desk)
        with pytest.raises(RequestAlreadyDecidedError):
            await desk.run(
                support_requests.decide_support_request,
                DecideSupportRequest(
                    request_id=request_id, outcome=DecisionOutcome.REFUSED, reasons="Toch niet."
                ),
            )

    async def test_retrying_a_decision_returns_the_first_outcome_and_issues_one_tlv(
        self, desk: Desk
    ) -> None:
        request_id = await complete_request(desk, await register_pupil(desk))
        await record_both_advices(desk, request_id)
        command = granting(request_id)
        ctx = desk.ctx(DIRECTOR)
        first = await support_requests.decide_support_request(
            command, ctx, store=desk.store, clock=desk.clock
        )
        desk.clock.advance(days=2)
        again = await support_requests.decide_support_request(
            command, ctx, store=desk.store, clock=desk.clock
        )
        assert again == first
        [tlv_id] = first.also_changed
        tlv = await aggregate_history(desk.store, desk.tenant_id, Tlv, tlv_id)
        assert tlv.version == 1

    async def test_a_failure_in_issuing_the_tlv_leaves_the_request_undecided_too(
        self, desk: Desk
    ) -> None:
        request_id = await complete_request(desk, await register_pupil(desk))
        await record_both_advices(desk, request_id)
        ctx = desk.ctx(DIRECTOR)
        # The TLV's stream is taken before the decision: its append fails, after the grant's.
        await take_stream(desk, new_aggregate_id(TLV_IDS, ctx))
        before = await desk.store.head(desk.tenant_id)
        command = granting(request_id)
        with pytest.raises(ConcurrencyConflictError):
            await support_requests.decide_support_request(
                command, ctx, store=desk.store, clock=desk.clock
            )
        assert await desk.store.head(desk.tenant_id) == before
        request = await aggregate_history(desk.store, desk.tenant_id, SupportRequest, request_id)
        assert request.aggregate.decided_on is None


class TestTheDecisionTerm:
    @pytest.mark.parametrize(
        ("pause_count", "deadline"),
        [
            # Received Monday 3 March: 28 April, plus the 8th to the 16th paused (9 days).
            (None, date(2025, 5, 7)),
            # The tenant's setting pauses the day of completion, the 17th, as well.
            (PauseCount.COMPLETION_DAY_PAUSED, date(2025, 5, 8)),
        ],
        ids=["by_default_until_completion", "with_the_completion_day_if_the_tenant_says_so"],
    )
    async def test_an_invitation_to_complete_pauses_the_term(
        self, desk: Desk, pause_count: PauseCount | None, deadline: date
    ) -> None:
        if pause_count is not None:
            await desk.run(
                swv.adopt_policy,
                AdoptPolicy(
                    policy_version="OP-2025.1",
                    effective_from=date(2025, 1, 1),
                    pause_count=pause_count,
                ),
                actor=ADMIN,
            )
        request_id = await complete_request(desk, await register_pupil(desk))
        desk.clock.move_to(date(2025, 3, 17))
        await invited_to_complete(desk, request_id, date(2025, 3, 7), complete_by=date(2025, 3, 21))
        await desk.run(
            support_requests.resume_application,
            ResumeApplication(request_id=request_id, resumed_on=date(2025, 3, 17)),
        )
        history = await aggregate_history(desk.store, desk.tenant_id, SupportRequest, request_id)
        assert history.aggregate.decision_deadline == deadline

    async def test_a_resumption_counts_its_pause_as_the_policy_in_force_that_day_says(
        self, desk: Desk
    ) -> None:
        request_id = await complete_request(desk, await register_pupil(desk))
        desk.clock.move_to(date(2025, 3, 17))
        await invited_to_complete(desk, request_id, date(2025, 3, 7), complete_by=date(2025, 3, 21))
        await desk.run(
            swv.adopt_policy,
            AdoptPolicy(
                policy_version="OP-2025.2",
                effective_from=date(2025, 8, 1),
                pause_count=PauseCount.COMPLETION_DAY_PAUSED,
            ),
            actor=ADMIN,
        )

        await desk.run(
            support_requests.resume_application,
            ResumeApplication(request_id=request_id, resumed_on=date(2025, 3, 17)),
        )

        history = await aggregate_history(desk.store, desk.tenant_id, SupportRequest, request_id)
        assert history.aggregate.decision_deadline == date(2025, 5, 7)  # as OP-2024.1 counts

    async def test_an_incomplete_application_has_its_term_running_from_receipt(
        self, desk: Desk
    ) -> None:
        pupil_id = await register_pupil(desk)
        submitted = await desk.run(
            support_requests.submit_support_request, submit(pupil_id, tlv_type=TlvType.SO)
        )
        await desk.run(
            support_requests.check_completeness,
            CheckCompleteness(request_id=submitted.aggregate_id, missing=("OPP",)),
        )
        history = await aggregate_history(
            desk.store, desk.tenant_id, SupportRequest, submitted.aggregate_id
        )
        assert history.aggregate.decision_deadline == date(2025, 4, 28)

    async def test_notification_sets_the_objection_deadline(self, desk: Desk) -> None:
        request_id, _ = await granted_tlv(desk)
        desk.clock.move_to(date(2025, 3, 4))
        await desk.run(
            support_requests.notify_decision,
            NotifyDecision(request_id=request_id, notified_on=date(2025, 3, 4)),
        )
        history = await aggregate_history(desk.store, desk.tenant_id, SupportRequest, request_id)
        assert history.aggregate.objection_deadline == date(2025, 4, 15)

    @pytest.mark.parametrize(
        "command",
        [
            CheckCompleteness(request_id=uuid4(), checked_on=date(2025, 3, 4)),
            NotifyDecision(request_id=uuid4(), notified_on=date(2025, 3, 4)),
        ],
        ids=["checked_on", "notified_on"],
    )
    async def test_a_thing_that_happened_cannot_be_dated_tomorrow(
        self, desk: Desk, command: CheckCompleteness | NotifyDecision
    ) -> None:
        request_id = await complete_request(desk, await register_pupil(desk))
        handler = (
            support_requests.check_completeness
            if isinstance(command, CheckCompleteness)
            else support_requests.notify_decision
        )
        field = "checked_on" if isinstance(command, CheckCompleteness) else "notified_on"
        with pytest.raises(InvalidValueError, match=f"{field} 2025-03-04 lies in the future"):
            await desk.run(handler, msgspec.structs.replace(command, request_id=request_id))


def test_a_command_refuses_a_date_off_the_calendar_by_name() -> None:
    with pytest.raises(InvalidValueError, match="Checked on 0001-01-01 is not a plausible date"):
        CheckCompleteness(request_id=uuid4(), checked_on=date(1, 1, 1))
    with pytest.raises(InvalidValueError, match="Valid until 9999-12-31"):
        DecideSupportRequest(
            request_id=uuid4(),
            outcome=DecisionOutcome.GRANTED,
            reasons="Ja.",
            valid_until=date(9999, 12, 31),
        )
