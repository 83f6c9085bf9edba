"""Bodies and views of a tenant's configuration."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from api.schemas.common import EventView
from application.queries import Replayable
from domain.deadlines import PauseCount
from domain.swv import AmountUnit, SchoolType, Sector, Swv


class PolicyView(msgspec.Struct, frozen=True, kw_only=True):
    version: str
    effective_from: date
    lapse_unredeemed_tlvs: bool
    tlv_redemption_months: int
    lbt_affiliated: bool
    pause_count: PauseCount


class MunicipalityView(msgspec.Struct, frozen=True):
    code: str
    name: str


class SchoolView(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    board: str
    school_type: SchoolType
    municipality_code: str


class ArrangementTypeView(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    unit: AmountUnit
    default_duration_months: int


class ConfigurationState(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    sector: Sector
    committee_name: str
    policy: PolicyView
    municipalities: list[MunicipalityView]
    schools: list[SchoolView]
    arrangement_types: list[ArrangementTypeView]

    @classmethod
    def of(cls, swv: Swv) -> ConfigurationState:
        policy = swv.policy
        return cls(
            code=swv.code,
            name=swv.name,
            sector=swv.sector,
            committee_name=swv.committee_name,
            policy=PolicyView(
                version=policy.version,
                effective_from=policy.effective_from,
                lapse_unredeemed_tlvs=policy.lapse_unredeemed_tlvs,
                tlv_redemption_months=policy.tlv_redemption_months,
                lbt_affiliated=policy.lbt_affiliated,
                pause_count=policy.pause_count,
            ),
            municipalities=[MunicipalityView(c, n) for c, n in sorted(swv.municipalities.items())],
            schools=[
                SchoolView(
                    code=s.code,
                    name=s.name,
                    board=s.board,
                    school_type=s.school_type,
                    municipality_code=s.municipality_code,
                )
                for _, s in sorted(swv.schools.items())
            ],
            arrangement_types=[
                ArrangementTypeView(
                    code=t.code,
                    name=t.name,
                    unit=t.unit,
                    default_duration_months=t.default_duration_months,
                )
                for _, t in sorted(swv.catalogue.items())
            ],
        )


class SwvEvent(EventView, frozen=True):
    """An event of the tenant's configuration (its SWV): schools, catalogue, policy."""

    aggregate = Swv


class ConfigurationRead(Replayable, frozen=True):
    id: UUID
    version: int
    state: ConfigurationState
    events: list[SwvEvent]
