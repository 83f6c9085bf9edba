"""A client generated with openapi-python-client from the served document works against the API.

The client is generated into a temporary directory from ``/schema/openapi.json`` of a served
app (uvicorn on a real port), then registers a pupil, submits a TLV application for it and
reads the application back, each answer parsed into the generated models. The generated
package, and a snippet that reads a typed event's ``data`` with it, pass ``mypy --strict``.
"""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

from api.auth import Role
from tests.api.conftest import SCHOOL, open_tenant
from tests.partners.conftest import partner_settings, served

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "passend_client"
GENERATE_OPTIONS = ("--meta", "none", "--output-path", PACKAGE)


READS_AN_EVENT = """
from passend_client.models import SupportRequestRead, SupportRequestSubmittedEvent


def first_question(read: SupportRequestRead) -> str | None:
    for event in read.events:
        if isinstance(event, SupportRequestSubmittedEvent):
            return event.data.question
    return None
"""
"""Code of an integrator's that reads a typed event; mypy --strict checks it with the client."""

MYPY_CONFIG = """
[mypy]
strict = True

[mypy-passend_client.client]
# The generator's fixed client template forwards ``*args: object`` to httpx's ``__exit__``;
# every module generated from the document is checked in full.
disable_error_code = arg-type
"""


@contextmanager
def importable(directory: Path) -> Iterator[None]:
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        sys.path.remove(str(directory))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def generated(name: str = "") -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}" if name else PACKAGE)


async def test_a_generated_client_registers_a_pupil_submits_a_request_and_reads_it_back(
    database_dsns: tuple[str, str], tmp_path: Path
) -> None:
    settings = partner_settings(*database_dsns, tmp_path / "data", run_deliveries=False)
    async with served(settings) as api:
        tenant = await open_tenant(api)
        document = tmp_path / "openapi.json"
        document.write_bytes((await api.client.get("/schema/openapi.json")).content)
        generation = await asyncio.to_thread(
            subprocess.run,
            [str(GENERATOR), "generate", "--path", str(document), *GENERATE_OPTIONS],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert generation.returncode == 0, generation.stdout + generation.stderr
        (tmp_path / "reads_an_event.py").write_text(READS_AN_EVENT)
        (tmp_path / "mypy.ini").write_text(MYPY_CONFIG)
        checked = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "mypy",
                "--strict",
                "--cache-dir",
                "mypy-cache",
                PACKAGE,
                "reads_an_event.py",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        token = api.token(tenant, Role.SCHOOL, school=SCHOOL, subject="ib-1")
        with importable(tmp_path):
            await walk(generated(), tenant, api.settings.public_url, token)


async def walk(client_package: ModuleType, tenant: str, url: str, token: str) -> None:
    models: Any = generated("models")
    register_pupil: Any = generated("api.pupils.register_pupil")
    submit: Any = generated("api.support_requests.submit_support_request")
    read: Any = generated("api.support_requests.get_support_request")
    async with client_package.AuthenticatedClient(base_url=url, token=token) as client:
        pupil = await register_pupil.asyncio(
            tenant,
            client=client,
            body=models.RegisterPupil(
                name="Sam de Vries", date_of_birth=date(2017, 5, 12), municipality_code="GM0632"
            ),
        )
        assert isinstance(pupil, models.CommandAccepted), pupil
        submitted = await submit.asyncio(
            tenant,
            client=client,
            body=models.SubmitSupportRequest(
                pupil_id=pupil.id,
                tlv_type=models.TlvType.SO,
                question="Past een plek in het SO?",
                parent_view=models.ParentView.AGREE,
            ),
        )
        assert isinstance(submitted, models.CommandAccepted), submitted
        request = await read.asyncio(tenant, submitted.id, client=client)
    assert isinstance(request, models.SupportRequestRead), request
    assert (request.id, request.version) == (submitted.id, submitted.version)
    assert (request.state.pupil_id, request.state.school_code) == (pupil.id, SCHOOL)
    assert request.state.tlv_type == models.TlvType.SO
    [submission] = request.events  # typed by the read's oneOf of support request events
    assert isinstance(submission, models.SupportRequestSubmittedEvent), submission
    assert (submission.type_, submission.data.question) == (
        "SupportRequestSubmitted",
        "Past een plek in het SO?",
    )
