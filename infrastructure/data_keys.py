"""Data keys at rest, wrapped under the tenant's KEK; fetched per call, never cached.

``subject_keys.data_key`` holds ``b"W" + len(kek id) + kek id + nonce + sealed key`` (AES-256-GCM
under the KEK, the associated data binding tenant and subject, so a wrapped key moved to another
row does not open). Keys written before envelope encryption are the bare 32 bytes; they stay
readable until ``rewrap`` wraps them. A shredded subject's row has no key at all.

Every read and write asks the database for the keys it needs, so a shred committed by any
process is honoured by every other process's next call: there is no per-process key cache to
outlive it. A lost or revoked KEK makes the keys it wraps read as missing (the fields come back
empty, as shredded ones do) and refuses new personal data for its tenant.

A rotation must leave no key under the old KEK, yet a writer may read the current KEK, wrap
under it and commit later (a projection stores the index key inside its own transaction): its
row is invisible to a re-wrap until then. So a writer of new keys holds a shared transaction
lock on the tenant (``key_writers_lock_key``) from before it reads the current KEK until its
keys are committed, and a re-wrap takes that lock exclusively once, after the new KEK is
current: every writer that may have read the old KEK has committed by then, and every later
one reads the new KEK.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from application.errors import DataShreddedError, KeyUnavailableError, UnknownTenantError
from domain.ids import TenantId
from infrastructure.database import Connection, Pool, begun_with, tenant_transaction
from infrastructure.field_encryption import new_data_key
from infrastructure.key_provider import KeyProvider

log = logging.getLogger("passend.keys")

_WRAPPED = b"W"
_BARE_KEY_BYTES = 32
_REWRAP_PAGE = 500
_REWRAPS_AT_ONCE = 2
_REWRAP_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)

RewrapProgress = Callable[[int, int], None]
"""Called with (keys handled so far, keys to handle) after every page of a re-wrap."""


def key_aad(tenant_id: str, subject_id: UUID) -> bytes:
    return f"{tenant_id}|{subject_id}|data-key".encode()


def stored_form(kek_id: str, sealed: bytes) -> bytes:
    name = kek_id.encode()
    return _WRAPPED + bytes([len(name)]) + name + sealed


def kek_of(stored: bytes) -> str | None:
    """The KEK a stored key is wrapped under; None for a bare key from before wrapping."""
    if len(stored) == _BARE_KEY_BYTES or not stored.startswith(_WRAPPED):
        return None
    return stored[2 : 2 + stored[1]].decode()


def _sealed(stored: bytes) -> bytes:
    return stored[2 + stored[1] :]


@dataclass(frozen=True, slots=True)
class RewrapResult:
    tenant_id: TenantId
    kek_id: str
    rewrapped: int
    already_current: int
    shredded_meanwhile: int
    unreadable: int


class DataKeys:
    """The data keys of subjects, as the event store reads and writes them."""

    def __init__(self, provider: KeyProvider) -> None:
        self._provider = provider

    @property
    def provider(self) -> KeyProvider:
        return self._provider

    async def unwrap_rows(
        self, tenant_id: TenantId, rows: Iterable[tuple[UUID, bytes | None]]
    ) -> dict[UUID, bytes | None]:
        """Stored ``(subject, data_key)`` rows to usable keys; None: shredded or unreadable."""
        keys: dict[UUID, bytes | None] = {}
        by_kek: dict[str, list[tuple[UUID, bytes]]] = defaultdict(list)
        for subject, stored in rows:
            if stored is None:
                keys[subject] = None
            elif (kek_id := kek_of(stored)) is None:
                keys[subject] = stored
            else:
                by_kek[kek_id].append((subject, stored))
        for kek_id, wrapped in by_kek.items():
            try:
                opened: list[bytes | None] = list(
                    await self._provider.unwrap(
                        tenant_id,
                        kek_id,
                        [(_sealed(s), key_aad(tenant_id, subject)) for subject, s in wrapped],
                    )
                )
            except KeyUnavailableError as error:
                log.warning("data keys unreadable: %s", error)
                opened = [None] * len(wrapped)
            keys.update(zip((subject for subject, _ in wrapped), opened, strict=True))
        return keys

    async def for_reading(
        self, conn: Connection, tenant_id: TenantId, refs: Iterable[UUID]
    ) -> dict[UUID, bytes | None]:
        found = await self._stored(conn, tenant_id, refs)
        return await self.unwrap_rows(tenant_id, found.items())

    async def for_writing(
        self, conn: Connection, tenant_id: TenantId, subjects: set[UUID]
    ) -> dict[UUID, bytes]:
        """The subjects' keys, new ones made (wrapped) for first-time subjects.

        DataShreddedError for a shredded subject; KeyUnavailableError when the tenant's KEK
        cannot be used.
        """
        rows = await self._stored(conn, tenant_id, subjects)
        missing = subjects - rows.keys()
        made: dict[UUID, bytes] = {}  # keys this call stored: in the clear already
        if missing:
            lock = key_writers_lock_key(tenant_id)
            if conn.is_in_transaction():  # the caller's commit ends the lock
                await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", lock)
                made = await self._add(conn, tenant_id, missing, rows)
            else:
                made = await self._add_in_transaction(conn, tenant_id, missing, rows, lock)
        shredded = sorted(str(s) for s, stored in rows.items() if stored is None)
        if shredded:
            raise DataShreddedError(
                f"the personal data of subject {', '.join(shredded)} was shredded; "
                "no new personal data can be recorded for it"
            )
        keys = await self.unwrap_rows(tenant_id, rows.items())
        unreadable = [s for s, key in keys.items() if key is None]
        if unreadable:
            raise KeyUnavailableError(
                f"the key-encryption key of tenant {tenant_id} is not available"
            )
        made.update((s, key) for s, key in keys.items() if key is not None)
        return made

    async def _add_in_transaction(
        self,
        conn: Connection,
        tenant_id: TenantId,
        missing: set[UUID],
        rows: dict[UUID, bytes | None],
        lock: int,
    ) -> dict[UUID, bytes]:
        """``_add`` in a transaction of its own: BEGIN and the lock as one round trip.

        Every first-time subject (a pupil registered) pays for it: BEGIN, the lock, the insert
        and COMMIT were four round trips, now three. asyncpg binds no parameters in a
        multi-statement query; the lock key is an int, so its literal is safe. asyncpg does
        not know of the transaction: ``_add`` starts no ``connection.transaction()``.
        """
        async with begun_with(conn, f"BEGIN; SELECT pg_advisory_xact_lock_shared({int(lock)})"):
            return await self._add(conn, tenant_id, missing, rows)

    async def _add(
        self,
        conn: Connection,
        tenant_id: TenantId,
        missing: set[UUID],
        rows: dict[UUID, bytes | None],
    ) -> dict[UUID, bytes]:
        """Store new keys of ``missing`` under the current KEK; ours, in clear.

        In a transaction that holds the tenant's key-writers lock shared (module doc).
        Subjects another process gave a key first get that stored key in ``rows`` instead.
        """
        kek_id = await self._provider.current_kek(tenant_id)
        fresh = [(subject, new_data_key()) for subject in missing]
        sealed = await self._provider.wrap(
            tenant_id, kek_id, [(key, key_aad(tenant_id, s)) for s, key in fresh]
        )
        forms = [stored_form(kek_id, s) for s in sealed]
        try:
            # inserts the keys of subjects that still have none, answers every one's stored
            # key: another process's, if it inserted one first
            added = await conn.fetch(
                "SELECT * FROM passend_add_subject_keys($1, $2::uuid[], $3::bytea[])",
                tenant_id,
                [s for s, _ in fresh],
                forms,
            )
        except asyncpg.ForeignKeyViolationError:
            raise UnknownTenantError(tenant_id) from None
        made: dict[UUID, bytes] = {}
        ours = {subject: (form, key) for (subject, key), form in zip(fresh, forms, strict=True)}
        for subject, stored in added:
            mine = ours.get(subject)
            if mine is not None and stored == mine[0]:
                made[subject] = mine[1]
            else:
                rows[subject] = stored
        return made

    @staticmethod
    async def _stored(
        conn: Connection, tenant_id: TenantId, subjects: Iterable[UUID]
    ) -> dict[UUID, bytes | None]:
        """The stored keys of those subjects that have a row (None: shredded), one round trip."""
        rows = await conn.fetch(
            "SELECT * FROM passend_subject_keys($1, $2::uuid[])", tenant_id, list(subjects)
        )
        return {r[0]: r[1] for r in rows}

    @staticmethod
    async def shred(conn: Connection, tenant_id: TenantId, subjects: Iterable[UUID]) -> None:
        async with tenant_transaction(conn, tenant_id):
            await conn.execute(
                "INSERT INTO subject_keys (tenant_id, subject_id, data_key, shredded_at)"
                " SELECT $1, s, NULL, now() FROM unnest($2::uuid[]) AS u(s)"
                " ON CONFLICT (tenant_id, subject_id)"
                " DO UPDATE SET data_key = NULL, shredded_at = coalesce("
                "   subject_keys.shredded_at, now())",
                tenant_id,
                list(subjects),
            )

    async def rotate(
        self, conn: Connection, tenant_id: TenantId, progress: RewrapProgress | None = None
    ) -> RewrapResult:
        """Make a new KEK current for the tenant, then re-wrap every data key under it."""
        await self._provider.new_kek(tenant_id)
        return await self.rewrap(conn, tenant_id, progress)

    async def rewrap(
        self, conn: Connection, tenant_id: TenantId, progress: RewrapProgress | None = None
    ) -> RewrapResult:
        """Wrap every data key of the tenant under its current KEK, page by page, online.

        Resumable: a key already under the current KEK is skipped, so running it again after
        an interruption finishes the job. Keys written after it starts are wrapped under the
        current KEK already: it first waits for the writers that may have read the old one to
        commit (``key_writers_lock_key``). Each page is one short transaction; a key replaced
        only if it is still what was read (a shred in between wins). Also wraps bare keys from
        before wrapping. All on ``conn``: it needs no other connection.
        """
        kek_id = await self._provider.current_kek(tenant_id)
        counts = {"rewrapped": 0, "current": 0, "shredded": 0, "unreadable": 0}
        async with tenant_transaction(conn, tenant_id):
            # released at commit: it only waits for the writers that hold it now
            await conn.execute("SELECT pg_advisory_xact_lock($1)", key_writers_lock_key(tenant_id))
            total = await conn.fetchval(
                "SELECT count(*) FROM subject_keys WHERE tenant_id = $1 AND data_key IS NOT NULL",
                tenant_id,
            )
        await self._rewrap_pass(
            conn, tenant_id, kek_id, counts=counts, total=total, progress=progress
        )
        return RewrapResult(
            tenant_id,
            kek_id,
            counts["rewrapped"],
            counts["current"],
            counts["shredded"],
            counts["unreadable"],
        )

    async def _rewrap_pass(  # noqa: PLR0913 - one pass's state
        self,
        conn: Connection,
        tenant_id: TenantId,
        kek_id: str,
        *,
        counts: dict[str, int],
        total: int,
        progress: RewrapProgress | None,
    ) -> None:
        after = UUID(int=0)
        while True:
            async with tenant_transaction(conn, tenant_id):
                page = await conn.fetch(
                    "SELECT subject_id, data_key FROM subject_keys WHERE tenant_id = $1"
                    " AND data_key IS NOT NULL AND subject_id > $2"
                    " ORDER BY subject_id LIMIT $3",
                    tenant_id,
                    after,
                    _REWRAP_PAGE,
                )
            if not page:
                return
            after = page[-1][0]
            await self._rewrap_page(conn, tenant_id, kek_id, page, counts)
            if progress is not None:
                done = sum(counts.values())
                progress(done, max(total, done))

    async def _rewrap_page(
        self,
        conn: Connection,
        tenant_id: TenantId,
        kek_id: str,
        page: list[asyncpg.Record],
        counts: dict[str, int],
    ) -> None:
        stale = [(r[0], r[1]) for r in page if kek_of(r[1]) != kek_id]
        counts["current"] += len(page) - len(stale)
        if not stale:
            return
        opened = await self.unwrap_rows(tenant_id, stale)
        usable = [(s, old, opened[s]) for s, old in stale if opened.get(s) is not None]
        counts["unreadable"] += len(stale) - len(usable)
        sealed = await self._provider.wrap(
            tenant_id,
            kek_id,
            [(key, key_aad(tenant_id, s)) for s, _, key in usable if key is not None],
        )
        async with tenant_transaction(conn, tenant_id):
            updated = await conn.fetch(
                "UPDATE subject_keys k SET data_key = u.new FROM"
                " unnest($2::uuid[], $3::bytea[], $4::bytea[]) AS u(s, old, new)"
                " WHERE k.tenant_id = $1 AND k.subject_id = u.s AND k.data_key = u.old"
                " RETURNING k.subject_id",
                tenant_id,
                [s for s, _, _ in usable],
                [old for _, old, _ in usable],
                [stored_form(kek_id, s) for s in sealed],
            )
        counts["rewrapped"] += len(updated)
        counts["shredded"] += len(usable) - len(updated)

    @staticmethod
    async def census(pool: Pool, tenant_id: TenantId) -> dict[str, int]:
        """How many of the tenant's data keys are under which KEK ("bare": not wrapped)."""
        async with pool.acquire() as conn, tenant_transaction(conn, tenant_id):
            rows = await conn.fetch(
                "SELECT data_key FROM subject_keys WHERE tenant_id = $1", tenant_id
            )
        census: dict[str, int] = defaultdict(int)
        for (stored,) in rows:
            census["shredded" if stored is None else (kek_of(stored) or "bare")] += 1
        return dict(census)


