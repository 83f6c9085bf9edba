"""Upcasters: stored payloads of an older event version read as the next version.

Events are never rewritten; an older payload gains the fields its version lacked, with the
value that keeps its recorded meaning (domain.md §1.12 came later than some events did).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

Payload = dict[str, Any]


def _with(**defaults: object) -> Callable[[Payload], Payload]:
    """An upcaster that adds fields the older version lacked, keeping every recorded one."""

    def upcast(payload: Payload) -> Payload:
        return {**defaults, **payload}

    return upcast


def _objection_lodged_v1(payload: Payload) -> Payload:
    """Before 6:9 was recorded: received by hand or mail, timely or late by its receipt alone.

    A late objection with an excuse was then accepted without a ruling; it keeps going.
    """
    return {
        **payload,
        "channel": None,
        "posted_on": None,
        "timeliness": "IN_TIME" if payload["in_time"] else "LATE",
        "advisory_committee": False,
    }


UPCASTERS: Mapping[tuple[str, int], Callable[[Payload], Payload]] = MappingProxyType(
    {
        # The completion day counted as paused in the days recorded before the setting existed.
        ("SwvConfigured", 1): _with(pause_count="COMPLETION_DAY_RUNS"),
        ("PolicyAdopted", 1): _with(pause_count="COMPLETION_DAY_RUNS"),
        # A suspension set no completion term: the term stood still until resumption.
        ("ApplicationSuspended", 1): _with(complete_by=None),
        # Resumption recorded the days from suspension to resumption: the completion day paused.
        ("ApplicationResumed", 1): _with(pause_count="COMPLETION_DAY_PAUSED"),
        ("DecisionNotified", 1): _with(channel=None),
        ("ExpertAdviceRecorded", 1): _with(
            admissible=None, advised_tlv_type=None, advised_category=None, works_at_school=None
        ),
        ("ObjectionLodged", 1): _objection_lodged_v1,
        # Erasures before KEKs were destroyed with the rows left them in the key provider.
        ("TenancyErased", 1): _with(keks_destroyed=[]),
        # v3 lets both counts be unknown (None); every v2 erasure recorded them.
        ("TenancyErased", 2): _with(),
    }
)
