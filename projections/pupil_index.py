"""Finding a pupil without exposing names: keyed blind indexes on name and date of birth.

Each row holds a pupil's id and two HMAC-SHA256 values, of its normalised name and of its date
of birth, under the tenant's index key: no name or date is stored, and without the key the
values cannot be linked to anyone, nor across tenants. The index key is a data key like any
other (subject ``index_key_subject``), so it is wrapped under the tenant's KEK and re-wrapped by
rotation. A pupil whose data is shredded (by hand or by retention) loses its row.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Sequence
from datetime import date
from uuid import UUID, uuid5

from application.ports import RecordedEvent
from application.retention import pupil_shredded_by
from domain.ids import TenantId
from domain.pupil import Pupil
from infrastructure.data_keys import DataKeys
from infrastructure.database import Connection, tenant_read
from infrastructure.key_provider import KeyProvider, default_key_provider
from projections.projection import EventFilter, TableNames, view_name

TABLE = "pupil_index"
_INDEX_KEYS = UUID("5d0e1c8a-3f4b-4b9e-8e61-7a2c9d4f0b16")

_DDL = """
CREATE TABLE {table} (
  tenant_id text  NOT NULL,
  pupil_id  uuid  NOT NULL,
  name_mac  bytea NOT NULL,
  birth_mac bytea NOT NULL,
  PRIMARY KEY (tenant_id, pupil_id)
)
"""


def index_key_subject(tenant_id: str) -> UUID:
    """The subject id under which a tenant's blind-index key is kept."""
    return uuid5(_INDEX_KEYS, tenant_id)


def normalised_name(name: str) -> str:
    """Case, accents and spacing do not matter: 'Sam  de Vriës' finds 'sam de vries'."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.split())


def name_mac(key: bytes, name: str) -> bytes:
    return hmac.new(key, b"name|" + normalised_name(name).encode(), hashlib.sha256).digest()


def birth_mac(key: bytes, born: date) -> bytes:
    return hmac.new(key, b"birth|" + born.isoformat().encode(), hashlib.sha256).digest()


_named = EventFilter(Pupil.Registered, Pupil.DetailsCorrected)


class PupilIndexProjection:
    name = "pupil_index"
    version = 1
    tables = (TABLE,)

    def __init__(self, key_provider: KeyProvider | None = None) -> None:
        self._provider = key_provider  # None: the process's provider, found on first use
        self._keys: DataKeys | None = None

    @property
    def data_keys(self) -> DataKeys:
        if self._keys is None:
            self._keys = DataKeys(self._provider or default_key_provider())
        return self._keys

    def create_tables(self, tables: TableNames) -> Sequence[str]:
        table = tables[TABLE]
        return [
            _DDL.format(table=table),
            f"CREATE INDEX ON {table} (tenant_id, name_mac)",
            f"CREATE INDEX ON {table} (tenant_id, birth_mac)",
        ]

    async def apply(
        self,
        conn: Connection,
        tenant_id: TenantId,
        events: Sequence[RecordedEvent],
        tables: TableNames,
    ) -> None:
        table = tables[TABLE]
        latest: dict[UUID, tuple[str, date] | None] = {}
        for recorded in events:
            event = recorded.event
            if _named(event):
                name, born = vars(event)["name"], vars(event)["date_of_birth"]
                known = name is not None and born is not None
                latest[recorded.stream_id] = (name, born) if known else None
            elif (shredded := pupil_shredded_by(recorded)) is not None:
                latest[shredded] = None
        if not latest:
            return
        gone = [p for p, v in latest.items() if v is None]
        if gone:
            await conn.execute(
                f"DELETE FROM {table} WHERE tenant_id = $1 AND pupil_id = ANY($2::uuid[])",  # noqa: S608
                tenant_id,
                gone,
            )
        kept = [(p, v) for p, v in latest.items() if v is not None]
        if not kept:
            return
        subject = index_key_subject(tenant_id)
        key = (await self.data_keys.for_writing(conn, tenant_id, {subject}))[subject]
        # one statement a page, the rows as arrays
        await conn.execute(
            f"INSERT INTO {table} (tenant_id, pupil_id, name_mac, birth_mac)"  # noqa: S608
            " SELECT $1, * FROM unnest($2::uuid[], $3::bytea[], $4::bytea[])"
            " ON CONFLICT (tenant_id, pupil_id)"
            " DO UPDATE SET name_mac = excluded.name_mac, birth_mac = excluded.birth_mac",
            tenant_id,
            [p for p, _ in kept],
            [name_mac(key, n) for _, (n, _) in kept],
            [birth_mac(key, b) for _, (_, b) in kept],
        )


async def find_pupils(
    conn: Connection,
    data_keys: DataKeys,
    tenant_id: TenantId,
    *,
    name: str | None,
    date_of_birth: date | None,
) -> list[UUID]:
    """The pupils whose name and/or date of birth match exactly (after normalising)."""
    subject = index_key_subject(tenant_id)
    key = (await data_keys.for_reading(conn, tenant_id, [subject])).get(subject)
    if key is None:
        return []
    by_name = name_mac(key, name) if name is not None else None
    by_birth = birth_mac(key, date_of_birth) if date_of_birth is not None else None
    async with tenant_read(conn, tenant_id):
        rows = await conn.fetch(
            f"SELECT pupil_id FROM {view_name(TABLE)} WHERE tenant_id = $1"  # noqa: S608
            " AND ($2::bytea IS NULL OR name_mac = $2)"
            " AND ($3::bytea IS NULL OR birth_mac = $3) ORDER BY pupil_id LIMIT 100",
            tenant_id,
            by_name,
            by_birth,
        )
    return [r[0] for r in rows]
