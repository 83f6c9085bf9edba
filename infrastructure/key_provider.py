"""Key-encryption keys (KEKs), one current per tenant, that wrap the data keys of its subjects.

The store never keeps a data key in the clear at rest: it asks a ``KeyProvider`` to wrap it
under the tenant's current KEK and to unwrap it on every read. The provider is also where a
tenant's current KEK is decided, as a KMS decides a key's primary version.

Two implementations are for development and tests: ``LocalKeyProvider`` keeps each KEK in a
file (``<directory>/<tenant>/<kek id>.key``, mode 0600, and a ``current`` file naming the
current one); ``EnvKeyProvider`` reads fixed KEKs from ``PASSEND_KEK_<TENANT>`` variables.
Production plugs a KMS or HSM into the same five methods (wrap and unwrap are then calls to the
KMS's Encrypt/Decrypt with the KEK's key version, so the KEK never leaves it; destroying is the
KMS's destruction of every key version of the tenant); nothing else in Passend changes.
Deleting or revoking a KEK makes exactly the data keys it wrapped, and so that tenant's
personal fields, unreadable; erasing a tenant destroys all of its KEKs.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from application.errors import KeyUnavailableError
from domain.ids import TenantId

_NONCE_BYTES = 12


class KeyProvider(Protocol):
    """Wraps and unwraps data keys under a tenant's KEKs; knows each tenant's current KEK."""

    async def current_kek(self, tenant_id: TenantId) -> str:
        """The id of the KEK new data keys of the tenant are wrapped under (made if none)."""
        ...

    async def new_kek(self, tenant_id: TenantId) -> str:
        """Make a new KEK the tenant's current one (rotation); return its id."""
        ...

    async def wrap(
        self, tenant_id: TenantId, kek_id: str, keys: Sequence[tuple[bytes, bytes]]
    ) -> list[bytes]:
        """Each ``(data key, associated data)`` wrapped under the KEK."""
        ...

    async def unwrap(
        self, tenant_id: TenantId, kek_id: str, wrapped: Sequence[tuple[bytes, bytes]]
    ) -> list[bytes]:
        """Each ``(wrapped key, associated data)`` unwrapped.

        KeyUnavailableError if the KEK is lost or revoked, or a wrapped key does not belong
        where it is.
        """
        ...

    async def ensure_destroyable(self, tenant_id: TenantId) -> None:
        """KeyUnavailableError, saying what to do, if ``destroy_keks`` would refuse now.

        Asked before an erasure deletes any row: a refusal after the deletion would leave the
        data gone and the KEKs kept, with no record of either.
        """
        ...

    async def destroy_keks(self, tenant_id: TenantId) -> list[str]:
        """Destroy every KEK of the tenant; the ids of those destroyed (none left: empty).

        Crypto-shredding when a tenant is erased: no data key of it, in a backup either, can
        be unwrapped any more. KeyUnavailableError if the provider cannot destroy them.
        """
        ...


def _seal(kek: bytes, keys: Sequence[tuple[bytes, bytes]]) -> list[bytes]:
    aead = AESGCM(kek)
    sealed = []
    for key, aad in keys:
        nonce = os.urandom(_NONCE_BYTES)
        sealed.append(nonce + aead.encrypt(nonce, key, aad))
    return sealed


def _open(
    tenant_id: TenantId, kek_id: str, kek: bytes, wrapped: Sequence[tuple[bytes, bytes]]
) -> list[bytes]:
    aead = AESGCM(kek)
    try:
        return [aead.decrypt(w[:_NONCE_BYTES], w[_NONCE_BYTES:], aad) for w, aad in wrapped]
    except InvalidTag:
        raise KeyUnavailableError(
            f"a data key of tenant {tenant_id} does not open under KEK {kek_id}"
        ) from None


def _overwrite_and_unlink(path: Path) -> None:
    """Overwrite the key file's bytes with random ones, flush them to disk, then unlink it.

    What that does: the file's blocks, and any other name or open descriptor of the file, no
    longer hold the KEK, and on a file system that writes in place (ext4, XFS) a reading of its
    free blocks afterwards does not find it either. What it does not guarantee: copy-on-write
    or log-structured file systems (btrfs, ZFS, F2FS), SSDs (wear levelling remaps blocks),
    snapshots, backups and a journal of data may keep the old bytes. Only destroying the key
    in a KMS or HSM (or the disk encryption's key) is destruction; these files are for
    development and single-machine installs.
    """
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return
    try:
        noise = secrets.token_bytes(os.fstat(fd).st_size)
        written = 0
        while written < len(noise):
            written += os.pwrite(fd, noise[written:], written)
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink(missing_ok=True)


