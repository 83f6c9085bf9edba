"""A school withdraws its request before the committee decided it; nothing follows after."""

from datetime import date

import pytest

from domain.errors import InvalidValueError, RequestAlreadyDecidedError, RequestWithdrawnError
from domain.support_request import SupportRequest
from tests.unit.domain.conftest import AMBULANT, AT, LOKET, POLICY, complete, submitted

SCHOOL = "school:ib-1"


def test_a_withdrawn_request_records_why_and_when() -> None:
    request = complete()
    request.withdraw(reason="Verhuist.", withdrawn_on=date(2025, 3, 10), by=SCHOOL, at=AT)
    [event] = request.collect_events()
    assert isinstance(event, SupportRequest.Withdrawn)
    assert (event.reason, event.withdrawn_on, event.withdrawn_by) == (
        "Verhuist.",
        date(2025, 3, 10),
        SCHOOL,
    )
    assert request.withdrawn_on == date(2025, 3, 10)


def test_nothing_is_decided_or_withdrawn_again_after_a_withdrawal() -> None:
    request = complete()
    request.withdraw(reason="Verhuist.", withdrawn_on=date(2025, 3, 10), by=SCHOOL, at=AT)
    with pytest.raises(RequestWithdrawnError):
        request.refuse(reasons="Nee.", decided_on=date(2025, 3, 11), policy=POLICY, by=LOKET, at=AT)
    with pytest.raises(RequestWithdrawnError):
        request.withdraw(reason="Nog eens.", withdrawn_on=date(2025, 3, 11), by=SCHOOL, at=AT)


def test_a_decided_request_cannot_be_withdrawn() -> None:
    request = complete(AMBULANT)
    request.refuse(reasons="Nee.", decided_on=date(2025, 3, 11), policy=POLICY, by=LOKET, at=AT)
    with pytest.raises(RequestAlreadyDecidedError):
        request.withdraw(reason="Te laat.", withdrawn_on=date(2025, 3, 12), by=SCHOOL, at=AT)


def test_a_withdrawal_before_receipt_or_without_reason_names_the_field() -> None:
    request = submitted()
    with pytest.raises(InvalidValueError) as early:
        request.withdraw(reason="Verhuist.", withdrawn_on=date(2025, 3, 2), by=SCHOOL, at=AT)
    with pytest.raises(InvalidValueError) as blank:
        request.withdraw(reason="  ", withdrawn_on=date(2025, 3, 4), by=SCHOOL, at=AT)
    assert (early.value.fields, blank.value.fields) == (("withdrawn_on",), ("reason",))
