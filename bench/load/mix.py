"""The request mix: about 70% reads and 30% commands over all tenants, a few of them hot.

Reads, in equal shares: a school's caseload, the tenant's deadlines, a municipality's figures,
a pupil, a support request (a case). Commands: registering a pupil; half of them go to the
three hot tenants, the rest anywhere. Every request carries a loket token of its tenant. The
reference is the trivial authenticated ``GET .../me``: the floor of the HTTP stack.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import msgspec

from api.auth import Role, TenantGrant, dev_signing_key, mint_token
from api.settings import Settings
from bench.load.http import get, post

READS = ("caseload", "deadlines", "figures", "pupil", "case")
COMMAND = "register-pupil"
READ_SHARE = 0.7
HOT_TENANTS = 3
HOT_SHARE = 0.5
_PER_TENANT = 40
_SAMPLE = (
    "SELECT tenant_id, stream_id FROM (SELECT tenant_id, stream_id, row_number() OVER"
    " (PARTITION BY tenant_id ORDER BY position) AS n FROM events WHERE event_type = $1) s"
    " WHERE n <= $2"
)
_SCHOOLS = (
    "SELECT tenant_id, (payload->>'brin') || (payload->>'vestiging') AS code,"
    " payload->>'municipality_code' AS municipality FROM events WHERE event_type = 'SchoolAdded'"
)


@dataclass
class Tenant:
    code: str
    token: str
    schools: list[str] = field(default_factory=list)
    municipalities: list[str] = field(default_factory=list)
    pupils: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)


async def load_tenants(admin_dsn: str, settings: Settings, data_dir: Path) -> list[Tenant]:
    """Every tenant with the ids the mix needs, read from the log as the owner."""
    key = dev_signing_key(data_dir)
    conn = await asyncpg.connect(admin_dsn)
    try:
        codes = [r[0] for r in await conn.fetch("SELECT tenant_id FROM tenant_heads ORDER BY 1")]
        tenants = {
            code: Tenant(
                code,
                mint_token(
                    key,
                    subject="bench-loket",
                    tenants={code: TenantGrant(roles=(Role.LOKET,))},
                    issuer=settings.jwt_issuer,
                    audience=settings.jwt_audience,
                    ttl_seconds=24 * 3600,
                ),
            )
            for code in codes
        }
        for row in await conn.fetch(_SCHOOLS):
            tenants[row["tenant_id"]].schools.append(row["code"])
            tenants[row["tenant_id"]].municipalities.append(row["municipality"])
        for event_type, attribute in (
            ("PupilRegistered", "pupils"),
            ("SupportRequestSubmitted", "cases"),
        ):
            for row in await conn.fetch(_SAMPLE, event_type, _PER_TENANT):
                getattr(tenants[row["tenant_id"]], attribute).append(str(row["stream_id"]))
    finally:
        await conn.close()
    return [t for t in tenants.values() if t.schools and t.pupils and t.cases]


class Mix:
    """Draws the next request of the mix (or of the reference)."""

    def __init__(self, tenants: list[Tenant], host: str, *, seed: int = 7) -> None:
        if not tenants:
            raise ValueError("no tenant has schools, pupils and cases to ask about")
        self.tenants = tenants
        self.hot = tenants[:HOT_TENANTS]
        self.host = host
        self.rng = random.Random(seed)
        self.registered = 0

    def _tenant(self) -> Tenant:
        return self.rng.choice(self.tenants)

    def _read(self, tenant: Tenant) -> tuple[str, bytes]:
        kind = self.rng.choice(READS)
        base = f"/v1/tenants/{tenant.code}"
        path = {
            "caseload": lambda: f"{base}/schools/{self.rng.choice(tenant.schools)}/caseload",
            "deadlines": lambda: f"{base}/deadlines",
            "figures": lambda: (
                f"{base}/municipalities/{self.rng.choice(tenant.municipalities)}/figures"
            ),
            "pupil": lambda: f"{base}/pupils/{self.rng.choice(tenant.pupils)}",
            "case": lambda: f"{base}/support-requests/{self.rng.choice(tenant.cases)}",
        }[kind]()
        return f"read:{kind}", get(path, self.host, tenant.token)

    def _command(self) -> tuple[str, bytes]:
        tenant = self.rng.choice(self.hot) if self.rng.random() < HOT_SHARE else self._tenant()
        self.registered += 1
        index = self.rng.randrange(len(tenant.schools))
        body = msgspec.json.encode(
            {
                "name": f"Leerling {self.registered}",
                "date_of_birth": (date(2014, 1, 1) + timedelta(days=self.rng.randrange(2500))),
                "municipality_code": tenant.municipalities[index],
                "school_code": tenant.schools[index],
            }
        )
        path = f"/v1/tenants/{tenant.code}/pupils"
        return f"command:{COMMAND}", post(path, self.host, tenant.token, body)

    def next_request(self) -> tuple[str, bytes]:
        if self.rng.random() < READ_SHARE:
            return self._read(self._tenant())
        return self._command()

    def next_reference(self) -> tuple[str, bytes]:
        tenant = self._tenant()
        return "reference:me", get(f"/v1/tenants/{tenant.code}/me", self.host, tenant.token)
