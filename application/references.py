"""References from a command to the tenant's configuration, refused with the field they are in.

A pupil lives in one of the SWV's municipalities, unless the command says explicitly that the
pupil lives outside the region (``lives_outside_region``): a cross-border pupil who goes to
school in the SWV. The flag is refused for a municipality of the SWV, so a typo in a code is
never taken for a move across the border.
"""

from __future__ import annotations

from application.errors import UnconfiguredReferenceError
from domain.errors import SwvConfigurationError
from domain.swv import ArrangementType, School, Swv, is_municipality_code


def configured_school(swv: Swv, code: str, field: str = "school_code") -> School:
    try:
        return swv.school(code, field=field)
    except SwvConfigurationError as error:
        raise UnconfiguredReferenceError(field, str(error)) from None


def configured_arrangement_type(
    swv: Swv, code: str, field: str = "arrangement_type"
) -> ArrangementType:
    try:
        return swv.arrangement_type(code, field=field)
    except SwvConfigurationError as error:
        raise UnconfiguredReferenceError(field, str(error)) from None


def check_residence(swv: Swv, municipality_code: str, *, lives_outside_region: bool) -> None:
    """The pupil lives in a municipality of the SWV, or explicitly outside its region."""
    if not is_municipality_code(municipality_code):
        return  # not a municipality code at all: the domain says so, naming the form
    configured = municipality_code in swv.municipalities
    if not configured and not lives_outside_region:
        raise UnconfiguredReferenceError(
            "municipality_code",
            f"Municipality {municipality_code!r} is not part of {swv.code}: check the code, or "
            "for a pupil living outside the region say so with lives_outside_region: true.",
        )
    if configured and lives_outside_region:
        raise UnconfiguredReferenceError(
            "lives_outside_region",
            f"{municipality_code} is a municipality of {swv.code}: a pupil living there does "
            "not live outside the region.",
        )
