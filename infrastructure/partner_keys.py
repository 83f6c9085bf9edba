"""The partner root key: pseudonyms per subscription and webhook signing secrets derive from it.

Nothing derived is stored. A pupil's pseudonym in a subscription is a keyed hash of the
subscription and pupil ids (application/integration_events.py), with a key per tenant; a
webhook secret is a keyed hash of tenant, subscription and the secret's generation, so rotating
a secret is an event (a new generation) and the old secret can still be computed during the
overlap. The root key lives in ``data_dir/keys`` (generated on first use, never committed) or
comes from a file named by a setting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path
from uuid import UUID

KEY_NAME = "partner-root-key"


class PartnerKeys:
    def __init__(self, root: bytes) -> None:
        if len(root) < 32:  # noqa: PLR2004 - 256 bits
            raise ValueError("the partner root key must be at least 32 bytes")
        self._root = root

    @classmethod
    def from_file(cls, path: Path) -> PartnerKeys:
        """The key in ``path``, generated there on first use."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64encode(secrets.token_bytes(32)))
            path.chmod(0o600)
        return cls(base64.b64decode(path.read_bytes().strip()))

    def _derive(self, *parts: str) -> bytes:
        return hmac.new(self._root, "\x1f".join(parts).encode(), hashlib.sha256).digest()

    def pseudonym_key(self, tenant_id: str) -> bytes:
        return self._derive("pseudonym", tenant_id)

    def webhook_secret(self, tenant_id: str, subscription_id: UUID, generation: int) -> str:
        """The Standard Webhooks secret (``whsec_`` + base64) of one generation."""
        raw = self._derive("webhook", tenant_id, str(subscription_id), str(generation))
        return "whsec_" + base64.b64encode(raw).decode()
