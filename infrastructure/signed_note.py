"""C2SP signed notes, tlog checkpoints and tlog cosignatures, with Ed25519 (``cryptography``).

A note is a body of newline-terminated lines, a blank line, and signature lines
``— <key name> base64(key id || signature)``. A log signs the body itself, with key id
SHA-256(name, newline, 0x01, public key) cut to 4 bytes; a witness cosigns the lines
``cosignature/v1`` and ``time <t>`` followed by the body (key id with 0x04) and puts the
timestamp before its signature. A checkpoint body is the origin, the tree size and the base64
root hash. Verifier keys are written as vkeys: ``<name>+<hex key id>+base64(type || key)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
_DASH = "\u2014 "


class NoteError(ValueError):
    """A note, checkpoint or key that is malformed or whose signature does not verify."""


def _key_id(name: str, kind: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True, slots=True)
class Verifier:
    """A public key that may sign notes under ``name``: a log's (0x01) or a witness's (0x04)."""

    name: str
    kind: int
    public: bytes

    @property
    def key_id(self) -> bytes:
        return _key_id(self.name, self.kind, self.public)

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([self.kind]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        try:
            name, key_id, encoded = vkey.strip().split("+", 2)
            raw = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise NoteError(f"not a verifier key: {vkey!r}") from None
        if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):  # noqa: PLR2004
            raise NoteError(f"not an Ed25519 verifier key: {vkey!r}")
        verifier = cls(name, raw[0], raw[1:])
        if verifier.key_id.hex() != key_id:
            raise NoteError(f"the key id of {name!r} does not match its key")
        return verifier

    def check(self, body: str, signature: bytes) -> int | None:
        """The timestamp of a valid cosignature, 0 for a valid log signature; else raise."""
        key = Ed25519PublicKey.from_public_bytes(self.public)
        message, stamp = body.encode(), 0
        if self.kind == COSIGNATURE_V1:
            if len(signature) != 8 + 64:
                raise NoteError(f"malformed cosignature by {self.name}")
            stamp = int.from_bytes(signature[:8], "big")
            message = cosigned_message(body, stamp)
            signature = signature[8:]
        try:
            key.verify(signature, message)
        except InvalidSignature:
            raise NoteError(f"the signature by {self.name} does not verify") from None
        return stamp


def cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


@dataclass(frozen=True, slots=True)
class Signer:
    name: str
    key: Ed25519PrivateKey
    kind: int = ED25519

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.kind, _raw(self.key.public_key()))

    def signature_line(self, body: str, *, timestamp: int | None = None) -> str:
        if self.kind == COSIGNATURE_V1:
            stamp = int(time.time()) if timestamp is None else timestamp
            signed = stamp.to_bytes(8, "big") + self.key.sign(cosigned_message(body, stamp))
        else:
            signed = self.key.sign(body.encode())
        encoded = base64.b64encode(self.verifier.key_id + signed).decode()
        return f"{_DASH}{self.name} {encoded}\n"


@dataclass(frozen=True, slots=True)
class Note:
    body: str
    signatures: tuple[tuple[str, bytes, bytes], ...]
    """(key name, key id, signature) per signature line, in order."""

    @property
    def text(self) -> str:
        lines = "".join(
            f"{_DASH}{name} {base64.b64encode(key_id + sig).decode()}\n"
            for name, key_id, sig in self.signatures
        )
        return f"{self.body}\n{lines}"

    def verified_by(self, verifier: Verifier) -> int:
        """Check the signature of ``verifier``; its timestamp (0 for a log). Raise if absent."""
        for name, key_id, signature in self.signatures:
            if name == verifier.name and key_id == verifier.key_id:
                stamp = verifier.check(self.body, signature)
                return stamp or 0
        raise NoteError(f"the note carries no signature by {verifier.name}")

    def with_lines(self, lines: str) -> Note:
        """This note with more signature lines (a witness's answer), known ones kept once."""
        extra = parse_note(f"{self.body}\n{lines}").signatures
        return Note(
            self.body, self.signatures + tuple(s for s in extra if s not in self.signatures)
        )


def parse_note(text: str) -> Note:
    body, sep, rest = text.partition("\n\n")
    if not sep or not body:
        raise NoteError("a note is a body, a blank line and signature lines")
    signatures = []
    for line in rest.splitlines():
        if not line.startswith(_DASH):
            raise NoteError(f"not a signature line: {line!r}")
        name, _, encoded = line[len(_DASH) :].rpartition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteError(f"the signature of {name!r} is not base64") from None
        if not name or len(raw) < 5:  # noqa: PLR2004 - a key id and at least one byte
            raise NoteError(f"malformed signature line: {line!r}")
        signatures.append((name, raw[:4], raw[4:]))
    if not signatures:
        raise NoteError("the note is not signed")
    return Note(body + "\n", tuple(signatures))


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    @property
    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def from_body(cls, body: str) -> Checkpoint:
        lines = body.split("\n")
        if len(lines) < 4 or lines[-1] != "":  # noqa: PLR2004 - origin, size, root, end
            raise NoteError("a checkpoint body is an origin, a size and a root hash")
        origin, size, root = lines[0], lines[1], lines[2]
        if not size.isdigit() or (size != "0" and size.startswith("0")):
            raise NoteError(f"not a tree size: {size!r}")
        try:
            root_hash = base64.b64decode(root, validate=True)
        except binascii.Error:
            raise NoteError("the root hash is not base64") from None
        if len(root_hash) != 32:  # noqa: PLR2004
            raise NoteError("the root hash is not 32 bytes")
        return cls(origin, int(size), root_hash)


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> Note:
    return parse_note(checkpoint.body + "\n" + signer.signature_line(checkpoint.body))


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 key from a PEM file, generated there (mode 0600) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise TypeError(f"{path} is not an Ed25519 private key")
    return loaded
