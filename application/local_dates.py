"""The business date: the calendar day in the Netherlands, where the legal terms are counted."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

_LOCAL_TIME = ZoneInfo("Europe/Amsterdam")


def local_date(moment: datetime) -> date:
    """The calendar day in the Netherlands, where the legal terms are counted."""
    return moment.astimezone(_LOCAL_TIME).date()