def _rewrap_slots() -> asyncio.Semaphore:
    """The running event loop's (so the process's) limit of re-wraps at once.

    Per loop, not one module-wide semaphore: an asyncio semaphore that made a task wait is
    bound to that task's loop.
    """
    loop = asyncio.get_running_loop()
    slots = _REWRAP_SLOTS.get(loop)
    if slots is None:
        slots = _REWRAP_SLOTS[loop] = asyncio.Semaphore(_REWRAPS_AT_ONCE)
    return slots


def _tenant_lock_key(purpose: str, tenant_id: str) -> int:
    digest = hashlib.blake2b(f"passend.{purpose}\x1f{tenant_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, signed=True)


def rewrap_lock_key(tenant_id: str) -> int:
    """The advisory lock a process holds while it re-wraps the tenant's data keys."""
    return _tenant_lock_key("rewrap", tenant_id)


def key_writers_lock_key(tenant_id: str) -> int:
    """The advisory lock writers of new data keys share and a re-wrap waits for (module doc)."""
    return _tenant_lock_key("key-writers", tenant_id)


@dataclass(frozen=True, slots=True)
class PooledDataKeys:
    """A tenant's KEKs and data keys on one pool: what an online key rotation uses."""

    keys: DataKeys
    pool: Pool

    async def new_kek(self, tenant_id: TenantId) -> str:
        return await self.keys.provider.new_kek(tenant_id)

    async def rewrap(self, tenant_id: TenantId) -> RewrapResult | None:
        """Re-wrap as ``DataKeys.rewrap`` does; None while another process re-wraps the tenant.

        The re-wrapper holds a session advisory lock on the connection it re-wraps on: a
        process that dies mid-way loses its connection and with it the lock, so a resumer can
        tell a rotation that is being re-wrapped from one that was left. One connection each,
        and at most ``_REWRAPS_AT_ONCE`` in a process, however many tenants rotate: the rest
        of the pool stays with requests and projections.
        """
        async with _rewrap_slots(), self.pool.acquire() as conn:
            key = rewrap_lock_key(tenant_id)
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
                return None
            try:
                return await self.keys.rewrap(conn, tenant_id)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", key)

    async def census(self, tenant_id: TenantId) -> dict[str, int]:
        return await DataKeys.census(self.pool, tenant_id)
