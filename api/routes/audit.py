"""The tenant's transparency log over HTTP: checkpoints, inclusion and consistency proofs, keys.

Checkpoints and proofs carry hashes, sizes and signatures only, no personal data. Auditors read
everything here and may have a checkpoint signed on demand (``fresh=true``); a ``witness``
grant (one witness may hold it for many tenants) and a ``partner`` read checkpoints, keys and
consistency proofs only. Exports need a purpose and are recorded in the access log. Hashes are
standard base64, as in the C2SP checkpoint format; a checkpoint is served as its signed note
(``text/plain``).
"""

from __future__ import annotations

import base64
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, ServiceUnavailableException, ValidationException
from litestar.params import QueryParameter, SkipValidation

from api.auth import Principal, Role
from api.authorisation import requires
from api.dependencies import ClockDependency
from api.read_side import Reads, ReadSource, primary_reads, provide_reads
from api.schemas.common import MAX_POSITION, problems
from api.schemas.headers import BUNDLE_FILE_NAME
from application.ports import AccessLog, AccessRecord
from domain.ids import TenantId
from infrastructure.audit_bundle import Manifest
from infrastructure.audit_export import export_bundle
from infrastructure.merkle import ProofError, leaf_hash
from infrastructure.transparency_log import LogNotReadyError, TransparencyLog
from infrastructure.witness import WitnessSubmitter
from projections.log_integrator import LogIntegrator

reads_log = requires(Role.AUDITOR)
# Who read what about whom: the auditor, and the privacy officer who answers for it.
reads_accesses = requires(Role.AUDITOR, Role.PRIVACY_OFFICER)
# Checkpoints, keys and consistency proofs carry no personal data: witnesses read them too,
# and partners, to verify the checkpoints their feeds carry.
reads_checkpoints = requires(Role.AUDITOR, Role.WITNESS, Role.PARTNER)
TEXT = "text/plain; charset=utf-8"


def provide_transparency_log(state: State) -> TransparencyLog:
    transparency_log: TransparencyLog | None = state.get("transparency_log")
    if transparency_log is None:
        raise ServiceUnavailableException("The database is not ready yet; try again shortly.")
    return transparency_log


LogDependency = NamedDependency[SkipValidation[TransparencyLog]]


def provide_access_log(state: State) -> AccessLog:
    access_log: AccessLog | None = state.get("access_log")
    if access_log is None:
        raise ServiceUnavailableException("The database is not ready yet; try again shortly.")
    return access_log


AccessLogDependency = NamedDependency[SkipValidation[AccessLog]]
PURPOSE_HEADER = "Purpose"


def purpose_of(request: Request[Any, Any, Any]) -> str:
    """The purpose or legal basis a reader gives, in the ``Purpose`` header or ``purpose``."""
    purpose = request.headers.get(PURPOSE_HEADER) or request.query_params.get("purpose") or ""
    if not purpose.strip():
        raise ValidationException(
            "Say why you read this: a Purpose header (or purpose parameter) with the purpose "
            "or legal basis.",
            extra=[{"key": PURPOSE_HEADER, "message": "required", "source": "header"}],
        )
    return purpose.strip()[:500]


async def _sign_now(tenant_id: TenantId, transparency_log: TransparencyLog, state: State) -> None:
    integrator: LogIntegrator | None = state.get("log_integrator")
    if integrator is not None:
        await integrator.checkpoint_now(tenant_id)  # hands it to the witnesses too
        return
    while await transparency_log.integrate(tenant_id, always=True):
        pass


def witness_keys(state: State) -> list[str]:
    submitter: WitnessSubmitter | None = state.get("witness_submitter")
    return submitter.witness_keys if submitter is not None else []


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def bad_query(field: str, message: str) -> ValidationException:
    return ValidationException(
        message, extra=[{"key": field, "message": message, "source": "query"}]
    )


class InclusionProofView(msgspec.Struct, frozen=True, kw_only=True):
    """RFC 9162 §2.1.3: the event at ``position`` is leaf ``leaf_index`` of the tree."""

    position: int
    leaf_index: int
    tree_size: int
    event_hash: str
    leaf_hash: str
    hashes: list[str]
    checkpoint: str


