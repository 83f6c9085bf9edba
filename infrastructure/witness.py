"""A C2SP tlog-witness: cosigns a log's checkpoint only if it extends the last one it cosigned.

The witness keeps, per log origin, the latest checkpoint it cosigned (size and root) in a JSON
file that it replaces atomically; an asyncio lock makes check-and-store one step, so two
concurrent submissions cannot roll the state back. ``WitnessClient`` is the log's side: it
submits a checkpoint with a consistency proof from the witness's last size and verifies the
cosignature it gets back.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from domain.ids import TenantId
from infrastructure.merkle import ProofError, verify_consistency
from infrastructure.signed_note import (
    COSIGNATURE_V1,
    Checkpoint,
    Note,
    NoteError,
    Signer,
    Verifier,
    parse_note,
)
from infrastructure.transparency_log import TransparencyLog

log = logging.getLogger("passend.witness")

SIZE_CONTENT_TYPE = "text/x.tlog.size"
_MAX_PROOF_LINES = 63


@dataclass(frozen=True, slots=True)
class WitnessAnswer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


class Witness:
    def __init__(self, signer: Signer, logs: Sequence[Verifier], state_file: Path) -> None:
        if signer.kind != COSIGNATURE_V1:
            raise ValueError("a witness signs cosignatures (key type 0x04)")
        self.signer = signer
        self._logs: dict[str, list[Verifier]] = {}
        for log in logs:
            self._logs.setdefault(log.name, []).append(log)
        self._state_file = state_file
        self._lock = asyncio.Lock()

    def _state(self) -> dict[str, dict[str, object]]:
        if not self._state_file.exists():
            return {}
        state: dict[str, dict[str, object]] = json.loads(self._state_file.read_text())
        return state

    def _store(self, state: Mapping[str, object]) -> None:
        temporary = self._state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, sort_keys=True))
        temporary.replace(self._state_file)

    async def add_checkpoint(self, request: str) -> WitnessAnswer:  # noqa: PLR0911 - the spec's answers
        """Answer one ``add-checkpoint`` request body, as C2SP tlog-witness prescribes."""
        try:
            old_size, proof, note = _parse_request(request)
            checkpoint = Checkpoint.from_body(note.body)
        except (NoteError, ValueError, binascii.Error) as error:
            return WitnessAnswer(400, f"malformed request: {error}\n")
        trusted = self._logs.get(checkpoint.origin)
        if not trusted:
            return WitnessAnswer(404, "unknown log\n")
        if not any(_signed_by(note, key) for key in trusted):
            return WitnessAnswer(403, "no signature by a key trusted for this log\n")
        if old_size > checkpoint.size:
            return WitnessAnswer(400, "old size is larger than the checkpoint\n")
        async with self._lock:
            state = self._state()
            latest = state.get(checkpoint.origin, {"size": 0, "root": ""})
            latest_size = int(str(latest["size"]))
            if old_size != latest_size:
                return WitnessAnswer(409, f"{latest_size}\n", SIZE_CONTENT_TYPE)
            old_root = base64.b64decode(str(latest["root"]))
            if old_size == checkpoint.size and old_size > 0 and old_root != checkpoint.root:
                return WitnessAnswer(409, "a different tree of the same size\n")
            try:
                verify_consistency(old_size, checkpoint.size, old_root, checkpoint.root, proof)
            except ProofError as error:
                return WitnessAnswer(422, f"not consistent: {error}\n")
            state[checkpoint.origin] = {
                "size": checkpoint.size,
                "root": base64.b64encode(checkpoint.root).decode(),
            }
            self._store(state)
        return WitnessAnswer(200, self.signer.signature_line(note.body, timestamp=int(time.time())))


def _signed_by(note: Note, key: Verifier) -> bool:
    try:
        note.verified_by(key)
    except NoteError:
        return False
    return True


def _parse_request(request: str) -> tuple[int, list[bytes], Note]:
    head, sep, note_text = request.partition("\n\n")
    if not sep:
        raise ValueError("no empty line before the checkpoint")
    lines = head.split("\n")
    keyword, _, size = lines[0].partition(" ")
    if keyword != "old" or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise ValueError("the first line must be 'old <size>'")
    if len(lines) - 1 > _MAX_PROOF_LINES:
        raise ValueError("too many consistency proof lines")
    proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
    return int(size), proof, parse_note(note_text)


ConsistencyProver = Callable[[int, int], Awaitable[Sequence[bytes]]]


@dataclass(frozen=True, slots=True)
class WitnessClient:
    """Where a witness listens (its submission prefix) and the key it cosigns with."""

    url: str
    key: Verifier

    async def cosign(
        self,
        client: httpx.AsyncClient,
        note: Note,
        old_size: int,
        prove: ConsistencyProver,
    ) -> str:
        """The witness's cosignature line for ``note``; learns its size once on a 409."""
        checkpoint = Checkpoint.from_body(note.body)
        for _ in range(2):
            proof = await prove(old_size, checkpoint.size) if old_size else ()
            body = f"old {old_size}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
            response = await client.post(
                self.url.rstrip("/") + "/add-checkpoint", content=body + "\n" + note.text
            )
            if response.status_code == httpx.codes.CONFLICT and response.headers.get(
                "content-type", ""
            ).startswith(SIZE_CONTENT_TYPE):
                old_size = int(response.text.strip())
                continue
            if response.status_code != httpx.codes.OK:
                raise NoteError(
                    f"witness {self.key.name} refused: {response.status_code} {response.text}"
                )
            cosigned = note.with_lines(response.text)
            cosigned.verified_by(self.key)
            return next(
                f"\u2014 {name} {base64.b64encode(key_id + sig).decode()}\n"
                for name, key_id, sig in cosigned.signatures
                if name == self.key.name and key_id == self.key.key_id
            )
        raise NoteError(f"witness {self.key.name} keeps moving its size")


class WitnessSubmitter:
    """Sends each new checkpoint of a tenant to every configured witness; keeps cosignatures.

    A checkpoint listener of the integrator. A witness that is down or refuses is logged and
    tried again with the next checkpoint (with a proof from the last size it cosigned).
    """

    def __init__(
        self, transparency_log: TransparencyLog, witnesses: Sequence[WitnessClient]
    ) -> None:
        self._log = transparency_log
        self._witnesses = tuple(witnesses)
        # Without witnesses, no client: making one loads the system's CA certificates and
        # imports httpcore, about 50-90 ms of CPU in one turn of a starting worker's loop.
        self._client = httpx.AsyncClient(timeout=10) if self._witnesses else None

    @property
    def witness_keys(self) -> list[str]:
        return [w.key.vkey for w in self._witnesses]

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def __call__(self, tenant_id: TenantId, checkpoint: Checkpoint) -> None:
        client = self._client
        if client is None:  # no witness: nothing to read the checkpoint for
            return
        stored = await self._log.at_size(tenant_id, checkpoint.size)

        async def prove(old: int, new: int) -> Sequence[bytes]:
            return await self._log.consistency_proof(tenant_id, old, new)

        for witness in self._witnesses:
            try:
                old = await self._log.cosigned_size(tenant_id, witness.key.name)
                line = await witness.cosign(client, stored.note, old, prove)
            except (NoteError, httpx.HTTPError, ValueError) as error:
                log.warning("witness %s: %s", witness.url, error)
                continue
            await self._log.add_cosignature(tenant_id, checkpoint.size, witness.key.name, line)
