"""Each tenant's transparency log: its Merkle tree in tiles, signed checkpoints and proofs.

The tree's leaves are the events' stored ``event_hash`` in position order (leaf index =
position - 1), so the tree size is a tenant position. It grows after commit, not inside the
append: ``integrate`` extends a tenant's tiles up to its head and signs a checkpoint, in one
transaction under a per-tenant transaction lock, so checkpoints always cover a prefix of the log
and every proof up to the latest checkpoint can be built from the tiles alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.errors import NotFoundError
from domain.ids import TenantId
from infrastructure import merkle
from infrastructure.database import Connection, Pool, scoped_connection, tenant_transaction
from infrastructure.signed_note import (
    Checkpoint,
    Note,
    Signer,
    Verifier,
    parse_note,
    sign_checkpoint,
)

_MAX_LEAVES_PER_CHECKPOINT = 100_000


class LogNotReadyError(NotFoundError, LookupError):
    """No checkpoint covers what was asked for (yet): 404, by the error table."""


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    checkpoint: Checkpoint
    note: Note
    """The signed note, with the cosignatures witnesses returned for it."""


@dataclass(frozen=True, slots=True)
class InclusionProof:
    position: int
    tree_size: int
    event_hash: bytes
    hashes: tuple[bytes, ...]


def log_lock_key(tenant_id: str) -> int:
    """The advisory lock under which the tenant's tree grows (held for one transaction)."""
    digest = hashlib.blake2b(f"passend.log\x1f{tenant_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, signed=True)


class TransparencyLog:
    """Reads and extends the tenants' trees; signs checkpoints as ``<origin prefix>/<tenant>``."""

    def __init__(self, pool: Pool, key: Signer) -> None:
        self._pool = pool
        self._key = key

    def origin(self, tenant_id: str) -> str:
        return f"{self._key.name}/{tenant_id}"

    def signer(self, tenant_id: str) -> Signer:
        return Signer(self.origin(tenant_id), self._key.key)

    def verifier(self, tenant_id: str) -> Verifier:
        return self.signer(tenant_id).verifier

    async def integrate(self, tenant_id: TenantId, *, always: bool = False) -> Checkpoint | None:
        """Extend the tree to the tenant's head and sign a checkpoint of it.

        None when a checkpoint of the head's size exists already; an empty log gets its
        (empty) checkpoint only when ``always`` asks for one. Large backlogs are taken in steps
        of at most 100,000 leaves.
        """
        async with scoped_connection(self._pool) as conn, tenant_transaction(conn, tenant_id):
            await conn.execute("SELECT pg_advisory_xact_lock($1)", log_lock_key(tenant_id))
            size = await conn.fetchval(
                "SELECT max(tree_size) FROM log_checkpoints WHERE tenant_id = $1", tenant_id
            )
            head = await conn.fetchval(
                "SELECT last_position FROM tenant_heads WHERE tenant_id = $1", tenant_id
            )
            if head is None or (size is None and head == 0 and not always):
                return None
            if size is not None and size >= head:
                return None
            size = size or 0
            target = min(head, size + _MAX_LEAVES_PER_CHECKPOINT)
            builder = merkle.TileBuilder(size, await _load_tiles(conn, tenant_id, _edge(size)))
            builder.append(await _leaves(conn, tenant_id, size, target))
            await _store_tiles(conn, tenant_id, builder.touched())
            checkpoint = Checkpoint(self.origin(tenant_id), target, builder.root())
            note = sign_checkpoint(checkpoint, self.signer(tenant_id))
            await conn.execute(
                "INSERT INTO log_checkpoints (tenant_id, tree_size, root_hash, note)"
                " VALUES ($1, $2, $3, $4)",
                tenant_id,
                checkpoint.size,
                checkpoint.root,
                note.text,
            )
            return checkpoint

    async def latest(self, tenant_id: TenantId) -> StoredCheckpoint:
        return await self._checkpoint(tenant_id, None)

    async def at_size(self, tenant_id: TenantId, size: int) -> StoredCheckpoint:
        return await self._checkpoint(tenant_id, size)

    async def _checkpoint(self, tenant_id: TenantId, size: int | None) -> StoredCheckpoint:
        async with scoped_connection(self._pool) as conn, tenant_transaction(conn, tenant_id):
            stored = await read_checkpoint(conn, tenant_id, size)
        if stored is None:
            what = "yet" if size is None else f"of size {size}"
            raise LogNotReadyError(f"The log of {tenant_id} has no checkpoint {what}.")
        return stored

    async def checkpoints(
        self, tenant_id: TenantId, *, up_to: int | None = None
    ) -> list[StoredCheckpoint]:
        """Every checkpoint of the tenant up to a size, oldest first, with cosignatures."""
        async with scoped_connection(self._pool) as conn, tenant_transaction(conn, tenant_id):
            rows = await conn.fetch(
                "SELECT c.tree_size, c.note, coalesce(string_agg(s.line, '' ORDER BY s.witness),"
                " '') AS lines FROM log_checkpoints c LEFT JOIN log_cosignatures s"
                " ON s.tenant_id = c.tenant_id AND s.tree_size = c.tree_size"
                " WHERE c.tenant_id = $1 AND ($2::bigint IS NULL OR c.tree_size <= $2)"
                " GROUP BY c.tree_size, c.note ORDER BY c.tree_size",
                tenant_id,
                up_to,
            )
        result = []
        for row in rows:
            note = parse_note(row["note"])
            if row["lines"]:
                note = note.with_lines(row["lines"])
            result.append(StoredCheckpoint(Checkpoint.from_body(note.body), note))
        return result

    async def add_cosignature(
        self, tenant_id: TenantId, size: int, witness: str, line: str
    ) -> None:
        async with scoped_connection(self._pool) as conn, tenant_transaction(conn, tenant_id):
            await conn.execute(
                "INSERT INTO log_cosignatures (tenant_id, tree_size, witness, line)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                tenant_id,
                size,
                witness,
                line,
            )

    async def cosigned_size(self, tenant_id: TenantId, witness: str) -> int:
        """The largest checkpoint ``witness`` cosigned for the tenant (0: none)."""
        async with scoped_connection(self._pool) as conn, tenant_transaction(conn, tenant_id):
            size = await conn.fetchval(
                "SELECT max(tree_size) FROM log_cosignatures WHERE tenant_id = $1 AND witness = $2",
                tenant_id,
                witness,
            )
        return int(size or 0)

    async def inclusion_proof(
        self, tenant_id: TenantId, position: int, tree_size: int
    ) -> InclusionProof:
        """Proof that the event at ``position`` is leaf ``position - 1`` of the tree of size."""
        ranges = merkle.inclusion_ranges(position - 1, tree_size)
        async with scoped_connection(self._pool) as conn, tenant_transaction(conn, tenant_id):
            event_hash, tiles = await _covered_tiles(
                conn, tenant_id, tree_size, _tiles_of(ranges), event_at=position
            )
        return InclusionProof(position, tree_size, event_hash, _compose(ranges, tiles))

    async def consistency_proof(
        self, tenant_id: TenantId, old_size: int, new_size: int
    ) -> tuple[bytes, ...]:
        ranges = merkle.consistency_ranges(old_size, new_size)
        async with scoped_connection(self._pool) as conn, tenant_transaction(conn, tenant_id):
            _, tiles = await _covered_tiles(conn, tenant_id, new_size, _tiles_of(ranges))
        return _compose(ranges, tiles)

    async def inclusion_proofs(
        self, tenant_id: TenantId, positions: Sequence[int], tree_size: int
    ) -> list[tuple[bytes, ...]]:
        """Proofs for many positions in one tree, reading each tile once."""
        per_position = [merkle.inclusion_ranges(p - 1, tree_size) for p in positions]
        wanted = set().union(*(_tiles_of(ranges) for ranges in per_position))
        async with scoped_connection(self._pool) as conn, tenant_transaction(conn, tenant_id):
            _, tiles = await _covered_tiles(conn, tenant_id, tree_size, wanted)
        return [_compose(ranges, tiles) for ranges in per_position]

    async def position_of(self, tenant_id: TenantId, event_id: UUID) -> int | None:
        async with scoped_connection(self._pool) as conn, tenant_transaction(conn, tenant_id):
            position: int | None = await conn.fetchval(
                "SELECT position FROM events WHERE tenant_id = $1 AND event_id = $2",
                tenant_id,
                event_id,
            )
        return position


async def read_checkpoint(
    conn: Connection, tenant_id: TenantId, size: int | None = None
) -> StoredCheckpoint | None:
    """The latest checkpoint (or the one of ``size``) with its cosignatures; None if none.

    In the caller's tenant transaction, so a reader that holds a connection needs no other;
    one statement, as every page a feed serves or a webhook sends reads it.
    """
    row = await conn.fetchrow(CHECKPOINT, tenant_id, size)
    return None if row is None else checkpoint_of(row)


def checkpoint_of(row: Any) -> StoredCheckpoint:  # noqa: ANN401 - an asyncpg Record
    """The checkpoint in a row of ``CHECKPOINT`` (its ``note`` and ``lines``)."""
    note = parse_note(row["note"])
    if row["lines"]:
        note = note.with_lines("".join(row["lines"]))
    return StoredCheckpoint(Checkpoint.from_body(note.body), note)


CHECKPOINT = """
SELECT c.note,
       array(SELECT s.line FROM log_cosignatures s
              WHERE s.tenant_id = c.tenant_id AND s.tree_size = c.tree_size
              ORDER BY s.witness) AS lines
  FROM log_checkpoints c
 WHERE c.tenant_id = $1 AND ($2::bigint IS NULL OR c.tree_size = $2)
 ORDER BY c.tree_size DESC LIMIT 1
"""
"""``read_checkpoint``'s statement: ``$1`` the tenant, ``$2`` the size or NULL for the latest.
A statement that reads more in the same round trip may embed it (``partners.feeds``)."""


async def _leaves(conn: Connection, tenant_id: str, size: int, target: int) -> list[bytes]:
    """The leaf hashes of positions ``size + 1`` to ``target``, all of which must be there.

    The event hashes come as one concatenated value: a row per event cost the client more
    than hashing it. Positions are unique per tenant, so as many rows as positions in the
    range means none is missing.
    """
    row = await conn.fetchrow(
        "SELECT count(*), string_agg(event_hash, ''::bytea ORDER BY position) FROM events"
        " WHERE tenant_id = $1 AND position > $2 AND position <= $3",
        tenant_id,
        size,
        target,
    )
    count, packed = (row[0], row[1] or b"") if row is not None else (0, b"")
    if count != target - size:
        missing = await conn.fetchval(
            "SELECT min(p) FROM generate_series($2::bigint, $3::bigint) AS p WHERE NOT EXISTS"
            " (SELECT FROM events WHERE tenant_id = $1 AND position = p)",
            tenant_id,
            size + 1,
            target,
        )
        raise merkle.ProofError(f"position {missing} is missing from the log")
    if len(packed) != count * merkle.HASH_SIZE:
        raise merkle.ProofError(
            f"an event hash after position {size}, up to {target}, is not {merkle.HASH_SIZE} bytes"
        )
    return merkle.leaf_hashes(packed)


def _edge(size: int) -> set[merkle.TileId]:
    return {(level, index) for level, (index, count) in merkle.right_edge_tiles(size).items()
            if count}  # fmt: skip


# The stored tiles of tenant $1 among the wanted ones, given as levels $2 and indexes $3.
_WANTED_TILES = (
    "SELECT t.level, t.tile_index, t.hashes FROM log_tiles t"
    " JOIN unnest($2::int2[], $3::int8[]) AS w(level, tile_index)"
    " ON t.level = w.level AND t.tile_index = w.tile_index WHERE t.tenant_id = $1"
)
# One statement per proof: the latest checkpoint's size, the leaf's event hash (if asked) and
# the tiles, since every round trip to the database costs more here than the hashing.
_COVERED_TILES = f"""
SELECT (SELECT max(tree_size) FROM log_checkpoints WHERE tenant_id = $1) AS covered,
       (SELECT event_hash FROM events WHERE tenant_id = $1 AND position = $4) AS event_hash,
       array(SELECT ROW(w.level, w.tile_index, w.hashes) FROM ({_WANTED_TILES}) w) AS tiles
"""  # noqa: S608 - constant SQL


def _wanted(tiles: Iterable[merkle.TileId]) -> tuple[list[int], list[int]]:
    """The arguments $2 and $3 of ``_WANTED_TILES``."""
    wanted = sorted(tiles)
    return [level for level, _ in wanted], [index for _, index in wanted]


async def _covered_tiles(
    conn: Connection,
    tenant_id: str,
    size: int,
    tiles: Iterable[merkle.TileId],
    *,
    event_at: int | None = None,
) -> tuple[bytes, dict[merkle.TileId, merkle.PackedTile]]:
    """The event hash at ``event_at`` and the wanted tiles, if a checkpoint covers ``size``."""
    row = await conn.fetchrow(_COVERED_TILES, tenant_id, *_wanted(tiles), event_at)
    covered = row["covered"] if row is not None else None
    if row is None or covered is None or size > covered:
        raise LogNotReadyError(
            f"No checkpoint of {tenant_id} covers size {size} yet (latest: {covered or 0})."
        )
    return row["event_hash"], _packed(row["tiles"])


async def _load_tiles(
    conn: Connection, tenant_id: str, tiles: Iterable[merkle.TileId]
) -> dict[merkle.TileId, merkle.PackedTile]:
    return _packed(await conn.fetch(_WANTED_TILES, tenant_id, *_wanted(tiles)))


def _packed(rows: Iterable[Any]) -> dict[merkle.TileId, merkle.PackedTile]:
    return {(level, index): merkle.PackedTile(hashes) for level, index, hashes in rows}


async def _store_tiles(conn: Connection, tenant_id: str, tiles: dict[merkle.TileId, bytes]) -> None:
    """Write grown tiles; a stored tile only ever grows, keeping what it held."""
    if not tiles:
        return
    written = await conn.fetchval(
        "WITH written AS (INSERT INTO log_tiles AS t (tenant_id, level, tile_index, hashes)"
        " SELECT $1, u.level, u.tile_index, u.hashes"
        " FROM unnest($2::int2[], $3::int8[], $4::bytea[]) AS u(level, tile_index, hashes)"
        " ON CONFLICT (tenant_id, level, tile_index) DO UPDATE SET hashes = EXCLUDED.hashes"
        " WHERE substring(EXCLUDED.hashes FROM 1 FOR length(t.hashes)) = t.hashes"
        " RETURNING 1) SELECT count(*) FROM written",
        tenant_id,
        [level for level, _ in tiles],
        [index for _, index in tiles],
        list(tiles.values()),
    )
    if written != len(tiles):
        raise merkle.ProofError("a stored tile does not begin with what the tree holds")


def _tiles_of(ranges: Sequence[tuple[int, int]]) -> set[merkle.TileId]:
    return merkle.tiles_for(node for a, b in ranges for node in merkle.range_nodes(a, b))


def _compose(
    ranges: Sequence[tuple[int, int]], tiles: Mapping[merkle.TileId, Sequence[bytes]]
) -> tuple[bytes, ...]:
    return tuple(
        merkle.fold([merkle.node_from_tiles(node, tiles) for node in merkle.range_nodes(a, b)])
        for a, b in ranges
    )
