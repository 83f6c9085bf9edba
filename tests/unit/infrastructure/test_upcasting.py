"""Events stored before the terms of domain.md §1.12 keep their meaning when read today."""

from datetime import date
from typing import Any
from uuid import uuid4

import msgspec

from domain.deadlines import Channel, Pause, PauseCount, Timeliness
from domain.objection import Objection
from domain.registry import AGGREGATE_CLASSES
from domain.support_request import SupportRequest
from domain.swv import Swv
from domain.tenancy import Tenancy
from infrastructure.event_codec import EventCodec

CODEC = EventCodec(AGGREGATE_CLASSES)
AT = "2025-03-03T09:00:00+00:00"


def read_v1(event_type: str, payload: dict[str, Any]) -> Any:
    """Decode a payload exactly as version 1 of ``event_type`` stored it."""
    return CODEC.decode(
        event_type=event_type,
        schema_version=1,
        payload=msgspec.json.encode({"timestamp": AT, **payload}),
        stream_id=uuid4(),
        stream_version=2,
        tenant_id="PO2604",
        event_id=uuid4(),
    )


def test_a_suspension_before_completion_terms_stands_still_until_resumption() -> None:
    suspended = read_v1(
        "ApplicationSuspended",
        {
            "pupil_id": str(uuid4()),
            "reason": None,
            "suspended_on": "2025-03-07",
            "suspended_by": "user:loket-1",
            "suspended_at": AT,
        },
    )
    assert isinstance(suspended, SupportRequest.Suspended)
    assert suspended.complete_by is None


def test_a_resumption_before_the_setting_counted_the_completion_day_as_paused() -> None:
    resumed = read_v1(
        "ApplicationResumed",
        {
            "resumed_on": "2025-03-10",
            "days_suspended": 3,
            "resumed_by": "user:loket-1",
            "resumed_at": AT,
        },
    )
    assert isinstance(resumed, SupportRequest.Resumed)
    assert resumed.pause_count is PauseCount.COMPLETION_DAY_PAUSED
    # the days the old record names are the days the pause counts now
    pause = Pause(date(2025, 3, 7), None, resumed.resumed_on, resumed.pause_count)
    assert pause.days() == resumed.days_suspended


def test_an_objection_keeps_the_timeliness_its_receipt_gave_it() -> None:
    lodged = {
        "pupil_id": str(uuid4()),
        "support_request_id": str(uuid4()),
        "contested_outcome": "GRANTED",
        "tlv_type": "SO",
        "tlv_id": None,
        "objector": "PARENTS",
        "grounds": None,
        "received_on": "2025-05-05",
        "term_ends_on": "2025-05-02",
        "in_time": False,
        "lateness_excuse": None,
        "lodged_by": "user:loket-1",
        "lodged_at": AT,
        "originator_topic": "Objection",
    }
    late = read_v1("ObjectionLodged", lodged)
    assert isinstance(late, Objection.Lodged)
    assert (late.timeliness, late.channel, late.posted_on) == (Timeliness.LATE, None, None)
    timely = read_v1("ObjectionLodged", {**lodged, "in_time": True})
    assert timely.timeliness is Timeliness.IN_TIME


def test_older_notices_advices_and_policies_read_with_their_new_fields_empty() -> None:
    notified = read_v1(
        "DecisionNotified",
        {"notified_on": "2025-03-21", "notified_by": "u", "notified_at": AT},
    )
    assert isinstance(notified, SupportRequest.DecisionNotified)
    assert notified.channel is None
    advice = read_v1(
        "ExpertAdviceRecorded",
        {
            "pupil_id": str(uuid4()),
            "role": "FIRST",
            "expert_id": str(uuid4()),
            "qualification": "ORTHOPEDAGOOG",
            "independence_declared": True,
            "written_on": "2025-03-10",
            "advice": None,
            "recorded_by": "u",
            "recorded_at": AT,
        },
    )
    assert isinstance(advice, SupportRequest.ExpertAdviceRecorded)
    assert (advice.admissible, advice.works_at_school) == (None, None)
    policy = read_v1(
        "PolicyAdopted",
        {
            "policy_version": "OP-2024.1",
            "effective_from": "2024-08-01",
            "lapse_unredeemed_tlvs": True,
            "tlv_redemption_months": 12,
            "lbt_affiliated": True,
            "changed_by": "u",
            "changed_at": AT,
        },
    )
    assert isinstance(policy, Swv.PolicyAdopted)
    assert policy.pause_count is PauseCount.COMPLETION_DAY_RUNS


def test_what_is_written_now_reads_back_unchanged() -> None:
    event = read_v1(
        "DecisionNotified",
        {"notified_on": "2025-03-21", "notified_by": "u", "notified_at": AT},
    )
    encoded = CODEC.encode(event, tenant_id="PO2604", event_id=uuid4())
    assert (encoded.event_type, encoded.schema_version) == ("DecisionNotified", 2)
    assert msgspec.json.decode(encoded.payload)["channel"] is None
    assert Channel.POST.value == "POST"


def test_an_erasure_before_kek_destruction_destroyed_no_kek() -> None:
    erased = read_v1(
        "TenancyErased",
        {
            "last_position": 40,
            "chain_hash": "cd" * 32,
            "export_sha256": "ab" * 32,
            "rows_deleted": 97,
            "reason": "Overeenkomst beëindigd.",
            "erased_by": "platform-operator:cli",
            "erased_at": AT,
        },
    )
    assert isinstance(erased, Tenancy.Erased)
    assert erased.keks_destroyed == ()
    assert erased.rows_deleted == 97
