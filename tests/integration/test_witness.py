"""A real ``passend witness`` process on 127.0.0.1 cosigns consistent checkpoints only."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.ids import TenantId
from infrastructure.database import Pool, create_pool
from infrastructure.event_store import PostgresEventStore
from infrastructure.signed_note import Checkpoint, NoteError, Signer, Verifier, sign_checkpoint
from infrastructure.transparency_log import TransparencyLog
from infrastructure.witness import WitnessClient, WitnessSubmitter
from tests.integration.test_transparency_log import new_tenant, write

pytestmark = pytest.mark.integration

PLATFORM = Signer("passend.test", Ed25519PrivateKey.generate())
TENANTS = ("PO9001", "PO9002")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _key_once_up(url: str, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 300  # a loaded machine takes long to import everything
    while True:
        try:
            return httpx.get(f"{url}/key", timeout=2).text.strip()
        except httpx.TransportError:
            assert process.poll() is None, f"the witness exited with {process.returncode}"
            assert time.monotonic() < deadline, "the witness did not start"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def witness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WitnessClient]:
    """The witness process, trusting the platform's key for two tenants' logs."""
    directory = tmp_path_factory.mktemp("witness")
    port = _free_port()
    logs = [
        arg
        for tenant in TENANTS
        for arg in ("--log", Signer(f"passend.test/{tenant}", PLATFORM.key).verifier.vkey)
    ]
    command = [sys.executable, "-c", "from api.cli import main; main()", "witness"]
    command += ["--name", "inspectie.test/w1", "--port", str(port)]
    command += ["--key-file", str(directory / "key.pem")]
    command += ["--state-file", str(directory / "state.json"), *logs]
    process = subprocess.Popen(command, cwd=Path(__file__).resolve().parents[2])  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    try:
        yield WitnessClient(url, Verifier.from_vkey(_key_once_up(url, process)))
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def transparency_log(app_pool: Pool) -> TransparencyLog:
    return TransparencyLog(app_pool, PLATFORM)


async def test_the_platform_gets_each_new_checkpoint_cosigned_and_serves_it(
    pg_store: PostgresEventStore, transparency_log: TransparencyLog, witness: WitnessClient
) -> None:
    tenant = await new_tenant(pg_store, 0, code=TENANTS[0])
    submitter = WitnessSubmitter(transparency_log, [witness])
    try:
        for more in (5, 300):
            await write(pg_store, tenant, more)
            checkpoint = await transparency_log.integrate(tenant)
            assert checkpoint is not None
            await submitter(tenant, checkpoint)
            served = (await transparency_log.latest(tenant)).note
            assert served.verified_by(witness.key) > 0
            assert await transparency_log.cosigned_size(tenant, witness.key.name) == checkpoint.size
    finally:
        await submitter.aclose()


async def test_without_witnesses_a_checkpoint_is_not_read_and_no_client_is_made(
    database_dsns: tuple[str, str],
) -> None:
    closed = await create_pool(database_dsns[1], min_size=1, max_size=1)
    await closed.close()  # any read of the log would fail on it
    submitter = WitnessSubmitter(TransparencyLog(closed, PLATFORM), [])
    checkpoint = Checkpoint(f"passend.test/{TENANTS[0]}", 3, bytes(32))
    await submitter(TenantId(TENANTS[0]), checkpoint)
    await submitter.aclose()


async def test_a_witness_refuses_a_second_history(
    pg_store: PostgresEventStore, transparency_log: TransparencyLog, witness: WitnessClient
) -> None:
    tenant = await new_tenant(pg_store, 7, code=TENANTS[1])
    submitter = WitnessSubmitter(transparency_log, [witness])
    try:
        checkpoint = await transparency_log.integrate(tenant)
        assert checkpoint is not None
        await submitter(tenant, checkpoint)
    finally:
        await submitter.aclose()
    signer = transparency_log.signer(tenant)
    other_root = hashlib.sha256(b"another history").digest()
    same_size = sign_checkpoint(Checkpoint(checkpoint.origin, checkpoint.size, other_root), signer)
    larger = sign_checkpoint(Checkpoint(checkpoint.origin, checkpoint.size + 3, other_root), signer)
    stranger = sign_checkpoint(
        Checkpoint(checkpoint.origin, checkpoint.size + 3, other_root),
        Signer(checkpoint.origin, Ed25519PrivateKey.generate()),
    )

    async def genuine_proof(old: int, new: int) -> list[bytes]:
        return [hashlib.sha256(bytes([old, new])).digest()]

    async with httpx.AsyncClient() as client:
        for forged, refusal in ((same_size, "409"), (larger, "422"), (stranger, "403")):
            with pytest.raises(NoteError, match=refusal):
                await witness.cosign(client, forged, checkpoint.size, genuine_proof)
