"""The two-expert rule for TLV decisions (WPO art. 18a lid 11; LBT opinions, domain.md §1.12).

Two independent, written advices by two different persons: the first by an orthopedagoog or
psycholoog, the second by one of the listed qualifications (an orthopedagoog counts as a
pedagoog). A collective advice does not count, nor one by the applying school's own staff
(LBT 2017). When the two conclusions differ, a third advice is needed (LBT 18-06-2019).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from domain.errors import ExpertAdviceError, ExpertAdviceMissingError
from domain.tlv import FundingCategory, TlvType


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
    THIRD = "THIRD"  # only when the first two conclusions differ


FIRST_EXPERT_QUALIFICATIONS = frozenset({Qualification.ORTHOPEDAGOOG, Qualification.PSYCHOLOOG})
# AMvB art. 34.8: a kinder- of jeugdpsycholoog, pedagoog (an orthopedagoog is one),
# kinderpsychiater, maatschappelijk werker or arts; a psycholoog without that specialism is not.
SECOND_EXPERT_QUALIFICATIONS = frozenset(Qualification) - {Qualification.PSYCHOLOOG}
_ALLOWED = {
    ExpertRole.FIRST: FIRST_EXPERT_QUALIFICATIONS,
    ExpertRole.SECOND: SECOND_EXPERT_QUALIFICATIONS,
    ExpertRole.THIRD: FIRST_EXPERT_QUALIFICATIONS | SECOND_EXPERT_QUALIFICATIONS,
}
_WHO = {
    ExpertRole.FIRST: "an orthopedagoog or psycholoog: record this advice as the second "
    "expert's, or ask an orthopedagoog or psycholoog for the first advice",
    ExpertRole.SECOND: "a kinder- of jeugdpsycholoog, pedagoog (an orthopedagoog counts as "
    "one), kinderpsychiater, maatschappelijk werker or arts",
    ExpertRole.THIRD: "one the first or second advice could have come from",
}
_TWO = (ExpertRole.FIRST, ExpertRole.SECOND)


@dataclass(frozen=True, slots=True)
class AdviceConclusion:
    """What an advice concludes, beside its text: admissible or not, to which type and category."""

    admissible: bool
    tlv_type: TlvType | None = None
    funding_category: FundingCategory | None = None  # an expert may leave it to the committee

    def differs_from(self, other: AdviceConclusion) -> bool:
        """Whether two conclusions disagree; a category only one of them names does not."""
        categories = {self.funding_category, other.funding_category} - {None}
        return (
            self.admissible != other.admissible
            or self.tlv_type != other.tlv_type
            or len(categories) > 1
        )


@dataclass(frozen=True, slots=True)
class ExpertAdvice:
    role: ExpertRole
    expert_id: UUID
    qualification: Qualification
    independence_declared: bool
    written_on: date
    advice: str | None  # None once the pupil's data was shredded
    # None only on advices recorded before conclusions were
    conclusion: AdviceConclusion | None = None
    # the school (BRIN + vestiging code) the expert works at, if any
    works_at_school: str | None = None


@dataclass(frozen=True, slots=True)
class ExpertAssignment:
    """The expert the SWV asked for one role's advice; ``subject`` is how they sign in."""

    role: ExpertRole
    expert_id: UUID
    subject: str


def _others(role: ExpertRole) -> list[ExpertRole]:
    return [other for other in ExpertRole if other is not role]


def conclusions_differ(recorded: Mapping[ExpertRole, ExpertAdvice]) -> bool:
    """Whether the first two advices conclude differently, so that a third is needed."""
    first, second = recorded.get(ExpertRole.FIRST), recorded.get(ExpertRole.SECOND)
    if first is None or second is None or first.conclusion is None or second.conclusion is None:
        return False
    return first.conclusion.differs_from(second.conclusion)


def check_conclusion(conclusion: AdviceConclusion | None, applied_for: TlvType) -> None:
    """An advice concludes admissible to a type (with a category for (V)SO) or not admissible."""
    if conclusion is None:
        raise ExpertAdviceError(
            "admissible: an expert advice records its conclusion beside its text, admissible "
            "or not (and to which TLV type and funding category, if the expert names them).",
            fields=("admissible",),
        )
    if not conclusion.admissible:
        if conclusion.tlv_type is not None or conclusion.funding_category is not None:
            raise ExpertAdviceError(
                "An advice that the pupil is not admissible names no TLV type or category.",
                fields=("advised_tlv_type", "advised_category"),
            )
        return
    advised = conclusion.tlv_type or applied_for
    if advised is TlvType.SBO and conclusion.funding_category is not None:
        raise ExpertAdviceError(
            "An advice of admissibility to SBO names no funding category.",
            fields=("advised_category",),
        )


