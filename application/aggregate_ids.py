"""Ids of aggregates and events, derived from the command that makes them.

Derived ids make a retried command find its own events and return the original outcome.
"""

from uuid import UUID, uuid5

from application.commands import CommandContext
from domain.ids import TenantId

# One namespace per kind of aggregate, so ids derived from one command never collide.
PUPIL_IDS = UUID("0b8c3f5e-8f7a-4d4e-9a55-3c1f2e6d7a01")
SUPPORT_REQUEST_IDS = UUID("0b8c3f5e-8f7a-4d4e-9a55-3c1f2e6d7a02")
TLV_IDS = UUID("0b8c3f5e-8f7a-4d4e-9a55-3c1f2e6d7a03")
OBJECTION_IDS = UUID("0b8c3f5e-8f7a-4d4e-9a55-3c1f2e6d7a04")
ARRANGEMENT_IDS = UUID("0b8c3f5e-8f7a-4d4e-9a55-3c1f2e6d7a05")
EXPERT_IDS = UUID("0b8c3f5e-8f7a-4d4e-9a55-3c1f2e6d7a06")
SUBSCRIPTION_IDS = UUID("0b8c3f5e-8f7a-4d4e-9a55-3c1f2e6d7a08")
ABSENCE_CASE_IDS = UUID("0b8c3f5e-8f7a-4d4e-9a55-3c1f2e6d7a18")
SERVICE_REQUEST_IDS = UUID("0b8c3f5e-8f7a-4d4e-9a55-3c1f2e6d7a19")
HANDOVER_IDS = UUID("0b8c3f5e-8f7a-4d4e-9a55-3c1f2e6d7a1a")
OUTFLOW_IDS = UUID("0b8c3f5e-8f7a-4d4e-9a55-3c1f2e6d7a1b")


def new_aggregate_id(namespace: UUID, ctx: CommandContext) -> UUID:
    """The id of the aggregate a command creates; the same on every retry of that command."""
    return uuid5(namespace, f"{ctx.tenant_id}/{ctx.command_id}")


def expert_id_for(tenant_id: TenantId, subject: str) -> UUID:
    """The pseudonymous id of the expert who signs in as ``subject``; stable per tenant."""
    return uuid5(EXPERT_IDS, f"{tenant_id}/{subject.strip()}")


def event_id(ctx: CommandContext, stream_id: UUID, index: int) -> UUID:
    """The id of the ``index``-th event a command appends to a stream."""
    return uuid5(ctx.command_id, f"{stream_id}/{index}")
