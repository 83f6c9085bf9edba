"""Settings, read from the environment once, in ``create_app`` or the CLI; never at import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

_PREFIX = "PASSEND_"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """How one Passend process runs. Every field has an environment variable."""

    database_url: str | None = None
    """Admin DSN, used for migrations (``DATABASE_URL``). None: an embedded server."""
    database_app_url: str | None = None
    """DSN the API uses, as role ``passend_app``; derived from ``database_url`` when unset."""
    read_database_url: str | None = None
    """DSN of a streaming replica, as role ``passend_app`` (``READ_DATABASE_URL``): read models,
    timelines and exports read there; unset: they read the primary."""
    replica_wait_seconds: float = 1.0
    """How long a read that names a position waits for the replica before reading the primary."""
    replica_max_lag_seconds: float = 30.0
    """A replica further behind than this gets no reads until it catches up."""
    data_dir: Path = Path("var")
    """Where the embedded server, development keys and other local state live."""
    host: str = "127.0.0.1"
    port: int = 8000
    pool_min_size: int = 2
    pool_max_size: int = 20
    database_retry_seconds: float = 2.0
    database_start_timeout_seconds: float = 60.0
    """How long a starting process waits for its database before it exits (status 69)."""
    heartbeat_file: Path | None = None
    """Touched every 10 s while the database answers (projections, deliveries): health checks."""
    run_projections: bool = True
    elect_background: bool = False
    """Run the projection runner, webhook deliveries and key-rotation resumer (as far as they
    are on) only while this process is elected among the machine's processes: ``serve
    --workers`` sets it for the process that runs them beside its HTTP workers."""
    resume_key_rotations: bool = True
    """Resume the key rotations a stopped process left re-wrapping: at start and every
    ``key_rotation_rescan_s`` (in the elected background process, or the single process)."""
    key_rotation_rescan_s: float = 60.0
    """How often the elected background process (or the single ``serve`` process) looks for
    rotations left unfinished; more than 0 (0 would read the platform log without a pause)."""
    run_retention: bool = True
    """Shred what retention terms say must go, every night at 02:00 (Amsterdam)."""
    run_absence_signals: bool = True
    """Record the thuiszitter signals whose day came, every night at 02:00 (Amsterdam)."""
    jwt_public_key_file: Path | None = None
    """PEM public key that verifies bearer tokens; unset: the development key in data_dir."""
    jwt_jwks_url: str | None = None
    """A JWKS endpoint to verify bearer tokens with, instead of a key file."""
    jwt_issuer: str = "passend-dev"
    jwt_audience: str = "passend"
    max_body_bytes: int = 1_048_576
    metrics_token: str | None = None
    """Bearer token a Prometheus scraper sends to ``/metrics``; unset: loopback clients only."""
    log_origin: str = "passend.localhost"
    """This platform's name in checkpoints: tenant logs are ``<log_origin>/<SWV code>``."""
    checkpoint_signing_key_file: Path | None = None
    """PEM Ed25519 key that signs checkpoints (production: from the secret store); unset: a
    development key generated in ``data_dir/keys``."""
    run_log_integrator: bool = True
    witnesses: str = ""
    """Witnesses to submit checkpoints to: ``<url>|<vkey>`` entries separated by commas."""
    max_in_flight: int = 32
    """Requests one process runs at a time; more wait in a short queue or get 503."""
    max_queued: int = 64
    """Requests that may wait for a slot; beyond this, 503 at once."""
    queue_wait_seconds: float = 0.1
    """How long a queued request waits for a slot before it gets 503."""
    public_url: str = "http://127.0.0.1:8000"
    """Where partners reach this API: CloudEvents name their schemas under it."""
    run_deliveries: bool = True
    """Deliver partner webhooks in this process (``passend deliveries run`` does it alone)."""
    partner_key_file: Path | None = None
    """The root key of pseudonyms and webhook secrets; unset: one made in data_dir/keys."""
    webhook_allow_private_targets: bool = False
    """Let webhooks reach loopback and private addresses: for tests and local trials only."""
    webhook_allowed_networks: str = ""
    """Non-public networks webhooks may reach anyway (a partner on a private link): CIDRs,
    comma-separated, e.g. ``10.20.0.0/16,fd00:1::/64``."""
    webhook_timeout_s: float = 10.0
    webhook_batch_size: int = 100
    webhook_backoff_base_s: float = 1.0
    webhook_backoff_cap_s: float = 3600.0
    partner_poll_interval_s: float = 1.0

    def __post_init__(self) -> None:
        # msgspec reports it as a ValidationError from ``from_env`` too
        if not self.key_rotation_rescan_s > 0:  # NaN too
            raise ValueError(
                "PASSEND_KEY_ROTATION_RESCAN_S must be more than 0 seconds, "
                f"not {self.key_rotation_rescan_s}"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if env.get("DATABASE_URL"):
            values["database_url"] = env["DATABASE_URL"]
        if env.get("READ_DATABASE_URL"):
            values["read_database_url"] = env["READ_DATABASE_URL"]
        for field in msgspec.structs.fields(cls):
            raw = env.get(_PREFIX + field.name.upper())
            if raw:
                values[field.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return msgspec.convert(values, cls, strict=False, dec_hook=_decode_path)

    def app_dsn(self) -> str:
        if self.database_app_url:
            return self.database_app_url
        if not self.database_url:
            raise ValueError("no database configured")
        return _with_user(self.database_url, "passend_app")


def _decode_path(kind: type, value: object) -> object:
    if kind is Path and isinstance(value, str):
        return Path(value)
    # msgspec's dec_hook protocol: NotImplementedError means "not a type this hook handles"
    raise NotImplementedError(f"cannot read {kind} from the environment")


def _with_user(dsn: str, user: str) -> str:
    scheme, sep, rest = dsn.partition("://")
    if not sep:
        raise ValueError("DATABASE_URL must look like postgresql://user@host:port/db")
    _, at, host_part = rest.rpartition("@")
    return f"{scheme}://{user}@{host_part if at else rest}"
