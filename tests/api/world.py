"""A small world of cases in one tenant, built through the API: what the route tests act on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID, uuid4

from api.auth import Role
from domain.beschikkingsnummer import beschikkingsnummer
from domain.ids import TenantId
from infrastructure.database import Pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from projections.runner import ProjectionRunner
from tests.api.conftest import ARRANGEMENT_TYPE, SCHOOL, Api, open_tenant
from tests.projections.conftest import eventually
from tests.projections.read_models import READ_MODELS, caught_up

FIRST_EXPERT = "expert-1"
SECOND_EXPERT = "expert-2"
SAM = {"name": "Sam de Vries", "date_of_birth": "2017-05-12", "municipality_code": "GM0632"}


def so_application(pupil_id: str) -> dict[str, str]:
    """A TLV application for the SO, received on Monday 3 March 2025, the parents agreeing."""
    return {
        "pupil_id": pupil_id,
        "tlv_type": "SO",
        "question": "Past het SO?",
        "parent_view": "AGREE",
        "received_on": "2025-03-03",
    }


def parents_object(request_id: str, received_on: str, **how: str) -> dict[str, str]:
    """The parents' objection to the decision on ``request_id``: they would rather the SBO."""
    return {
        "support_request_id": request_id,
        "objector": "PARENTS",
        "grounds": "Liever het SBO.",
        "received_on": received_on,
        **how,
    }


def lbt_advises_rejection(received_on: str) -> dict[str, str]:
    return {"recommended_outcome": "REJECTED", "advice": "Ongegrond.", "received_on": received_on}


def rejected_following_the_lbt(decided_on: str) -> dict[str, str]:
    return {"outcome": "REJECTED", "reasons": "Wij volgen de LBT.", "decided_on": decided_on}


def so_granted(reasons: str) -> dict[str, str]:
    """The TLV granted on 20 March 2025 in category LOW, from 1 April for two school years."""
    return {
        "outcome": "GRANTED",
        "reasons": reasons,
        "decided_on": "2025-03-20",
        "funding_category": "LOW",
        "valid_from": "2025-04-01",
        "valid_until": "2027-07-31",
    }


def advice_body(role: str, qualification: str, expert_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "role": role,
        "qualification": qualification,
        "independence_declared": True,
        "written_on": "2025-03-10",
        "advice": "Toelaatbaar tot het SO.",
        "admissible": True,
    }
    if expert_id is not None:
        body["expert_id"] = expert_id
    return body


async def build_world(
    api: Api, tenant: TenantId, *, school: str = SCHOOL, arrangement_type: str = ARRANGEMENT_TYPE
) -> dict[str, str]:
    """Ids of a pupil at ``school`` and of its cases, by name.

    ``request``: a complete TLV application with both experts assigned; ``granted``: a granted
    and notified one, with its ``tlv`` and an ``objection``; ``arrangement_request``: a granted
    arrangement request, with its ``arrangement``; ``position``: the log's position after all.
    """
    base = f"/v1/tenants/{tenant}"
    staff = api.as_(tenant, Role.LOKET, Role.COMMITTEE, subject="staff")
    pupil = (
        await api.ok(
            "POST",
            f"{base}/pupils",
            staff,
            {**SAM, "school_code": school},
        )
    )["id"]

    async def complete_request(**asked: str) -> str:
        request_id: str = (
            await api.ok(
                "POST",
                f"{base}/support-requests",
                staff,
                {
                    "pupil_id": pupil,
                    "school_code": school,
                    "question": "Wat past?",
                    "parent_view": "AGREE",
                    "received_on": "2025-03-03",
                    **asked,
                },
            )
        )["id"]
        await api.ok(
            "POST",
            f"{base}/support-requests/{request_id}/completeness-checks",
            staff,
            {"checked_on": "2025-03-04"},
        )
        return request_id

    request = await complete_request(tlv_type="SO")
    for role, subject in (("FIRST", FIRST_EXPERT), ("SECOND", SECOND_EXPERT)):
        await api.ok(
            "POST",
            f"{base}/support-requests/{request}/expert-assignments",
            staff,
            {"role": role, "expert_subject": subject},
        )

    granted = await complete_request(tlv_type="SO")
    cases = f"{base}/support-requests/{granted}"
    for role, qualification in (("FIRST", "ORTHOPEDAGOOG"), ("SECOND", "ARTS")):
        body = advice_body(role, qualification, str(uuid4()))
        await api.ok("POST", f"{cases}/expert-advices", staff, body)
    decided = await api.ok("POST", f"{cases}/decision", staff, so_granted("Toelaatbaar."))
    await api.ok("POST", f"{cases}/notification", staff, {"notified_on": "2025-03-21"})
    objection = await api.ok(
        "POST",
        f"{base}/objections",
        staff,
        parents_object(granted, "2025-04-01"),
    )

    arrangement_request = await complete_request(arrangement_type=arrangement_type)
    await api.ok(
        "POST",
        f"{base}/support-requests/{arrangement_request}/decision",
        staff,
        {"outcome": "GRANTED", "reasons": "Nodig.", "decided_on": "2025-03-20"},
    )
    arrangement = await api.ok(
        "POST",
        f"{base}/arrangements",
        staff,
        {
            "support_request_id": arrangement_request,
            "provider": "De Brug",
            "amount": 40,
            "start_on": "2025-04-01",
        },
    )
    return {
        "tenant": tenant,
        "pupil": pupil,
        "request": request,
        "granted": granted,
        "tlv": decided["also_changed"][0],
        "beschikkingsnummer": beschikkingsnummer(tenant, UUID(decided["also_changed"][0])),
        "objection": objection["id"],
        "arrangement_request": arrangement_request,
        "arrangement": arrangement["id"],
        "guardian": str(uuid4()),
        "position": str(arrangement["position"]),
    }


@asynccontextmanager
async def projected_world(
    api: Api, app_pool: Pool, codec: EventCodec
) -> AsyncIterator[dict[str, str]]:
    """A world in a new tenant, the read models caught up on it and kept running until the end."""
    runner = ProjectionRunner(
        app_pool, PostgresEventStore(app_pool, codec), READ_MODELS, poll_interval_s=0.05
    )
    await runner.start()
    try:
        world = await build_world(api, await open_tenant(api))
        await eventually(lambda: caught_up(app_pool, TenantId(world["tenant"])), timeout_s=30)
        yield world
    finally:
        await runner.stop()
