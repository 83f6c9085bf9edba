"""An imported history is in its tenant's transparency log at once: proofs cover it."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from api.import_cli import run_import
from domain.registry import AGGREGATE_CLASSES
from infrastructure import merkle
from infrastructure.database import Pool
from infrastructure.event_codec import EventCodec
from infrastructure.signed_note import Checkpoint, Signer, load_or_create_key
from infrastructure.transparency_log import TransparencyLog
from tests.integration.test_bulk_import import _demo_history

pytestmark = pytest.mark.integration


async def test_an_import_extends_the_tree_and_signs_a_checkpoint_of_the_whole_history(
    database_dsns: tuple[str, str], app_pool: Pool, tmp_path: Path
) -> None:
    tenant, events, lines = await _demo_history(EventCodec(AGGREGATE_CLASSES))
    history = tmp_path / "history.ndjson"
    history.write_bytes(b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines))
    signer = Signer("passend.localhost", load_or_create_key(tmp_path / "checkpoint-key.pem"))

    await run_import(database_dsns[0], history, signer=signer, show_progress=False)

    transparency_log = TransparencyLog(app_pool, signer)
    stored = await transparency_log.latest(tenant)
    stored.note.verified_by(transparency_log.verifier(tenant))
    checkpoint = Checkpoint.from_body(stored.note.body)
    assert checkpoint.size == len(events)
    for position in (1, len(events) // 2, len(events)):
        proof = await transparency_log.inclusion_proof(tenant, position, checkpoint.size)
        merkle.verify_inclusion(
            position - 1,
            checkpoint.size,
            merkle.leaf_hash(proof.event_hash),
            proof.hashes,
            checkpoint.root,
        )


async def test_an_import_leaves_nothing_of_its_process_frozen_out_of_the_collector(
    database_dsns: tuple[str, str], tmp_path: Path
) -> None:
    _, _, lines = await _demo_history(EventCodec(AGGREGATE_CLASSES))
    history = tmp_path / "history.ndjson"
    history.write_bytes(b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines))
    signer = Signer("passend.localhost", load_or_create_key(tmp_path / "checkpoint-key.pem"))
    gc.unfreeze()

    await run_import(database_dsns[0], history, signer=signer, show_progress=False)

    assert gc.get_freeze_count() == 0
