"""What a read model implements to be kept up to date by the runner and rebuilt from the log.

A projection names its tables once (``tables``); every build of it gets its own physical
tables in schema ``read_models``, suffixed ``_b<build>``, and a view with the plain name
(``read_models.<table>``) points at the active build. Queries read the view; ``apply`` writes
to the physical tables it is handed. A rebuild fills a new build while the view keeps serving
the old one, then re-points the views in one transaction. Bumping ``version`` makes the runner
rebuild into new tables, so the DDL may change freely between versions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from application.ports import RecordedEvent
from domain.ids import TenantId
from infrastructure.database import Connection

READ_MODEL_SCHEMA = "read_models"
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


@dataclass(frozen=True, slots=True)
class TableNames:
    """One build's physical tables, looked up by the read model's table names."""

    build: int
    physical: Mapping[str, str]

    @classmethod
    def of_build(cls, tables: Sequence[str], build: int) -> TableNames:
        return cls(build, {table: physical_table(table, build) for table in tables})

    def __getitem__(self, table: str) -> str:
        return self.physical[table]


class EventFilter:
    """Whether an event is an instance of some event classes, answered once per event type.

    Each read model asks it of every event of the log; an ``isinstance`` against the
    aggregates' event classes costs about 0.3 µs a class, a dictionary look-up a tenth of it.
    """

    __slots__ = ("_classes", "_known")

    def __init__(self, *classes: type) -> None:
        self._classes = classes
        self._known: dict[type, bool] = {}

    def __call__(self, event: object) -> bool:
        kind = type(event)
        answer = self._known.get(kind)
        if answer is None:
            answer = self._known[kind] = issubclass(kind, self._classes)
        return answer


def check_identifier(name: str) -> str:
    """``name`` if it is a plain lower-case SQL identifier; projections build SQL from them."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a plain lower-case identifier")
    return name


def physical_table(table: str, build: int) -> str:
    return f"{READ_MODEL_SCHEMA}.{check_identifier(table)}_b{build}"


def view_name(table: str) -> str:
    """The name queries use: a view on the active build's table."""
    return f"{READ_MODEL_SCHEMA}.{check_identifier(table)}"


class Projection(Protocol):
    """A read model: its tables, and how an ordered page of one tenant's events changes them.

    ``name`` keys the tracking rows and names the CLI's ``rebuild NAME``. Every table must lead
    with ``tenant_id text``; the runner adds row-level security and grants to each. ``apply``
    runs inside the transaction that also advances the tracked position, scoped to the tenant,
    so it must not commit, must write only through ``conn``, and must raise on anything it
    cannot apply: the runner then stops this projection for this tenant at that event.
    """

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def tables(self) -> Sequence[str]: ...

    def create_tables(self, tables: TableNames) -> Sequence[str]:
        """The DDL for one build: ``CREATE TABLE``/``CREATE INDEX`` on ``tables[...]`` names."""
        ...

    async def apply(
        self,
        conn: Connection,
        tenant_id: TenantId,
        events: Sequence[RecordedEvent],
        tables: TableNames,
    ) -> None:
        """Apply ``events`` (position order, no gaps, all of ``tenant_id``) to ``tables``."""
        ...
