"""Every request example of the OpenAPI document and the README is accepted by a served demo.

The real app is served over HTTP with the demo tenants seeded, as ``./ops/serve`` does. Each
example body is posted as it is written, to an object in the state its command needs: the
platform and configuration examples to a tenant they open and configure themselves, the others
to fresh cases of the demo's Passenderwijs (``PO2604``), made through the API with its schools
and catalogue. Only ids are filled in: those in the path, and in the body those that name the
object acted on. ``ops/walkthrough.sh`` runs against the same instance.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shlex
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from uuid import uuid4

import httpx
import pytest

from api.app import create_app
from api.auth import Role
from api.settings import Settings
from demo import seed_demo
from domain.ids import TenantId
from domain.registry import AGGREGATE_CLASSES
from infrastructure.database import Pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from infrastructure.system import SystemClock
from tests.api.conftest import Api
from tests.api.seeds_world import incoming_from_elsewhere
from tests.api.world import FIRST_EXPERT, SECOND_EXPERT, advice_body, build_world
from tests.serving import served

ROOT = Path(__file__).resolve().parents[2]
DEMO = TenantId("PO2604")
SCHOOL, SO_SCHOOL, ARRANGEMENT_TYPE = "17XF00", "17XC00", "ambulante-begeleiding"
NEW_TENANT = "/v1/platform/tenants/{code}"
S, L, C, E = Role.SCHOOL, Role.LOKET, Role.COMMITTEE, Role.EXPERT
ADMIN, PO, P = Role.SWV_ADMIN, Role.PRIVACY_OFFICER, Role.PARTNER
World = dict[str, str]
Setup = Callable[[Api, World], Awaitable[None]]


@pytest.fixture(scope="module")
async def demo(
    app_pool: Pool, database_dsns: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    """The app served over HTTP on the test database, with the demo tenants seeded."""
    await seed_demo(PostgresEventStore(app_pool, EventCodec(AGGREGATE_CLASSES)), SystemClock())
    admin_dsn, app_dsn = database_dsns
    settings = Settings(
        database_url=admin_dsn,
        database_app_url=app_dsn,
        database_retry_seconds=0.1,
        data_dir=Path(tmp_path_factory.mktemp("demo")),
        webhook_allow_private_targets=True,  # for the test's own webhook subscription
    )
    async with served(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        for _ in range(400):
            if (await client.get("/health")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        yield Api(cast("Any", client), settings)


async def openapi_examples(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    document = (await api.client.get("/schema/openapi.json")).json()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = (
                operation.get("requestBody", {}).get("content", {})
                if isinstance(operation, dict)
                else {}
            )
            media = content.get("application/json", {})
            values = [e["value"] for e in (media.get("examples") or {}).values()]
            values += media.get("schema", {}).get("examples", [])
            found += [(method.upper(), path, value) for value in values]
    return found


@dataclass(frozen=True)
class Scenario:
    """Who posts an example, and what must exist first (ids into ``world``)."""

    roles: tuple[Role, ...] = (L, C)
    setup: tuple[Setup, ...] = ()
    body_ids: dict[str, str] = field(default_factory=dict)  # body field -> world key
    school: str = SCHOOL
    subject: str = "staff"


async def call(api: Api, method: str, path: str, who: dict[str, str], body: Any = None) -> None:
    response = await api.call(method, path, who, body)
    assert response.status_code < 300, f"{method} {path}: {response.text}"


def base(world: World) -> str:
    return f"/v1/tenants/{world['tenant']}"


def staff(api: Api, world: World) -> dict[str, str]:
    return api.as_(world["tenant"], L, C, subject="staff")


async def post(
    api: Api, world: World, below: str, body: Any, who: dict[str, str] | None = None
) -> str:
    """POST ``body`` below the tenant, as its staff unless ``who`` is given; the new id if any."""
    path = f"{base(world)}/{below}"
    response = await api.call("POST", path, who or staff(api, world), body)
    assert response.status_code < 300, f"POST {path}: {response.text}"
    answer = response.json() if response.content else None
    return str(answer["id"]) if isinstance(answer, dict) and "id" in answer else ""


async def fresh_request(api: Api, world: World) -> None:
    """``request``: a TLV application just submitted, nothing checked yet."""
    world["request"] = await post(
        api,
        world,
        "support-requests",
        {
            "pupil_id": world["pupil"],
            "school_code": SCHOOL,
            "tlv_type": "SO",
            "question": "Past het SO?",
            "parent_view": "AGREE",
            "received_on": "2025-03-03",
        },
    )


async def checked(api: Api, world: World) -> None:
    request = f"support-requests/{world['request']}"
    await post(api, world, f"{request}/completeness-checks", {"checked_on": "2025-03-04"})


async def suspended(api: Api, world: World) -> None:
    await post(
        api,
        world,
        f"support-requests/{world['request']}/suspensions",
        {"reason": "Het OPP ontbreekt.", "suspended_on": "2025-03-05", "complete_by": "2025-03-19"},
    )


async def advised(api: Api, world: World) -> None:
    """Both advices on ``request``, each by the expert the world assigned."""
    for role, qualification, expert in (
        ("FIRST", "ORTHOPEDAGOOG", FIRST_EXPERT),
        ("SECOND", "ARTS", SECOND_EXPERT),
    ):
        await post(
            api,
            world,
            f"support-requests/{world['request']}/expert-advices",
            advice_body(role, qualification),
            api.as_(world["tenant"], E, subject=expert),
        )


async def decided(api: Api, world: World) -> None:
    await post(
        api,
        world,
        f"support-requests/{world['request']}/decision",
        {
            "outcome": "GRANTED",
            "reasons": "Toelaatbaar.",
            "decided_on": "2025-03-20",
            "funding_category": "LOW",
            "valid_from": "2025-04-01",
            "valid_until": "2027-07-31",
        },
    )


async def notified(api: Api, world: World) -> None:
    request = f"support-requests/{world['request']}"
    await post(api, world, f"{request}/notification", {"notified_on": "2025-03-21"})


async def guardian_added(api: Api, world: World) -> None:
    body = {"guardian_id": world["guardian"], "has_authority": True}
    await post(api, world, f"pupils/{world['pupil']}/guardians", body)


async def lbt_requested(api: Api, world: World) -> None:
    objection = f"objections/{world['objection']}"
    await post(api, world, f"{objection}/lbt-advice-requests", {"requested_on": "2025-04-08"})


async def lbt_advised(api: Api, world: World) -> None:
    body = {"recommended_outcome": "REJECTED", "advice": "Ongegrond."}
    await post(api, world, f"objections/{world['objection']}/lbt-advices", body)


async def handed_over_to_the_demo(api: Api, world: World) -> None:
    """A handover another tenant on the platform made to the demo, waiting for its answer."""
    world |= await incoming_from_elsewhere(api, TenantId(world["tenant"]))


async def late_objection(api: Api, world: World) -> None:
    world["objection"] = await post(
        api,
        world,
        "objections",
        {
            "support_request_id": world["granted"],
            "objector": "SCHOOL_BOARD",
            "grounds": "Te laat, maar terecht.",
            "received_on": "2025-06-02",
        },
    )


async def lateness_explained(api: Api, world: World) -> None:
    body = {"explanation": "Verkeerd adres."}
    await post(api, world, f"objections/{world['objection']}/lateness-explanations", body)


async def arrangement_granted_request(api: Api, world: World) -> None:
    """``arrangement_request``: granted, without its arrangement yet."""
    request_id = await post(
        api,
        world,
        "support-requests",
        {
            "pupil_id": world["pupil"],
            "school_code": SCHOOL,
            "arrangement_type": ARRANGEMENT_TYPE,
            "question": "Begeleiding?",
            "parent_view": "AGREE",
            "received_on": "2025-03-03",
        },
    )
    request = f"support-requests/{request_id}"
    await post(api, world, f"{request}/completeness-checks", {"checked_on": "2025-03-04"})
    decision = {"outcome": "GRANTED", "reasons": "Nodig.", "decided_on": "2025-03-20"}
    await post(api, world, f"{request}/decision", decision)
    world["arrangement_request"] = request_id


async def webhook_subscription(api: Api, world: World) -> None:
    world["subscription"] = await post(
        api,
        world,
        "subscriptions",
        {
            "partner": "rbl-utrecht-west",
            "legal_basis": "LEERPLICHTWET",
            "event_types": ["nl.passend.pupil.enrolled.v1"],
            "transport": "WEBHOOK",
            "webhook_url": "http://127.0.0.1:9/passend",
        },
        api.as_(world["tenant"], ADMIN),
    )


async def absence_reported(api: Api, world: World) -> None:
    world["absence"] = await post(
        api,
        world,
        "absence-cases",
        {
            "pupil_id": world["pupil"],
            "school_code": SCHOOL,
            "absent_since": "2025-09-01",
            "completely_absent": True,
            "reporter": "SCHOOL",
        },
    )


async def service_requested(api: Api, world: World, code: str = "observatie") -> None:
    world["service_request"] = await post(
        api,
        world,
        "service-requests",
        {
            "service_code": code,
            "pupil_id": world["pupil"],
            "question": "Wat past?",
            "school_code": SCHOOL,
        },
    )


async def provision_requested(api: Api, world: World) -> None:
    """A provision of its own (municipalities share in provisions only), asked for."""
    code = f"vz-{uuid4().hex[:8]}"
    await post(
        api,
        world,
        "services",
        {
            "code": code,
            "name": "Onderwijs-zorgvoorziening",
            "kind": "VOORZIENING",
            "for_pupils": True,
        },
        api.admin(world["tenant"]),
    )
    await service_requested(api, world, code)


async def provision_granted(api: Api, world: World) -> None:
    await post(
        api,
        world,
        f"service-requests/{world['service_request']}/grant",
        {"hours": 40, "provider": "De Brug", "start_on": "2025-09-01", "end_on": "2026-07-17"},
    )


CASE = "/v1/tenants/{swv_code}/support-requests/{request_id}"
ABSENCE = "/v1/tenants/{swv_code}/absence-cases/{absence_case_id}"
SERVICE = "/v1/tenants/{swv_code}/service-requests/{service_request_id}"
OBJECTION = "/v1/tenants/{swv_code}/objections/{objection_id}"
INCOMING = "/v1/tenants/{swv_code}/incoming-handovers/{incoming_handover_id}"
SCENARIOS: dict[tuple[str, str], Scenario] = {
    **{
        ("POST", f"{INCOMING}/{answer}"): Scenario(setup=(handed_over_to_the_demo,))
        for answer in ("acceptance", "decline")
    },
    **{
        ("POST", f"/v1/tenants/{{swv_code}}/{about}"): Scenario(body_ids={"pupil_id": "pupil"})
        for about in ("handovers", "outflows")
    },
    ("POST", "/v1/tenants/{swv_code}/support-requests"): Scenario(
        roles=(S,), body_ids={"pupil_id": "pupil"}
    ),
    ("POST", f"{CASE}/completeness-checks"): Scenario(setup=(fresh_request,)),
    ("POST", f"{CASE}/suspensions"): Scenario(setup=(fresh_request, checked)),
    ("POST", f"{CASE}/resumptions"): Scenario(setup=(fresh_request, checked, suspended)),
    ("POST", f"{CASE}/expert-assignments"): Scenario(setup=(fresh_request, checked)),
    ("POST", f"{CASE}/expert-advices"): Scenario(roles=(E,), subject=FIRST_EXPERT),
    ("POST", f"{CASE}/decision"): Scenario(roles=(C,), setup=(advised,)),
    ("POST", f"{CASE}/notification"): Scenario(setup=(advised, decided)),
    ("POST", f"{CASE}/disclosures"): Scenario(setup=(advised, decided, notified)),
    ("POST", "/v1/tenants/{swv_code}/tlvs/bulk-extensions"): Scenario(
        roles=(C,), body_ids={"tlv_ids": "tlv"}
    ),
    ("POST", "/v1/tenants/{swv_code}/tlvs/redemptions"): Scenario(
        roles=(S,), school=SO_SCHOOL, body_ids={"beschikkingsnummer": "beschikkingsnummer"}
    ),
    ("POST", "/v1/tenants/{swv_code}/objections"): Scenario(
        setup=(advised, decided, notified), body_ids={"support_request_id": "request"}
    ),
    ("POST", f"{OBJECTION}/lbt-advices"): Scenario(setup=(lbt_requested,)),
    ("POST", f"{OBJECTION}/decision"): Scenario(roles=(C,), setup=(lbt_requested, lbt_advised)),
    ("POST", f"{OBJECTION}/lateness-explanations"): Scenario(setup=(late_objection,)),
    ("POST", f"{OBJECTION}/lateness-rulings"): Scenario(
        roles=(C,), setup=(late_objection, lateness_explained)
    ),
    ("POST", "/v1/tenants/{swv_code}/arrangements"): Scenario(
        roles=(C,),
        setup=(arrangement_granted_request,),
        body_ids={"support_request_id": "arrangement_request"},
    ),
    ("PUT", "/v1/tenants/{swv_code}/pupils/{pupil_id}/guardians/{guardian_id}"): Scenario(
        setup=(guardian_added,)
    ),
    ("POST", "/v1/tenants/{swv_code}/subscriptions"): Scenario(roles=(ADMIN,)),
    ("POST", "/v1/tenants/{swv_code}/absence-cases"): Scenario(body_ids={"pupil_id": "pupil"}),
    ("POST", f"{ABSENCE}/hours"): Scenario(setup=(absence_reported,)),
    ("POST", f"{ABSENCE}/duo-reports"): Scenario(setup=(absence_reported,)),
    ("POST", f"{ABSENCE}/plans"): Scenario(setup=(absence_reported,)),
    ("POST", f"{ABSENCE}/closure"): Scenario(setup=(absence_reported,)),
    ("POST", "/v1/tenants/{swv_code}/service-requests"): Scenario(
        roles=(S,), body_ids={"pupil_id": "pupil"}
    ),
    ("POST", f"{SERVICE}/grant"): Scenario(setup=(provision_requested,)),
    ("POST", f"{SERVICE}/refusal"): Scenario(setup=(service_requested,)),
    ("POST", f"{SERVICE}/withdrawal"): Scenario(setup=(service_requested,)),
    ("POST", f"{SERVICE}/deliveries"): Scenario(setup=(provision_requested, provision_granted)),
    ("POST", "/v1/tenants/{swv_code}/subscriptions/{subscription_id}/replays"): Scenario(
        roles=(ADMIN,), setup=(webhook_subscription,)
    ),
    ("POST", "/v1/tenants/{swv_code}/subscriptions/{subscription_id}/secret-rotations"): Scenario(
        roles=(ADMIN,), setup=(webhook_subscription,)
    ),
}
_PATH_IDS = {
    "pupil_id": "pupil",
    "request_id": "request",
    "tlv_id": "tlv",
    "objection_id": "objection",
    "arrangement_id": "arrangement",
    "guardian_id": "guardian",
    "subscription_id": "subscription",
    "absence_case_id": "absence",
    "service_request_id": "service_request",
    "incoming_handover_id": "incoming_handover",
}
# The demo's own settings, set by its swv-admin before any case is made.
DEMO_SETTINGS = (
    ("POST", "/v1/tenants/{swv_code}/services"),
    ("PUT", "/v1/tenants/{swv_code}/absence-settings/school-holidays"),
    ("PUT", "/v1/tenants/{swv_code}/absence-settings/thuiszitterspact"),
)
# The platform's and a tenant's own set-up, in the order a new tenant goes through it.
NEW_TENANT_ORDER = (
    ("POST", "/v1/platform/tenants"),
    ("POST", "/v1/tenants/{swv_code}/configuration"),
    ("POST", "/v1/tenants/{swv_code}/configuration/municipalities"),
    ("POST", "/v1/tenants/{swv_code}/configuration/schools"),
    ("POST", "/v1/tenants/{swv_code}/configuration/arrangement-types"),
    ("PUT", "/v1/tenants/{swv_code}/configuration/committee"),
    ("POST", "/v1/tenants/{swv_code}/configuration/policies"),
    ("POST", f"{NEW_TENANT}/suspension"),
    ("POST", f"{NEW_TENANT}/reinstatement"),
    ("POST", f"{NEW_TENANT}/key-rotations"),
)
ERASURE = ("POST", f"{NEW_TENANT}/erasure")


def with_ids(body: Any, scenario: Scenario, world: World) -> Any:
    if not isinstance(body, dict):
        return body
    filled = dict(body)
    for name, key in scenario.body_ids.items():
        filled[name] = [world[key]] if isinstance(body.get(name), list) else world[key]
    return filled


async def erased(api: Api, code: str, bodies: list[Any]) -> list[str]:
    """The erasure examples, on the new tenant once suspended and exported (its SHA-256)."""
    platform = f"/v1/platform/tenants/{code}"
    for _ in range(300):  # the key rotation re-wraps first
        status = await api.ok("GET", f"{platform}/key-rotations", api.operator())
        if status["rotations"][-1]["completed_at"] is not None:
            break
        await asyncio.sleep(0.1)
    await call(api, "POST", f"{platform}/suspension", api.operator(), {"reason": "Einde."})
    export = await api.call("POST", f"{platform}/export", api.operator())
    assert export.status_code == 200, export.text
    refused = []
    for body in bodies:
        sent = {**body, "export_sha256": hashlib.sha256(export.content).hexdigest()}
        response = await api.call("POST", f"{platform}/erasure", api.operator(), sent)
        for _ in range(120):  # 409 with Retry-After while its read models catch up
            if response.status_code != 409 or "caught up" not in response.text:
                break
            await asyncio.sleep(0.5)
            response = await api.call("POST", f"{platform}/erasure", api.operator(), sent)
        if response.status_code >= 300:
            refused.append(f"POST {platform}/erasure: {response.status_code} {response.text}")
    return refused


async def posted(api: Api, method: str, path: str, who: dict[str, str], body: Any) -> list[str]:
    """Nothing, or what refused the example."""
    response = await api.call(method, path, who, body)
    return [f"{method} {path}: {response.status_code} {response.text}"] * (
        response.status_code >= 300
    )


async def test_every_openapi_example_is_accepted_by_the_served_demo(demo: Api) -> None:
    examples = await openapi_examples(demo)
    assert len(examples) > 40
    by_route: dict[tuple[str, str], list[Any]] = {}
    for method, path, body in examples:
        by_route.setdefault((method, path), []).append(body)
    refused = []
    new_code = by_route[NEW_TENANT_ORDER[0]][0]["code"]
    for method, path in NEW_TENANT_ORDER:
        who = demo.operator() if path.startswith("/v1/platform") else demo.admin(new_code)
        filled = path.format(code=new_code, swv_code=new_code)
        for body in by_route.pop((method, path)):
            refused += await posted(demo, method, filled, who, body)
    refused += await erased(demo, new_code, by_route.pop(ERASURE))
    for method, path in DEMO_SETTINGS:
        for body in by_route.pop((method, path)):
            filled = path.format(swv_code=DEMO)
            refused += await posted(demo, method, filled, demo.admin(DEMO), body)
    for (method, path), bodies in by_route.items():
        scenario = SCENARIOS.get((method, path), Scenario())
        for body in bodies:
            world = await build_world(demo, DEMO, school=SCHOOL, arrangement_type=ARRANGEMENT_TYPE)
            for step in scenario.setup:
                await step(demo, world)
            values = {"swv_code": DEMO} | {k: world[v] for k, v in _PATH_IDS.items() if v in world}
            who = demo.as_(DEMO, *scenario.roles, subject=scenario.subject, school=scenario.school)
            sent = with_ids(body, scenario, world)
            refused += await posted(demo, method, path.format_map(values), who, sent)
    assert not refused, "\n".join(refused)


_TOKEN = re.compile(r"^(\w+)=\$\(uv run passend token ([^)]*)\)", re.MULTILINE)
_CURL = re.compile(
    r"curl -s(?: -X (\w+))? (?:\$API|http://127\.0\.0\.1:8000)(\S+)"
    r" -H \"Authorization: Bearer \$(\w+)\"(.*)",
    re.DOTALL,
)
_BODY = re.compile(r"-d '([^']*)'")


def readme_curls(text: str) -> list[str]:
    """Each curl command of the README, its continued lines and quoted body included."""
    commands, current = [], ""
    for line in text.splitlines():
        if not current and not line.lstrip().startswith("curl "):
            continue
        current += line.strip() + "\n"
        if not line.endswith("\\") and current.count("'") % 2 == 0:
            commands.append(current)
            current = ""
    return commands


def readme_tokens(text: str, api: Api) -> dict[str, dict[str, str]]:
    """The README's ``passend token`` lines, as the same grants."""
    tokens = {}
    for name, arguments in _TOKEN.findall(text):
        words = shlex.split(arguments)
        options: dict[str, list[str]] = {}
        for flag, value in zip(words[::2], words[1::2], strict=True):
            options.setdefault(flag.removeprefix("--"), []).append(value)
        tokens[name] = api.as_(
            options["tenant"][0],
            *(Role(r) for r in options["role"]),
            subject=options.get("subject", ["readme"])[0],
            **({"school": options["school"][0]} if "school" in options else {}),
        )
    return tokens


