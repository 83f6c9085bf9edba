"""Identifiers. Tenants are SWVs, named by their DUO code; everything else is a UUID."""

from typing import NewType
from uuid import UUID

TenantId = NewType("TenantId", str)
"""The SWV code of a tenant, e.g. ``PO2604``."""

PupilId = NewType("PupilId", UUID)
SupportRequestId = NewType("SupportRequestId", UUID)
TlvId = NewType("TlvId", UUID)
ArrangementId = NewType("ArrangementId", UUID)
ObjectionId = NewType("ObjectionId", UUID)
