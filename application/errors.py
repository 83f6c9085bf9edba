"""Errors the application layer raises; the API maps each to one HTTP status."""

from uuid import UUID


class ApplicationError(Exception):
    """Base of the errors raised by use cases and by the ports' adapters."""


class NotFoundError(ApplicationError):
    """The tenant has no such stream, aggregate or read model row."""


class UnknownTenantError(NotFoundError):
    """No tenant is registered under this code."""

    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"No tenant is registered under the code {tenant_id!r}.")
        self.tenant_id = tenant_id


class ConcurrencyConflictError(ApplicationError):
    """The stream moved on since it was read: reload it and decide again."""

    def __init__(self, stream_id: UUID, *, expected: int, actual: int) -> None:
        super().__init__(
            f"Stream {stream_id} is at version {actual}, not at the expected "
            f"version {expected}: reload it and try again."
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class EventIdReusedError(ApplicationError):
    """An event id was appended before with different content; ids must be unique."""

    def __init__(self, event_id: UUID) -> None:
        super().__init__(
            f"Event id {event_id} was already used for a different event; "
            "a retry must send exactly the same events."
        )
        self.event_id = event_id


class InvalidAppendError(ApplicationError):
    """An append was malformed (empty, mixed streams, wrong versions, too large)."""


class DataShreddedError(ApplicationError):
    """The personal data asked for was erased by shredding its subject's key."""


class AggregateNotFoundError(NotFoundError):
    """The tenant has no aggregate of the expected kind under this id."""

    def __init__(self, kind: str, aggregate_id: UUID) -> None:
        super().__init__(
            f"No {kind} {aggregate_id} exists in this tenant: check the id, and that it was "
            "registered in this SWV."
        )
        self.kind = kind
        self.aggregate_id = aggregate_id


class TlvNotRedeemableHereError(NotFoundError):
    """No TLV that this school could redeem has this number; which of both, it is not told."""

    def __init__(self) -> None:
        super().__init__(
            "No TLV of this SWV with this beschikkingsnummer can be redeemed at this school: "
            "check the number on the beschikking."
        )


class SwvNotConfiguredError(NotFoundError):
    """The tenant's configuration (schools, catalogue, policy) has not been recorded yet."""

    def __init__(self, tenant_id: str) -> None:
        super().__init__(
            f"SWV {tenant_id} has no configuration yet: configure it (ConfigureSwv) first."
        )
        self.tenant_id = tenant_id


class TenantSuspendedError(ApplicationError):
    """The platform operator suspended the tenant: nothing changes until it is reinstated."""

    def __init__(self, tenant_id: str) -> None:
        super().__init__(
            f"SWV {tenant_id} is suspended by the platform operator: its data can be read, "
            "but nothing can be changed until it is reinstated."
        )
        self.tenant_id = tenant_id


class AccessDeniedError(ApplicationError):
    """The caller's roles do not allow this command at all (what they may not know is 404)."""


class UnconfiguredReferenceError(ApplicationError):
    """A command names a municipality, school or catalogue entry the tenant has not configured."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class IdempotencyKeyReusedError(ApplicationError):
    """An idempotency key was sent again with another request than the first time."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"Idempotency-Key {key} was used for another request: a retry sends the same "
            "request again; a new request needs a new key."
        )
        self.key = key
