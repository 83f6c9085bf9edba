"""``passend verify`` on a bundle of several megabytes: its fast path, in one or more processes.

An intact log passes on the fast path; a changed byte leaves it, and the careful walk names
where the log breaks.
"""

from __future__ import annotations

import random
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infrastructure import merkle
from infrastructure.audit_bundle import (  # the fast path, to see that it is taken
    FORMAT,
    FULL_LOG,
    BundleEvent,
    Manifest,
    Verdict,
    _intact_full_log,
    verify_bundle,
    write_bundle,
)
from infrastructure.hash_chain import (
    canonical_envelope,
    genesis_hash,
    hash_of_canonical,
    next_chain_hash,
)
from infrastructure.signed_note import Checkpoint, Signer, Verifier, parse_note, sign_checkpoint

TENANT = "PO2604"
EVENTS = 15_000  # about 10 MB of lines: several of the verifier's blocks
EARLIER = (1, 255, 4_097, 6_000, 12_345)


def _events(count: int, rng: random.Random) -> list[BundleEvent]:
    """A log of commits of one to three events, each hashed and chained as the store does."""
    chain, events, position = genesis_hash(TENANT), [], 0
    while position < count:
        commit = []
        for _ in range(min(rng.randint(1, 3), count - position)):
            position += 1
            envelope = canonical_envelope(
                {
                    "tenant_id": TENANT,
                    "stream_id": UUID(int=rng.getrandbits(128)),
                    "stream_version": position % 7 + 1,
                    "event_id": UUID(int=position),
                    "event_type": "ArrangementGranted",
                    "schema_version": 1,
                    "recorded_at": datetime(2025, 3, 3, tzinfo=UTC) + timedelta(seconds=position),
                    "actor": "committee:tester",
                    "correlation_id": None,
                    "causation_id": None,
                    "key_ref": None,
                }
            )
            payload = msgspec.json.encode(
                {"amount": position, "provider": "De Brug", "reasons": "Nodig. " * 40}
            )
            commit.append((position, envelope, payload, hash_of_canonical(envelope, payload)))
        chain = next_chain_hash(chain, [digest for *_, digest in commit])
        events += [
            BundleEvent(
                position=at,
                envelope=msgspec.Raw(envelope),
                payload=msgspec.Raw(payload),
                event_hash=digest.hex(),
                commit_hash=chain.hex() if at == commit[-1][0] else None,
            )
            for at, envelope, payload, digest in commit
        ]
    return events


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    events = _events(EVENTS, random.Random(9))
    signer = Signer(f"passend.test/{TENANT}", Ed25519PrivateKey.generate())
    tree, notes = merkle.CompactTree(), []
    for event in events:
        tree.append(merkle.leaf_hash(bytes.fromhex(event.event_hash)))
        if tree.size in EARLIER:
            notes.append(sign_checkpoint(Checkpoint(signer.name, tree.size, tree.root()), signer))
    path = tmp_path_factory.mktemp("bundles") / "log.zip"
    manifest = Manifest(
        format=FORMAT,
        kind=FULL_LOG,
        tenant=TENANT,
        origin=signer.name,
        tree_size=EVENTS,
        events=EVENTS,
        log_key=signer.verifier.vkey,
        exported_at="2025-03-03T12:00:00Z",
    )
    last = sign_checkpoint(Checkpoint(signer.name, EVENTS, tree.root()), signer)
    write_bundle(path, manifest, last, events, checkpoints=notes)
    return path


def _rewritten(bundle: Path, into: Path, change: bytes, to: bytes) -> Path:
    """The bundle with the first occurrence of ``change`` in its events replaced by ``to``."""
    with zipfile.ZipFile(bundle) as original, zipfile.ZipFile(into, "w") as copy:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "events.ndjson":
                assert change in data
                data = data.replace(change, to, 1)
            copy.writestr(item, data)
    return into


def _fast_path_holds(bundle: Path, workers: int) -> bool:
    """Whether the fast path alone finds the bundle intact (else the careful walk decides)."""
    with zipfile.ZipFile(bundle) as opened:
        manifest = msgspec.json.decode(opened.read("bundle.json"), type=Manifest)
        checkpoint = Checkpoint.from_body(parse_note(opened.read("checkpoint.txt").decode()).body)
        verdict = Verdict(manifest.tenant, manifest.tree_size)
        log = Verifier.from_vkey(manifest.log_key)
        return _intact_full_log(opened, checkpoint, log, verdict, None, workers=workers)


@pytest.mark.parametrize("workers", [1, 2])
def test_an_intact_log_verifies_on_the_fast_path_with_any_number_of_workers(
    bundle: Path, workers: int
) -> None:
    verdict = verify_bundle(bundle, workers=workers, event_id=str(UUID(int=6_001)))

    assert _fast_path_holds(bundle, workers)
    assert verdict.intact, verdict.reason
    assert (verdict.events, verdict.event_position) == (EVENTS, 6_001)


@pytest.mark.parametrize(
    ("change", "to", "position", "reason"),
    [
        (b'"amount":9000,', b'"amount":9001,', 9_000, "does not match its hash"),
        (b'"stream_version":3,', b'"stream_version":4,', 2, "does not match its hash"),
        (b'{"position":7777,', b'{"position":7778,', 7_777, "missing from the log"),
        (b'"tenant_id":"PO2604"}', b'"tenant_id":"PO2603"}', 1, "another tenant"),
    ],
)
def test_a_changed_byte_leaves_the_fast_path_and_is_named_where_it_is(  # noqa: PLR0917
    bundle: Path, tmp_path: Path, change: bytes, to: bytes, position: int, reason: str
) -> None:
    tampered = _rewritten(bundle, tmp_path / "tampered.zip", change, to)

    verdict = verify_bundle(tampered, workers=2)

    assert not _fast_path_holds(tampered, workers=1)
    assert verdict.first_broken_position == position
    assert reason in (verdict.reason or "")
