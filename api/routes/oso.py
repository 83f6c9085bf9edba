"""``/v1/tenants/{swv_code}/oso/swv-dossier-requests``: a school's OSO request, imported.

The body is an OSO "aanvraag SWV-dossier" in Passend's documented mapping (docs/oso-import.md),
until the Edustandaard message itself can be obtained: the pupil is registered at the school
and the request submitted, as if the school had done both through the API.
"""

from __future__ import annotations

from api import authorisation
from api.command_routes import CommandRoute, command_router
from application import commands as c
from application.handlers import oso as h

PATH = "/v1/tenants/{swv_code:str}/oso"

COMMANDS = [
    CommandRoute(
        method="POST",
        path="/swv-dossier-requests",
        command=c.ImportOsoSwvDossier,
        handler=h.import_oso_swv_dossier,
        guard=authorisation.records_for_pupils,
        operation_id="importOsoSwvDossier",
        summary="Import an OSO 'aanvraag SWV-dossier' as a pupil and a support request",
        description=(
            "Passend's own mapping of the OSO message (docs/oso-import.md), unconfirmed until "
            "the Edustandaard specification is obtained. A school imports for itself; the new "
            "pupil's id is in ``also_changed``."
        ),
        examples={
            "A TLV SO application": {
                "school_code": "17XF00",
                "pupil": {
                    "name": "Sam de Vries",
                    "date_of_birth": "2017-05-12",
                    "municipality_code": "GM0632",
                },
                "request_kind": "TLV_SO",
                "question": "Past een plek in het SO bij wat Sam nodig heeft?",
                "parent_view": "AGREE",
            }
        },
        creates="support-requests/{id}",
    ),
]

OsoCommands = command_router(PATH, "oso", COMMANDS)