class ConsistencyProofView(msgspec.Struct, frozen=True, kw_only=True):
    """RFC 9162 §2.1.4: the tree of ``new_size`` extends the tree of ``old_size``."""

    old_size: int
    new_size: int
    hashes: list[str]


class LogKeys(msgspec.Struct, frozen=True, kw_only=True):
    """Verifier keys (C2SP vkeys): the log's, for this tenant's origin."""

    origin: str
    log: str
    witnesses: list[str]


class AccessView(msgspec.Struct, frozen=True, kw_only=True):
    """One recorded read: who, when, what, about whom, which fields, why."""

    sequence: int
    accessed_at: datetime
    actor: str
    action: str
    resource: str
    subject_id: UUID | None
    fields: list[str]
    purpose: str
    chain_hash: str
    subjects: list[UUID] = msgspec.field(default_factory=list)
    """Every pupil a read of many showed (a list, a search); ``subject_id`` names the one."""


class AccessList(msgspec.Struct, frozen=True, kw_only=True):
    accesses: list[AccessView]


class TransparencyLogController(Controller):
    path = "/v1/tenants/{swv_code:str}/log"
    tags = ("transparency log",)
    dependencies = {  # noqa: RUF012
        "transparency_log": Provide(provide_transparency_log, sync_to_thread=False),
        "access_log": Provide(provide_access_log, sync_to_thread=False),
    }

    @get(
        "/checkpoint",
        guards=[reads_checkpoints],
        summary="The latest checkpoint (or the one of size ``size``) as a C2SP signed note",
        description=(
            "``fresh=true`` first extends the tree to the log's head and signs a checkpoint of"
            " it (on demand; the integrator does so within a second of each commit anyway)."
        ),
        media_type=TEXT,
        responses=problems(400, 401, 403, 404, 422),
    )
    async def checkpoint(
        self,
        principal: NamedDependency[Principal],
        transparency_log: LogDependency,
        state: State,
        size: Annotated[int | None, QueryParameter(ge=0, le=MAX_POSITION)] = None,
        fresh: Annotated[bool, QueryParameter()] = False,
    ) -> str:
        if fresh:
            if size is not None:
                raise bad_query("fresh", "Ask for a fresh checkpoint or for one size, not both.")
            await _sign_now(principal.tenant_id, transparency_log, state)
        stored = await (
            transparency_log.latest(principal.tenant_id)
            if size is None
            else transparency_log.at_size(principal.tenant_id, size)
        )
        return stored.note.text

    @get(
        "/keys",
        guards=[reads_checkpoints],
        summary="The keys that sign and cosign this tenant's checkpoints",
        responses=problems(400, 401, 403, 404),
    )
    async def keys(
        self, principal: NamedDependency[Principal], transparency_log: LogDependency, state: State
    ) -> LogKeys:
        return LogKeys(
            origin=transparency_log.origin(principal.tenant_id),
            log=transparency_log.verifier(principal.tenant_id).vkey,
            witnesses=witness_keys(state),
        )

    @get(
        "/proofs/inclusion",
        guards=[reads_log],
        summary="Proof that an event (by position or id) is in the tree of a checkpoint",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def inclusion(
        self,
        principal: NamedDependency[Principal],
        transparency_log: LogDependency,
        position: Annotated[int | None, QueryParameter(ge=1, le=MAX_POSITION)] = None,
        event_id: Annotated[UUID | None, QueryParameter()] = None,
        tree_size: Annotated[
            int | None,
            QueryParameter(ge=1, le=MAX_POSITION, description="A checkpoint's size; the latest."),
        ] = None,
    ) -> InclusionProofView:
        tenant = principal.tenant_id
        if (position is None) == (event_id is None):
            raise bad_query("position", "Give exactly one of position or event_id.")
        if event_id is not None:
            position = await transparency_log.position_of(tenant, event_id)
            if position is None:
                raise NotFoundException(f"No event {event_id} in this tenant's log.")
        assert position is not None  # noqa: S101 - one of the two was given
        stored = await (
            transparency_log.latest(tenant)
            if tree_size is None
            else transparency_log.at_size(tenant, tree_size)
        )
        size = stored.checkpoint.size
        if position > size:
            raise bad_query("position", f"Position {position} is not in the tree of size {size}.")
        proof = await transparency_log.inclusion_proof(tenant, position, size)
        return InclusionProofView(
            position=position,
            leaf_index=position - 1,
            tree_size=size,
            event_hash=_b64(proof.event_hash),
            leaf_hash=_b64(leaf_hash(proof.event_hash)),
            hashes=[_b64(h) for h in proof.hashes],
            checkpoint=stored.note.text,
        )

    @get(
        "/export",
        guards=[reads_log],
        dependencies={"reads": Provide(provide_reads)},
        summary="An audit bundle: events, the signed checkpoint, proofs and keys (ZIP)",
        media_type="application/zip",
        responses=problems(400, 401, 403, 404, 422),
        response_headers=[BUNDLE_FILE_NAME],
    )
    async def export(  # noqa: PLR0913 - the bundle's filters and the collaborators
        self,
        *,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        reads: Reads,
        access_log: AccessLogDependency,
        state: State,
        clock: ClockDependency,
        pupil_id: Annotated[UUID | None, QueryParameter(description="Only this pupil.")] = None,
        until: Annotated[
            int | None,
            QueryParameter(
                ge=0, le=MAX_POSITION, description="Up to the last checkpoint at or below."
            ),
        ] = None,
    ) -> Response[bytes]:
        purpose = purpose_of(request)
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "bundle.zip"

            async def bundle(source: ReadSource) -> Manifest:
                return await export_bundle(
                    source.pool,
                    source.transparency_log,
                    principal.tenant_id,
                    path,
                    exported_at=clock.now(),
                    pupil_id=pupil_id,
                    until=until,
                    witness_keys=witness_keys(state),
                )

            # Events, checkpoint and proofs from one source: the replica if there is one, else
            # (or while it has no checkpoint yet, e.g. one just signed) the primary; with no
            # checkpoint there either, LogNotReadyError is a 404 by the error table.
            try:
                manifest = await bundle(reads)
            except LogNotReadyError:
                manifest = await bundle(primary_reads(state))
            await access_log.record(
                principal.tenant_id,
                AccessRecord(
                    actor=principal.actor,
                    action="export",
                    resource=str(request.url.path)
                    + (f"?{request.url.query}" if request.url.query else ""),
                    purpose=purpose,
                    subject_id=pupil_id,
                ),
                at=clock.now(),
            )
            name = f"{principal.tenant_id}-{manifest.tree_size}.zip"
            return Response(
                path.read_bytes(),
                media_type="application/zip",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )

    @get(
        "/accesses",
        guards=[reads_accesses],
        summary="The access log: who read what about whom, when and why (hash-chained)",
        description="``subject_id`` finds the reads that showed that pupil, lists included.",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def accesses(
        self,
        principal: NamedDependency[Principal],
        access_log: AccessLogDependency,
        after: Annotated[int, QueryParameter(ge=0, le=MAX_POSITION)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 500,
        subject_id: Annotated[UUID | None, QueryParameter()] = None,
    ) -> AccessList:
        found = await access_log.read(
            principal.tenant_id, after=after, limit=limit, subject_id=subject_id
        )
        return AccessList(
            accesses=[
                AccessView(
                    sequence=a.sequence,
                    accessed_at=a.accessed_at,
                    actor=a.record.actor,
                    action=a.record.action,
                    resource=a.record.resource,
                    subject_id=a.record.subject_id,
                    fields=list(a.record.fields),
                    purpose=a.record.purpose,
                    chain_hash=_b64(a.chain_hash),
                    subjects=list(a.record.subjects),
                )
                for a in found
            ]
        )

    @get(
        "/proofs/consistency",
        guards=[reads_checkpoints],
        summary="Proof that the tree of one checkpoint extends that of an earlier one",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def consistency(
        self,
        principal: NamedDependency[Principal],
        transparency_log: LogDependency,
        old_size: Annotated[int, QueryParameter(ge=0, le=MAX_POSITION)],
        new_size: Annotated[int, QueryParameter(ge=0, le=MAX_POSITION)],
    ) -> ConsistencyProofView:
        if old_size > new_size:
            raise bad_query("old_size", "old_size must not exceed new_size.")
        try:
            hashes = await transparency_log.consistency_proof(
                principal.tenant_id, old_size, new_size
            )
        except ProofError as error:
            raise bad_query("new_size", str(error)) from None
        return ConsistencyProofView(
            old_size=old_size, new_size=new_size, hashes=[_b64(h) for h in hashes]
        )
