"""Import of an OSO "aanvraag SWV-dossier": a school's request from its administration system.

Mapped onto Passend's own commands as docs/oso-import.md documents (the format is Passend's
until the Edustandaard message can be obtained): the pupil is registered, enrolled at the
requesting school, and the request submitted for them. Both derive their ids from the import's
command id, so a retried import completes what is missing and repeats nothing.
"""

import dataclasses

from application.commands import (
    CommandContext,
    CommandOutcome,
    ImportOsoSwvDossier,
    OsoRequestKind,
    RegisterPupil,
    SubmitSupportRequest,
)
from application.handlers.pupils import register_pupil
from application.handlers.support_requests import submit_support_request
from application.ports import Clock, EventStore
from domain.errors import InvalidValueError
from domain.tlv import TlvType

_TLV_TYPES = {
    OsoRequestKind.TLV_SBO: TlvType.SBO,
    OsoRequestKind.TLV_SO: TlvType.SO,
    OsoRequestKind.TLV_VSO: TlvType.VSO,
}


async def import_oso_swv_dossier(
    cmd: ImportOsoSwvDossier, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Register the dossier's pupil and submit its request; the pupil's id in ``also_changed``."""
    asks_arrangement = cmd.request_kind is OsoRequestKind.ARRANGEMENT
    if asks_arrangement != (cmd.arrangement_type is not None):
        raise InvalidValueError(
            "An arrangement request names its arrangement_type; a TLV request names none.",
            fields=("arrangement_type",),
        )
    registered = await register_pupil(
        RegisterPupil(
            name=cmd.pupil.name,
            date_of_birth=cmd.pupil.date_of_birth,
            municipality_code=cmd.pupil.municipality_code,
            school_code=cmd.school_code,
            lives_outside_region=cmd.pupil.lives_outside_region,
        ),
        ctx,
        store=store,
        clock=clock,
    )
    submitted = await submit_support_request(
        SubmitSupportRequest(
            pupil_id=registered.aggregate_id,
            school_code=cmd.school_code,
            arrangement_type=cmd.arrangement_type,
            tlv_type=_TLV_TYPES.get(cmd.request_kind),
            question=cmd.question,
            parent_view=cmd.parent_view,
            received_on=cmd.received_on,
        ),
        ctx,
        store=store,
        clock=clock,
    )
    return dataclasses.replace(submitted, also_changed=(registered.aggregate_id,))
