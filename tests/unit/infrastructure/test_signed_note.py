"""C2SP signed notes: checkpoints signed by the log, cosigned by witnesses, keys as vkeys."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infrastructure.signed_note import (
    COSIGNATURE_V1,
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    parse_note,
    sign_checkpoint,
)

CHECKPOINT = Checkpoint("passend.test/PO2604", 42, hashlib.sha256(b"root").digest())


def test_a_checkpoint_note_reads_back_and_verifies_with_the_logs_vkey() -> None:
    log = Signer("passend.test/PO2604", Ed25519PrivateKey.generate())

    note = sign_checkpoint(CHECKPOINT, log)
    text = note.text

    assert text.startswith("passend.test/PO2604\n42\n")
    assert "\n\n\u2014 passend.test/PO2604 " in text
    parsed = parse_note(text)
    assert Checkpoint.from_body(parsed.body) == CHECKPOINT
    assert parsed.verified_by(Verifier.from_vkey(log.verifier.vkey)) == 0


def test_a_changed_body_or_another_key_does_not_verify() -> None:
    log = Signer("passend.test/PO2604", Ed25519PrivateKey.generate())
    text = sign_checkpoint(CHECKPOINT, log).text

    forged = parse_note(text.replace("\n42\n", "\n43\n", 1))
    impostor = Signer("passend.test/PO2604", Ed25519PrivateKey.generate())

    with pytest.raises(NoteError, match="does not verify"):
        forged.verified_by(log.verifier)
    with pytest.raises(NoteError, match="no signature"):
        parse_note(text).verified_by(impostor.verifier)


def test_a_witness_cosignature_carries_its_timestamp() -> None:
    log = Signer("passend.test/PO2604", Ed25519PrivateKey.generate())
    witness = Signer("witness.test/w1", Ed25519PrivateKey.generate(), COSIGNATURE_V1)
    note = sign_checkpoint(CHECKPOINT, log)

    cosigned = note.with_lines(witness.signature_line(note.body, timestamp=1_700_000_000))

    assert cosigned.verified_by(witness.verifier) == 1_700_000_000
    assert cosigned.verified_by(log.verifier) == 0
    assert len(parse_note(cosigned.text).signatures) == 2


@pytest.mark.parametrize(
    "text",
    ["no blank line\n", "a\n1\nroot\n\nnot a signature\n", "a\n1\nroot\n\n"],
)
def test_malformed_notes_are_refused(text: str) -> None:
    with pytest.raises(NoteError):
        parse_note(text)


def test_a_vkey_whose_id_does_not_match_its_key_is_refused() -> None:
    vkey = Signer("w", Ed25519PrivateKey.generate()).verifier.vkey
    name, _key_id, key = vkey.split("+", 2)

    with pytest.raises(NoteError, match="key id"):
        Verifier.from_vkey(f"{name}+{'0' * 8}+{key}")
