"""``passend export`` and ``passend verify``: audit bundles, written and checked offline.

An export reads the database and, like the export route, needs a purpose and is recorded in
the tenant's access log (actor ``command-line:<user>``); a verification needs only the bundle
(and, to pin them, keys).
"""

from __future__ import annotations

import asyncio
import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from uuid import UUID

import asyncpg
import typer

from api.settings import Settings
from api.transparency import checkpoint_signer
from application.ports import AccessRecord
from domain.ids import TenantId
from infrastructure.access_log import PostgresAccessLog
from infrastructure.audit_bundle import Manifest, verify_bundle
from infrastructure.audit_export import export_bundle
from infrastructure.database import create_pool
from infrastructure.migrate import apply_migrations
from infrastructure.transparency_log import LogNotReadyError, TransparencyLog


async def _export(  # noqa: PLR0913 - the command's options
    settings: Settings,
    *,
    tenant: TenantId,
    out: Path,
    pupil: UUID | None,
    until: int | None,
    checkpoint_first: bool,
    purpose: str,
) -> Manifest:
    admin = await asyncpg.connect(settings.database_url)
    try:
        await apply_migrations(admin)
    finally:
        await admin.close()
    pool = await create_pool(settings.app_dsn(), min_size=1, max_size=2)
    try:
        transparency_log = TransparencyLog(pool, checkpoint_signer(settings))
        if checkpoint_first:
            while await transparency_log.integrate(tenant, always=True):
                pass
        manifest = await export_bundle(
            pool,
            transparency_log,
            tenant,
            out,
            exported_at=datetime.now(UTC),
            pupil_id=pupil,
            until=until,
        )
        await PostgresAccessLog(pool).record(
            tenant,
            AccessRecord(
                actor=f"command-line:{getpass.getuser()}",
                action="export",
                resource=f"passend export --tenant {tenant}"
                + (f" --pupil {pupil}" if pupil else "")
                + (f" --until {until}" if until is not None else ""),
                purpose=purpose,
                subject_id=pupil,
            ),
            at=datetime.now(UTC),
        )
        return manifest
    finally:
        await pool.close()


def export(  # noqa: PLR0913, PLR0917 - the command's options
    tenant: Annotated[str, typer.Option(help="The tenant (SWV code).")],
    purpose: Annotated[
        str, typer.Option(help="Why: the purpose or legal basis, kept in the access log.")
    ],
    pupil: Annotated[
        UUID | None, typer.Option(help="Only this pupil's events, each with its proof.")
    ] = None,
    until: Annotated[
        int | None, typer.Option(help="Up to the last checkpoint at or below this position.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Bundle file; <tenant>[-<pupil>].zip.")] = None,
    checkpoint: Annotated[
        bool, typer.Option(help="Sign a checkpoint of the log as it is now first.")
    ] = True,
) -> None:
    """Write an audit bundle: events, signed checkpoint, proofs and keys (needs DATABASE_URL)."""
    settings = Settings.from_env()
    if settings.database_url is None:
        raise typer.BadParameter("set DATABASE_URL (the database that serve uses)")
    if not purpose.strip():
        raise typer.BadParameter("say why: --purpose with the purpose or legal basis")
    path = out or Path(f"{tenant}{'-' + str(pupil) if pupil else ''}.zip")
    try:
        manifest = asyncio.run(
            _export(
                settings,
                tenant=TenantId(tenant),
                out=path,
                pupil=pupil,
                until=until,
                checkpoint_first=checkpoint and until is None,
                purpose=purpose.strip()[:500],
            )
        )
    except LogNotReadyError as error:
        typer.echo(f"Not exported: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"{path}: {manifest.events} events of {manifest.tenant}, checkpoint of size "
        f"{manifest.tree_size} ({manifest.kind} bundle)"
    )


def verify(
    bundle: Annotated[Path, typer.Argument(help="The bundle file.", exists=True, dir_okay=False)],
    event: Annotated[
        str | None, typer.Option(help="Also show that this event (its id) is in the log.")
    ] = None,
    log_key: Annotated[
        str | None, typer.Option(help="The log's verifier key (vkey) to pin; else the bundle's.")
    ] = None,
    witness_key: Annotated[
        list[str] | None, typer.Option(help="A witness's verifier key to pin (repeatable).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Processes hashing a full log; default: all cores if large."),
    ] = None,
) -> None:
    """Check a bundle offline: every hash, the chain, the root, signatures and cosignatures."""
    verdict = verify_bundle(
        bundle, log_key=log_key, witness_keys=witness_key or (), event_id=event, workers=workers
    )
    for note in verdict.notes:
        typer.echo(f"note: {note}")
    if not verdict.intact:
        where = (
            f" at position {verdict.first_broken_position}"
            if verdict.first_broken_position is not None
            else ""
        )
        typer.echo(f"BROKEN{where}: {verdict.reason}", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"OK: {verdict.events} events of {verdict.tenant} verified against the checkpoint "
        f"of size {verdict.tree_size}"
    )
    if verdict.event_position is not None:
        typer.echo(f"event {event} is at position {verdict.event_position}, in the signed tree")
