"""Who is asking, and the named rules of access that handlers apply to what they change.

A ``Caller`` is the authenticated person as one tenant sees them: their roles there, and the
school or municipality a role is bound to. The platform operator is no caller of any tenant:
it acts only on the platform log (application/handlers/platform.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from application.errors import AccessDeniedError


class Role(StrEnum):
    """A role in one tenant, granted per tenant by the token."""

    SCHOOL = "school"
    LOKET = "loket"
    COMMITTEE = "committee"
    EXPERT = "expert"
    MUNICIPALITY = "municipality"
    AUDITOR = "auditor"
    PARTNER = "partner"
    SWV_ADMIN = "swv-admin"
    PRIVACY_OFFICER = "privacy-officer"
    WITNESS = "witness"
    """Reads checkpoints, keys and consistency proofs only; one witness may hold it in many."""


PLATFORM_OPERATOR = "platform-operator"
SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Caller:
    """The caller of a command: subject, roles in the tenant and what the roles are bound to."""

    subject: str
    roles: frozenset[Role] = frozenset()
    school: str | None = None
    municipality: str | None = None
    platform_operator: bool = False
    system: bool = False
    """A part of Passend acting on its own (the handover relay), not a person: no roles."""

    @property
    def actor(self) -> str:
        """How events name this caller: role(s) and subject, no personal data.

        A system caller is ``system:<name>``, as retention (``system:retention``) names itself.
        """
        if self.system:
            return f"{SYSTEM}:{self.subject}"
        roles: list[str] = sorted(self.roles)
        if not roles and self.platform_operator:
            roles = [PLATFORM_OPERATOR]
        return f"{'+'.join(roles) or 'anonymous'}:{self.subject}"

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @classmethod
    def operator(cls, subject: str) -> Caller:
        return cls(subject, platform_operator=True)

    @classmethod
    def system_principal(cls, name: str, *, platform: bool = False) -> Caller:
        """Passend itself, as the part named ``name``: ``system:<name>`` in every event.

        ``platform``: the part acts on the platform log, where the operator's rules apply.
        """
        return cls(name, platform_operator=platform, system=True)


@dataclass(frozen=True, slots=True)
class Concerns:
    """Whom an aggregate concerns: the schools of its pupil or case, the experts assigned to it."""

    schools: frozenset[str] = frozenset()
    experts: frozenset[str] = frozenset()
    partners: frozenset[str] = frozenset()


class Relation(StrEnum):
    """How a caller bound to one school or one case relates to what a command changes."""

    SCHOOL_OF_THE_CASE = "the school of the pupil or case"
    ASSIGNED_EXPERT = "an expert assigned to the case"
    PARTNER_OF_THE_SUBSCRIPTION = "the partner a subscription is for"

    def holds(self, caller: Caller, concerns: Concerns) -> bool:
        if self is Relation.SCHOOL_OF_THE_CASE:
            return caller.has(Role.SCHOOL) and caller.school in concerns.schools
        if self is Relation.PARTNER_OF_THE_SUBSCRIPTION:
            return caller.has(Role.PARTNER) and caller.subject in concerns.partners
        return caller.has(Role.EXPERT) and caller.subject in concerns.experts


@dataclass(frozen=True, slots=True)
class AccessRule:
    """A named rule a handler applies to the aggregate it changes, on the version it changes.

    ``roles`` may give the command at all (else 403). Of those, ``unbound`` roles act on
    anything of the tenant; the others only where ``relation`` holds, and elsewhere the
    aggregate does not exist for them (404, as if it were not there).
    """

    name: str
    summary: str
    roles: frozenset[Role]
    unbound: frozenset[Role]
    relation: Relation | None = None
    platform: bool = False

    def check_role(self, caller: Caller) -> None:
        if self.platform != caller.platform_operator:
            raise AccessDeniedError(
                "This needs a platform operator." if self.platform else "This needs a role here."
            )
        if not self.platform and not caller.has(*self.roles):
            raise AccessDeniedError(
                f"This needs one of the roles: {', '.join(sorted(self.roles))}."
            )

    def binds(self, caller: Caller) -> bool:
        """Whether the caller's right to act depends on their relation to the aggregate."""
        return not self.platform and not caller.has(*self.unbound)

    def allows(self, caller: Caller, concerns: Concerns) -> bool:
        return self.relation is not None and self.relation.holds(caller, concerns)


_STAFF = frozenset({Role.LOKET, Role.COMMITTEE})

CONFIGURES_TENANT = AccessRule(
    "configures-tenant",
    "The tenant's swv-admin configures it: municipalities, schools, catalogue, policy.",
    frozenset({Role.SWV_ADMIN}),
    frozenset({Role.SWV_ADMIN}),
)
PROCESSES_CASES = AccessRule(
    "processes-cases",
    "The loket and the committee process any case of the tenant.",
    _STAFF,
    _STAFF,
)
DECIDES = AccessRule(
    "decides",
    "The committee decides: requests, objections, extensions, arrangements.",
    frozenset({Role.COMMITTEE}),
    frozenset({Role.COMMITTEE}),
)
SCHOOL_OF_THE_CASE = AccessRule(
    "school-of-the-case",
    "The loket and committee act on any pupil or case; a school on its own only.",
    _STAFF | {Role.SCHOOL},
    _STAFF,
    Relation.SCHOOL_OF_THE_CASE,
)
ASSIGNED_EXPERT = AccessRule(
    "assigned-expert",
    "The loket and committee record any advice; an expert only on a case assigned to them.",
    _STAFF | {Role.EXPERT},
    _STAFF,
    Relation.ASSIGNED_EXPERT,
)
PARTNER_OF_THE_SUBSCRIPTION = AccessRule(
    "partner-of-the-subscription",
    "The swv-admin manages every subscription; a partner only its own (another's is 404).",
    frozenset({Role.SWV_ADMIN, Role.PARTNER}),
    frozenset({Role.SWV_ADMIN}),
    Relation.PARTNER_OF_THE_SUBSCRIPTION,
)

OPERATES_PLATFORM = AccessRule(
    "operates-platform",
    "The platform operator opens, suspends and reinstates tenants, in the platform log only.",
    frozenset(),
    frozenset(),
    platform=True,
)

RULES: dict[str, AccessRule] = {
    rule.name: rule
    for rule in (
        CONFIGURES_TENANT,
        PROCESSES_CASES,
        DECIDES,
        SCHOOL_OF_THE_CASE,
        ASSIGNED_EXPERT,
        PARTNER_OF_THE_SUBSCRIPTION,
        OPERATES_PLATFORM,
    )
}


def school_for_new_record(caller: Caller, school_code: str | None) -> str | None:
    """The school a new pupil or request is for: a school records for itself only."""
    if caller.has(*_STAFF):
        return school_code
    if school_code not in {None, caller.school}:
        raise AccessDeniedError(
            f"A school records pupils and requests for itself ({caller.school}), "
            f"not for {school_code}."
        )
    return caller.school


def acts_for_anybody(caller: Caller) -> bool:
    """The loket and the committee record what others say (parents' objections, advices)."""
    return caller.has(*_STAFF)
