"""What the key providers destroy when a tenant is erased, and what they refuse to."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from application.errors import KeyUnavailableError
from domain.ids import TenantId
from infrastructure.key_provider import EnvKeyProvider, LocalKeyProvider

KEK = base64.b64encode(b"k" * 32).decode()


async def test_keks_from_the_environment_are_destroyed_only_by_removing_them_there() -> None:
    configured = EnvKeyProvider({"PASSEND_KEK_PO2604": f"kek-1:{KEK}"})
    with pytest.raises(KeyUnavailableError, match="remove PASSEND_KEK_PO2604"):
        await configured.ensure_destroyable(TenantId("PO2604"))
    with pytest.raises(KeyUnavailableError, match="remove PASSEND_KEK_PO2604"):
        await configured.destroy_keks(TenantId("PO2604"))
    assert await configured.current_kek(TenantId("PO2604")) == "kek-1"
    await EnvKeyProvider({}).ensure_destroyable(TenantId("PO2604"))
    assert await EnvKeyProvider({}).destroy_keks(TenantId("PO2604")) == []


async def test_a_local_provider_destroys_only_the_named_tenants_directory(tmp_path: Path) -> None:
    provider = LocalKeyProvider(tmp_path)
    kept = await provider.current_kek(TenantId("PO2605"))
    for name in ("", ".", "..", "PO2604/../PO2605"):
        with pytest.raises(ValueError, match="no tenant's directory"):
            await provider.destroy_keks(TenantId(name))
    assert await provider.destroy_keks(TenantId("PO2604")) == []
    assert [p.stem for p in (tmp_path / "PO2605").glob("*.key")] == [kept]


async def test_a_local_provider_overwrites_a_kek_before_it_unlinks_it(tmp_path: Path) -> None:
    provider = LocalKeyProvider(tmp_path / "keks")
    kek_id = await provider.current_kek(TenantId("PO2604"))
    key_file = tmp_path / "keks" / "PO2604" / f"{kek_id}.key"
    kek = key_file.read_bytes()
    other_name = tmp_path / "kept.key"  # the same file under another name: it sees the bytes
    other_name.hardlink_to(key_file)

    assert await provider.destroy_keks(TenantId("PO2604")) == [kek_id]

    assert not key_file.exists()
    left = other_name.read_bytes()
    assert len(left) == len(kek)
    assert left != kek
