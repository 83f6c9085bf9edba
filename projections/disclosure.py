"""Statistical disclosure control for published counts: small counts and the cells that betray them.

The municipal figures publish, per key (what is counted), a cell per month and a cell per school
year. Every fact is counted under exactly one key, and no published key is the sum of others, so
the only linear relations between published cells are *school year = sum of its months*, one per
key and school year, and no cell takes part in two of them. Protecting each relation on its own
therefore protects everything a municipality can download.

The rules (CBS symbols: ``"<5"`` a small count, ``"x"`` secret):

1. A school year with a count from 1 to 4 is published as ``"<5"``, and its months are withheld:
   they could add nothing but a way to count.
2. In a school year of 5 or more, a month of 1 to 4 is published as ``"<5"`` (primary
   suppression). Then, smallest first, further months (and at last the year itself) are published
   as ``"x"`` (complementary suppression) until no hidden count and no hidden amount follows
   exactly from what is published: an attacker is assumed to know that ``"<5"`` means 1 to 4,
   ``"x"`` 5 or more, that an amount is never negative, and this whole procedure, so also that
   a month hidden as ``"x"`` counts no more than the smallest month still published.

A cell is exactly derivable when, given the relation and the ranges of the other hidden cells,
only one whole number is left for it; :func:`is_determined` decides that by interval arithmetic,
which is exact for a single relation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

SUPPRESS_BELOW = 5

K = TypeVar("K")


class Visibility(StrEnum):
    PUBLISHED = "published"
    SMALL = "<5"  # primary suppression: 1 to 4
    HIDDEN = "x"  # complementary suppression: 5 or more, hidden to protect a small cell
    WITHHELD = "withheld"  # not published at all (the months of a small school year)


@dataclass(frozen=True, slots=True)
class Counted:
    """A cell's true figures: how many, and (for arrangements) their total amount."""

    count: int
    amount: int | None = None


@dataclass(frozen=True, slots=True)
class Term:
    """One cell in a relation ``sum(sign * value) == 0``, as an attacker sees it."""

    sign: int
    value: int
    low: float
    high: float
    hidden: bool


def is_determined(terms: Sequence[Term]) -> bool:
    """Whether ``sum(sign * value) == 0`` leaves some hidden term exactly one possible value."""
    hidden = [t for t in terms if t.hidden]
    if not hidden:
        return False
    known = -sum(t.sign * t.value for t in terms if not t.hidden)
    for index, term in enumerate(hidden):
        others = hidden[:index] + hidden[index + 1 :]
        others_low = sum(min(o.sign * o.low, o.sign * o.high) for o in others)
        others_high = sum(max(o.sign * o.low, o.sign * o.high) for o in others)
        # sign * value = known - (sum of the others)
        low, high = known - others_high, known - others_low
        if term.sign < 0:
            low, high = -high, -low
        low, high = max(low, term.low), min(high, term.high)
        unbounded = math.isinf(low) or math.isinf(high)
        if not unbounded and math.floor(high) - math.ceil(low) < 1:
            return True
    return False


_COUNT_RANGE = {
    Visibility.SMALL: (1.0, float(SUPPRESS_BELOW - 1)),
    Visibility.HIDDEN: (float(SUPPRESS_BELOW), math.inf),
}


def _count_term(sign: int, cell: Counted, seen: Visibility, cap: float = math.inf) -> Term:
    low, high = _COUNT_RANGE.get(seen, (cell.count, cell.count))
    if seen is Visibility.HIDDEN:
        high = min(high, cap)
    return Term(sign, cell.count, low, high, hidden=seen is not Visibility.PUBLISHED)


def _amount_term(sign: int, cell: Counted, seen: Visibility) -> Term:
    amount = cell.amount or 0
    if seen is Visibility.PUBLISHED:
        return Term(sign, amount, amount, amount, hidden=False)
    return Term(sign, amount, 0, math.inf, hidden=True)


def _betrays(
    year: Counted, year_seen: Visibility, months: Mapping[K, tuple[Counted, Visibility]]
) -> bool:
    parts = [(1, year, year_seen)] + [(-1, cell, seen) for cell, seen in months.values()]
    # Months are hidden smallest first: none hidden counts more than the smallest one shown.
    cap = min(
        (float(cell.count) for cell, seen in months.values() if seen is Visibility.PUBLISHED),
        default=math.inf,
    )
    counts = [_count_term(1, year, year_seen)] + [
        _count_term(sign, cell, seen, cap) for sign, cell, seen in parts[1:]
    ]
    if is_determined(counts):
        return True
    if year.amount is None:
        return False
    return is_determined([_amount_term(sign, cell, seen) for sign, cell, seen in parts])


def protect(year: Counted, months: Mapping[K, Counted]) -> tuple[Visibility, dict[K, Visibility]]:
    """How a school year's cell and its month cells of one key are published."""
    if year.count < SUPPRESS_BELOW:
        return Visibility.SMALL, dict.fromkeys(months, Visibility.WITHHELD)
    seen = {
        month: Visibility.SMALL if cell.count < SUPPRESS_BELOW else Visibility.PUBLISHED
        for month, cell in months.items()
    }
    year_seen = Visibility.PUBLISHED
    while _betrays(year, year_seen, {m: (months[m], seen[m]) for m in months}):
        still_shown = [m for m in months if seen[m] is Visibility.PUBLISHED]
        if still_shown:
            smallest = min(still_shown, key=lambda m: (months[m].count, months[m].amount or 0))
            seen[smallest] = Visibility.HIDDEN
        elif year_seen is Visibility.PUBLISHED:
            year_seen = Visibility.HIDDEN
        else:  # with the year secret no hidden cell is bounded on both sides: cannot happen
            return Visibility.HIDDEN, dict.fromkeys(months, Visibility.WITHHELD)
    return year_seen, seen
