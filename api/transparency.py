"""Wiring of the transparency and access logs into a process: the signing key, the integrator."""

from __future__ import annotations

from litestar import Litestar

from api.settings import Settings
from infrastructure.access_log import PostgresAccessLog
from infrastructure.database import Pool
from infrastructure.event_store import PostgresEventStore
from infrastructure.signed_note import Signer, Verifier, load_or_create_key
from infrastructure.transparency_log import TransparencyLog
from infrastructure.witness import WitnessClient, WitnessSubmitter
from projections.log_integrator import LogIntegrator

DEV_CHECKPOINT_KEY_NAME = "dev-checkpoint-signing-key.pem"


def checkpoint_signer(settings: Settings) -> Signer:
    """The platform's checkpoint key: the configured file, or a development key in data_dir."""
    path = settings.checkpoint_signing_key_file or (
        settings.data_dir / "keys" / DEV_CHECKPOINT_KEY_NAME
    )
    return Signer(settings.log_origin, load_or_create_key(path))


def witness_clients(configured: str) -> list[WitnessClient]:
    """``<url>|<vkey>,…`` as witness clients."""
    clients = []
    for entry in filter(None, (part.strip() for part in configured.split(","))):
        url, sep, vkey = entry.partition("|")
        if not sep:
            raise ValueError(f"a witness is configured as <url>|<vkey>, not {entry!r}")
        clients.append(WitnessClient(url, Verifier.from_vkey(vkey)))
    return clients


async def start_transparency_log(
    app: Litestar, settings: Settings, pool: Pool, store: PostgresEventStore
) -> None:
    transparency_log = TransparencyLog(pool, checkpoint_signer(settings))
    app.state.transparency_log = transparency_log
    app.state.access_log = PostgresAccessLog(pool)
    submitter = WitnessSubmitter(transparency_log, witness_clients(settings.witnesses))
    app.state.witness_submitter = submitter
    if settings.run_log_integrator:
        integrator = LogIntegrator(pool, transparency_log)
        integrator.on_checkpoint(submitter)
        store.on_commit(integrator.wake)
        await integrator.start()
        app.state.log_integrator = integrator


async def stop_transparency_log(app: Litestar) -> None:
    integrator: LogIntegrator | None = app.state.get("log_integrator")
    app.state.log_integrator = app.state.transparency_log = app.state.access_log = None
    if integrator is not None:
        await integrator.stop()
    submitter: WitnessSubmitter | None = app.state.get("witness_submitter")
    app.state.witness_submitter = None
    if submitter is not None:
        await submitter.aclose()
