"""SWV codes for tests, unique across the whole run.

Kept out of any conftest: pytest may load a conftest twice (as a conftest and as an imported
module), and two copies of the pool would hand out the same code twice.
"""

from __future__ import annotations

import random

from domain.ids import TenantId

# The demo seed's own codes are never handed out, so a test can seed them untouched; nor is
# the code the OpenAPI examples open a tenant under, nor the SWV off the platform of handovers.
_RESERVED = {2603, 2604, 2605, 2606}
_unused_codes = [n for n in random.sample(range(10_000), 10_000) if n not in _RESERVED]


def fresh_swv_code(sector: str = "PO") -> TenantId:
    """An SWV code no other test of this run uses."""
    return TenantId(f"{sector}{_unused_codes.pop():04d}")