async def test_every_curl_of_the_readme_is_answered_by_the_served_demo(demo: Api) -> None:
    text = (ROOT / "README.md").read_text()
    tokens = readme_tokens(text, demo)
    curls = [_CURL.match(command) for command in readme_curls(text)]
    assert len(curls) >= 3
    created: dict[str, str] = {}
    for curl in curls:
        assert curl is not None
        method, path, token, rest = curl.groups()
        body = _BODY.search(rest)
        sent = body[1] if body else None
        for placeholder, value in created.items():
            sent = sent.replace(f"<{placeholder}>", value) if sent else sent
        response = await demo.call(
            method or ("POST" if sent else "GET"),
            path,
            tokens[token],
            json.loads(sent) if sent else None,
        )
        assert response.status_code < 300, f"{method} {path}: {response.text}"
        if response.status_code == 201:
            created[path.rstrip("/").rsplit("/", 1)[1].removesuffix("s")] = response.json()["id"]


async def test_the_walkthrough_script_walks_the_served_demo_to_the_end(demo: Api) -> None:
    url = str(cast("httpx.AsyncClient", demo.client).base_url).rstrip("/")
    walk = await asyncio.create_subprocess_exec(
        str(ROOT / "ops" / "walkthrough.sh"),
        env={**os.environ, "API": url, "PASSEND_DATA_DIR": str(demo.settings.data_dir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output, _ = await walk.communicate()
    assert walk.returncode == 0, output.decode()
    assert "outcome REJECTED" in output.decode()
