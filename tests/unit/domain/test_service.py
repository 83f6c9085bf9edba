"""Services and municipal provisions: a catalogue per tenant, requests by schools, granted hours."""

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from domain.errors import DuplicateConfigurationError, InvalidValueError, PeriodError
from domain.ids import TenantId
from domain.service import (
    MunicipalShare,
    Service,
    ServiceCatalogue,
    ServiceKind,
    ServiceNotGrantedError,
    ServiceRequest,
    ServiceRequestDecidedError,
    UnknownServiceError,
)

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LOKET = "user:loket-1"
OBSERVATION = Service(
    "observatie", "Observatie in de klas", ServiceKind.DIENSTVERLENING, for_pupils=True
)
TRAINING = Service(
    "teamtraining", "Teamtraining gedrag", ServiceKind.DIENSTVERLENING, for_pupils=False
)
PLUSKLAS = Service("plusklas", "Plusklas", ServiceKind.VOORZIENING, for_pupils=True)


def catalogue() -> ServiceCatalogue:
    offer = ServiceCatalogue.open(tenant_id=TenantId("PO2604"), by=LOKET, at=AT)
    for service in (OBSERVATION, TRAINING, PLUSKLAS):
        offer.offer(service, by=LOKET, at=AT)
    return offer


def requested(service: Service = PLUSKLAS) -> ServiceRequest:
    return ServiceRequest.request(
        request_id=uuid4(),
        service=service,
        school_code="12AB00",
        pupil_id=uuid4() if service.for_pupils else None,
        question="Past de plusklas bij deze leerling?",
        requested_on=date(2026, 3, 2),
        by="user:ib-1",
        at=AT,
    )


def grant(request: ServiceRequest, *shares: MunicipalShare, hours: int = 40) -> None:
    request.grant(
        hours=hours,
        provider="Passenderwijs",
        start_on=date(2026, 3, 16),
        end_on=date(2026, 7, 17),
        municipal_shares=shares,
        decided_on=date(2026, 3, 9),
        policy_version="OP-2024.1",
        by=LOKET,
        at=AT,
    )


def test_a_tenant_offers_services_and_provisions_from_its_own_catalogue() -> None:
    offer = catalogue()

    assert offer.service("plusklas").kind is ServiceKind.VOORZIENING
    with pytest.raises(DuplicateConfigurationError):
        offer.offer(PLUSKLAS, by=LOKET, at=AT)
    offer.withdraw("plusklas", by=LOKET, at=AT)
    with pytest.raises(UnknownServiceError, match="observatie"):
        offer.service("plusklas")


def test_a_service_about_a_pupil_names_one_and_a_school_training_names_none() -> None:
    with pytest.raises(InvalidValueError, match="name the pupil"):
        ServiceRequest.request(
            request_id=uuid4(),
            service=OBSERVATION,
            school_code="12AB00",
            pupil_id=None,
            question="q",
            requested_on=date(2026, 3, 2),
            by=LOKET,
            at=AT,
        )
    assert requested(TRAINING).pupil_id is None


def test_municipalities_share_in_provisions_up_to_the_whole_cost() -> None:
    request = requested(PLUSKLAS)
    with pytest.raises(InvalidValueError, match="more than 100%"):
        grant(request, MunicipalShare("GM0632", 60), MunicipalShare("GM1904", 50))
    grant(request, MunicipalShare("GM0632", 60))

    assert request.granted_hours == 40
    assert request.municipal_shares == (MunicipalShare("GM0632", 60),)


def test_municipalities_do_not_share_in_the_swvs_own_dienstverlening() -> None:
    with pytest.raises(InvalidValueError, match="provisions only"):
        grant(requested(OBSERVATION), MunicipalShare("GM0632", 50))


def test_a_decided_request_is_not_decided_again_and_delivery_stays_within_the_grant() -> None:
    request = requested(TRAINING)
    with pytest.raises(ServiceNotGrantedError):
        request.record_delivery(hours=2, delivered_on=date(2026, 3, 20), by=LOKET, at=AT)
    grant(request, hours=10)
    request.record_delivery(hours=8, delivered_on=date(2026, 3, 20), by=LOKET, at=AT)

    with pytest.raises(InvalidValueError, match="exceed"):
        request.record_delivery(hours=3, delivered_on=date(2026, 3, 27), by=LOKET, at=AT)
    with pytest.raises(ServiceRequestDecidedError):
        request.withdraw(withdrawn_on=date(2026, 3, 27), by=LOKET, at=AT)


def test_a_grant_needs_a_plausible_period_and_hours() -> None:
    with pytest.raises(InvalidValueError, match="hours"):
        grant(requested(), hours=0)
    request = requested()
    with pytest.raises(PeriodError):
        request.grant(
            hours=4,
            provider="p",
            start_on=date(2026, 3, 16),
            end_on=date(2026, 3, 1),
            municipal_shares=(),
            decided_on=date(2026, 3, 9),
            policy_version="v",
            by=LOKET,
            at=AT,
        )


def test_a_service_request_and_the_catalogue_rebuild_from_their_events() -> None:
    request = requested(PLUSKLAS)
    grant(request, MunicipalShare("GM0632", 60))
    request.record_delivery(hours=8, delivered_on=date(2026, 3, 20), by=LOKET, at=AT)
    refused = requested(TRAINING)
    refused.refuse(reasons="r", decided_on=date(2026, 3, 9), policy_version="v", by=LOKET, at=AT)
    offer = catalogue()
    for aggregate in (request, refused, offer):
        rebuilt = None
        for event in aggregate.collect_events():
            rebuilt = event.mutate(rebuilt)
        assert rebuilt == aggregate
