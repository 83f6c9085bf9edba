"""The business date: the calendar day in the Netherlands, where the legal terms are counted."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.deadlines import check_not_after

_LOCAL_TIME = ZoneInfo("Europe/Amsterdam")


def local_date(moment: datetime) -> date:
    """The calendar day in the Netherlands, where the legal terms are counted."""
    return moment.astimezone(_LOCAL_TIME).date()


def happened_on(day: date | None, now: datetime, field: str) -> date:
    """The business date of something that happened: ``day``, or today if none is given.

    Handlers on ``application.acts.Act`` use ``act.happened`` instead; this stays for the
    handlers not moved to it yet.
    """
    today = local_date(now)
    return today if day is None else check_not_after(day, today, field, field=field)
