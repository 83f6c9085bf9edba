"""A tenant leaves the platform (AVG art. 28(3)(g)): its log handed back, then erased.

Both are the platform operator's acts on a suspended tenant, each recorded in the platform log
(``Tenancy``): the export with the position, chain hash and SHA-256 of what was handed back;
the erasure only for the export of the log as it stands, by that hash, with the rows removed
and the KEKs destroyed. Writing the export, deleting rows and destroying KEKs are the
infrastructure's, passed in.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Protocol

from application.access import OPERATES_PLATFORM
from application.acts import Act
from application.commands import CommandContext, CommandOutcome, EraseTenant, ExportTenant
from application.errors import UnknownTenantError
from application.handling import check_access, load, save
from application.ports import Clock, EventStore
from domain.ids import TenantId
from domain.tenancy import PLATFORM_TENANT, Tenancy, TenancyStateError, tenancy_stream_id


@dataclass(frozen=True, slots=True)
class HandedBackLog:
    """What an export wrote: the log up to ``last_position`` (``chain_hash``), and its SHA-256."""

    last_position: int
    chain_hash: str
    sha256: str


WriteExport = Callable[[TenantId], Awaitable[HandedBackLog]]
EraseRows = Callable[[TenantId], Awaitable[int]]
"""Deletes every row of the tenant, checks none is left, and says how many were deleted."""


class TenantKeks(Protocol):
    """A tenant's KEKs as its erasure destroys them (the key provider)."""

    async def ensure_destroyable(self, tenant_id: TenantId) -> None:
        """KeyUnavailableError, saying what to do, if ``destroy_keks`` would refuse now."""
        ...

    async def destroy_keks(self, tenant_id: TenantId) -> list[str]:
        """Destroy every KEK of the tenant; the ids of those destroyed."""
        ...


async def _tenancy(store: EventStore, ctx: CommandContext, code: str) -> tuple[Tenancy, int]:
    loaded = await load(store, PLATFORM_TENANT, tenancy_stream_id(code))
    tenancy = loaded.require(Tenancy)
    await check_access(store, ctx, OPERATES_PLATFORM, tenancy)
    return tenancy, loaded.version


async def export_tenant(
    cmd: ExportTenant,
    ctx: CommandContext,
    *,
    store: EventStore,
    clock: Clock,
    write_export: WriteExport,
) -> tuple[CommandOutcome, HandedBackLog]:
    """Write the suspended tenant's whole log out and record that it was handed back."""
    ctx = replace(ctx, tenant_id=PLATFORM_TENANT)
    tenancy, version = await _tenancy(store, ctx, cmd.code)
    tenancy.ensure_exportable()
    written = await write_export(TenantId(cmd.code))
    tenancy.record_export(
        last_position=written.last_position,
        chain_hash=written.chain_hash,
        export_sha256=written.sha256,
        **Act.of(ctx, clock).stamp,
    )
    return await save(store, ctx, tenancy, expected_version=version), written


async def erase_tenant(  # noqa: PLR0913 - the command, and what deletes rows and KEKs
    cmd: EraseTenant,
    ctx: CommandContext,
    *,
    store: EventStore,
    clock: Clock,
    erase_rows: EraseRows,
    keks: TenantKeks,
) -> CommandOutcome:
    """Delete every row and KEK of the tenant, once its log as it stands was exported; record it.

    The provider is asked first whether it can destroy the KEKs: one that cannot (KEKs from
    the environment) refuses the erasure before a row is deleted. The KEKs go after the rows (a
    deletion refused meanwhile leaves the keys readable); then nothing is left that could
    unwrap a backup of its data keys (crypto-shredding). Run again after a failure between the
    deletion and its record, it finds the rows gone and records the erasure of what its export
    held without a count of rows (``rows_deleted`` None: it is not known), and the KEKs it
    destroyed itself if any were left (None if none: an earlier attempt may have).
    """
    ctx = replace(ctx, tenant_id=PLATFORM_TENANT)
    tenant = TenantId(cmd.code)
    tenancy, version = await _tenancy(store, ctx, cmd.code)
    if tenancy.export is None:
        raise TenancyStateError(f"Export tenant {cmd.code}'s log before erasing it.")
    try:
        head = await store.head(tenant)
        position, chain_hash = head.last_position, head.chain_hash.hex()
        deleted_before = False
    except UnknownTenantError:  # deleted already: only the record is missing
        position, chain_hash = tenancy.export.last_position, tenancy.export.chain_hash
        deleted_before = True
    tenancy.ensure_erasable(last_position=position, export_sha256=cmd.export_sha256)
    await keks.ensure_destroyable(tenant)
    deleted = await erase_rows(tenant)
    destroyed = await keks.destroy_keks(tenant)
    tenancy.erase(
        last_position=position,
        chain_hash=chain_hash,
        export_sha256=cmd.export_sha256,
        rows_deleted=None if deleted_before else deleted,
        keks_destroyed=None if deleted_before and not destroyed else destroyed,
        reason=cmd.reason,
        **Act.of(ctx, clock).stamp,
    )
    return await save(store, ctx, tenancy, expected_version=version)
