"""Handler for disclosing a case to a municipality, and what the municipality then sees."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from application.aggregate_ids import new_aggregate_id
from application.commands import CommandContext, CommandOutcome, RecordDisclosure
from application.errors import AggregateNotFoundError
from application.handling import LoadedStream, create, load
from application.local_dates import local_date
from application.ports import Clock, EventStore
from domain.disclosure import DisclosedField, Disclosure
from domain.errors import InvalidValueError
from domain.ids import TenantId
from domain.pupil import Pupil
from domain.support_request import SupportRequest

DISCLOSURE_IDS = UUID("0b8c3f5e-8f7a-4d4e-9a55-3c1f2e6d7a07")


async def record_disclosure(
    cmd: RecordDisclosure, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Record that a case's named fields go to the pupil's municipality, and on what basis."""
    now = clock.now()
    request = (await load(store, ctx.tenant_id, cmd.request_id)).require(SupportRequest)
    pupil = (await load(store, ctx.tenant_id, request.pupil_id)).require(Pupil)
    if pupil.municipality_code != cmd.municipality_code:
        raise InvalidValueError(
            f"The pupil lives in {pupil.municipality_code}, not in {cmd.municipality_code}: "
            "a case is disclosed to the pupil's own municipality only.",
            fields=("municipality_code",),
        )
    disclosure_id = new_aggregate_id(DISCLOSURE_IDS, ctx)
    return await create(
        store,
        ctx,
        disclosure_id,
        lambda: Disclosure.record(
            disclosure_id=disclosure_id,
            pupil_id=request.pupil_id,
            case_id=cmd.request_id,
            municipality_code=cmd.municipality_code,
            legal_basis=cmd.legal_basis,
            fields=cmd.fields,
            disclosed_on=cmd.disclosed_on or local_date(now),
            by=ctx.actor,
            at=now,
        ),
    )


@dataclass(frozen=True, slots=True)
class DisclosedCase:
    """One disclosed case as the municipality sees it: exactly the disclosed fields."""

    case_id: UUID
    pupil_id: UUID
    legal_basis: str
    disclosed_on: date
    data: dict[str, Any]


def _case_values(pupil: Pupil, case: LoadedStream) -> dict[DisclosedField, object]:
    request = case.require(SupportRequest)
    values: dict[DisclosedField, object] = {
        DisclosedField.NAME: pupil.name,
        DisclosedField.DATE_OF_BIRTH: pupil.date_of_birth,
        DisclosedField.SCHOOL: request.school_code,
        DisclosedField.REQUEST_TYPE: request.tlv_type or request.arrangement_type,
        DisclosedField.QUESTION: None,
        DisclosedField.DECISION: request.outcome,
        DisclosedField.DECISION_REASONS: None,
    }
    for recorded in case.events:
        event = recorded.event
        if isinstance(event, SupportRequest.Submitted):
            values[DisclosedField.QUESTION] = event.question
        if isinstance(event, (SupportRequest.Granted, SupportRequest.Refused)):
            values[DisclosedField.DECISION_REASONS] = event.reasons
    return values


async def disclosed_cases(
    store: EventStore, tenant_id: TenantId, municipality_code: str
) -> list[DisclosedCase]:
    """The cases disclosed to a municipality, each with only the fields disclosed."""
    found: list[Disclosure.Recorded] = []
    async with contextlib.aclosing(store.read_log_pages(tenant_id)) as pages:
        async for page in pages:
            found.extend(
                r.event
                for r in page
                if isinstance(r.event, Disclosure.Recorded)
                and r.event.municipality_code == municipality_code
            )
    cases = []
    for disclosure in found:
        try:
            pupil = (await load(store, tenant_id, disclosure.pupil_id)).require(Pupil)
            values = _case_values(pupil, await load(store, tenant_id, disclosure.case_id))
        except AggregateNotFoundError:
            continue
        cases.append(
            DisclosedCase(
                case_id=disclosure.case_id,
                pupil_id=disclosure.pupil_id,
                legal_basis=disclosure.legal_basis.value,
                disclosed_on=disclosure.disclosed_on,
                data={f.value: values[f] for f in disclosure.fields},
            )
        )
    return cases
