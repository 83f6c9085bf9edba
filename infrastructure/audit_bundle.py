"""Audit bundles: one self-contained file with a tenant's (or a pupil's) events and their proofs.

A bundle is a ZIP archive (docs/audit-bundle.md describes it for other verifiers):
``bundle.json`` (what it holds and the keys), ``events.ndjson`` (the stored events, position
order), ``checkpoint.txt`` (the signed checkpoint it is checked against, with cosignatures),
``checkpoints.ndjson`` (every earlier checkpoint, for a full log) or ``proofs.ndjson`` (an
inclusion proof per event, for a pupil). ``verify_bundle`` needs nothing but the file and,
optionally, keys to pin: no database, server or network.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import multiprocessing
import os
import threading
import zipfile
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from infrastructure import merkle
from infrastructure.hash_chain import (
    ChainRow,
    ChainWalk,
    canonical_json,
    genesis_hash,
    hash_of_canonical,
)
from infrastructure.merkle import HASH_SIZE
from infrastructure.signed_note import Checkpoint, Note, NoteError, Verifier, parse_note

FORMAT = "passend-audit-bundle/1"
FULL_LOG = "tenant"
PUPIL = "pupil"


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    format: str
    kind: str
    tenant: str
    origin: str
    tree_size: int
    events: int
    log_key: str
    witness_keys: list[str] = msgspec.field(default_factory=list)
    pupil_id: str | None = None
    exported_at: str


class BundleEvent(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    envelope: msgspec.Raw
    payload: msgspec.Raw
    event_hash: str
    commit_hash: str | None


class BundleProof(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    hashes: list[str]


class BundleCheckpoint(msgspec.Struct, frozen=True, kw_only=True):
    size: int
    note: str


_event_decoder = msgspec.json.Decoder(BundleEvent)
_proof_decoder = msgspec.json.Decoder(BundleProof)
_checkpoint_decoder = msgspec.json.Decoder(BundleCheckpoint)
_encoder = msgspec.json.Encoder()


def write_bundle(  # noqa: PLR0913 - the parts of a bundle
    path: Path,
    manifest: Manifest,
    checkpoint: Note,
    events: Iterable[BundleEvent],
    *,
    checkpoints: Sequence[Note] = (),
    proofs: Iterable[BundleProof] | None = None,
) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("bundle.json", msgspec.json.format(_encoder.encode(manifest)))
        bundle.writestr("checkpoint.txt", checkpoint.text)
        with bundle.open("events.ndjson", "w") as out:
            for event in events:
                out.write(_encoder.encode(event) + b"\n")
        if proofs is not None:
            with bundle.open("proofs.ndjson", "w") as out:
                for proof in proofs:
                    out.write(_encoder.encode(proof) + b"\n")
        with bundle.open("checkpoints.ndjson", "w") as out:
            for note in checkpoints:
                size = Checkpoint.from_body(note.body).size
                out.write(_encoder.encode(BundleCheckpoint(size=size, note=note.text)) + b"\n")


@dataclass(slots=True)
class Verdict:
    """What ``verify_bundle`` found: intact, or the first position where it breaks and why."""

    tenant: str
    tree_size: int
    events: int = 0
    first_broken_position: int | None = None
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    event_position: int | None = None

    @property
    def intact(self) -> bool:
        return self.reason is None

    def broken(self, position: int | None, reason: str) -> Verdict:
        if self.reason is None:
            self.first_broken_position, self.reason = position, reason
        return self


def _lines(bundle: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    if name not in bundle.namelist():
        return
    with bundle.open(name) as lines:
        for line in lines:
            if line.strip():
                yield line


def _recomputed_hash(event: BundleEvent) -> bytes:
    envelope = canonical_json(msgspec.json.decode(event.envelope))
    payload = canonical_json(msgspec.json.decode(event.payload))
    return hash_of_canonical(envelope, payload)


def _check_signatures(
    note: Note, log_key: Verifier, witness_keys: Sequence[Verifier], verdict: Verdict
) -> None:
    note.verified_by(log_key)
    for witness in witness_keys:
        if any(name == witness.name for name, _, _ in note.signatures):
            note.verified_by(witness)
            verdict.notes.append(f"cosigned by {witness.name}")


def verify_bundle(
    path: Path,
    *,
    log_key: str | None = None,
    witness_keys: Sequence[str] = (),
    event_id: str | None = None,
    workers: int | None = None,
) -> Verdict:
    """Recompute every hash, the chain and the root, check the signatures; name the first break.

    ``log_key`` and ``witness_keys`` (vkeys) pin the keys; without them the bundle's own keys
    are used, which shows integrity but not who signed, and the verdict says so. ``workers``
    processes share the hashing of a full log (by default every core for a large one, else
    none); the verdict is the same with any number.
    """
    with zipfile.ZipFile(path) as bundle:
        manifest = msgspec.json.decode(bundle.read("bundle.json"), type=Manifest)
        verdict = Verdict(manifest.tenant, manifest.tree_size)
        if manifest.format != FORMAT:
            return verdict.broken(None, f"unknown bundle format {manifest.format!r}")
        if log_key is None:
            verdict.notes.append("signatures checked against the keys in the bundle itself")
        try:
            log = Verifier.from_vkey(log_key or manifest.log_key)
            witnesses = [Verifier.from_vkey(k) for k in witness_keys or manifest.witness_keys]
            note = parse_note(bundle.read("checkpoint.txt").decode())
            _check_signatures(note, log, witnesses, verdict)
            checkpoint = Checkpoint.from_body(note.body)
        except NoteError as error:
            return verdict.broken(None, f"the checkpoint is not valid: {error}")
        if checkpoint.origin != manifest.origin or log.name != manifest.origin:
            return verdict.broken(None, "the checkpoint is not of this tenant's log")
        if checkpoint.size != manifest.tree_size:
            return verdict.broken(None, "the checkpoint is not the one the bundle names")
        if manifest.kind == FULL_LOG:
            if workers is None:
                large = _EVENTS in bundle.namelist() and (
                    bundle.getinfo(_EVENTS).file_size >= _PARALLEL_FROM_BYTES
                )
                workers = (os.cpu_count() or 1) if large else 1
            if _intact_full_log(bundle, checkpoint, log, verdict, event_id, workers=workers):
                return verdict
            _verify_full_log(
                bundle,
                manifest=manifest,
                checkpoint=checkpoint,
                log=log,
                verdict=verdict,
                event_id=event_id,
            )
        else:
            _verify_with_proofs(bundle, manifest, checkpoint, verdict, event_id)
    return verdict


def _earlier_checkpoints(
    bundle: zipfile.ZipFile, log: Verifier, size: int
) -> dict[int, Checkpoint]:
    earlier: dict[int, Checkpoint] = {}
    for line in _lines(bundle, "checkpoints.ndjson"):
        entry = _checkpoint_decoder.decode(line)
        note = parse_note(entry.note)
        note.verified_by(log)
        checkpoint = Checkpoint.from_body(note.body)
        if checkpoint.size != entry.size or checkpoint.size > size:
            raise NoteError(f"checkpoint {entry.size} is not what it says")
        earlier[checkpoint.size] = checkpoint
    return earlier


class _EnvelopeIds(msgspec.Struct, frozen=True):
    event_id: str | None = None


_events_decoder = msgspec.json.Decoder(list[BundleEvent])
_envelope_ids_decoder = msgspec.json.Decoder(_EnvelopeIds)
_EVENTS = "events.ndjson"
_CHUNK_BYTES = 4 << 20
_PARALLEL_FROM_BYTES = 64 << 20
"""Smaller logs are checked in this process: starting workers would cost more than it saves."""


@dataclass(frozen=True, slots=True)
class _Stretch:
    """What consecutive event lines show checked on their own: all or nothing of the log."""

    intact: bool
    first: int = 0
    count: int = 0
    leaves: bytes = b""
    """The leaf hashes, concatenated."""
    head: tuple[bytes, ...] = ()
    """Event hashes up to the end of the first commit that ends here (all if none does)."""
    first_commit: bytes | None = None
    last_commit: bytes | None = None
    tail: tuple[bytes, ...] = ()
    """Event hashes after the last commit that ends here."""
    found: tuple[int, ...] = ()
    """Positions of the event asked about."""


def _check_stretch(lines: bytes, tenant_suffix: bytes, event_id: str | None) -> _Stretch:
    """Check lines of ``events.ndjson`` without what came before them (a worker's part).

    The envelope and payload are hashed as the bundle carries them: when that gives the stored
    hash, they are the canonical bytes the log hashed, and a canonical envelope names its
    tenant in its last member. Each commit after the first is chained on the commit hash
    stored before it; the first is left to the caller, who knows the chain so far.
    """
    try:
        events = _events_decoder.decode(b"[" + lines.replace(b"\n", b",") + b"]")
    except msgspec.DecodeError:
        return _Stretch(intact=False)
    if not events:
        return _Stretch(intact=True)
    sha256, join, first = hashlib.sha256, b"".join, events[0].position
    # Whole-block comprehensions rather than one loop: each check runs at C speed, in order.
    digests = [sha256(join((e.envelope, b"\n", e.payload))).digest() for e in events]
    if (
        [e.position for e in events] != list(range(first, first + len(events)))
        or [d.hex() for d in digests] != [e.event_hash for e in events]
        or not all(bytes(e.envelope).endswith(tenant_suffix) for e in events)
    ):
        return _Stretch(intact=False)
    ends = [i for i, e in enumerate(events) if e.commit_hash is not None]
    commits = [bytes.fromhex(events[i].commit_hash or "") for i in ends]
    for before, (start, end), commit in zip(
        commits, itertools.pairwise(ends), commits[1:], strict=False
    ):
        if sha256(join((before, *digests[start + 1 : end + 1]))).digest() != commit:
            return _Stretch(intact=False)
    found: tuple[int, ...] = ()
    if event_id is not None:
        ids = (_envelope_ids_decoder.decode(e.envelope).event_id for e in events)
        found = tuple(first + i for i, e in enumerate(ids) if e == event_id)
    return _Stretch(
        intact=True,
        first=first,
        count=len(events),
        leaves=join([sha256(b"\x00" + d).digest() for d in digests]),
        head=tuple(digests[: ends[0] + 1] if ends else digests),
        first_commit=commits[0] if commits else None,
        last_commit=commits[-1] if commits else None,
        tail=tuple(digests[ends[-1] + 1 :]) if ends else (),
        found=found,
    )


def _line_blocks(bundle: zipfile.ZipFile) -> Iterator[bytes]:
    """``events.ndjson`` a few megabytes of whole lines at a time (no final newline)."""
    with bundle.open(_EVENTS) as stream:
        rest = b""
        while block := stream.read(_CHUNK_BYTES):
            whole, _, rest = (rest + block).rpartition(b"\n")
            if whole:
                yield whole
        if rest.strip():
            yield rest


def _stretches(
    bundle: zipfile.ZipFile, tenant_suffix: bytes, event_id: str | None, workers: int
) -> Iterator[_Stretch]:
    """Each block of lines checked, in order: here, or by ``workers`` processes at once."""
    if workers <= 1:
        for block in _line_blocks(bundle):
            yield _check_stretch(block, tenant_suffix, event_id)
        return
    # Forking is instant; a process with other threads (a server, the bench) starts its
    # workers afresh instead, as a fork would copy locks those threads may hold.
    alone = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    start = multiprocessing.get_context("fork" if alone else "spawn")
    with ProcessPoolExecutor(workers, mp_context=start) as pool:
        running: deque[Future[_Stretch]] = deque()
        for block in _line_blocks(bundle):
            running.append(pool.submit(_check_stretch, block, tenant_suffix, event_id))
            if len(running) > 2 * workers:  # bounded: a large log never sits in memory whole
                yield running.popleft().result()
        while running:
            yield running.popleft().result()


def _intact_full_log(  # noqa: PLR0913 - the bundle, what it is checked against, and how
    bundle: zipfile.ZipFile,
    checkpoint: Checkpoint,
    log: Verifier,
    verdict: Verdict,
    event_id: str | None,
    *,
    workers: int,
) -> bool:
    """The fast path for a full log: True, with ``verdict`` filled in, if it is intact.

    Anything else (a hash that differs, a line out of order, a blank line, a root that does
    not match) returns False, and ``_verify_full_log`` walks the bundle again the careful way
    to name the first break, so the verdict is the same either way.
    """
    try:
        earlier = _earlier_checkpoints(bundle, log, checkpoint.size)
        suffix = b',"tenant_id":' + canonical_json(verdict.tenant) + b"}"
        stretches = _stretches(bundle, suffix, event_id, workers)
        return _stitch(stretches, checkpoint, earlier, verdict, event_id)
    except (NoteError, msgspec.DecodeError, ValueError, KeyError, BrokenExecutor):
        return False


def _stitch(
    stretches: Iterator[_Stretch],
    checkpoint: Checkpoint,
    earlier: dict[int, Checkpoint],
    verdict: Verdict,
    event_id: str | None,
) -> bool:
    """Join checked stretches: positions follow on, the chain runs through, the roots match."""
    size, tree = checkpoint.size, merkle.CompactTree()
    chain, pending = genesis_hash(verdict.tenant), b""
    found: int | None = None
    for stretch in stretches:
        if not stretch.intact or stretch.first != tree.size + 1:
            return False
        if stretch.first_commit is None:
            pending += b"".join(stretch.head)
        else:
            opened = hashlib.sha256(chain + pending + b"".join(stretch.head)).digest()
            if opened != stretch.first_commit or stretch.last_commit is None:
                return False
            chain, pending = stretch.last_commit, b"".join(stretch.tail)
        # the last at or before the checkpoint's size, as the careful walk would name it
        found = max((p for p in stretch.found if p <= size), default=found)
        taken = min(stretch.count, size - tree.size)
        leaves = [stretch.leaves[i : i + HASH_SIZE] for i in range(0, taken * HASH_SIZE, HASH_SIZE)]
        stops = sorted(s for s in earlier if tree.size < s <= tree.size + taken)
        done = tree.size
        for stop in stops:
            tree.extend(leaves[done - stretch.first + 1 : stop - stretch.first + 1])
            done = stop
            if earlier[stop].root != tree.root():
                return False
        tree.extend(leaves[done - stretch.first + 1 :])
        if tree.size >= size:
            break
    if tree.size != size or tree.root() != checkpoint.root:
        return False
    if event_id is not None and found is None:
        return False
    verdict.events, verdict.event_position = tree.size, found
    return True


def _event_break(
    event: BundleEvent, expected: int, tenant: str, chain: ChainWalk
) -> tuple[int | None, str] | None:
    """Where and why one event of a full log breaks it; None if it does not."""
    if event.position != expected:
        return expected, "a position is missing from the log, or out of order"
    if msgspec.json.decode(event.envelope).get("tenant_id") != tenant:
        return event.position, "the event belongs to another tenant"
    stored = bytes.fromhex(event.event_hash)
    commit = bytes.fromhex(event.commit_hash) if event.commit_hash else None
    broken = chain.feed([ChainRow(event.position, stored, _recomputed_hash(event), commit)])
    if broken is not None:
        return broken.first_broken_position, broken.reason or "the chain breaks"
    return None


def _root_break(last_checked: int, size: int, what: str) -> tuple[int, str]:
    """The first position after the last checkpoint that matched, and why it is named."""
    return (
        last_checked + 1,
        f"positions {last_checked + 1}-{size} do not produce {what} checkpoint {size}",
    )


def _verify_full_log(  # noqa: PLR0913 - one pass over the log needs all of these
    bundle: zipfile.ZipFile,
    *,
    manifest: Manifest,
    checkpoint: Checkpoint,
    log: Verifier,
    verdict: Verdict,
    event_id: str | None,
) -> None:
    try:
        earlier = _earlier_checkpoints(bundle, log, checkpoint.size)
    except NoteError as error:
        verdict.broken(None, f"an earlier checkpoint is not valid: {error}")
        return
    tree = merkle.CompactTree()
    chain = ChainWalk(manifest.tenant)
    last_checked = 0
    for line in _lines(bundle, "events.ndjson"):
        event = _event_decoder.decode(line)
        broken = _event_break(event, tree.size + 1, manifest.tenant, chain)
        if broken is not None:
            verdict.broken(*broken)
            return
        tree.append(merkle.leaf_hash(bytes.fromhex(event.event_hash)))
        verdict.events += 1
        if event_id is not None and msgspec.json.decode(event.envelope)["event_id"] == event_id:
            verdict.event_position = event.position
        if tree.size in earlier:
            if earlier[tree.size].root != tree.root():
                verdict.broken(*_root_break(last_checked, tree.size, "the root signed at"))
                return
            last_checked = tree.size
        if tree.size == checkpoint.size:
            break
    _check_end(tree, checkpoint, last_checked, verdict, event_id)


def _check_end(
    tree: merkle.CompactTree,
    checkpoint: Checkpoint,
    last_checked: int,
    verdict: Verdict,
    event_id: str | None,
) -> None:
    if tree.size != checkpoint.size:
        verdict.broken(tree.size + 1, "the log ends before the checkpoint's size")
    elif tree.root() != checkpoint.root:
        verdict.broken(*_root_break(last_checked, tree.size, "the root of"))
    elif event_id is not None and verdict.event_position is None:
        verdict.broken(None, f"event {event_id} is not in the bundle")


def _verify_with_proofs(
    bundle: zipfile.ZipFile,
    manifest: Manifest,
    checkpoint: Checkpoint,
    verdict: Verdict,
    event_id: str | None,
) -> None:
    proofs = {p.position: p for p in map(_proof_decoder.decode, _lines(bundle, "proofs.ndjson"))}
    previous = 0
    for line in _lines(bundle, "events.ndjson"):
        event = _event_decoder.decode(line)
        stored = bytes.fromhex(event.event_hash)
        envelope = msgspec.json.decode(event.envelope)
        if event.position <= previous or event.position > checkpoint.size:
            verdict.broken(event.position, "the event is out of order or beyond the checkpoint")
            return
        previous = event.position
        if envelope.get("tenant_id") != manifest.tenant:
            verdict.broken(event.position, "the event belongs to another tenant")
            return
        if _recomputed_hash(event) != stored:
            verdict.broken(event.position, "the event's content does not match its hash")
            return
        proof = proofs.get(event.position)
        if proof is None:
            verdict.broken(event.position, "the event has no inclusion proof")
            return
        try:
            merkle.verify_inclusion(
                event.position - 1,
                checkpoint.size,
                merkle.leaf_hash(stored),
                [base64.b64decode(h) for h in proof.hashes],
                checkpoint.root,
            )
        except merkle.ProofError as error:
            verdict.broken(event.position, f"the event is not in the signed tree: {error}")
            return
        verdict.events += 1
        if event_id is not None and envelope.get("event_id") == event_id:
            verdict.event_position = event.position
    if verdict.events != manifest.events:
        verdict.broken(
            None, f"the bundle names {manifest.events} events but holds {verdict.events}"
        )
    elif event_id is not None and verdict.event_position is None:
        verdict.broken(None, f"event {event_id} is not in the bundle")
