"""Statistical disclosure control for published counts: small counts and the cells that betray them.

The municipal figures publish, per key (what is counted), a cell per month and a cell per school
year. Every fact is counted under exactly one key, and no published key is the sum of others, so
the only linear relations between published cells are *school year = sum of its months*, one per
key and school year. Whether a month is published depends on nothing a reader cannot see:

1. A school year with a count from 1 to 4 is published as ``"<5"``, and its months are withheld.
2. A school year of 5 or more with any month of 1 to 4 is published, and its months are withheld:
   with one month hidden the year minus the others would give it away, and any choice of *which*
   further months to hide depends on their values, which a reader who knows the rule can undo.
3. Otherwise every month is published: none is small, so there is nothing to protect.

So no relation ever has a hidden month in it, and the only hidden figure, a small school year, is
in no relation at all: no hidden count or amount can be computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

SUPPRESS_BELOW = 5

K = TypeVar("K")


class Visibility(StrEnum):
    PUBLISHED = "published"
    SMALL = "<5"  # primary suppression: 1 to 4
    WITHHELD = "withheld"  # not published at all (the months of a small school year)


@dataclass(frozen=True, slots=True)
class Counted:
    """A cell's true figures: how many, and (for arrangements) their total amount."""

    count: int
    amount: int | None = None


def protect(year: Counted, months: Mapping[K, Counted]) -> tuple[Visibility, dict[K, Visibility]]:
    """How a school year's cell and its month cells of one key are published."""
    if year.count < SUPPRESS_BELOW:
        return Visibility.SMALL, dict.fromkeys(months, Visibility.WITHHELD)
    if any(cell.count < SUPPRESS_BELOW for cell in months.values()):
        return Visibility.PUBLISHED, dict.fromkeys(months, Visibility.WITHHELD)
    return Visibility.PUBLISHED, dict.fromkeys(months, Visibility.PUBLISHED)
