"""Every aggregate class of the domain, for the codec that stores their events."""

from eventsourcing.domain import Aggregate

from domain.absence import AbsenceCase
from domain.arrangement import Arrangement
from domain.objection import Objection
from domain.pupil import Pupil
from domain.service import ServiceCatalogue, ServiceRequest
from domain.support_request import SupportRequest
from domain.swv import Swv
from domain.tenancy import Tenancy
from domain.tlv import Tlv
from domain.transition import Handover, IncomingHandover, Outflow

AGGREGATE_CLASSES: tuple[type[Aggregate], ...] = (
    Swv,
    Pupil,
    SupportRequest,
    Tlv,
    Objection,
    Arrangement,
    AbsenceCase,
    ServiceCatalogue,
    ServiceRequest,
    Handover,
    IncomingHandover,
    Outflow,
    Tenancy,
)
