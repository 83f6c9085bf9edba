"""The demo tenants' configuration: real SWV codes and CBS municipality codes, fictional schools.

School names, BRIN-like codes and boards are made up; the municipalities are those each SWV
covers (domain brief §2). The catalogues follow the commonly offered arrangement types (§1.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import msgspec

from application.commands import AddArrangementType, AddSchool, Command
from domain.ids import TenantId
from domain.swv import AmountUnit, SchoolType

PASSENDERWIJS = TenantId("PO2604")
VO_RUW = TenantId("VO2604")
ZOUT = TenantId("PO2603")


C = TypeVar("C", bound=Command)


def _row(kind: type[C], *values: object) -> C:
    """A configuration command from its fields in declaration order: the tables stay narrow."""
    return msgspec.convert(dict(zip(kind.__struct_fields__, values, strict=True)), kind)


def _school(*values: object) -> AddSchool:
    return _row(AddSchool, *values)


def _arrangement_type(*values: object) -> AddArrangementType:
    return _row(AddArrangementType, *values)


@dataclass(frozen=True, slots=True)
class DemoTenant:
    code: TenantId
    name: str
    committee_name: str
    policy_version: str
    lapse_unredeemed_tlvs: bool
    municipalities: tuple[tuple[str, str], ...]
    schools: tuple[AddSchool, ...]
    catalogue: tuple[AddArrangementType, ...]

    def policy_effective_from(self, today: date) -> date:
        """The current ondersteuningsplan took effect on 1 August, two school years ago."""
        year = today.year if today.month >= 8 else today.year - 1  # noqa: PLR2004 - August
        return date(year - 2, 8, 1)


_HOURS, _EUROS = AmountUnit.HOURS, AmountUnit.EUROS

_PO_CATALOGUE = (
    _arrangement_type("ambulante-begeleiding", "Ambulante begeleiding", _HOURS, 6),
    _arrangement_type("onderwijsassistent", "Onderwijsassistent / extra formatie", _EUROS, 12),
    _arrangement_type("observatieplaats", "Observatieplaats", _HOURS, 3),
    _arrangement_type("plusklas", "Plusklas", _HOURS, 12),
    _arrangement_type("nieuwkomers", "Nieuwkomersarrangement (schakelklas)", _EUROS, 12),
    _arrangement_type("medisch-lichamelijk", "Medisch-lichamelijk arrangement", _EUROS, 12),
    _arrangement_type("cognitief", "Cognitief (ZML) arrangement", _EUROS, 12),
    _arrangement_type("gedrag", "Arrangement gedrag", _HOURS, 12),
    _arrangement_type("bao-plus", "BAO+ arrangement", _EUROS, 24),
    _arrangement_type("onderwijs-zorg", "Onderwijs-zorgarrangement (OZA)", _EUROS, 12),
    _arrangement_type("thuiszitters-maatwerk", "Thuiszittersarrangement / maatwerk", _EUROS, 6),
)

_VO_CATALOGUE = (
    _arrangement_type("ambulante-begeleiding", "Ambulante begeleiding", _HOURS, 6),
    _arrangement_type("extra-formatie", "Extra formatie / onderwijsassistent", _EUROS, 12),
    _arrangement_type("gedrag", "Arrangement gedrag", _HOURS, 12),
    _arrangement_type("medisch-lichamelijk", "Medisch-lichamelijk arrangement", _EUROS, 12),
    _arrangement_type("tussenvoorziening", "Tussenvoorziening (OPDC)", _EUROS, 12),
    _arrangement_type("onderwijs-zorg", "Onderwijs-zorgarrangement (OZA)", _EUROS, 12),
    _arrangement_type("thuiszitters-maatwerk", "Thuiszittersarrangement / maatwerk", _EUROS, 6),
)

_REGULAR, _SBO, _SO, _VSO = SchoolType.REGULAR, SchoolType.SBO, SchoolType.SO, SchoolType.VSO

_VECHT = "Stichting Vechtstreek Primair"
_VEEN = "Stichting Veenland Scholen"
_GROENE_HART = "Stichting Groene Hart Primair"
_IJSSEL = "Stichting IJssel en Lek Scholen"
_SPECIAAL = "Stichting Speciaal Onderwijs Utrecht-West"

PASSENDERWIJS_TENANT = DemoTenant(
    code=PASSENDERWIJS,
    name="Passenderwijs",
    committee_name="Commissie Toelaatbaarheid",
    policy_version="Ondersteuningsplan 3.1",
    lapse_unredeemed_tlvs=True,
    municipalities=(
        ("GM1904", "Stichtse Vecht"),
        ("GM0736", "De Ronde Venen"),
        ("GM0632", "Woerden"),
        ("GM0589", "Oudewater"),
        ("GM0335", "Montfoort"),
    ),
    schools=(
        _school("17XA", "00", "Basisschool De Vechtoever", _VECHT, _REGULAR, "GM1904"),
        _school("17XB", "00", "Kindcentrum Het Zandpad", _VECHT, _REGULAR, "GM1904"),
        _school("17XC", "00", "SO De Kompasroos", _SPECIAAL, _SO, "GM1904"),
        _school("17XD", "00", "Basisschool De Plashoeve", _VEEN, _REGULAR, "GM0736"),
        _school(
            "17XD", "01", "Basisschool De Plashoeve, locatie Waverveen", _VEEN, _REGULAR, "GM0736"
        ),
        _school("17XE", "00", "Kindcentrum De Turfschuur", _VEEN, _REGULAR, "GM0736"),
        _school("17XF", "00", "Basisschool De Singelwijzer", _GROENE_HART, _REGULAR, "GM0632"),
        _school("17XG", "00", "Basisschool Het Kanaalpad", _GROENE_HART, _REGULAR, "GM0632"),
        _school("17XH", "00", "SBO De Brugwachter", _GROENE_HART, _SBO, "GM0632"),
        _school("17XJ", "00", "Basisschool De Touwbaan", _IJSSEL, _REGULAR, "GM0589"),
        _school("17XK", "00", "Basisschool De Kasteelhof", _IJSSEL, _REGULAR, "GM0335"),
        _school("17XL", "00", "Basisschool De Linschoter", _IJSSEL, _REGULAR, "GM0335"),
    ),
    catalogue=_PO_CATALOGUE,
)

_VO_BOARD = "Stichting Voortgezet Onderwijs Utrecht-West"
_VO_VEEN = "Stichting Veenland VO"

VO_RUW_TENANT = DemoTenant(
    code=VO_RUW,
    name="SWV VO RUW",
    committee_name="RUW Loket",
    policy_version="Ondersteuningsplan 2.2",
    lapse_unredeemed_tlvs=True,
    municipalities=(
        ("GM0736", "De Ronde Venen"),
        ("GM0632", "Woerden"),
        ("GM0589", "Oudewater"),
        ("GM0335", "Montfoort"),
    ),
    schools=(
        _school("26YA", "00", "Groene Hart Lyceum", _VO_BOARD, _REGULAR, "GM0632"),
        _school("26YB", "00", "Veenstroom College", _VO_VEEN, _REGULAR, "GM0736"),
        _school("26YC", "00", "Hollandse IJssel College", _VO_BOARD, _REGULAR, "GM0335"),
        _school("26YD", "00", "Praktijkschool De Werkplaats", _VO_BOARD, _REGULAR, "GM0632"),
        _school("26YE", "00", "VSO De Boei", _SPECIAAL, _VSO, "GM0632"),
        _school("26YF", "00", "Vakcollege Oudewater", _VO_BOARD, _REGULAR, "GM0589"),
    ),
    catalogue=_VO_CATALOGUE,
)

_HEUVELRUG = "Stichting Heuvelrug Primair"
_KROMME_RIJN = "Stichting Kromme Rijn Scholen"

ZOUT_TENANT = DemoTenant(
    code=ZOUT,
    name="SWV ZOUT",
    committee_name="Commissie Arrangeren en Toelaten",
    policy_version="Ondersteuningsplan 4.0",
    lapse_unredeemed_tlvs=False,
    municipalities=(
        ("GM0312", "Bunnik"),
        ("GM0310", "De Bilt"),
        ("GM1581", "Utrechtse Heuvelrug"),
        ("GM0352", "Wijk bij Duurstede"),
        ("GM0355", "Zeist"),
    ),
    schools=(
        _school("18ZA", "00", "Basisschool De Slotlaan", _HEUVELRUG, _REGULAR, "GM0355"),
        _school("18ZB", "00", "Kindcentrum Het Kromme Rijnpad", _KROMME_RIJN, _REGULAR, "GM0312"),
        _school("18ZC", "00", "Basisschool De Dorpsbeek", _KROMME_RIJN, _REGULAR, "GM0310"),
        _school("18ZD", "00", "Basisschool De Heuvelrand", _HEUVELRUG, _REGULAR, "GM1581"),
        _school("18ZE", "00", "Basisschool De Lekdijk", _KROMME_RIJN, _REGULAR, "GM0352"),
        _school("18ZF", "00", "SBO De Wegwijzer", _HEUVELRUG, _SBO, "GM0355"),
        _school("18ZG", "00", "SO De Linde", _SPECIAAL, _SO, "GM0310"),
    ),
    catalogue=_PO_CATALOGUE[:6] + _PO_CATALOGUE[7:9],
)

DEMO_TENANTS: tuple[DemoTenant, ...] = (PASSENDERWIJS_TENANT, VO_RUW_TENANT, ZOUT_TENANT)
