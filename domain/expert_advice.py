"""The two-expert rule for TLV decisions (WPO art. 18a lid 11; LBT opinion of 18-02-2019).

Two independent, written advices by two different persons: the first by an orthopedagoog or
psycholoog, the second by one of the listed qualifications. A collective advice does not count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from domain.errors import ExpertAdviceError, ExpertAdviceMissingError


class Qualification(StrEnum):
    ORTHOPEDAGOOG = "ORTHOPEDAGOOG"
    PSYCHOLOOG = "PSYCHOLOOG"
    KINDER_EN_JEUGDPSYCHOLOOG = "KINDER_EN_JEUGDPSYCHOLOOG"
    PEDAGOOG = "PEDAGOOG"
    KINDERPSYCHIATER = "KINDERPSYCHIATER"
    MAATSCHAPPELIJK_WERKER = "MAATSCHAPPELIJK_WERKER"
    ARTS = "ARTS"


class ExpertRole(StrEnum):
    FIRST = "FIRST"
    SECOND = "SECOND"


FIRST_EXPERT_QUALIFICATIONS = frozenset({Qualification.ORTHOPEDAGOOG, Qualification.PSYCHOLOOG})
SECOND_EXPERT_QUALIFICATIONS = frozenset(Qualification)


@dataclass(frozen=True, slots=True)
class ExpertAdvice:
    role: ExpertRole
    expert_id: UUID
    qualification: Qualification
    independence_declared: bool
    written_on: date
    advice: str | None  # None once the pupil's data was shredded


@dataclass(frozen=True, slots=True)
class ExpertAssignment:
    """The expert the SWV asked for one role's advice; ``subject`` is how they sign in."""

    role: ExpertRole
    expert_id: UUID
    subject: str


def _other(role: ExpertRole) -> ExpertRole:
    return ExpertRole.SECOND if role is ExpertRole.FIRST else ExpertRole.FIRST


def check_assignment(
    assignment: ExpertAssignment,
    assigned: Mapping[ExpertRole, ExpertAssignment],
    recorded: Mapping[ExpertRole, ExpertAdvice],
) -> None:
    """Refuse an assignment that could only lead to an advice that does not count."""
    if assignment.role in recorded:
        raise ExpertAdviceError(
            f"The {assignment.role.lower()} expert's advice is already recorded; "
            "there is nobody left to assign for that role."
        )
    other = _other(assignment.role)
    other_ids = {a.expert_id for a in (assigned.get(other), recorded.get(other)) if a is not None}
    if assignment.expert_id in other_ids:
        raise ExpertAdviceError(
            f"This expert is the {other.lower()} expert already; the two advices must come "
            "from two different persons. Assign another expert."
        )


def check_advice(
    advice: ExpertAdvice,
    recorded: Mapping[ExpertRole, ExpertAdvice],
    assigned: Mapping[ExpertRole, ExpertAssignment] | None = None,
) -> None:
    """Refuse an advice that can never count towards the two-expert rule."""
    assignment = (assigned or {}).get(advice.role)
    if assignment is not None and assignment.expert_id != advice.expert_id:
        raise ExpertAdviceError(
            f"The {advice.role.lower()} expert's advice was assigned to another expert: "
            "record the advice of the assigned expert, or assign this one first."
        )
    allowed = (
        FIRST_EXPERT_QUALIFICATIONS
        if advice.role is ExpertRole.FIRST
        else SECOND_EXPERT_QUALIFICATIONS
    )
    if advice.qualification not in allowed:
        raise ExpertAdviceError(
            f"The first expert must be an orthopedagoog or psycholoog, not a "
            f"{advice.qualification.lower()}: record this advice as the second expert's, "
            "or ask an orthopedagoog or psycholoog for the first advice."
        )
    if not advice.independence_declared:
        raise ExpertAdviceError(
            "The expert has not declared independence from the schools involved: "
            "obtain that declaration, or ask an expert who is not linked to them."
        )
    if not (advice.advice or "").strip():
        raise ExpertAdviceError(
            "An expert advice must be written: record the text of the advice itself."
        )
    if advice.role in recorded:
        raise ExpertAdviceError(
            f"The {advice.role.lower()} expert's advice is already recorded; "
            "each role gives one advice."
        )
    other = recorded.get(_other(advice.role))
    if other is not None and other.expert_id == advice.expert_id:
        raise ExpertAdviceError(
            "The first and second advice must come from two different persons; "
            "a collective or repeated advice does not count. Ask another expert."
        )


def check_two_expert_rule(recorded: Mapping[ExpertRole, ExpertAdvice]) -> None:
    """Refuse a TLV decision unless two valid, independent advices are on record."""
    missing = [role.lower() for role in ExpertRole if role not in recorded]
    if missing:
        raise ExpertAdviceMissingError(
            f"A TLV decision needs the written advice of two experts; the {' and '.join(missing)} "
            "expert's advice is missing. Record it before deciding."
        )
    first, second = recorded[ExpertRole.FIRST], recorded[ExpertRole.SECOND]
    check_advice(first, {ExpertRole.SECOND: second})
    check_advice(second, {ExpertRole.FIRST: first})
