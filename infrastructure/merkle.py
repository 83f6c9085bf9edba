"""RFC 9162 Merkle trees: hashes, proofs and their verification, and the tiles they are kept in.

Pure functions over byte strings, so the offline verifier computes exactly what the log serves.
Leaves are hashed ``SHA-256(0x00 || data)``, inner nodes ``SHA-256(0x01 || left || right)``;
the empty tree's root is ``SHA-256("")`` (RFC 9162 §2.1.1). A *node* ``(level, index)`` is the
complete subtree over leaves ``[index << level, (index + 1) << level)``.

Node hashes are stored in tiles as Tessera does: the tile ``(tile_level, tile_index)`` holds up
to 256 consecutive hashes of nodes at level ``8 * tile_level``; every other complete node is
hashed up from one tile's entries, so a proof reads a handful of tiles and never scans the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import overload

HASH_SIZE = 32
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]
"""``(level, index)`` of a complete subtree."""
TileId = tuple[int, int]
"""``(tile_level, tile_index)``."""


class ProofError(ValueError):
    """A proof that does not verify, or sizes that no proof can exist for."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def leaf_hashes(packed: bytes) -> list[bytes]:
    """``leaf_hash`` of each of the ``HASH_SIZE``-byte entries ``packed`` holds, in order."""
    if len(packed) % HASH_SIZE:
        raise ProofError(f"{len(packed)} bytes are no whole number of {HASH_SIZE}-byte hashes")
    sha256 = hashlib.sha256
    return [
        sha256(b"\x00" + packed[start : start + HASH_SIZE]).digest()
        for start in range(0, len(packed), HASH_SIZE)
    ]


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size > 1``)."""
    return 1 << ((size - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[Node]:
    """The complete subtrees, left to right, whose hashes fold into MTH(D[start:end]).

    ``start`` is aligned as in every range a proof or a root needs (a multiple of a power of
    two at least ``end - start``), so the sizes descend and folding from the right gives MTH.
    """
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        while start & ((1 << level) - 1):
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH over a range from its ``range_nodes`` hashes."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH make PATH(index, D[size]) (RFC 9162 §2.1.3.1), bottom up."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    low, high = 0, size
    while high - low > 1:
        k = _split(high - low)
        if index - low < k:
            ranges.append((low + k, high))
            high = low + k
        else:
            ranges.append((low, low + k))
            low += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH make PROOF(old_size, D[new_size]) (RFC 9162 §2.1.4.1)."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    low, high, whole_old_tree = 0, new_size, True
    while old_size != high:
        k = _split(high - low)
        if old_size - low <= k:
            ranges.append((low + k, high))
            high = low + k
        else:
            ranges.append((low, low + k))
            low += k
            whole_old_tree = False
    if not whole_old_tree:
        ranges.append((low, high))
    ranges.reverse()
    return ranges


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from the leaf hash ``leaf`` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is high")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is high")
    return result


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(f"leaf {index} is not included in the tree of size {size} with that root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise unless ``proof`` shows the tree ``new_root`` extends ``old_root`` (§2.1.4.2)."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"a tree of size {new_size} cannot extend one of size {old_size}")
    if old_size == new_size:
        if proof or old_root != new_root:
            raise ProofError(f"two different trees of size {new_size}")
        return
    if old_size == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    first, second = _roots_from_consistency(old_size, new_size, old_root, proof)
    if first != old_root or second != new_root:
        raise ProofError(f"the tree of size {new_size} does not extend the one of size {old_size}")


def _roots_from_consistency(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """The old and new roots a consistency proof leads to (0 < old_size < new_size)."""
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = path[0]
    for sibling in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            first, second = node_hash(sibling, first), node_hash(sibling, second)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    return first, second


class CompactTree:
    """A tree's right edge: the roots of its complete subtrees, enough to append and to root.

    Memory is log2(size) hashes, so a verifier roots a log of any length in one pass.
    """

    def __init__(self) -> None:
        self.size = 0
        self._edge: list[tuple[int, bytes]] = []

    def append(self, leaf: bytes) -> None:
        """Append a leaf *hash*."""
        self._push(0, leaf)

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append leaf hashes; each aligned block of up to 256 is hashed up as one subtree.

        The same hashes as ``append`` one by one, with less interpreter work per leaf.
        """
        done, count = 0, len(leaves)
        while done < count:
            level = TILE_HEIGHT
            while level and (self.size & ((1 << level) - 1) or done + (1 << level) > count):
                level -= 1
            width = 1 << level
            self._push(level, hash_up(leaves[done : done + width]) if level else leaves[done])
            done += width

    def _push(self, level: int, value: bytes) -> None:
        """Add a complete subtree of height ``level`` at the right edge (size is aligned)."""
        self.size += 1 << level
        while self._edge and self._edge[-1][0] == level:
            _, left = self._edge.pop()
            level, value = level + 1, node_hash(left, value)
        self._edge.append((level, value))

    def root(self) -> bytes:
        return fold([value for _, value in self._edge])


