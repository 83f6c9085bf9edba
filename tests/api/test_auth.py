import time
from pathlib import Path

import jwt
import pytest
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.auth import (
    Claims,
    Role,
    TenantGrant,
    TokenVerifier,
    dev_signing_key,
    mint_token,
    principal_for,
)
from api.settings import Settings
from infrastructure.in_memory_event_store import InMemoryEventStore


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def token_for(settings: Settings, **grants: TenantGrant) -> str:
    return mint_token(
        dev_signing_key(settings.data_dir),
        subject="tester",
        tenants=grants,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


async def test_a_request_without_a_token_is_refused_as_a_problem(settings: Settings) -> None:
    app = create_app(settings, event_store=InMemoryEventStore())
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/v1/tenants/PO2604/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 401
    assert "x-correlation-id" in response.headers
    assert response.headers["www-authenticate"] == 'Bearer realm="passend"'


async def test_a_token_signed_with_another_key_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    other = Settings(data_dir=tmp_path / "other")
    app = create_app(settings, event_store=InMemoryEventStore())
    forged = token_for(other, PO2604=TenantGrant(roles=(Role.LOKET,)))
    async with AsyncTestClient(app=app) as client:
        response = await client.get(
            "/v1/tenants/PO2604/me", headers={"Authorization": f"Bearer {forged}"}
        )
    assert response.status_code == 401
    # RFC 9110 15.5.2: every 401 carries a challenge; RFC 6750 3: saying why the token failed
    assert response.headers["www-authenticate"] == 'Bearer realm="passend", error="invalid_token"'


async def test_the_api_docs_need_no_token(settings: Settings) -> None:
    app = create_app(settings, event_store=InMemoryEventStore())
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Passend"


def test_a_tenant_missing_from_the_token_is_not_found_rather_than_forbidden() -> None:
    claims = Claims(sub="x", tenants={"PO2604": TenantGrant(roles=(Role.SCHOOL,), school="12AB00")})
    assert principal_for(claims, "PO2604").school == "12AB00"
    with pytest.raises(NotFoundException):
        principal_for(claims, "VO2604")


async def test_a_valid_token_shows_its_roles_in_its_tenant_only(settings: Settings) -> None:
    app = create_app(settings, event_store=InMemoryEventStore())
    token = token_for(settings, PO2604=TenantGrant(roles=(Role.SCHOOL,), school="12AB00"))
    headers = {"Authorization": f"Bearer {token}"}
    async with AsyncTestClient(app=app) as client:
        mine = await client.get("/v1/tenants/PO2604/me", headers=headers)
        theirs = await client.get("/v1/tenants/VO2604/me", headers=headers)
    assert mine.status_code == 200
    assert mine.json()["roles"] == ["school"]
    assert theirs.status_code == 404
    assert theirs.headers["content-type"].startswith("application/problem+json")


def test_an_operator_token_is_no_tenant_token_even_if_it_names_one() -> None:
    claims = Claims(
        sub="ops-1",
        tenants={"PO2604": TenantGrant(roles=(Role.SWV_ADMIN,))},
        platform_operator=True,
    )
    with pytest.raises(NotFoundException):
        principal_for(claims, "PO2604")


def test_no_token_reaches_the_platform_log_as_a_tenant() -> None:
    claims = Claims(sub="x", tenants={"PLATFORM": TenantGrant(roles=(Role.AUDITOR,))})
    with pytest.raises(NotFoundException):
        principal_for(claims, "PLATFORM")


def test_an_swv_admin_is_named_as_such_on_events() -> None:
    claims = Claims(sub="beheer-1", tenants={"PO2604": TenantGrant(roles=(Role.SWV_ADMIN,))})
    assert principal_for(claims, "PO2604").actor == "swv-admin:beheer-1"


def test_no_token_is_minted_for_an_operator_with_a_tenant_role(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="names no tenant"):
        mint_token(
            dev_signing_key(tmp_path),
            subject="ops-1",
            tenants={"PO2604": TenantGrant(roles=(Role.SWV_ADMIN,))},
            issuer="i",
            audience="a",
            platform_operator=True,
        )


def _verifier(settings: Settings) -> TokenVerifier:
    public = dev_signing_key(settings.data_dir).public_key()
    return TokenVerifier(
        issuer=settings.jwt_issuer, audience=settings.jwt_audience, public_key=public
    )


def test_a_remembered_token_is_refused_once_it_expires(settings: Settings) -> None:
    verifier = _verifier(settings)
    token = mint_token(
        dev_signing_key(settings.data_dir),
        subject="tester",
        tenants={"PO2604": TenantGrant(roles=(Role.LOKET,))},
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_seconds=1,
    )
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    assert verifier.verify(token).sub == "tester"
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    with pytest.raises(NotAuthorizedException, match="expired"):
        verifier.verify(token)


def test_a_token_is_remembered_whole_not_by_its_claims(settings: Settings) -> None:
    verifier = _verifier(settings)
    token = token_for(settings, PO2604=TenantGrant(roles=(Role.LOKET,)))
    verifier.verify(token)
    header, claims, signature = token.split(".")
    other = "A" if signature[0] != "A" else "B"
    with pytest.raises(NotAuthorizedException):
        verifier.verify(f"{header}.{claims}.{other}{signature[1:]}")
    assert verifier.verify(token).sub == "tester"
