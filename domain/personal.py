"""Marks event fields that hold personal data, so the store encrypts them per data subject.

Use as ``name: Annotated[str, PERSONAL]``. The subject whose key encrypts the field is the
event's ``pupil_id`` field when it has one, else the stream it belongs to.
"""

from typing import Final


class PersonalData:
    """Annotation marker: the annotated field holds personal data."""

    def __repr__(self) -> str:
        return "PERSONAL"


PERSONAL: Final = PersonalData()
