"""HTTP routes, one module per resource; ``ROUTES`` lists every controller and handler."""

from litestar.types import ControllerRouterHandler

from api.routes.arrangements import ArrangementController
from api.routes.configuration import ConfigurationController
from api.routes.me import me
from api.routes.objections import ObjectionController
from api.routes.platform import PlatformController, platform_log
from api.routes.pupils import PupilController
from api.routes.read_models import ReadModelController
from api.routes.support_requests import SupportRequestController
from api.routes.terms import DecisionTermController, ObjectionTermController
from api.routes.tlvs import TlvController

ROUTES: list[ControllerRouterHandler] = [
    me,
    PlatformController,
    platform_log,
    ConfigurationController,
    PupilController,
    SupportRequestController,
    TlvController,
    ObjectionController,
    ArrangementController,
    ReadModelController,
    DecisionTermController,
    ObjectionTermController,
]
