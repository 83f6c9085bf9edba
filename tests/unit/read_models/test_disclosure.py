"""No published set of municipal figures lets a reader compute a suppressed cell exactly.

The reader is given both granularities (months and school years), knows that ``"<5"`` is 1 to 4
and an amount never negative, and solves the sums exactly with an integer program (HiGHS through
scipy): every hidden count and amount must keep at least two values.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from uuid import uuid4

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from domain.arrangement import Arrangement
from domain.objection import Objection, ObjectionOutcome
from domain.support_request import SupportRequest
from domain.swv import AmountUnit
from projections.disclosure import Counted, Visibility, protect
from projections.municipality_figures import (
    FigureCell,
    Granularity,
    Metric,
    _Facts,
    _figures,
    publish,
    school_year,
)

BIG = 10**9
MONTHS = [date(2024, m, 1) for m in range(8, 13)] + [date(2025, m, 1) for m in range(1, 8)]
KEYS = [
    (Metric.REQUESTS_SUBMITTED, "TLV-SO", "", "", ""),
    (Metric.REQUESTS_DECIDED, "TLV-SO", "GRANTED", "WITHIN_TERM", "HIGH"),
    (Metric.ARRANGEMENTS_GRANTED, "ambulante-begeleiding", "HOURS", "", ""),
]
Key = tuple[Metric, str, str, str, str]


def key_of(cell: FigureCell) -> Key:
    return (
        cell.metric,
        cell.subject or "",
        cell.detail or "",
        cell.term or "",
        cell.category or "",
    )


def bounds_of(cell: FigureCell) -> tuple[float, float]:
    if cell.count == "<5":
        return 1, 4
    return cell.count, cell.count


class Reader:
    """What a reader can solve for: one variable per published cell, the sums between them."""

    def __init__(self) -> None:
        self.low: list[float] = []
        self.high: list[float] = []
        self.hidden: list[int] = []
        self.rows: list[dict[int, int]] = []

    def variable(self, low: float, high: float, *, hidden: bool) -> int:
        self.low.append(low)
        self.high.append(high)
        if hidden:
            self.hidden.append(len(self.low) - 1)
        return len(self.low) - 1

    def total_is_sum(self, total: int, parts: list[int]) -> None:
        self.rows.append({total: 1} | dict.fromkeys(parts, -1))

    def range_of(self, variable: int) -> tuple[float, float]:
        size = len(self.low)
        matrix = np.zeros((len(self.rows), size))
        for r, row in enumerate(self.rows):
            for column, coefficient in row.items():
                matrix[r, column] = coefficient
        constraints = [LinearConstraint(matrix, 0, 0)] if self.rows else []
        ends = []
        for sign in (1, -1):
            objective = np.zeros(size)
            objective[variable] = sign
            result = milp(
                objective,
                constraints=constraints,
                integrality=np.ones(size),
                bounds=Bounds(self.low, self.high),
            )
            assert result.success, result.message
            ends.append(sign * result.fun)
        return ends[0], ends[1]


def reader_of(months: list[FigureCell], years: list[FigureCell]) -> Reader:
    reader = Reader()
    month_vars: defaultdict[tuple[Key, str], dict[str, list[int]]] = defaultdict(
        lambda: {"count": [], "amount": []}
    )
    for cell in months:
        low, high = bounds_of(cell)
        group_key = (key_of(cell), school_year(date.fromisoformat(cell.period + "-01")))
        group = month_vars[group_key]
        group["count"].append(reader.variable(low, high, hidden=low != high))
        if cell.metric is Metric.ARRANGEMENTS_GRANTED:
            amount_hidden = cell.amount is None
            amount = cell.amount or 0
            group["amount"].append(
                reader.variable(
                    *((0, BIG) if amount_hidden else (amount, amount)), hidden=amount_hidden
                )
            )
    for cell in years:
        low, high = bounds_of(cell)
        total = reader.variable(low, high, hidden=low != high)
        parts = month_vars.get((key_of(cell), cell.period))
        if parts is None:  # months withheld: nothing to add up
            continue
        reader.total_is_sum(total, parts["count"])
        if cell.metric is Metric.ARRANGEMENTS_GRANTED:
            amount_hidden = cell.amount is None
            amount = cell.amount or 0
            year_amount = reader.variable(
                *((0, BIG) if amount_hidden else (amount, amount)), hidden=amount_hidden
            )
            reader.total_is_sum(year_amount, parts["amount"])
    return reader


def cells_for(
    counts: dict[tuple[int, int], tuple[int, int]],
) -> dict[tuple[Key, date], Counted]:
    months = {}
    for (key_index, month_index), (count, amount) in counts.items():
        key = KEYS[key_index]
        if count:
            with_amount = key[0] is Metric.ARRANGEMENTS_GRANTED
            months[key, MONTHS[month_index]] = Counted(count, amount if with_amount else None)
    return months


figure_sets = st.dictionaries(
    st.tuples(st.integers(0, len(KEYS) - 1), st.integers(0, len(MONTHS) - 1)),
    st.tuples(
        st.one_of(st.integers(1, 4), st.integers(0, 12)),
        st.one_of(st.integers(0, 3), st.integers(0, 200)),
    ),
    max_size=20,
)


@settings(max_examples=150, deadline=None)
@given(figure_sets)
def test_no_suppressed_count_or_amount_can_be_computed_from_the_published_figures(
    counts: dict[tuple[int, int], tuple[int, int]],
) -> None:
    months = cells_for(counts)
    reader = reader_of(publish(months, Granularity.MONTH), publish(months, Granularity.SCHOOL_YEAR))

    for variable in reader.hidden:
        low, high = reader.range_of(variable)
        assert low < high, f"a hidden cell can only be {low}"


def test_months_of_a_small_school_year_are_withheld() -> None:
    # Four months with one pupil each and a year of 4: the rows alone would say "1" four times.
    months = {(KEYS[0], MONTHS[i]): Counted(1) for i in range(4)}

    assert publish(months, Granularity.MONTH) == []
    assert [c.count for c in publish(months, Granularity.SCHOOL_YEAR)] == ["<5"]


def test_a_large_school_year_with_no_small_month_is_published_in_full() -> None:
    months = {(KEYS[0], MONTHS[0]): Counted(7), (KEYS[0], MONTHS[1]): Counted(9)}

    assert [c.count for c in publish(months, Granularity.MONTH)] == [7, 9]
    assert [c.count for c in publish(months, Granularity.SCHOOL_YEAR)] == [16]


def test_every_fact_is_counted_under_one_key_at_most() -> None:
    known = _Facts("GM0632", "TLV-SO", "ambulante-begeleiding", "HOURS")
    figure_events = (
        SupportRequest.Submitted,
        SupportRequest.Granted,
        SupportRequest.Refused,
        Arrangement.Granted,
        Arrangement.Extended,
        Objection.Lodged,
        Objection.Decided,
    )
    for kind in figure_events:
        event = object.__new__(kind)
        for name in kind.__dataclass_fields__:
            object.__setattr__(event, name, _sample(name))
        assert len(_figures(event, known)) == 1, kind


def _sample(name: str) -> object:
    values: dict[str, object] = {
        "received_on": date(2025, 3, 3),
        "decided_on": date(2025, 3, 3),
        "decided_within_term": True,
        "tlv_type": None,
        "arrangement_type": "ambulante-begeleiding",
        "unit": AmountUnit.HOURS,
        "funding_category": None,
        "amount": 10,
        "amount_added": 5,
        "in_time": True,
        "outcome": ObjectionOutcome.REJECTED,
    }
    return values.get(name, uuid4())


def test_the_reported_difference_attack_no_longer_reveals_a_month() -> None:
    # A year of 8 arrangements, 5 of them in one month: before, the other month was 8 - 5 = 3.
    months = {
        (KEYS[2], date(2024, 9, 1)): Counted(5, 120),
        (KEYS[2], date(2024, 10, 1)): Counted(3, 71),
    }

    assert publish(months, Granularity.MONTH) == []
    by_year = publish(months, Granularity.SCHOOL_YEAR)
    assert [(c.count, c.amount) for c in by_year] == [(8, 191)]


def test_whether_months_are_shown_depends_on_no_hidden_value() -> None:
    # 1, 1, 6, 6 in a year of 14: hiding "the smallest other month" would betray itself.
    months = {"sep": Counted(1), "oct": Counted(1), "nov": Counted(6), "dec": Counted(6)}
    year, seen = protect(Counted(14), months)

    assert year is Visibility.PUBLISHED
    assert set(seen.values()) == {Visibility.WITHHELD}
