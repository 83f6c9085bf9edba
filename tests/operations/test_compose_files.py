"""The compose files start what the run book says, with health checks, volumes and real images."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

OPS = Path(__file__).resolve().parents[2] / "ops"


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((OPS / name).read_text())
    return document


def passend_commands(services: dict[str, Any]) -> dict[str, list[str]]:
    return {
        name: service["command"]
        for name, service in services.items()
        if service.get("image") == "passend:local"
    }


def test_the_single_server_file_runs_postgres_the_api_and_a_projections_process() -> None:
    services = load("compose.yaml")["services"]
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert int(postgres["image"].split(":")[1]) >= 17
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(volume.startswith("pgdata:") for volume in postgres["volumes"])
    assert "pgdata" in load("compose.yaml")["volumes"]
    commands = passend_commands(services)
    assert commands["api"][:2] == ["passend", "serve"]
    assert commands["projections"] == ["passend", "projections", "run"]
    assert commands["deliveries"] == ["passend", "deliveries", "run"]
    assert "/health/ready" in " ".join(services["api"]["healthcheck"]["test"])
    api_env = services["api"]["environment"]
    assert api_env["PASSEND_RUN_PROJECTIONS"] == "false"
    assert api_env["PASSEND_RUN_DELIVERIES"] == "false", "the deliveries process delivers"
    for name in commands:  # every process gives up on a missing database, and is restarted
        assert float(services[name]["environment"]["PASSEND_DATABASE_START_TIMEOUT_SECONDS"]) > 0
        assert services[name]["restart"] == "unless-stopped"
    assert services["deliveries"]["depends_on"]["api"]["condition"] == "service_healthy"
    heartbeat = services["api"]["environment"]["PASSEND_HEARTBEAT_FILE"]
    for worker in ("projections", "deliveries"):  # no HTTP port: their heartbeat file
        assert heartbeat in " ".join(services[worker]["healthcheck"]["test"])
    assert "@postgres:5432/" in api_env["DATABASE_URL"]
    assert services["api"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert (OPS / services["api"]["build"]["dockerfile"].removeprefix("ops/")).exists()


def test_the_citus_file_has_a_coordinator_and_two_workers_joined_by_a_setup_step() -> None:
    services = load("compose.citus.yaml")["services"]
    nodes = ("coordinator", "worker1", "worker2")
    assert all(services[node]["image"].startswith("citusdata/citus:") for node in nodes)
    assert all("healthcheck" in services[node] for node in nodes)
    joined = " ".join(services["cluster"]["command"])
    assert "citus_add_node('worker1'" in joined
    assert "citus_add_node('worker2'" in joined
    assert "@coordinator:5432/" in services["api"]["environment"]["DATABASE_URL"]
    assert passend_commands(services)["deliveries"] == ["passend", "deliveries", "run"]
    assert set(load("compose.citus.yaml")["volumes"]) == set(nodes)


def _compose_available() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    probe = subprocess.run(  # noqa: S603 - a fixed command
        [docker, "compose", "version"], capture_output=True, check=False, timeout=30
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _compose_available(), reason="docker compose is not installed here")
@pytest.mark.parametrize("name", ["compose.yaml", "compose.citus.yaml"])
def test_docker_compose_accepts_the_file(name: str) -> None:
    docker = shutil.which("docker") or "docker"
    result = subprocess.run(  # noqa: S603 - a fixed command on our own file
        [docker, "compose", "-f", str(OPS / name), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