def check_assignment(
    assignment: ExpertAssignment,
    assigned: Mapping[ExpertRole, ExpertAssignment],
    recorded: Mapping[ExpertRole, ExpertAdvice],
) -> None:
    """Refuse an assignment that could only lead to an advice that does not count."""
    if assignment.role in recorded:
        raise ExpertAdviceError(
            f"The {assignment.role.lower()} expert's advice is already recorded; "
            "there is nobody left to assign for that role.",
            fields=("role",),
        )
    for other in _others(assignment.role):
        ids = {a.expert_id for a in (assigned.get(other), recorded.get(other)) if a is not None}
        if assignment.expert_id in ids:
            raise ExpertAdviceError(
                f"This expert is the {other.lower()} expert already; the advices must come "
                "from two different persons. Assign another expert.",
                fields=("expert_subject",),
            )


def check_advice(
    advice: ExpertAdvice,
    recorded: Mapping[ExpertRole, ExpertAdvice],
    assigned: Mapping[ExpertRole, ExpertAssignment] | None = None,
    applying_school: str | None = None,
) -> None:
    """Refuse an advice that can never count towards the two-expert rule."""
    if applying_school is not None and advice.works_at_school == applying_school:
        raise ExpertAdviceError(
            "The expert works at the school that applies: its own staff may not advise on "
            "the application (LBT 2017). Ask an expert from outside that school.",
            fields=("works_at_school",),
        )
    assignment = (assigned or {}).get(advice.role)
    if assignment is not None and assignment.expert_id != advice.expert_id:
        raise ExpertAdviceError(
            f"The {advice.role.lower()} expert's advice was assigned to another expert: "
            "record the advice of the assigned expert, or assign this one first.",
            fields=("expert_id",),
        )
    if advice.qualification not in _ALLOWED[advice.role]:
        raise ExpertAdviceError(
            f"The {advice.role.lower()} expert must be {_WHO[advice.role]}, not a "
            f"{advice.qualification.lower()}.",
            fields=("qualification",),
        )
    if not advice.independence_declared:
        raise ExpertAdviceError(
            "The expert has not declared independence from the schools involved: "
            "obtain that declaration, or ask an expert who is not linked to them.",
            fields=("independence_declared",),
        )
    if not (advice.advice or "").strip():
        raise ExpertAdviceError(
            "An expert advice must be written: record the text of the advice itself.",
            fields=("advice",),
        )
    if advice.role in recorded:
        raise ExpertAdviceError(
            f"The {advice.role.lower()} expert's advice is already recorded; "
            "each role gives one advice.",
            fields=("role",),
        )
    for other_role in _others(advice.role):
        other = recorded.get(other_role)
        if other is not None and other.expert_id == advice.expert_id:
            raise ExpertAdviceError(
                "The advices must come from two different persons; a collective or repeated "
                "advice does not count. Ask another expert.",
                fields=("expert_id",),
            )
    if advice.role is ExpertRole.THIRD and not conclusions_differ(recorded):
        raise ExpertAdviceError(
            "A third advice is asked for only when the first two conclude differently; "
            "record the first and second advice first.",
            fields=("role",),
        )


def check_two_expert_rule(recorded: Mapping[ExpertRole, ExpertAdvice]) -> None:
    """Refuse a TLV decision unless the valid, independent advices the rule needs are on record."""
    needed = [*_TWO, ExpertRole.THIRD] if conclusions_differ(recorded) else list(_TWO)
    missing = [role.lower() for role in needed if role not in recorded]
    if missing:
        raise ExpertAdviceMissingError(
            f"A TLV decision needs the written advice of {len(needed)} experts"
            + (" because the first two conclude differently" if len(needed) > len(_TWO) else "")
            + f"; the {' and '.join(missing)} expert's advice is missing. Record it before "
            "deciding.",
            fields=("request_id",),
        )
    for role in needed:
        check_advice(recorded[role], {r: a for r, a in recorded.items() if r is not role})
