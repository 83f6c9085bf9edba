"""Rule violations of the domain. Each error names the rule and says what to do instead."""


class DomainError(Exception):
    """Base of every rule violation; the command was refused and nothing was recorded.

    ``fields`` names the command fields the refusal is about (the API points at each in the
    problem's ``errors``): every rule about the command's input names at least one.
    """

    def __init__(self, message: str, *, fields: tuple[str, ...]) -> None:
        super().__init__(message)
        self.fields = fields


class StateConflictError(DomainError):
    """Refused because of what already happened to the object, not because of the command.

    It is about the object's state, not about a field of the command, so it names none.
    """

    def __init__(self, message: str, *, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message, fields=fields)


class InvalidValueError(DomainError):
    """A value has the wrong form (a code, a date range, an amount, an empty text)."""


class PeriodError(InvalidValueError):
    """A period ends before it starts, or a change would move its end backwards."""


class SwvConfigurationError(DomainError):
    """The tenant configuration does not allow this (unknown school, type, municipality)."""


class UnknownSchoolError(SwvConfigurationError):
    """The school is not registered in the SWV's configuration."""


class UnknownMunicipalityError(SwvConfigurationError):
    """The municipality is not registered in the SWV's configuration."""


class UnknownArrangementTypeError(SwvConfigurationError):
    """The arrangement type is not in the SWV's catalogue (or was withdrawn from it)."""


class DuplicateConfigurationError(SwvConfigurationError, StateConflictError):
    """A school, municipality or catalogue entry with this code is already registered."""


class PupilHasLeftError(StateConflictError):
    """The pupil left the SWV; nothing more can be recorded for them here."""


class EnrolmentError(DomainError):
    """The pupil's enrolment does not allow this (not enrolled, or already at that school)."""


class GuardianError(DomainError):
    """The guardian reference is unknown or already recorded."""


class ZorgplichtError(DomainError):
    """The zorgplicht term cannot be extended (no registration pending, or extended before)."""


class RequestAlreadyDecidedError(StateConflictError):
    """The request was decided; a decision cannot be taken or changed twice."""


class RequestWithdrawnError(StateConflictError):
    """The school withdrew the request; nothing more is decided or recorded on it."""


class RequestNotDecidedError(DomainError):
    """The request has no decision yet, so it cannot be notified, objected to or acted on."""


class ApplicationIncompleteError(DomainError):
    """The application has not been found complete; the decision term has not started."""


class ApplicationSuspendedError(DomainError):
    """The application is suspended; resume it first."""


class ApplicationNotSuspendedError(DomainError):
    """The application is not suspended, so it cannot be resumed."""


class NotATlvApplicationError(DomainError):
    """Expert advice and TLV terms belong to TLV applications only."""


class ExpertAdviceError(DomainError):
    """The expert advice does not meet the two-expert rule (WPO 18a lid 11, LBT 2019)."""


class ExpertAdviceMissingError(ExpertAdviceError):
    """A TLV decision needs the written advice of both a first and a second expert."""


class FundingCategoryError(DomainError):
    """SO and VSO TLVs need a funding category; SBO TLVs must not have one."""


class AlreadyNotifiedError(StateConflictError):
    """The decision was notified before; record a notification once."""


class TlvNotValidError(StateConflictError):
    """The TLV is lapsed, revoked or redeemed, so this is no longer possible."""


class TlvLapseNotDueError(DomainError):
    """The TLV cannot lapse: it was redeemed, policy keeps it, or the term has not ended."""


class ObjectionClosedError(StateConflictError):
    """The objection was decided or declared inadmissible; it cannot change any more."""


class ObjectionDecisionError(DomainError):
    """The outcome of an objection does not fit its consequence for the TLV."""


class LbtAdviceError(DomainError):
    """The LBT advice step is out of order (not requested, or requested twice)."""


class ArrangementClosedError(StateConflictError):
    """The arrangement has ended; it cannot be extended, ended or changed again."""


class ApplicationAlreadyCompleteError(StateConflictError):
    """The application was found complete before; the decision term already runs."""


def require_text(value: str, what: str, *, field: str) -> str:
    """``value`` without surrounding blanks; raises InvalidValueError when nothing is left."""
    text = value.strip()
    if not text:
        raise InvalidValueError(
            f"{what} is empty: write it out, it is part of the record.", fields=(field,)
        )
    return text


class SubscriptionStateError(StateConflictError):
    """The subscription's state does not allow this (deleted, already paused, not a webhook)."""


class ObjectionLatenessError(DomainError):
    """A late objection's explanation or ruling (Awb 6:11) is missing or out of turn."""
