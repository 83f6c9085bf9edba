"""An act: who does something, when, on which business day, and under which policy.

Handlers stamp every event with the act of their command (``**act.stamp``) instead of passing
the actor and the time one by one, and take business dates and policies from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypedDict
from uuid import UUID

from application.commands import CommandContext
from application.local_dates import local_date
from application.ports import Clock
from domain.deadlines import check_not_after
from domain.swv import Swv, SwvPolicy


class Stamp(TypedDict):
    """What every domain method records of who acted and when: ``by`` and ``at``."""

    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Act:
    """A command's act: the actor, the moment, the business date there, the correlation."""

    by: str
    at: datetime
    today: date
    correlation_id: UUID | None = None

    @classmethod
    def of(cls, ctx: CommandContext, clock: Clock) -> Act:
        return cls.by_now(ctx.actor, clock, ctx.correlation_id)

    @classmethod
    def by_now(cls, by: str, clock: Clock, correlation_id: UUID | None = None) -> Act:
        """``by`` acting now: for work that runs outside a command, as retention does."""
        at = clock.now()
        return cls(by, at, local_date(at), correlation_id)

    @property
    def stamp(self) -> Stamp:
        return {"by": self.by, "at": self.at}

    def happened(self, day: date | None, field: str) -> date:
        """The business date of something that happened: ``day``, or today if none is given.

        A day after today is refused with the field's name: the domain has no clock.
        """
        return self.today if day is None else check_not_after(day, self.today, field, field=field)

    def dated(self, day: date | None) -> date:
        """``day``, or today if none is given (a day that may lie ahead, as an enrolment)."""
        return self.today if day is None else day

    def policy(self, swv: Swv, day: date | None = None) -> SwvPolicy:
        """The tenant's policy in force on ``day`` (today if none): decisions quote it."""
        return swv.policy_on(self.dated(day))
