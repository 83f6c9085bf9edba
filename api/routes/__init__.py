"""HTTP routes, one module per resource; ``ROUTES`` lists every controller and handler.

Each resource's commands are a table (``COMMANDS``) of ``api.command_routes.CommandRoute`` rows.
"""

from litestar.types import ControllerRouterHandler

from api.command_routes import CommandRoute
from api.routes import (
    absence,
    arrangements,
    configuration,
    handovers,
    objections,
    oso,
    partners,
    privacy,
    pupils,
    services,
    support_requests,
    tlvs,
)
from api.routes.absence import AbsenceCaseCommands, AbsenceCaseController, AbsenceSettingsCommands
from api.routes.arrangements import ArrangementCommands, ArrangementController
from api.routes.audit import TransparencyLogController
from api.routes.configuration import ConfigurationCommands
from api.routes.duo import tlv_registrations
from api.routes.figures_pages import FiguresPageController
from api.routes.finding import FindingController
from api.routes.handovers import (
    HandoverCommands,
    IncomingHandoverCommands,
    IncomingHandoverController,
    OutflowCommands,
    OutflowController,
)
from api.routes.me import me
from api.routes.objections import ObjectionCommands, ObjectionController
from api.routes.offboarding import OffboardingController
from api.routes.oso import OsoCommands
from api.routes.partners import PARTNER_ROUTES
from api.routes.platform import PlatformController, platform_log
from api.routes.privacy import DisclosureCommands, DisclosureController, PrivacyController
from api.routes.pupils import PupilCommands, PupilController
from api.routes.read_models import ReadModelController
from api.routes.services import ServiceCommands, ServiceRequestCommands, ServiceRequestController
from api.routes.support_requests import SupportRequestCommands, SupportRequestController
from api.routes.terms import DecisionLetterController
from api.routes.timeline import pupil_timeline
from api.routes.tlvs import TlvCommands, TlvController

# Every command table, with the path of its resource.
COMMAND_TABLES: list[tuple[str, list[CommandRoute]]] = [
    (module.PATH, module.COMMANDS)
    for module in (configuration, pupils, support_requests, tlvs, objections, arrangements)
] + [
    (privacy.DISCLOSURES_PATH, privacy.COMMANDS),
    (partners.PATH, partners.COMMANDS),
    (partners.CONSENTS_PATH, partners.CONSENT_COMMANDS),
    (absence.PATH, absence.COMMANDS),
    (absence.SETTINGS_PATH, absence.SETTINGS_COMMANDS),
    (services.PATH, services.COMMANDS),
    (services.REQUESTS_PATH, services.REQUEST_COMMANDS),
    (handovers.PATH, handovers.COMMANDS),
    (handovers.INCOMING_PATH, handovers.INCOMING_COMMANDS),
    (handovers.OUTFLOW_PATH, handovers.OUTFLOW_COMMANDS),
    (oso.PATH, oso.COMMANDS),
]

ROUTES: list[ControllerRouterHandler] = [
    me,
    PlatformController,
    OffboardingController,
    platform_log,
    ConfigurationCommands,
    PupilController,
    PupilCommands,
    SupportRequestController,
    SupportRequestCommands,
    TlvController,
    TlvCommands,
    ObjectionController,
    ObjectionCommands,
    ArrangementController,
    ArrangementCommands,
    ReadModelController,
    PrivacyController,
    DisclosureController,
    DisclosureCommands,
    FindingController,
    *PARTNER_ROUTES,
    TransparencyLogController,
    pupil_timeline,
    DecisionLetterController,
    AbsenceCaseController,
    AbsenceCaseCommands,
    AbsenceSettingsCommands,
    ServiceCommands,
    ServiceRequestCommands,
    ServiceRequestController,
    HandoverCommands,
    IncomingHandoverController,
    IncomingHandoverCommands,
    OutflowController,
    OutflowCommands,
    OsoCommands,
    tlv_registrations,
    FiguresPageController,
]
