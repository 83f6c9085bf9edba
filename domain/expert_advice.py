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


def check_advice(advice: ExpertAdvice, recorded: Mapping[ExpertRole, ExpertAdvice]) -> None:
    """Refuse an advice that can never count towards the two-expert rule."""
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
    other = recorded.get(ExpertRole.SECOND if advice.role is ExpertRole.FIRST else ExpertRole.FIRST)
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
