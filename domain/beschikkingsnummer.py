"""The number a TLV is known by outside Passend, on the beschikking the parents receive.

Passend's own format, not DUO's (its specification is still to be obtained): the SWV code,
then the TLV's id in Crockford base32 (26 characters) and one check character (the id modulo
31), in three groups of nine, e.g. ``PO2604-0F5VQ8G2A-P4M9X7KQH-3DZC1RT6Y``. The number
names the id itself, so an enrolling school that holds it finds the TLV in one read; a typo
fails the check character rather than naming another TLV.
"""

from __future__ import annotations

from uuid import UUID

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUES = {c: i for i, c in enumerate(_ALPHABET)} | {"O": 0, "I": 1, "L": 1}
_DIGITS = 26
_CHECK_MODULUS = 31
_GROUP = 9
_CODE_LENGTH = 6


def _base32(value: int, digits: int) -> str:
    out = []
    for _ in range(digits):
        value, digit = divmod(value, 32)
        out.append(_ALPHABET[digit])
    return "".join(reversed(out))


def beschikkingsnummer(swv_code: str, tlv_id: UUID) -> str:
    """The beschikkingsnummer of a TLV of ``swv_code``."""
    body = _base32(tlv_id.int, _DIGITS) + _ALPHABET[tlv_id.int % _CHECK_MODULUS]
    groups = [body[i : i + _GROUP] for i in range(0, len(body), _GROUP)]
    return "-".join([swv_code, *groups])


def tlv_id_of(number: str, swv_code: str) -> UUID | None:
    """The TLV id a beschikkingsnummer of ``swv_code`` names; None if it names none."""
    compact = number.strip().upper().replace("-", "").replace(" ", "")
    if compact[:_CODE_LENGTH] != swv_code:
        return None
    body = compact[_CODE_LENGTH:]
    if len(body) != _DIGITS + 1 or any(c not in _VALUES for c in body):
        return None
    value = 0
    for character in body[:_DIGITS]:
        value = value * 32 + _VALUES[character]
    if value >= 1 << 128 or _VALUES[body[-1]] != value % _CHECK_MODULUS:
        return None
    return UUID(int=value)