class LocalKeyProvider:
    """KEKs as files in a directory: development, tests, and single-machine installs.

    Nothing is cached: a KEK deleted from the directory (``revoke``) is unusable by every
    process at once.
    """

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def _tenant_dir(self, tenant_id: TenantId) -> Path:
        directory = self._directory / tenant_id
        if directory.parent != self._directory or tenant_id in {"", ".", ".."}:
            raise ValueError(f"{tenant_id!r} is no tenant's directory of KEKs")
        return directory

    def _read(self, tenant_id: TenantId, kek_id: str) -> bytes:
        try:
            return base64.b64decode((self._tenant_dir(tenant_id) / f"{kek_id}.key").read_bytes())
        except FileNotFoundError:
            raise KeyUnavailableError(
                f"KEK {kek_id} of tenant {tenant_id} is not available (lost or revoked)"
            ) from None

    async def current_kek(self, tenant_id: TenantId) -> str:
        try:
            return (self._tenant_dir(tenant_id) / "current").read_text().strip()
        except FileNotFoundError:
            return await self.new_kek(tenant_id)

    async def new_kek(self, tenant_id: TenantId) -> str:
        directory = self._tenant_dir(tenant_id)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        kek_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
        key_file = directory / f"{kek_id}.key"
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(base64.b64encode(AESGCM.generate_key(bit_length=256)))
        # a rename is atomic: every process sees the old current KEK or the new one
        pointer = directory / f".current-{kek_id}"
        pointer.write_text(kek_id)
        pointer.replace(directory / "current")
        return kek_id

    def revoke(self, tenant_id: TenantId, kek_id: str) -> None:
        """Destroy a KEK: every data key it wraps becomes unreadable."""
        _overwrite_and_unlink(self._tenant_dir(tenant_id) / f"{kek_id}.key")

    async def ensure_destroyable(self, tenant_id: TenantId) -> None:
        self._tenant_dir(tenant_id)  # a name that is no tenant's directory is refused

    async def destroy_keks(self, tenant_id: TenantId) -> list[str]:
        directory = self._tenant_dir(tenant_id)
        if not directory.is_dir():
            return []
        destroyed = sorted(key.stem for key in directory.glob("*.key"))
        for kek_id in destroyed:
            self.revoke(tenant_id, kek_id)
        # the current pointer, and one a rotation left behind, name KEKs that are gone
        for leftover in directory.iterdir():
            leftover.unlink()
        directory.rmdir()
        return destroyed

    async def wrap(
        self, tenant_id: TenantId, kek_id: str, keys: Sequence[tuple[bytes, bytes]]
    ) -> list[bytes]:
        return _seal(self._read(tenant_id, kek_id), keys)

    async def unwrap(
        self, tenant_id: TenantId, kek_id: str, wrapped: Sequence[tuple[bytes, bytes]]
    ) -> list[bytes]:
        return _open(tenant_id, kek_id, self._read(tenant_id, kek_id), wrapped)


class EnvKeyProvider:
    """Fixed KEKs from the environment: ``PASSEND_KEK_<TENANT>=id1:base64,id2:base64``.

    The last listed KEK is current. Rotating means adding a KEK to the variable and restarting
    (``new_kek`` refuses); removing one revokes it.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def _keks(self, tenant_id: TenantId) -> dict[str, bytes]:
        raw = self._environ.get(f"PASSEND_KEK_{tenant_id.replace('-', '_')}", "")
        keks: dict[str, bytes] = {}
        for entry in filter(None, (part.strip() for part in raw.split(","))):
            kek_id, _, value = entry.partition(":")
            keks[kek_id] = base64.b64decode(value)
        return keks

    def _read(self, tenant_id: TenantId, kek_id: str) -> bytes:
        kek = self._keks(tenant_id).get(kek_id)
        if kek is None:
            raise KeyUnavailableError(f"KEK {kek_id} of tenant {tenant_id} is not configured")
        return kek

    async def current_kek(self, tenant_id: TenantId) -> str:
        keks = self._keks(tenant_id)
        if not keks:
            raise KeyUnavailableError(
                f"no KEK is configured for tenant {tenant_id} (PASSEND_KEK_{tenant_id})"
            )
        return list(keks)[-1]

    async def new_kek(self, tenant_id: TenantId) -> str:
        raise KeyUnavailableError(
            f"KEKs from the environment are fixed: add one to PASSEND_KEK_{tenant_id} instead"
        )

    async def ensure_destroyable(self, tenant_id: TenantId) -> None:
        """Refuses while any KEK of the tenant is configured: only its environment can drop it."""
        if self._keks(tenant_id):
            raise KeyUnavailableError(
                f"KEKs from the environment are fixed: remove PASSEND_KEK_{tenant_id} from every"
                " process's environment and destroy it where it is kept, then erase again"
            )

    async def destroy_keks(self, tenant_id: TenantId) -> list[str]:
        await self.ensure_destroyable(tenant_id)
        return []

    async def wrap(
        self, tenant_id: TenantId, kek_id: str, keys: Sequence[tuple[bytes, bytes]]
    ) -> list[bytes]:
        return _seal(self._read(tenant_id, kek_id), keys)

    async def unwrap(
        self, tenant_id: TenantId, kek_id: str, wrapped: Sequence[tuple[bytes, bytes]]
    ) -> list[bytes]:
        return _open(tenant_id, kek_id, self._read(tenant_id, kek_id), wrapped)


def default_key_provider(data_dir: Path | None = None) -> KeyProvider:
    """The provider a process uses unless told otherwise.

    ``PASSEND_KEK_DIR`` or ``<data dir>/keks`` on disk, or the environment when
    ``PASSEND_KEK_SOURCE=env``.
    """
    if os.environ.get("PASSEND_KEK_SOURCE") == "env":
        return EnvKeyProvider()
    directory = os.environ.get("PASSEND_KEK_DIR")
    if directory:
        return LocalKeyProvider(Path(directory))
    base = data_dir or Path(os.environ.get("PASSEND_DATA_DIR") or "var")
    return LocalKeyProvider(base / "keks")