def tile_of(node: Node) -> tuple[TileId, int, int]:
    """The tile that holds ``node``'s descendants at its tile level: (tile, first entry, count)."""
    level, index = node
    tile_level, height = divmod(level, TILE_HEIGHT)
    first = index << height
    return (tile_level, first // TILE_WIDTH), first % TILE_WIDTH, 1 << height


def hash_up(entries: Sequence[bytes]) -> bytes:
    """The root over a power-of-two number of node hashes."""
    layer = list(entries)
    while len(layer) > 1:
        layer = [node_hash(layer[i], layer[i + 1]) for i in range(0, len(layer), 2)]
    return layer[0]


class PackedTile(Sequence[bytes]):
    """A stored tile's concatenated hashes, split only where a proof reads them.

    A proof needs a few entries of each of its tiles; splitting all 256 of every tile cost
    more than the hashing.
    """

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def __len__(self) -> int:
        return len(self._data) // HASH_SIZE

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...
    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        start = (index % len(self)) * HASH_SIZE
        return self._data[start : start + HASH_SIZE]


def node_from_tiles(node: Node, tiles: Mapping[TileId, Sequence[bytes]]) -> bytes:
    tile, first, count = tile_of(node)
    entries = tiles.get(tile, ())
    if len(entries) < first + count:
        raise ProofError(f"tile {tile} does not hold node {node}: the tree is not that large")
    return hash_up(entries[first : first + count])


def tiles_for(nodes: Iterable[Node]) -> set[TileId]:
    return {tile_of(node)[0] for node in nodes}


def right_edge_tiles(size: int) -> dict[int, tuple[int, int]]:
    """Per tile level, the last tile of a tree of ``size`` and how many entries it holds.

    Only these can be partial; every node on the tree's right edge lies in one of them.
    """
    edge: dict[int, tuple[int, int]] = {}
    tile_level = 0
    while size >> (TILE_HEIGHT * tile_level):
        nodes_at_level = size >> (TILE_HEIGHT * tile_level)
        edge[tile_level] = (nodes_at_level // TILE_WIDTH, nodes_at_level % TILE_WIDTH)
        tile_level += 1
    return edge


class TileBuilder:
    """Extends a tree kept in tiles.

    Fed the tree's right-edge tiles, it appends leaves and says which tiles to write: every
    tile it touched, full or partial.
    """

    def __init__(self, size: int, edge_tiles: Mapping[TileId, Sequence[bytes]]) -> None:
        self.size = size
        self._tiles: dict[TileId, list[bytes]] = {}
        for tile_level, (tile_index, count) in right_edge_tiles(size).items():
            entries = list(edge_tiles.get((tile_level, tile_index), ()))
            if len(entries) != count:
                raise ProofError(
                    f"tile {(tile_level, tile_index)} holds {len(entries)} hashes, "
                    f"a tree of size {size} needs {count}"
                )
            self._tiles[(tile_level, tile_index)] = entries
        self._touched: set[TileId] = set()

    def append(self, leaves: Sequence[bytes]) -> None:
        """Append leaf *hashes*, a bottom tile's worth at a time."""
        done, count = 0, len(leaves)
        while done < count:
            tile = (0, self.size // TILE_WIDTH)
            entries = self._tiles.setdefault(tile, [])
            taken = min(TILE_WIDTH - len(entries), count - done)
            entries.extend(leaves[done : done + taken])
            self._touched.add(tile)
            self.size += taken
            done += taken
            if len(entries) == TILE_WIDTH:
                self._add(1, tile[1], hash_up(entries))

    def _add(self, tile_level: int, position: int, value: bytes) -> None:
        tile = (tile_level, position // TILE_WIDTH)
        entries = self._tiles.setdefault(tile, [])
        entries.append(value)
        self._touched.add(tile)
        if len(entries) == TILE_WIDTH:
            self._add(tile_level + 1, position // TILE_WIDTH, hash_up(entries))

    def root(self) -> bytes:
        return fold([node_from_tiles(node, self._tiles) for node in range_nodes(0, self.size)])

    def touched(self) -> dict[TileId, bytes]:
        """The tiles to store, each as its concatenated hashes."""
        return {tile: b"".join(self._tiles[tile]) for tile in sorted(self._touched)}
